"""regions.csv, subregions.csv, occupations.csv, isco08_groups.csv and classification_counts.csv: the
classifications everything else points into, and the figures sources state about them."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from certbridge.ontology import CB, SCHEMA

from .. import iris
from ..tables import Row
from .context import Context, add_date, add_labels
from .sink import TripleSink

REGION_COLUMNS = (
    "gb2260_code",
    "name_zh",
    "name_en",
    "iso3166_2",
    "name_romanised_iso",
    "subdivision_type",
    "alpha_code",
    "source_id",
    "note",
)
OCCUPATION_COLUMNS = (
    "code",
    "level",
    "level_name",
    "name_zh",
    "gbm_code",
    "parent_code",
    "digital_occupation_S",
    "green_occupation_L",
    "name_source",
    "sources_agree",
    "source_id",
)
SUBREGION_COLUMNS = ("code", "division_level", "name_zh", "parent_code", "source_id", "note")
#: the levels below the province-level divisions, and their classes (an NBS grouping such as 市辖区 is a
#: row of the statistical table, not a division of its own level: cb:Region only)
SUBREGION_LEVELS: dict[str, URIRef | None] = {
    "prefecture": CB.PrefectureLevelDivision,
    "nbs-grouping": None,
    "county": CB.CountyLevelDivision,
}
ISCO_COLUMNS = ("code", "level", "level_name", "parent_code", "title_en", "esco_uri", "source_id")
#: optional columns of isco08_groups.csv: the ILO skill levels of the major groups, and their source
ISCO_SKILL_COLUMNS = ("ilo_skill_levels", "skill_levels_source_id")
COUNT_COLUMNS = (
    "id",
    "about",
    "counted_zh",
    "counted_en",
    "value",
    "counted_in",
    "date",
    "date_as_stated",
    "counted_by_certbridge",
    "how_checked",
    "source_ids",
    "trust",
    "note",
)
#: what a classification count may be about: the 2022 classification (its concept scheme), or the list of
#: national skill standards on the OSTA site (a catalogue of its own, made by the counts converter)
COUNT_SUBJECTS = ("occupations-2022", "osta-skill-standards")

#: The code shape of each level of the 2022 classification, and the class of its nodes.
OCCUPATION_LEVELS = {
    1: (r"\d", CB.MajorGroup),
    2: (r"\d-\d{2}", CB.MediumGroup),
    3: (r"\d-\d{2}-\d{2}", CB.MinorGroup),
    4: (r"\d-\d{2}-\d{2}-\d{2}", CB.Occupation),
}
OCCUPATION_SCHEME = "occupations-2022"
ISCO_SCHEME = "isco-08"


def convert_regions(ctx: Context) -> None:
    table = ctx.table("regions", REGION_COLUMNS)
    graph = ctx.graph("regions")
    for code, row in table.unique_ids("gb2260_code").items():
        if row.pattern("gb2260_code", r"\d{2}0000", what="a 6-digit GB/T 2260 province-level code") is None:
            continue
        ctx.known["region"].add(code)
        subject = iris.region(code)
        graph.add((subject, RDF.type, CB.Region))
        graph.add((subject, RDF.type, CB.ProvinceLevelDivision))
        graph.add((subject, SKOS.notation, Literal(code)))
        add_labels(graph, subject, row.text("name_zh", required=True), row.text("name_en", required=True))
        iso = row.pattern("iso3166_2", r"CN-[A-Z]{2}", what="an ISO 3166-2 code like CN-GD", required=True)
        if iso:
            graph.add((subject, CB.iso3166Code, Literal(iso)))
        romanised = row.text("name_romanised_iso")
        if romanised:
            graph.add((subject, SKOS.altLabel, Literal(romanised, lang="zh-Latn")))
        _source(ctx, graph, subject, row)


def convert_subregions(ctx: Context) -> None:
    """The prefecture- and county-level divisions (NBS 2023), each skos:broader the division above it."""
    table = ctx.table("subregions", SUBREGION_COLUMNS)
    graph = ctx.graph("subregions")
    provinces = set(ctx.known["region"])
    rows = table.unique_ids("code")
    levels: dict[str, str] = {}
    for code, row in rows.items():
        level = row.choice("division_level", SUBREGION_LEVELS, required=True)
        shape = r"\d{4}00" if level in ("prefecture", "nbs-grouping") else r"\d{6}"
        if level and row.pattern("code", shape, what=f"a 6-digit code of a {level} row") is not None:
            if code in provinces or code.endswith("0000"):
                row.error("code", f"{code!r} is a province-level code (regions.csv)")
            else:
                levels[code] = level
    ctx.known["region"].update(levels)
    for code, level in levels.items():
        row = rows[code]
        subject = iris.region(code)
        graph.add((subject, RDF.type, CB.Region))
        level_class = SUBREGION_LEVELS[level]
        if level_class is not None:
            graph.add((subject, RDF.type, level_class))
        graph.add((subject, SKOS.notation, Literal(code)))
        add_labels(graph, subject, row.text("name_zh", required=True), None)  # no source gives English names
        parent = row.text("parent_code", required=True)
        if parent is not None:
            above = parent in provinces if level != "county" else levels.get(parent) in ("prefecture", "nbs-grouping")
            if not above:
                wanted = "a province-level code of regions.csv" if level != "county" else "a prefecture-level row"
                row.error("parent_code", f"{parent!r} is not {wanted}")
            elif not code.startswith(parent[: 2 if level != "county" else 4]):
                row.error("parent_code", f"{parent!r} is not the prefix of {code!r}")
            else:
                graph.add((subject, SKOS.broader, iris.region(parent)))
        _source(ctx, graph, subject, row)


def _source(ctx: Context, graph: TripleSink, subject: URIRef, row: Row) -> None:
    key = row.ref("source_id", ctx.known["source"], what="source", required=True)
    if key:
        graph.add((subject, DCTERMS.source, iris.record("source", key)))
    note = row.text("note") if "note" in row.values else None
    if note:
        graph.add((subject, CB.note, Literal(note)))


def convert_occupations(ctx: Context) -> None:
    table = ctx.table("occupations", OCCUPATION_COLUMNS)
    graph = ctx.graph("occupations")
    scheme = iris.scheme(OCCUPATION_SCHEME)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, RDFS.label, Literal("中华人民共和国职业分类大典（2022年版）", lang="zh")))
    graph.add((scheme, RDFS.label, Literal("National occupational classification of China (2022)", lang="en")))
    rows = table.unique_ids("code")
    levels: dict[str, int] = {}
    for code, row in rows.items():
        level = row.integer("level", required=True, minimum=1)
        if level not in OCCUPATION_LEVELS:
            if level is not None:
                row.error("level", f"{level} is not a classification level (1 to 4)")
            continue
        regex, _ = OCCUPATION_LEVELS[level]
        if row.pattern("code", regex, what=f"a level-{level} code") is not None:
            levels[code] = level
    ctx.known["classification"].update(levels)
    ctx.known["occupation"].update(code for code, level in levels.items() if level == 4)
    for code, level in levels.items():
        row = rows[code]
        subject = iris.occupation(code)
        graph.add((subject, RDF.type, OCCUPATION_LEVELS[level][1]))
        graph.add((subject, SKOS.inScheme, scheme))
        graph.add((subject, SKOS.notation, Literal(code)))
        graph.add((subject, CB.classificationLevel, Literal(level)))
        ctx.label(graph, subject, row.text("name_zh", required=True), None)
        parent = row.text("parent_code", required=level > 1)
        if level == 1:
            graph.add((subject, SKOS.topConceptOf, scheme))
            if parent:
                row.error("parent_code", "a major group has no parent")
        elif parent is not None:
            if levels.get(parent) != level - 1:
                row.error("parent_code", f"{parent!r} is not a level-{level - 1} code of this table")
            elif not code.startswith(parent + "-"):
                row.error("parent_code", f"{parent!r} is not the prefix of {code!r}")
            else:
                graph.add((subject, SKOS.broader, iris.occupation(parent)))
        gbm = row.text("gbm_code")
        if gbm and level < 4:
            graph.add((subject, CB.gbmCode, Literal(gbm)))
        if level == 4:
            graph.add((subject, CB.digitalOccupation, Literal(row.boolean("digital_occupation_S"))))
            graph.add((subject, CB.greenOccupation, Literal(row.boolean("green_occupation_L"))))
        _source(ctx, graph, subject, row)


def convert_isco(ctx: Context) -> None:
    table = ctx.table("isco08_groups", ISCO_COLUMNS)
    graph = ctx.graph("isco08_groups")
    scheme = iris.scheme(ISCO_SCHEME)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, RDFS.label, Literal("国际标准职业分类（ISCO-08）", lang="zh")))
    graph.add(
        (scheme, RDFS.label, Literal("International Standard Classification of Occupations (ISCO-08)", lang="en"))
    )
    rows = table.unique_ids("code")
    for code, row in rows.items():
        level = row.integer("level", required=True, minimum=1)
        if row.pattern("code", r"\d{1,4}", what="an ISCO-08 code") is None or level is None:
            continue
        if len(code) != level:
            row.error("level", f"an ISCO-08 code of level {level} has {level} digit(s), not {len(code)}")
            continue
        ctx.known["isco"].add(code)
        subject = iris.isco(code)
        graph.add((subject, RDF.type, CB.IscoGroup))
        graph.add((subject, SKOS.inScheme, scheme))
        graph.add((subject, SKOS.notation, Literal(code)))
        graph.add((subject, CB.classificationLevel, Literal(level)))
        add_labels(graph, subject, None, row.text("title_en", required=True))
        parent = row.text("parent_code", required=level > 1)
        if parent is not None:
            if parent not in rows or len(parent) != level - 1:
                row.error("parent_code", f"{parent!r} is not a level-{level - 1} ISCO-08 code of this table")
            else:
                graph.add((subject, SKOS.broader, iris.isco(parent)))
        elif level == 1:
            graph.add((subject, SKOS.topConceptOf, scheme))
        uri = row.text("esco_uri")
        if uri:
            graph.add((subject, SKOS.exactMatch, URIRef(uri)))
        _source(ctx, graph, subject, row)
        if ISCO_SKILL_COLUMNS[0] in row.values:
            _skill_levels(ctx, graph, subject, row, level)


def _skill_levels(ctx: Context, graph: TripleSink, subject: URIRef, row: Row, level: int) -> None:
    """The ILO skill levels of a major group (``3;4``), with the source they come from (required with them)."""
    levels = row.refs("ilo_skill_levels", ("1", "2", "3", "4"), what="ILO skill level (1 to 4)")
    source = row.ref("skill_levels_source_id", ctx.known["source"], what="source", required=bool(levels))
    if levels and level != 1:
        row.error("ilo_skill_levels", "ISCO-08 assigns skill levels to the major groups (level 1) only")
    elif levels and source:
        for value in levels:
            graph.add((subject, CB.iloSkillLevel, Literal(int(value))))
        graph.add((subject, DCTERMS.source, iris.record("source", source)))
    elif source and not levels:
        row.error("skill_levels_source_id", "names a source for skill levels the row does not give")


def convert_classification_counts(ctx: Context) -> None:
    """Figures sources state about the classification (how many occupations, job types, standards): statements
    with their source, date and trust, never counts of this graph's own nodes."""
    table = ctx.table("classification_counts", COUNT_COLUMNS)
    graph = ctx.graph("classification_counts")
    catalogue = iris.scheme(COUNT_SUBJECTS[1])
    subjects = {COUNT_SUBJECTS[0]: iris.scheme(OCCUPATION_SCHEME), COUNT_SUBJECTS[1]: catalogue}
    used = set()
    for key, row in table.unique_ids().items():
        subject = iris.record("classification-count", key)
        graph.add((subject, RDF.type, CB.ClassificationCount))
        about = row.choice("about", COUNT_SUBJECTS, required=True)
        if about:
            graph.add((subject, CB.countOf, subjects[about]))
            used.add(about)
        zh, en = row.text("counted_zh", required=True), row.text("counted_en", required=True)
        add_labels(graph, subject, zh, en)
        for text, lang in ((zh, "zh"), (en, "en")):
            if text:
                graph.add_text(subject, CB.countedItem, text, lang=lang)
        value = row.integer("value", required=True, minimum=0)
        if value is not None:
            graph.add((subject, CB.countValue, Literal(value)))
        counted_in = row.text("counted_in", required=True)
        if counted_in:
            graph.add((subject, CB.countedIn, Literal(counted_in)))
        add_date(graph, subject, DCTERMS.date, row, "date")
        stated = row.text("date_as_stated")
        if stated:
            graph.add((subject, CB.dateAsStated, Literal(stated)))
        graph.add((subject, CB.countedByCertbridge, Literal(row.boolean("counted_by_certbridge"))))
        checked = row.text("how_checked")
        if checked:
            graph.add_text(subject, CB.note, checked)
        row.text("trust", required=True)
        ctx.provenance(graph, subject, row)
    if COUNT_SUBJECTS[1] in used:
        graph.add((catalogue, RDF.type, SCHEMA.Dataset))
        add_labels(
            graph,
            catalogue,
            "国家职业技能标准目录（职业技能鉴定中心网站 osta.org.cn/skillStandard）",
            "National occupational skill standards as listed on the OSTA site (osta.org.cn/skillStandard)",
        )
