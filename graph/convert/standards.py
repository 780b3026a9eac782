"""standards.csv: national occupational skill standards, with unknown fields left unknown."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF, XSD

from certbridge.ontology import CB

from .. import iris
from .context import Context, add_labels, add_trust_and_notes
from .sources import DOCUMENT_NUMBER_PATTERN

COLUMNS = (
    "id",
    "occupation_code",
    "code_from",
    "occupation_name_zh",
    "standard_title_zh",
    "kind",
    "edition_year",
    "document_number",
    "issuing_authorities",
    "grades_covered",
    "grades_as_stated",
    "replaces",
    "source_id",
    "source_detail",
    "trust",
    "notes",
)
KINDS = ("national", "industry", "enterprise")
CODE_ORIGINS = ("source", "name_match")


def convert_standards(ctx: Context) -> None:
    table = ctx.table("standards", COLUMNS)
    graph = ctx.graph("standards")
    rows = table.unique_ids()
    ctx.known["standard"].update(rows)
    for key, row in rows.items():
        subject = iris.record("standard", key)
        graph.add((subject, RDF.type, CB.SkillStandard))
        graph.add((subject, DCTERMS.identifier, Literal(key)))
        name = row.text("occupation_name_zh", required=True)
        title = row.text("standard_title_zh")
        if title:
            graph.add((subject, DCTERMS.title, Literal(title, lang="zh")))
        add_labels(graph, subject, title or f"{name}（来源未给出标准名称）", None)
        occupation = row.ref("occupation_code", ctx.known["occupation"], what="occupation code (2022)")
        if occupation:
            graph.add((subject, CB.forOccupation, iris.occupation(occupation)))
            ctx.facts["standard-occupation"][key] = occupation
            row.choice("code_from", CODE_ORIGINS, required=True)
        elif row.text("code_from"):
            row.error("code_from", "says where an occupation code came from, but occupation_code is empty")
        if name:
            graph.add((subject, CB.note, Literal(f"occupation as named by the source: {name}")))
        kind = row.choice("kind", KINDS, required=True)
        if kind:
            graph.add((subject, CB.standardKind, iris.vocab("standard-kind", kind)))
            ctx.facts["standard-kind"][key] = kind
        year = row.pattern("edition_year", r"(19|20)\d{2}", what="a four-digit edition year")
        if year:
            graph.add((subject, CB.editionYear, Literal(year, datatype=XSD.gYear)))
        number = row.pattern(
            "document_number", DOCUMENT_NUMBER_PATTERN, what="a document number like 人社厅发〔2021〕70号"
        )
        if number:
            graph.add((subject, CB.documentNumber, Literal(number)))
        authorities = row.text("issuing_authorities")
        if authorities:
            graph.add((subject, CB.issuingAuthorityText, Literal(authorities, lang="zh")))
        grades = row.refs("grades_covered", ctx.known["grade"], what="grade")
        graph.add((subject, CB.gradesCoveredKnown, Literal(bool(grades))))
        for grade in grades:
            graph.add((subject, CB.coversGrade, iris.grade(grade)))
        replaced = row.ref("replaces", rows, what="standard id")
        if replaced == key:
            row.error("replaces", "a standard cannot replace itself")
        elif replaced:
            graph.add((subject, CB.replaces, iris.record("standard", replaced)))
        source = row.ref("source_id", ctx.known["source"], what="source", required=True)
        if source:
            graph.add((subject, DCTERMS.source, iris.record("source", source)))
        detail = row.text("source_detail")
        if detail:
            graph.add((subject, DCTERMS.bibliographicCitation, Literal(detail)))
        add_trust_and_notes(graph, subject, row, trust_required=True)
