"""What is in a store: counts per class, per named graph and per source, and when it was built."""

from __future__ import annotations

from dataclasses import dataclass

from .query import select
from .store import AnyStore


@dataclass(frozen=True, slots=True)
class StoreInfo:
    built_at: str | None
    graphs: dict[str, int]
    classes: dict[str, int]
    sources: dict[str, int]
    illustrative: int


def describe(store: AnyStore) -> StoreInfo:
    built = list(select(store, "SELECT ?t WHERE { GRAPH cbg:build { ?a a prov:Activity ; prov:endedAtTime ?t } }"))
    graphs = {
        row["g"]: int(row["n"])
        for row in select(store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    }
    classes = {
        row["c"]: int(row["n"])
        for row in select(
            store,
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } "
            "FILTER (STRSTARTS(STR(?c), STR(cb:)) && ?g != cbg:ontology) } GROUP BY ?c ORDER BY ?c",
        )
    }
    sources = {
        row["src"]: int(row["n"])
        for row in select(
            store,
            "SELECT ?src (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s dcterms:source ?src } GROUP BY ?src ORDER BY DESC(?n)",
        )
    }
    illustrative = next(select(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s cb:illustrative true }"))["n"]
    return StoreInfo(built[0]["t"] if built else None, graphs, classes, sources, int(illustrative))
