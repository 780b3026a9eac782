"""regions.csv, occupations.csv and isco08_groups.csv: the classifications everything else points into."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from certbridge.ontology import CB

from .. import iris
from .context import Context, add_labels

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
ISCO_COLUMNS = ("code", "level", "level_name", "parent_code", "title_en", "esco_uri", "source_id")

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
        graph.add((subject, SKOS.notation, Literal(code)))
        add_labels(graph, subject, row.text("name_zh", required=True), row.text("name_en", required=True))
        iso = row.pattern("iso3166_2", r"CN-[A-Z]{2}", what="an ISO 3166-2 code like CN-GD", required=True)
        if iso:
            graph.add((subject, CB.iso3166Code, Literal(iso)))
        romanised = row.text("name_romanised_iso")
        if romanised:
            graph.add((subject, SKOS.altLabel, Literal(romanised, lang="zh-Latn")))
        _source(ctx, graph, subject, row)


def _source(ctx: Context, graph, subject, row) -> None:
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
