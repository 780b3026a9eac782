"""The neighbourhood of an entity as nodes and edges (for the visualisation): links between instances, by depth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

import pyoxigraph as ox

from certbridge.ontology import ID

from .query import compact, named_node
from .store import AnyStore

_SKIP = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://purl.org/dc/terms/source")


class NodeJson(TypedDict):
    """An entity of the neighbourhood, as the views draw it."""

    iri: str
    label_zh: str | None
    label_en: str | None
    types: list[str]
    illustrative: bool
    synthetic: bool


class EdgeJson(TypedDict):
    """A link between two entities (compact IRIs of its predicate and named graph)."""

    source: str
    target: str
    predicate: str
    graph: str


@dataclass
class Neighbourhood:
    center: str
    depth: int
    nodes: dict[str, NodeJson] = field(default_factory=dict)
    edges: list[EdgeJson] = field(default_factory=list)
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON body (Any values: its readers, such as ``views.node_view``, take a plain dict)."""
        return {
            "center": self.center,
            "depth": self.depth,
            "truncated": self.truncated,
            "nodes": list(self.nodes.values()),
            "edges": self.edges,
        }


def _links(store: AnyStore, iri: str) -> list[tuple[str, str, str, str]]:
    """(source, predicate, target, graph) of the instance-to-instance links touching *iri*."""
    rows = store.query(
        """SELECT ?x ?ns ?s ?p ?o ?g WHERE {
        { GRAPH ?g { ?x ?p ?o } BIND (?x AS ?s) }
        UNION { GRAPH ?g { ?s ?p ?x } BIND (?x AS ?o) }
        FILTER (isIRI(?o) && isIRI(?s) && STRSTARTS(STR(?o), ?ns) && STRSTARTS(STR(?s), ?ns)) }""",
        substitutions={ox.Variable("x"): ox.NamedNode(iri), ox.Variable("ns"): ox.Literal(str(ID))},
    )
    assert isinstance(rows, ox.QuerySolutions)  # a SELECT
    return [(r["s"].value, r["p"].value, r["o"].value, r["g"].value) for r in rows if r["p"].value not in _SKIP]


def _node(store: AnyStore, iri: str) -> NodeJson:
    labels: dict[str, str | None] = {"zh": None, "en": None}
    kinds: list[str] = []
    flags = {"illustrative": False, "synthetic": False}
    for quad in store.quads_for_pattern(ox.NamedNode(iri), None, None):
        predicate = quad.predicate.value
        if predicate.endswith("rdf-schema#label") and isinstance(quad.object, ox.Literal):
            labels[quad.object.language or "en"] = labels.get(quad.object.language or "en") or quad.object.value
        elif predicate.endswith("22-rdf-syntax-ns#type"):
            kinds.append(compact(quad.object))
        elif predicate.endswith("#illustrative") or predicate.endswith("#synthetic"):
            flags[predicate.rsplit("#", 1)[1]] = isinstance(quad.object, ox.Literal) and quad.object.value == "true"
    return {
        "iri": iri,
        "label_zh": labels["zh"],
        "label_en": labels["en"],
        "types": sorted(set(kinds)),
        "illustrative": flags["illustrative"],
        "synthetic": flags["synthetic"],
    }


def neighbourhood(store: AnyStore, iri: str, *, depth: int = 1, limit: int = 500) -> Neighbourhood | None:
    """Nodes within *depth* links of *iri* (at most *limit*; ``truncated`` says when more were left out)."""
    node = named_node(iri)
    if node is None or not any(store.quads_for_pattern(node, None, None)):
        return None
    found = Neighbourhood(iri, depth)
    found.nodes[iri] = _node(store, iri)
    frontier = [iri]
    seen_edges: set[tuple[str, str, str]] = set()
    for _ in range(depth):
        following: list[str] = []
        for current in frontier:
            for s, p, o, g in _links(store, current):
                for end in (s, o):
                    if end not in found.nodes:
                        if len(found.nodes) >= limit:
                            found.truncated = True
                            continue
                        found.nodes[end] = _node(store, end)
                        following.append(end)
                if s in found.nodes and o in found.nodes and (s, p, o) not in seen_edges:
                    seen_edges.add((s, p, o))
                    found.edges.append(
                        {
                            "source": s,
                            "target": o,
                            "predicate": compact(ox.NamedNode(p)),
                            "graph": compact(ox.NamedNode(g)),
                        }
                    )
        frontier = following
    return found
