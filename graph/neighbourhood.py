"""The neighbourhood of an entity as nodes and edges (for the visualisation): links between instances, by depth.

Reified statements (``rdf:Statement`` nodes: the reasoner's record of which agreement and rule an inferred link
rests on) are never nodes here: each becomes the relation it states, named by its predicate's label and carrying
the agreements it was derived from (``via``). This module is the one place that turns them into relations; the
node view and the entity pages both draw what it answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pyoxigraph as ox

from certbridge.ontology import ID

from .query import as_solutions, compact, named_node
from .store import AnyStore

_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
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
    """A link between two entities (compact IRIs of its predicate and named graph), with the predicate's name in
    both languages and the agreements a reified statement says the link was derived from."""

    source: str
    target: str
    predicate: str
    graph: str
    label_zh: str | None
    label_en: str | None
    via: list[str]


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


_STATEMENT_FREE = """FILTER NOT EXISTS { GRAPH ?gs { ?s a rdf:Statement } }
        FILTER NOT EXISTS { GRAPH ?go { ?o a rdf:Statement } }"""


def _links(store: AnyStore, iri: str) -> list[tuple[str, str, str, str]]:
    """(source, predicate, target, graph) of the instance-to-instance links touching *iri*; reified statements are
    not instances (their relations are read by :func:`_stated`)."""
    rows = store.query(
        """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?x ?ns ?s ?p ?o ?g WHERE {
        { GRAPH ?g { ?x ?p ?o } BIND (?x AS ?s) }
        UNION { GRAPH ?g { ?s ?p ?x } BIND (?x AS ?o) }
        FILTER (isIRI(?o) && isIRI(?s) && STRSTARTS(STR(?o), ?ns) && STRSTARTS(STR(?s), ?ns))
        """
        + _STATEMENT_FREE
        + "}",
        substitutions={ox.Variable("x"): ox.NamedNode(iri), ox.Variable("ns"): ox.Literal(str(ID))},
    )
    return [
        (r["s"].value, r["p"].value, r["o"].value, r["g"].value)
        for r in as_solutions(rows)
        if r["p"].value not in _SKIP
    ]


def _stated(store: AnyStore, iri: str) -> dict[tuple[str, str, str, str], list[str]]:
    """The relations reified statements about *iri* state: (source, predicate, target, graph) -> the agreements
    (or other records) each was derived from, sorted."""
    rows = store.query(
        """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?x ?s ?p ?o ?g ?from WHERE {
        { GRAPH ?g { ?st rdf:subject ?x ; rdf:predicate ?p ; rdf:object ?o } BIND (?x AS ?s) }
        UNION { GRAPH ?g { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?x } BIND (?x AS ?o) }
        FILTER (isIRI(?s) && isIRI(?o))
        OPTIONAL { ?st prov:wasDerivedFrom ?from } }""",
        substitutions={ox.Variable("x"): ox.NamedNode(iri)},
        use_default_graph_as_union=True,
    )
    found: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for r in as_solutions(rows):
        slot = (r["s"].value, r["p"].value, r["o"].value, r["g"].value)
        found[slot]  # a statement derived from nothing named still states its relation
        if r["from"] is not None:
            found[slot].add(r["from"].value)
    return {slot: sorted(sources) for slot, sources in found.items()}


def _predicate_names(store: AnyStore, predicate: str, known: dict[str, tuple[str | None, str | None]]) -> None:
    """The ontology's (Chinese, English) label of *predicate*, remembered in *known*."""
    if predicate in known:
        return
    names: dict[str, str] = {}
    for quad in store.quads_for_pattern(ox.NamedNode(predicate), _LABEL, None):
        if isinstance(quad.object, ox.Literal) and quad.object.language in ("zh", "en"):
            names.setdefault(quad.object.language, quad.object.value)
    known[predicate] = (names.get("zh"), names.get("en"))


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
    seen_edges: dict[tuple[str, str, str], EdgeJson] = {}
    names: dict[str, tuple[str | None, str | None]] = {}
    for _ in range(depth):
        following: list[str] = []
        for current in frontier:
            plain = {(s, p, o, g): list[str]() for s, p, o, g in _links(store, current)}
            for (s, p, o, g), via in {**plain, **_stated(store, current)}.items():
                for end in (s, o):
                    if end not in found.nodes:
                        if len(found.nodes) >= limit:
                            found.truncated = True
                            continue
                        found.nodes[end] = _node(store, end)
                        following.append(end)
                if s not in found.nodes or o not in found.nodes:
                    continue
                if (s, p, o) in seen_edges:  # the same link in another graph, or stated again
                    known = seen_edges[(s, p, o)]["via"]
                    known.extend(source for source in via if source not in known)
                    continue
                _predicate_names(store, p, names)
                seen_edges[(s, p, o)] = {
                    "source": s,
                    "target": o,
                    "predicate": compact(ox.NamedNode(p)),
                    "graph": compact(ox.NamedNode(g)),
                    "label_zh": names[p][0],
                    "label_en": names[p][1],
                    "via": list(via),
                }
        frontier = following
    found.edges = list(seen_edges.values())
    return found
