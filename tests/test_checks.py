"""Ontology QA as data: every ontology/checks/*-violation.rq returns no rows on the built store,
and each check does find the defect it is written for."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from certbridge.graph.build import ONTOLOGY_GRAPH, load_ontology
from certbridge.graph.query import run_query
from certbridge.graph.store import open_store
from certbridge.ontology import CHECKS_DIR

CHECKS = sorted(CHECKS_DIR.glob("*-violation.rq"))

#: One seeded defect per check, in Turtle, added to the ontology graph or the data.
DEFECTS = {
    "term-without-zh-label": (
        "ontology",
        "cb:Orphan a owl:Class ; rdfs:label 'x'@en ; rdfs:comment 'x'@zh, 'x'@en ; rdfs:subClassOf cb:Issuer .",
    ),
    "term-without-en-label": (
        "ontology",
        "cb:p a owl:ObjectProperty ; rdfs:label 'x'@zh ; rdfs:comment 'x'@zh, 'x'@en .",
    ),
    "term-without-comment": (
        "ontology",
        "cb:p a owl:DatatypeProperty ; rdfs:label 'x'@zh, 'x'@en ; rdfs:comment 'x'@zh .",
    ),
    "orphan-class": ("ontology", "cb:Lonely a owl:Class ; rdfs:label 'x'@zh, 'x'@en ; rdfs:comment 'x'@zh, 'x'@en ."),
    "undeclared-term": ("data", "<urn:x> cb:madeUp 1 ."),
    "one-way-recognition-strengthened": ("ontology", "cb:recognisesCertificatesOf a owl:TransitiveProperty ."),
    "certificate-sameas": ("data", "<urn:a> a cb:CertificateType ; owl:sameAs <urn:b> ."),
    "agreement-without-source": ("data", "<urn:ag> a cb:RecognitionAgreement ."),
    "illustrative-record-unmarked": ("data", "<urn:r> dcterms:source <urn:s> . <urn:s> cb:illustrative true ."),
    "inferred-type-without-asserted-kind": ("inferred", "<urn:framework-level> a cb:GradeLevel ."),
    "synthetic-record-unmarked": ("data", "<urn:r> dcterms:source <urn:s> . <urn:s> cb:synthetic true ."),
    "han-text-tagged-en": ("data", "<urn:ag> cb:scopeText '纺织、针织、印染人员 (6-04), 五级 to 一级'@en ."),
}
PREFIXES = """@prefix cb: <https://w3id.org/certbridge/ontology#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
"""


def rows(store: ox.Store, check: Path) -> list:
    return list(run_query(store, check.read_text(encoding="utf-8")))


def test_every_check_has_a_seeded_defect() -> None:
    assert sorted(DEFECTS) == sorted(p.name.removesuffix("-violation.rq") for p in CHECKS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_finds_nothing_on_the_real_store(real_store: Path, check: Path) -> None:
    found = rows(open_store(real_store), check)
    assert found == [], f"{check.name}: {len(found)} offending rows, e.g. {found[:3]}"


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_finds_its_seeded_defect(check: Path) -> None:
    where, turtle = DEFECTS[check.name.removesuffix("-violation.rq")]
    store = ox.Store()
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    store.load(load_ontology().serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES, to_graph=ontology)
    extra = Graph().parse(data=PREFIXES + turtle, format="turtle").serialize(format="nt").encode()
    graphs = {"ontology": ontology, "inferred": ox.NamedNode("https://w3id.org/certbridge/graph/inferred")}
    target = graphs.get(where, ox.NamedNode("https://w3id.org/certbridge/graph/data/test"))
    store.load(extra, ox.RdfFormat.N_TRIPLES, to_graph=target)
    assert rows(store, check), f"{check.name} did not catch: {turtle}"
