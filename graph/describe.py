"""What the graph says about one entity: its statements (with the named graph each comes from) and labels."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .query import SAFE_IRI, compact


@dataclass
class Description:
    iri: str
    statements: list[dict[str, str | None]] = field(default_factory=list)
    incoming: int = 0

    def to_json(self) -> dict:
        return {"iri": self.iri, "statements": self.statements, "incoming_links": self.incoming}


def describe(store: ox.Store, iri: str) -> Description | None:
    """The statements about *iri* (object labels in zh and en, and the graph of each); None when unknown."""
    if not SAFE_IRI.fullmatch(iri):
        return None
    found = Description(iri)
    for solution in store.query(
        f"""SELECT ?p ?o ?g ?zh ?en WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }}
             OPTIONAL {{ ?o <http://www.w3.org/2000/01/rdf-schema#label> ?zh FILTER (LANG(?zh) = "zh") }}
             OPTIONAL {{ ?o <http://www.w3.org/2000/01/rdf-schema#label> ?en FILTER (LANG(?en) = "en") }} }}
           ORDER BY ?p ?o""",
        use_default_graph_as_union=True,
    ):
        obj = solution["o"]
        found.statements.append(
            {
                "predicate": compact(solution["p"]),
                "object": obj.value if isinstance(obj, ox.NamedNode) else compact(obj),
                "object_is_iri": str(isinstance(obj, ox.NamedNode)).lower(),
                "label_zh": solution["zh"].value if solution["zh"] else None,
                "label_en": solution["en"].value if solution["en"] else None,
                "graph": compact(solution["g"]),
            }
        )
    count = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p <{iri}> }} }}")
    found.incoming = int(next(iter(count))["n"].value)
    return found if found.statements or found.incoming else None
