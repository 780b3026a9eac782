"""SHACL shapes: the real data conforms; each invalid fixture (one defect per file) is rejected at its focus node."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.data import FIXTURES, MINI_DATA
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from certbridge.data import DATA_DIR
from certbridge.graph.build import load_ontology
from certbridge.graph.convert import convert_tables
from certbridge.graph.validate import load_shapes, results_of, validate_graphs
from certbridge.ontology import CB

INVALID = sorted((FIXTURES / "shapes-invalid").glob("*.ttl"))


@pytest.fixture(scope="module")
def mini_union() -> Graph:
    union = load_ontology()
    for sink in convert_tables(MINI_DATA).values():
        union += sink.sample
        sink.close()
    return union


def test_mini_data_conforms(mini_union: Graph) -> None:
    assert validate_graphs([mini_union]).conforms


@pytest.mark.slow
def test_real_data_conforms() -> None:
    sinks = convert_tables(DATA_DIR)
    report = validate_graphs([load_ontology(), *(sink.sample for sink in sinks.values())])
    assert all(sink.complete for sink in sinks.values()), "the real data is small enough to validate whole"
    for sink in sinks.values():
        sink.close()
    assert report.conforms, report.text[:3000]
    assert report.violations == 0


def expected_focus(path: Path) -> URIRef:
    line = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# focus: "))
    return URIRef(line.removeprefix("# focus: "))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_is_rejected_at_its_focus_node(mini_union: Graph, path: Path) -> None:
    data = Graph()
    data += mini_union
    data.parse(path, format="turtle")
    report = validate_graphs([data])
    assert not report.conforms
    assert expected_focus(path) in {focus for focus, _, _ in report.results}, report.text


@pytest.mark.parametrize("focus", [False, True], ids=["whole", "focus-nodes"])
def test_same_results_as_pyshacl_entry_point(mini_union: Graph, focus: bool) -> None:
    """certbridge's validator (focus nodes as a set, each query parsed once) reports what pyshacl.validate does."""
    data = Graph()
    data += mini_union
    for path in INVALID:
        data.parse(path, format="turtle")
    focus_nodes = (
        sorted({expected_focus(path) for path in INVALID})
        + sorted(set(mini_union.subjects(RDF.type, CB.CertificateType)), key=str)[:5]
    )
    ours = validate_graphs([data], focus_nodes=focus_nodes if focus else None)
    conforms, report, _ = validate(
        data, shacl_graph=load_shapes(), advanced=True, allow_warnings=True, focus_nodes=focus_nodes if focus else None
    )
    assert ours.conforms == conforms is False
    assert ours.results == results_of(report)
    assert len(ours.results) >= len(INVALID)


def test_every_class_of_the_ontology_is_targeted_by_a_shape() -> None:
    """Directly, or through a superclass that a shape targets (SHACL targets apply to subclass instances)."""
    ontology = load_ontology()
    shapes = load_shapes()
    targeted = set(shapes.objects(None, SH.targetClass))
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(CB))}
    untargeted = {
        c
        for c in classes
        if not any(t in targeted for t in ontology.transitive_objects(c, RDFS.subClassOf))
        and not set(ontology.transitive_subjects(RDFS.subClassOf, c)) & targeted
    }
    assert not untargeted, sorted(untargeted)
