"""Grade ladders, titles and education levels, qualification frameworks, and the sourced links between them."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from certbridge.ontology import CB

from .. import iris
from ..tables import Row
from .context import Context, add_date, add_labels
from .sink import TripleSink

GRADE_COLUMNS = (
    "id",
    "ladder",
    "rank",
    "name_zh",
    "name_en",
    "numeric_label_zh",
    "in_five_level_ladder",
    "in_eight_level_ladder",
    "source_ids",
    "trust",
    "trust_note",
    "note",
)
CREDENTIAL_COLUMNS = ("id", "kind", "rank", "name_zh", "name_en", "source_ids", "note")
FRAMEWORK_COLUMNS = (
    "id",
    "name_zh",
    "name_en",
    "number_of_levels",
    "descriptor_domains",
    "governing_body",
    "source_ids",
    "note",
)
LEVEL_COLUMNS = (
    "framework",
    "level",
    "title_en",
    "knowledge",
    "skills",
    "responsibility_and_autonomy",
    "source_id",
    "exact_match",
    "exact_match_source_id",
)
BRIDGE_COLUMNS = (
    "id",
    "from_ref",
    "to_refs",
    "relation",
    "minimum_years_held",
    "from_as_stated",
    "to_as_stated",
    "condition",
    "document_id",
    "date",
    "date_as_stated",
    "source_ids",
    "trust",
    "trust_note",
    "note",
)
ALIGNMENT_COLUMNS = ("id", "from_ref", "to_ref", "relation", "source_ids", "trust", "note")

LADDERS = ("worker", "technical")
#: Concept schemes a grade can belong to: (scheme key, zh, en).
LADDER_SCHEMES = {
    "five": ("grade-ladder-five", "五级职业技能等级（2022年前）", "five-level skill grade ladder (before 2022)"),
    "eight": ("grade-ladder-eight", "新八级工职业技能等级", "eight-level skill grade ladder (2022)"),
    "technical": (
        "technical-skill-levels",
        "职业技术技能标准等级（初级、中级、高级）",
        "levels of the professional-technical skill standards (junior, intermediate, senior)",
    ),
}
CREDENTIAL_KINDS = {
    "professional-title": CB.ProfessionalTitle,
    "education-level": CB.EducationLevel,
    "school-programme": CB.EducationLevel,
    "vocational-qualification": CB.ProfessionalTitle,
    "taiwan-technician-level": CB.TaiwanTechnicianLevel,
}
ALIGNMENT_RELATIONS = {
    "exactMatch": SKOS.exactMatch,
    "closeMatch": SKOS.closeMatch,
    "broadMatch": SKOS.broadMatch,
    "narrowMatch": SKOS.narrowMatch,
    "relatedMatch": SKOS.relatedMatch,
}


def _scheme(graph: TripleSink, key: str) -> None:
    scheme_key, zh, en = LADDER_SCHEMES[key]
    subject = iris.scheme(scheme_key)
    graph.add((subject, RDF.type, CB.GradeLadder))
    add_labels(graph, subject, zh, en)


def convert_grades(ctx: Context) -> None:
    table = ctx.table("grade_levels", GRADE_COLUMNS)
    graph = ctx.graph("grade_levels")
    for key in LADDER_SCHEMES:
        _scheme(graph, key)
    by_ladder: dict[str, dict[int, str]] = defaultdict(dict)
    for key, row in table.unique_ids().items():
        ladder = row.choice("ladder", LADDERS, required=True)
        rank = row.integer("rank", required=True, minimum=1)
        if ladder is None or rank is None:
            continue
        if rank in by_ladder[ladder]:
            row.error("rank", f"rank {rank} is already taken by {by_ladder[ladder][rank]!r} in the {ladder} ladder")
            continue
        by_ladder[ladder][rank] = key
        ctx.known["grade"].add(key)
        ctx.facts["grade-rank"][key] = f"{ladder}:{rank}"
        subject = iris.grade(key)
        graph.add((subject, RDF.type, CB.GradeLevel))
        graph.add((subject, CB.rank, Literal(rank)))
        graph.add((subject, SKOS.notation, Literal(key)))
        ctx.label(graph, subject, row.text("name_zh", required=True), row.text("name_en", required=True))
        numeric = row.text("numeric_label_zh")
        if numeric:
            graph.add((subject, SKOS.altLabel, Literal(numeric, lang="zh")))
            graph.add((subject, SKOS.altLabel, Literal(f"{numeric}/{row.text('name_zh')}", lang="zh")))
        schemes = ["technical"] if ladder == "technical" else []
        if ladder == "worker":
            schemes += [
                name
                for name, column in (("five", "in_five_level_ladder"), ("eight", "in_eight_level_ladder"))
                if row.boolean(column)
            ]
        for name in schemes:
            graph.add((subject, SKOS.inScheme, iris.scheme(LADDER_SCHEMES[name][0])))
        ctx.provenance(graph, subject, row)
    for ranks in by_ladder.values():
        ordered = [ranks[r] for r in sorted(ranks)]
        for lower, higher in pairwise(ordered):
            graph.add((iris.grade(higher), CB.nextHigherGrade, iris.grade(lower)))


def convert_credentials(ctx: Context) -> None:
    table = ctx.table("credentials", CREDENTIAL_COLUMNS)
    graph = ctx.graph("credentials")
    for key, row in table.unique_ids().items():
        kind = row.choice("kind", CREDENTIAL_KINDS, required=True)
        if kind is None:
            continue
        ctx.known["credential"].add(key)
        subject = iris.credential(key)
        graph.add((subject, RDF.type, CREDENTIAL_KINDS[kind]))
        graph.add((subject, SKOS.notation, Literal(key)))
        graph.add((subject, DCTERMS.type, Literal(kind)))
        rank = row.integer("rank", minimum=1)
        if rank is not None:
            graph.add((subject, CB.rank, Literal(rank)))
        add_labels(graph, subject, row.text("name_zh", required=True), row.text("name_en", required=True))
        ctx.provenance(graph, subject, row)


def convert_frameworks(ctx: Context) -> None:
    graph = ctx.graph("frameworks")
    sizes: dict[str, int] = {}
    for key, row in ctx.table("frameworks", FRAMEWORK_COLUMNS).unique_ids().items():
        ctx.known["framework"].add(key)
        size = row.integer("number_of_levels", required=True, minimum=1)
        if size:
            sizes[key] = size
        subject = iris.framework(key)
        graph.add((subject, RDF.type, CB.QualificationFramework))
        graph.add((subject, SKOS.notation, Literal(key)))
        add_labels(graph, subject, row.text("name_zh", required=True), row.text("name_en", required=True))
        for column, prop in (("descriptor_domains", DCTERMS.description), ("governing_body", DCTERMS.publisher)):
            value = row.text(column)
            if value:
                graph.add((subject, prop, Literal(value, lang="en")))
        ctx.provenance(graph, subject, row)

    levels = ctx.table("framework_levels", LEVEL_COLUMNS)
    seen: set[tuple[str, int]] = set()
    for row in levels:
        framework = row.ref("framework", ctx.known["framework"], what="framework", required=True)
        level = row.integer("level", required=True, minimum=1)
        if framework is None or level is None:
            continue
        key = framework
        if key in sizes and level > sizes[key]:
            row.error("level", f"{key} has {sizes[key]} levels, so there is no level {level}")
            continue
        if (key, level) in seen:
            row.error("level", f"{key} level {level} appears twice")
            continue
        seen.add((key, level))
        ctx.known["framework-level"].add(f"{key}-{level}")
        subject = iris.framework_level(key, level)
        graph.add((subject, RDF.type, CB.FrameworkLevel))
        graph.add((subject, SKOS.inScheme, iris.framework(key)))
        graph.add((subject, SKOS.notation, Literal(f"{key} {level}")))
        graph.add((subject, CB.rank, Literal(level)))
        add_labels(graph, subject, f"{key} {level}级", f"{key} level {level}")
        for column in ("title_en", "knowledge", "skills", "responsibility_and_autonomy"):
            value = row.text(column)
            if value:
                graph.add(
                    (
                        subject,
                        SKOS.definition if column != "title_en" else SKOS.scopeNote,
                        Literal(f"{column.replace('_', ' ')}: {value}", lang="en"),
                    )
                )
        source = row.ref("source_id", ctx.known["source"], what="source", required=True)
        if source:
            graph.add((subject, DCTERMS.source, iris.record("source", source)))
        _published_level(ctx, graph, subject, row)


def _published_level(ctx: Context, graph: TripleSink, subject: URIRef, row: Row) -> None:
    """The framework's own IRI for the level (EQF's in the EU vocabulary), only with the source that gives it."""
    match = row.pattern("exact_match", r"https?://\S+", what="an http(s) IRI")
    match_source = row.ref("exact_match_source_id", ctx.known["source"], what="source", required=match is not None)
    if match and match_source:
        graph.add((subject, SKOS.exactMatch, URIRef(match)))
        graph.add((subject, DCTERMS.source, iris.record("source", match_source)))


def convert_bridges(ctx: Context) -> None:
    table = ctx.table("grade_bridges", BRIDGE_COLUMNS)
    graph = ctx.graph("grade_bridges")
    endpoints = ctx.known_references("grade", "credential", "framework-level", "occupation", "isco")
    for key, row in table.unique_ids().items():
        ctx.known["bridge"].add(key)
        subject = iris.record("bridge", key)
        graph.add((subject, RDF.type, CB.CrossSystemBridge))
        add_labels(graph, subject, f"贯通规则 {key}", f"bridge {key}")
        origin = row.ref("from_ref", endpoints, what="grade or credential", required=True)
        if origin:
            graph.add((subject, CB.bridgeFrom, iris.reference(origin)))
        for target in row.refs("to_refs", endpoints, what="grade or credential", required=True):
            graph.add((subject, CB.bridgeTo, iris.reference(target)))
        relation = row.pattern("relation", r"[a-z_]+", what="a relation name in snake_case", required=True)
        if relation:
            graph.add((subject, CB.bridgeRelation, Literal(relation)))
        years = row.integer("minimum_years_held", minimum=0)
        if years is not None:
            graph.add((subject, CB.minimumYearsHeld, Literal(years)))
        condition = row.text("condition")
        if condition:
            graph.add((subject, CB.condition, Literal(condition, lang="en")))
        for column in ("from_as_stated", "to_as_stated"):
            value = row.text(column)
            if value:
                graph.add((subject, RDFS.comment, Literal(f"{column.replace('_', ' ')}: {value}")))
        document = row.ref("document_id", ctx.known["document"], what="policy document")
        if document:
            graph.add((subject, DCTERMS.source, iris.record("document", document)))
        add_date(graph, subject, DCTERMS.issued, row, "date")
        stated = row.text("date_as_stated")
        if stated:
            graph.add((subject, CB.dateAsStated, Literal(stated)))
        ctx.provenance(graph, subject, row)


def convert_alignments(ctx: Context) -> None:
    """SKOS mappings (grade to framework level or another system's level, occupation to ISCO-08) only where a
    source states them."""
    table = ctx.table("alignments", ALIGNMENT_COLUMNS)
    graph = ctx.graph("alignments")
    sides = ctx.known_references("grade", "framework-level", "credential", "occupation", "isco")
    what = "grade, framework level, credential, occupation or ISCO group"
    for key, row in table.unique_ids().items():
        origin = row.ref("from_ref", sides, what=what, required=True)
        target = row.ref("to_ref", sides, what=what, required=True)
        relation = row.choice("relation", ALIGNMENT_RELATIONS, required=True)
        if not (origin and target and relation):
            continue
        graph.add((iris.reference(origin), ALIGNMENT_RELATIONS[relation], iris.reference(target)))
        subject = iris.record("alignment", key)
        graph.add((subject, RDF.type, CB.CrossSystemBridge))
        add_labels(graph, subject, f"对应关系 {key}", f"alignment {key}")
        graph.add((subject, CB.bridgeFrom, iris.reference(origin)))
        graph.add((subject, CB.bridgeTo, iris.reference(target)))
        graph.add((subject, CB.bridgeRelation, Literal(relation)))
        ctx.provenance(graph, subject, row)
