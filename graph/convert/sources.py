"""sources.csv and documents.csv: where every fact comes from."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import DCTERMS, RDF, XSD

from certbridge.ontology import CB, SCHEMA

from .. import iris
from .context import Context, add_date, add_trust_and_notes

SOURCE_COLUMNS = (
    "id",
    "kind",
    "title",
    "url",
    "publisher",
    "date",
    "date_as_stated",
    "trust",
    "trust_note",
    "licence",
    "notes",
)
DOCUMENT_COLUMNS = (
    "id",
    "title_zh",
    "document_number",
    "issuer_zh",
    "date",
    "date_as_stated",
    "date_precision",
    "what_it_does",
    "source_ids",
    "trust",
    "trust_note",
    "notes",
)
ILLUSTRATIVE_KIND = "illustrative"
SYNTHETIC_KIND = "synthetic"
URL_PATTERN = r"https?://\S+"
DOCUMENT_NUMBER_PATTERN = r".+〔\d{4}〕\d+号"


def convert_sources(ctx: Context) -> None:
    table = ctx.table("sources", SOURCE_COLUMNS)
    graph = ctx.graph("sources")
    for key, row in table.unique_ids().items():
        ctx.known["source"].add(key)
        subject = iris.record("source", key)
        graph.add((subject, RDF.type, CB.Source))
        kind = row.text("kind", required=True)
        if kind:
            graph.add((subject, CB.sourceKind, Literal(kind)))
        if kind == ILLUSTRATIVE_KIND:
            ctx.known["illustrative-source"].add(key)
            graph.add((subject, CB.illustrative, Literal(True)))
        if kind == SYNTHETIC_KIND:
            ctx.known["synthetic-source"].add(key)
            graph.add((subject, CB.synthetic, Literal(True)))
        title = row.text("title", required=True)
        if title:
            graph.add((subject, DCTERMS.title, Literal(title)))
        url = row.pattern("url", URL_PATTERN, what="an http(s) URL")
        if url:
            graph.add((subject, SCHEMA.url, Literal(url, datatype=XSD.anyURI)))
        for column, prop in (("publisher", DCTERMS.publisher), ("licence", CB.licenceNote)):
            value = row.text(column)
            if value:
                graph.add((subject, prop, Literal(value)))
        add_date(graph, subject, DCTERMS.issued, row, "date")
        stated = row.text("date_as_stated")
        if stated:
            graph.add((subject, CB.dateAsStated, Literal(stated)))
        add_trust_and_notes(graph, subject, row, trust_required=True)


def convert_documents(ctx: Context) -> None:
    table = ctx.table("documents", DOCUMENT_COLUMNS)
    graph = ctx.graph("documents")
    for key, row in table.unique_ids().items():
        ctx.known["document"].add(key)
        subject = iris.record("document", key)
        graph.add((subject, RDF.type, CB.PolicyDocument))
        title = row.text("title_zh", required=True)
        if title:
            graph.add((subject, DCTERMS.title, Literal(title, lang="zh")))
        number = row.pattern(
            "document_number", DOCUMENT_NUMBER_PATTERN, what="a document number like 人社部发〔2019〕90号"
        )
        if number:
            graph.add((subject, CB.documentNumber, Literal(number)))
        for column, prop in (
            ("issuer_zh", DCTERMS.publisher),
            ("what_it_does", DCTERMS.description),
            ("date_precision", CB.datePrecision),
            ("date_as_stated", CB.dateAsStated),
        ):
            value = row.text(column)
            if value:
                graph.add((subject, prop, Literal(value)))
        add_date(graph, subject, DCTERMS.issued, row, "date")
        ctx.provenance(graph, subject, row)
