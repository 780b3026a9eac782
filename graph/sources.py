"""Every source and policy document of the store, and how many records of each table rest on it.

Read from the store by SPARQL (``dcterms:source`` in each table's named graph), so the counts are those of the
version served, imports included; a policy officer sees which facts would fall with a source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import XSD

from certbridge.ontology import GRAPH

from .query import as_solutions, run_query
from .store import AnyStore

#: the precision a typed date carries (the build types a date as precisely as its source gives it)
PRECISION = {str(XSD.gYear): "year", str(XSD.gYearMonth): "month", str(XSD.date): "day"}
_TABLE_GRAPH = f"{GRAPH}data/"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceUsage:
    """One source (sources.csv) or policy document (documents.csv) and the records that cite it."""

    id: str
    iri: str
    kind: str  # as recorded in sources.csv, or "policy document"
    title: str | None
    url: str | None
    date: str | None
    #: year, month or day: the precision of the typed date; None without one (``date_as_stated`` may say more)
    precision: str | None
    date_as_stated: str | None
    trust: str | None
    records: int
    by_table: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceReport:
    sources: tuple[SourceUsage, ...]
    #: per table: how many of its records cite at least one source (a record citing two counts once)
    by_table: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": [{name: getattr(s, name) for name in SourceUsage.__slots__} for s in self.sources],
            "by_table": self.by_table,
        }


_DETAILS = """SELECT ?s ?type ?kind ?title ?url ?date ?stated ?trust WHERE {
  ?s a ?type . VALUES ?type { cb:Source cb:PolicyDocument }
  OPTIONAL { ?s cb:sourceKind ?kind } OPTIONAL { ?s dcterms:title ?title } OPTIONAL { ?s schema:url ?url }
  OPTIONAL { ?s dcterms:issued ?date } OPTIONAL { ?s cb:dateAsStated ?stated }
  OPTIONAL { ?s cb:trust/skos:notation ?trust } }"""
_COUNTS = """SELECT ?s ?g (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?g { ?r dcterms:source ?s } }
  GROUP BY ?s ?g"""
_TABLE_TOTALS = """SELECT ?g (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?g { ?r dcterms:source ?s } } GROUP BY ?g"""


def source_report(store: AnyStore) -> SourceReport:
    """Every source and document, ordered by id, with the records of each table that cite it."""
    counts: dict[str, dict[str, int]] = {}
    for row in _solutions(store, _COUNTS):
        table = _table(row["g"])
        if table is not None:
            counts.setdefault(row["s"].value, {})[table] = int(row["n"].value)
    totals = {
        table: int(row["n"].value)
        for row in _solutions(store, _TABLE_TOTALS)
        if (table := _table(row["g"])) is not None
    }
    found = []
    for row in _solutions(store, _DETAILS):
        iri = row["s"].value
        date = row["date"]
        stated = _text(row["stated"])
        precision = PRECISION.get(date.datatype.value) if isinstance(date, ox.Literal) else None
        per_table = dict(sorted(counts.get(iri, {}).items()))
        found.append(
            SourceUsage(
                id=iri.rsplit("/", 1)[-1],
                iri=iri,
                kind=_text(row["kind"]) or ("policy document" if row["type"].value.endswith("PolicyDocument") else ""),
                title=_text(row["title"]),
                url=_text(row["url"]),
                date=_text(date),
                precision=precision,
                date_as_stated=stated,
                trust=_text(row["trust"]),
                records=sum(per_table.values()),
                by_table=per_table,
            )
        )
    unique = {s.iri: s for s in found}  # a source with two titles or dates would repeat: keep one
    return SourceReport(
        sources=tuple(sorted(unique.values(), key=lambda s: s.id)), by_table=dict(sorted(totals.items()))
    )


def _solutions(store: AnyStore, text: str) -> list[ox.QuerySolution]:
    return list(as_solutions(run_query(store, text)))


def _table(graph: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str | None:
    if isinstance(graph, ox.NamedNode) and graph.value.startswith(_TABLE_GRAPH):
        return graph.value.removeprefix(_TABLE_GRAPH)
    return None


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str | None:
    return term.value if isinstance(term, ox.Literal | ox.NamedNode) else None
