"""What a routing graph must look like again when it is built afresh: the tests that compare a graph kept after a
change with a fresh build (test_incremental_index.py, test_graph_staleness.py) compare these."""

from __future__ import annotations

from typing import Any

from certbridge.graph.routing.graphs import EDGE, ClassGraph, Profiles
from certbridge.graph.routing.model import STRENGTH


def edges(graph: Any) -> tuple[set[Any], set[Any]]:
    """A networkx graph's nodes and its edges with their attributes."""
    return set(graph.nodes(data=False)), {(a, b, tuple(sorted(d.items()))) for a, b, d in graph.edges(data=True)}


def shape(graph: Any) -> Any:
    """A class graph's classes, members, hubs and edges; a certificate graph's nodes and edges; profiles' groups."""
    if isinstance(graph, Profiles):
        return graph
    if not isinstance(graph, ClassGraph):
        return edges(graph)
    kinds = {data[EDGE].kind for *_, data in graph.graph.edges(data=True)}
    assert graph.strengths == frozenset(STRENGTH[kind] for kind in kinds), "its strengths are its edges'"
    return (
        dict(graph.class_of),
        graph.members,
        graph.by_issuer,
        graph.grades,
        graph.out,
        graph.into,
        graph.issuer_certs,
        graph.ranks,
        graph.strengths,
        graph.size,
        edges(graph.graph),
    )
