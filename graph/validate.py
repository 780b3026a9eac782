"""SHACL validation of the built graph against ontology/shapes.ttl (pyshacl).

Two costs of pyshacl grow with the number of focus nodes, and both are avoided here without changing
what is validated: it checks each target against the ``focus_nodes`` option by scanning a list (targets
× focus nodes term comparisons: 150 million at N = 1,000), and it parses a SPARQL-based constraint's
query again for every focus node. The validator below gets the focus nodes as a frozenset, and the data
graph parses each distinct query once (rdflib runs a prepared query with the focus node bound).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from rdflib import Graph
from rdflib.namespace import SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier, Node

from certbridge.ontology import SHAPES_FILE

#: One validation result: focus node, result path (or None) and the constraint component that failed.
Result = tuple[Node, Node | None, Node]


@dataclass(frozen=True, slots=True)
class ValidationReport:
    conforms: bool
    violations: int
    text: str
    results: frozenset[Result] = frozenset()


def results_of(report_graph: Graph) -> frozenset[Result]:
    """The results of a SHACL validation report graph, comparable between validators."""
    return frozenset(_result(report_graph, r) for r in report_graph.subjects(SH.resultSeverity, None))


def _result(report_graph: Graph, result: Node) -> Result:
    value = report_graph.value
    focus, component = value(result, SH.focusNode), value(result, SH.sourceConstraintComponent)
    assert focus is not None and component is not None  # SHACL gives every result exactly one of each
    return focus, value(result, SH.resultPath), component


def load_shapes() -> Graph:
    return Graph().parse(SHAPES_FILE)


class _PreparedQueriesGraph(Graph):
    """An rdflib graph that parses each distinct SPARQL query text once."""

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[tuple[str, str | None], Query] = {}

    def query(  # type: ignore[override]
        self,
        query_object: str | Query,
        processor: str = "sparql",
        result: str = "sparql",
        initNs: Mapping[str, Any] | None = None,
        initBindings: Mapping[str, Identifier] | None = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Any:
        if isinstance(query_object, str) and processor == "sparql" and initNs is None:
            base = kwargs.get("base")
            key = (query_object, base)
            if key not in self._prepared:
                self._prepared[key] = prepareQuery(query_object, initNs=dict(self.namespaces()), base=base)
            query_object = self._prepared[key]
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


class _FocusSetValidator(Validator):
    """pyshacl's validator with the focus nodes as a set (it only tests membership and size)."""

    def make_executor(self) -> Any:
        executor = super().make_executor()
        if executor.focus_nodes:
            # typed list[URIRef] by pyshacl, which only tests membership and size: a frozenset does both faster
            executor.focus_nodes = frozenset(executor.focus_nodes)  # type: ignore[assignment]
        return executor


def validate_graphs(
    graphs: Iterable[Graph], *, shapes: Graph | None = None, focus_nodes: list[Node] | None = None
) -> ValidationReport:
    """Validate the union of *graphs* (ontology and data together, so sh:class sees subclasses).

    With *focus_nodes*, only those nodes are validated (the other nodes only answer sh:class lookups).
    """
    union = _PreparedQueriesGraph()
    for graph in graphs:
        union += graph
    validator = _FocusSetValidator(
        DataGraph.from_rdflib(union),
        shacl_graph=shapes if shapes is not None else load_shapes(),
        options={
            "inference": "none",
            "advanced": True,
            "allow_warnings": True,
            "focus_nodes": focus_nodes,
            "inplace": True,  # nothing is inferred into it; a copy would lose the prepared queries
        },
    )
    conforms, report_graph, text = validator.run()  # type: ignore[no-untyped-call]  # pyshacl leaves run() unannotated
    violations = len(set(report_graph.subjects(SH.resultSeverity, SH.Violation)))
    return ValidationReport(bool(conforms), violations, str(text), results_of(report_graph))
