"""What the graph says about one entity: its statements (with the named graph each comes from) and labels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .query import as_solutions, compact, named_node
from .store import AnyStore


@dataclass
class Description:
    iri: str
    statements: list[dict[str, str | bool | None]] = field(default_factory=list)
    incoming: int = 0

    def to_json(self) -> dict[str, object]:
        return {"iri": self.iri, "statements": self.statements, "incoming_links": self.incoming}


def describe(store: AnyStore, iri: str) -> Description | None:
    """The statements about *iri* (object labels in zh and en, and the graph of each); None when unknown."""
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
    return found if found.statements or found.incoming else None


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
