"""certificate_types.csv: what each issuer certifies (issuer x occupation x grade), never who holds it."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS

from certbridge.ontology import CB

from .. import iris
from .context import Context

# the terms every row uses, looked up once (rdflib's namespace attribute lookups cost about a microsecond each,
# and a national-scale table has over half a million rows)
CERTIFICATE_TYPE, ISSUED_BY, CERTIFIES, AT_GRADE = CB.CertificateType, CB.issuedBy, CB.certifiesOccupation, CB.atGrade
FOLLOWS, JOB_TYPE, TYPE, LABELS = CB.followsStandard, CB.certifiesJobType, RDF.type, (RDFS.label, SKOS.prefLabel)

COLUMNS = (
    "id",
    "issuer_id",
    "occupation_code",
    "job_type_zh",
    "grade_id",
    "standard_id",
    "illustrative",
    "source_ids",
    "note",
)


def convert_certificate_types(ctx: Context) -> None:
    table = ctx.table("certificate_types", COLUMNS)
    graph = ctx.graph("certificate_types")
    for key, row in table.unique_ids().items():
        ctx.known["certificate-type"].add(key)
        subject = iris.record("certificate-type", key)
        graph.add((subject, TYPE, CERTIFICATE_TYPE))
        issuer = row.ref("issuer_id", ctx.known["issuer"], what="issuer", required=True)
        occupation = row.ref("occupation_code", ctx.known["occupation"], what="occupation code (2022)", required=True)
        grade = row.ref("grade_id", ctx.known["grade"], what="grade", required=True)
        standard = row.ref("standard_id", ctx.known["standard"], what="standard id")
        job_type = row.text("job_type_zh")
        if issuer:
            graph.add((subject, ISSUED_BY, iris.record("organisation", issuer)))
        if occupation:
            graph.add((subject, CERTIFIES, iris.occupation(occupation)))
        if grade:
            graph.add((subject, AT_GRADE, iris.grade(grade)))
        if standard:
            covered = ctx.facts["standard-occupation"].get(standard)
            if occupation and covered and covered != occupation:
                row.error("standard_id", f"standard {standard!r} is for occupation {covered}, not {occupation}")
            graph.add((subject, FOLLOWS, iris.record("standard", standard)))
        if job_type:
            graph.add((subject, JOB_TYPE, Literal(job_type, lang="zh")))
        marks = ("（示例）", " (illustrative)") if row.boolean("illustrative") else ("", "")
        named = (
            issuer and iris.record("organisation", issuer),
            occupation and iris.occupation(occupation),
            grade and iris.grade(grade),
        )
        parts = [ctx.labels.get(iri, (None, None)) if iri else (None, None) for iri in named]
        for position, (lang, mark) in enumerate(zip(("zh", "en"), marks, strict=True)):
            # a name missing in English (occupations have none) falls back to Chinese, never to a guess
            label = Literal(" ".join(labels[position] or labels[0] or "?" for labels in parts) + mark, lang=lang)
            for prop in LABELS:
                graph.add((subject, prop, label))
        ctx.provenance(graph, subject, row)
