"""`certbridge export --format skos`: the two classifications as SKOS concept schemes that SKOS tools accept.

Checked twice: with skosify's own integrity checks (they log a warning for each defect), and with SKOS integrity
conditions written as SPARQL over the parsed export.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from helpers.data import Cli
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS
from skosify import check

from certbridge.data import DATA_DIR
from certbridge.graph import iris
from certbridge.graph.convert.classification import ISCO_SCHEME, OCCUPATION_SCHEME

OCCUPATIONS = iris.scheme(OCCUPATION_SCHEME)
ISCO = iris.scheme(ISCO_SCHEME)

#: SKOS integrity conditions (SKOS Reference, section numbers S9, S13, S14, S27) and the completeness this export
#: promises, each as a query whose rows are the offending resources
VIOLATIONS = {
    "S9 a concept is not a scheme": "SELECT ?x WHERE { ?x a skos:Concept , skos:ConceptScheme }",
    "S13 pref/alt/hidden labels are disjoint": """SELECT ?x WHERE { ?x skos:prefLabel ?l .
        { ?x skos:altLabel ?l } UNION { ?x skos:hiddenLabel ?l } }""",
    "S14 one prefLabel per language": """SELECT ?x WHERE { ?x skos:prefLabel ?a , ?b .
        FILTER (?a != ?b && lang(?a) = lang(?b)) }""",
    "S27 related is disjoint with broaderTransitive": "SELECT ?x WHERE { ?x skos:related ?y ; skos:broader+ ?y }",
    "narrower is the inverse of broader": """SELECT ?x WHERE {
        { ?x skos:broader ?y FILTER NOT EXISTS { ?y skos:narrower ?x } }
        UNION { ?x skos:narrower ?y FILTER NOT EXISTS { ?y skos:broader ?x } } }""",
    "hasTopConcept is the inverse of topConceptOf": """SELECT ?x WHERE {
        { ?x skos:topConceptOf ?s FILTER NOT EXISTS { ?s skos:hasTopConcept ?x } }
        UNION { ?s skos:hasTopConcept ?x FILTER NOT EXISTS { ?x skos:topConceptOf ?s } } }""",
    "every concept is in one scheme": """SELECT ?x WHERE { ?x a skos:Concept .
        FILTER NOT EXISTS { ?x skos:inScheme ?s } }""",
    "a concept's broader is in its scheme": """SELECT ?x WHERE { ?x skos:broader ?y ; skos:inScheme ?s .
        FILTER NOT EXISTS { ?y skos:inScheme ?s } }""",
    "every concept reaches a top concept": """SELECT ?x WHERE { ?x a skos:Concept .
        FILTER NOT EXISTS { ?x skos:broader* ?top . ?top skos:topConceptOf ?s } }""",
    "every concept has a notation and a label": """SELECT ?x WHERE { ?x a skos:Concept .
        FILTER NOT EXISTS { ?x skos:notation ?n ; skos:prefLabel ?l } }""",
}


def exported(cli: Cli, store: Path, tmp_path: Path) -> Graph:
    out = tmp_path / "skos.ttl"
    result = cli("export", "--store", store, "--format", "skos", "-o", out)
    assert result.exit_code == 0, result.output
    return Graph().parse(out, format="turtle")


@pytest.fixture
def mini_skos(cli: Cli, mini_store: Path, tmp_path: Path) -> Graph:
    return exported(cli, mini_store, tmp_path)


def test_two_schemes_with_their_top_concepts(mini_skos: Graph) -> None:
    schemes = set(mini_skos.subjects(predicate=None, object=SKOS.ConceptScheme))
    assert schemes == {OCCUPATIONS, ISCO}
    assert set(mini_skos.objects(OCCUPATIONS, SKOS.hasTopConcept)) >= {iris.occupation("4"), iris.occupation("6")}
    assert iris.occupation("6-04") not in set(mini_skos.objects(OCCUPATIONS, SKOS.hasTopConcept))
    assert (iris.occupation("6-04"), SKOS.narrower, iris.occupation("6-04-01")) in mini_skos


@pytest.mark.parametrize("name", VIOLATIONS)
def test_skos_integrity(mini_skos: Graph, name: str) -> None:
    rows = list(mini_skos.query(VIOLATIONS[name], initNs={"skos": SKOS}))
    assert rows == [], f"{name}: {rows[:3]}"


def test_violations_are_found_when_present(mini_skos: Graph) -> None:
    """The queries above can fail: a dropped narrower and a second zh prefLabel are each caught."""
    broken = Graph()
    for triple in mini_skos:
        broken.add(triple)
    broken.remove((iris.occupation("6-04"), SKOS.narrower, iris.occupation("6-04-01")))
    broken.add((iris.occupation("6-04"), SKOS.prefLabel, Literal("另一个名字", lang="zh")))
    assert list(broken.query(VIOLATIONS["narrower is the inverse of broader"], initNs={"skos": SKOS}))
    assert list(broken.query(VIOLATIONS["S14 one prefLabel per language"], initNs={"skos": SKOS}))


def test_labels_are_the_datas_own_languages(mini_skos: Graph) -> None:
    """大典 names are Chinese and ISCO-08 titles English; the export never adds a translation."""
    for concept in mini_skos.subjects(SKOS.inScheme, OCCUPATIONS):
        assert {label.language for label in mini_skos.objects(concept, SKOS.prefLabel)} == {"zh"}
    for concept in mini_skos.subjects(SKOS.inScheme, ISCO):
        assert {label.language for label in mini_skos.objects(concept, SKOS.prefLabel)} == {"en"}


def skosify_warnings(graph: Graph, caplog: pytest.LogCaptureFixture) -> list[str]:
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        check.hierarchy_cycles(graph)
        check.disjoint_relations(graph)
        check.hierarchical_redundancy(graph)
        check.preflabel_uniqueness(graph, policy="shortest")
        check.label_overlap(graph)
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_skosify_checks_pass(mini_skos: Graph, caplog: pytest.LogCaptureFixture) -> None:
    assert skosify_warnings(mini_skos, caplog) == []


def test_skosify_checks_can_fail(mini_skos: Graph, caplog: pytest.LogCaptureFixture) -> None:
    """A concept both broader and related to its parent (a disjointness skosify checks) is reported."""
    mini_skos.add((iris.occupation("6-04"), SKOS.related, iris.occupation("6")))
    assert skosify_warnings(mini_skos, caplog)


@pytest.mark.slow
def test_real_schemes_hold_every_row(
    cli: Cli, real_store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    graph = exported(cli, real_store, tmp_path)
    rows = {
        URIRef(scheme): len((DATA_DIR / table).read_text(encoding="utf-8").splitlines()) - 1
        for scheme, table in ((OCCUPATIONS, "occupations.csv"), (ISCO, "isco08_groups.csv"))
    }
    for scheme, count in rows.items():
        assert len(set(graph.subjects(SKOS.inScheme, scheme))) == count
    for name, query in VIOLATIONS.items():
        assert list(graph.query(query, initNs={"skos": SKOS})) == [], name
    assert skosify_warnings(graph, caplog) == []
