"""SHACL validation of the built graph against ontology/shapes.ttl (pyshacl)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH
from rdflib.term import Node

from certbridge.ontology import SHAPES_FILE


@dataclass(frozen=True, slots=True)
class ValidationReport:
    conforms: bool
    violations: int
    text: str


def load_shapes() -> Graph:
    return Graph().parse(SHAPES_FILE)


def validate_graphs(
    graphs: Iterable[Graph], *, shapes: Graph | None = None, focus_nodes: list[Node] | None = None
) -> ValidationReport:
    """Validate the union of *graphs* (ontology and data together, so sh:class sees subclasses).

    With *focus_nodes*, only those nodes are validated (the other nodes only answer sh:class lookups).
    """
    union = Graph()
    for graph in graphs:
        union += graph
    conforms, report_graph, text = validate(
        union,
        shacl_graph=shapes if shapes is not None else load_shapes(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        focus_nodes=focus_nodes,
    )
    violations = len(set(report_graph.subjects(SH.resultSeverity, SH.Violation)))
    return ValidationReport(bool(conforms), violations, str(text))
