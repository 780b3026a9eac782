"""What the graph says about one entity: its statements (with the named graph each comes from) and labels, whether
it is retired (when and why), and its history: the changesets that touched its row (writer, time, note)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from certbridge.ontology import CB

from .changes import Changeset
from .convert import table_of
from .query import as_solutions, compact, named_node
from .store import AnyStore


@dataclass(frozen=True, slots=True, kw_only=True)
class Retirement:
    """That a record is retired: from which day (as stated, a partial date), why, and the retirement's IRI."""

    on: str
    reason: str | None
    by: str

    def to_json(self) -> dict[str, object]:
        return {"retired_on": self.on, "reason": self.reason, "retirement": self.by}


@dataclass
class Description:
    iri: str
    statements: list[dict[str, str | bool | None]] = field(default_factory=list)
    incoming: int = 0
    retired: Retirement | None = None
    #: the changesets that added, corrected or retired the record, oldest first
    history: list[Changeset] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "iri": self.iri,
            "statements": self.statements,
            "incoming_links": self.incoming,
            "retired": self.retired.to_json() if self.retired else None,
            "history": [
                {
                    "changeset": c.id,
                    "kind": str(c.kind),
                    "writer": c.writer,
                    "at": c.at,
                    "note": c.note,
                    "version": c.version,
                }
                for c in self.history
            ],
        }


_RETIRED = f"""SELECT ?x ?by ?on ?reason WHERE {{ ?x <{CB.retiredBy}> ?by . ?by <{CB.retiredOn}> ?on .
  OPTIONAL {{ ?by <{CB.retirementReason}> ?reason }} }}"""


def describe(store: AnyStore, iri: str, log: Sequence[Changeset] = ()) -> Description | None:
    """The statements about *iri* (object labels in zh and en, and the graph of each), its retirement, and the
    changesets of *log* (the store's changes log) that touched its row; None when unknown."""
    node = named_node(iri)
    if node is None:
        return None
    found = Description(iri)
    # a binding, never text spliced into the query
    subject: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {ox.Variable("x"): node}
    for solution in as_solutions(
        store.query(
            """SELECT ?x ?p ?o ?g ?zh ?en WHERE { GRAPH ?g { ?x ?p ?o }
             OPTIONAL { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?zh FILTER (LANG(?zh) = "zh") }
             OPTIONAL { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?en FILTER (LANG(?en) = "en") } }
           ORDER BY ?p ?o""",
            use_default_graph_as_union=True,
            substitutions=subject,
        )
    ):
        obj = solution["o"]
        found.statements.append(
            {
                "predicate": compact(solution["p"]),
                "object": obj.value if isinstance(obj, ox.NamedNode) else compact(obj),
                "object_is_iri": isinstance(obj, ox.NamedNode),
                "label_zh": solution["zh"].value if solution["zh"] else None,
                "label_en": solution["en"].value if solution["en"] else None,
                "graph": compact(solution["g"]),
            }
        )
    # a substituted variable must be projected, hence the GROUP BY (no row when nothing links to it)
    count = as_solutions(
        store.query("SELECT ?x (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?x } } GROUP BY ?x", substitutions=subject)
    )
    found.incoming = next((int(row["n"].value) for row in count), 0)
    for row in as_solutions(store.query(_RETIRED, use_default_graph_as_union=True, substitutions=subject)):
        reason = row["reason"]
        found.retired = Retirement(on=row["on"].value, reason=reason.value if reason else None, by=row["by"].value)
    found.history = history(iri, log)
    return found if found.statements or found.incoming else None


def history(iri: str, log: Sequence[Changeset]) -> list[Changeset]:
    """The changesets of *log* that added or corrected the row of the record *iri*, or retired it."""
    place = table_of(iri)
    if place is None:
        return []
    tables, key = place
    return [changeset for changeset in log if any(changeset.touches(table, key) for table in tables)]


def labels_of(store: AnyStore, iris: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """The (Chinese, English) label of each IRI (``rdfs:label``, else ``skos:prefLabel``); None where it has none."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for iri in iris:
        node = named_node(iri)
        if node is None:
            continue
        names: dict[str | None, str] = {}
        for predicate in (_LABEL, _PREF_LABEL):
            for quad in store.quads_for_pattern(node, predicate, None):
                if isinstance(quad.object, ox.Literal):
                    names.setdefault(quad.object.language, quad.object.value)
        found[iri] = (names.get("zh"), names.get("en"))
    return found


_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
