"""certificate_types.csv: what each issuer certifies (issuer x occupation x grade), never who holds it."""

from __future__ import annotations

from rdflib import URIRef
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
    names: dict[URIRef | None, tuple[str, str]] = {}  # what a certificate type's label calls each record it names
    for key, row in table.unique_ids().items():
        ctx.known["certificate-type"].add(key)
        subject = iris.record("certificate-type", key)
        graph.add((subject, TYPE, CERTIFICATE_TYPE))
        issuer = row.ref("issuer_id", ctx.known["issuer"], what="issuer", required=True)
        occupation = row.ref("occupation_code", ctx.known["occupation"], what="occupation code (2022)", required=True)
        grade = row.ref("grade_id", ctx.known["grade"], what="grade", required=True)
        standard = row.ref("standard_id", ctx.known["standard"], what="standard id")
        job_type = row.text("job_type_zh")
        named = (
            ctx.reference("organisation", issuer) if issuer else None,
            ctx.reference("occupation", occupation) if occupation else None,
            ctx.reference("grade", grade) if grade else None,
        )
        for prop, iri in zip((ISSUED_BY, CERTIFIES, AT_GRADE), named, strict=True):
            if iri:
                graph.add((subject, prop, iri))
        if standard:
            covered = ctx.facts["standard-occupation"].get(standard)
            if occupation and covered and covered != occupation:
                row.error("standard_id", f"standard {standard!r} is for occupation {covered}, not {occupation}")
            graph.add((subject, FOLLOWS, ctx.reference("standard", standard)))
        if job_type:
            graph.add_text(subject, JOB_TYPE, job_type, lang="zh")
        marks = ("（示例）", " (illustrative)") if row.boolean("illustrative") else ("", "")
        parts = [
            names.get(iri) or names.setdefault(iri, _names(ctx.labels.get(iri) if iri is not None else None))
            for iri in named
        ]
        for position, (lang, mark) in enumerate(zip(("zh", "en"), marks, strict=True)):
            label = " ".join([part[position] for part in parts]) + mark
            for prop in LABELS:
                graph.add_text(subject, prop, label, lang=lang)
        ctx.provenance(graph, subject, row)


def _names(labels: tuple[str | None, str | None] | None) -> tuple[str, str]:
    """A record's Chinese and English names in a label; a name missing in English (occupations have none) falls
    back to Chinese, never to a guess."""
    zh, en = labels or (None, None)
    return zh or "?", en or zh or "?"
