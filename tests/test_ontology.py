"""The ontology's characteristics, checked with owlrl (the reference OWL 2 RL reasoner) on small graphs.

Each test states an entailment later reasoning relies on, or one it must never produce.
"""

from __future__ import annotations

import owlrl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from certbridge.graph.build import load_ontology
from certbridge.ontology import CB, ID

A, B, C = (ID[f"region/{code}"] for code in ("110000", "120000", "130000"))
CERT1, CERT2 = ID["certificate-type/one"], ID["certificate-type/two"]
ISSUER = ID["organisation/factory"]
G1, G2, G3 = (ID[f"grade/g{i}"] for i in (1, 2, 3))
OCC, MINOR, MEDIUM = ID["occupation/6-04-02-01"], ID["occupation/6-04-02"], ID["occupation/6-04"]


def facts() -> Graph:
    g = Graph()
    g.add((ISSUER, RDF.type, CB.AuthorisedEnterprise))
    g.add((ISSUER, CB.region, A))
    for cert in (CERT1, CERT2):
        g.add((cert, CB.issuedBy, ISSUER))
        g.add((cert, CB.certifiesOccupation, OCC))
    g.add((OCC, SKOS.broader, MINOR))
    g.add((MINOR, SKOS.broader, MEDIUM))
    g.add((G2, CB.nextHigherGrade, G1))
    g.add((G3, CB.nextHigherGrade, G2))
    g.add((A, CB.mutuallyRecognises, B))
    g.add((B, CB.recognisesCertificatesOf, C))  # one-way
    agreement = ID["agreement/x"]
    g.add((agreement, CB.recognisingParty, B))
    return g


@pytest.fixture(scope="module")
def closure() -> Graph:
    graph = load_ontology() + facts()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return graph


def test_inverse_issued_by_issues(closure: Graph) -> None:
    assert (ISSUER, CB.issues, CERT1) in closure


def test_subclass_typing_reaches_issuer_organisation_and_party(closure: Graph) -> None:
    for cls in (CB.Issuer, CB.Organisation, CB.Party):
        assert (ISSUER, RDF.type, cls) in closure


def test_domain_typing(closure: Graph) -> None:
    assert (CERT1, RDF.type, CB.CertificateType) in closure


def test_mutual_recognition_is_symmetric_and_implies_recognition_both_ways(closure: Graph) -> None:
    assert (B, CB.mutuallyRecognises, A) in closure
    assert (A, CB.recognisesCertificatesOf, B) in closure
    assert (B, CB.recognisesCertificatesOf, A) in closure
    assert (A, CB.certificatesRecognisedBy, B) in closure


def test_one_way_recognition_stays_one_way(closure: Graph) -> None:
    assert (B, CB.recognisesCertificatesOf, C) in closure
    assert (C, CB.recognisesCertificatesOf, B) not in closure
    assert (C, CB.certificatesRecognisedBy, B) in closure  # the inverse is only a reading the other way round


def test_recognition_is_not_transitive(closure: Graph) -> None:
    # A recognises B (mutual) and B recognises C, yet A does not thereby recognise C.
    assert (A, CB.recognisesCertificatesOf, C) not in closure
    assert (A, CB.mutuallyRecognises, C) not in closure


def test_grade_order_is_transitive_with_transitive_inverse(closure: Graph) -> None:
    assert (G3, CB.higherGradeThan, G1) in closure
    assert (G1, CB.lowerGradeThan, G3) in closure
    assert (G1, CB.higherGradeThan, G3) not in closure


def test_classification_hierarchy_is_transitive(closure: Graph) -> None:
    assert (OCC, SKOS.broaderTransitive, MEDIUM) in closure
    assert (MEDIUM, SKOS.narrowerTransitive, OCC) in closure


def test_property_chain_issuer_region(closure: Graph) -> None:
    assert (CERT1, CB.issuerRegion, A) in closure


def test_property_chain_occupation_group(closure: Graph) -> None:
    assert (CERT1, CB.occupationGroup, MINOR) in closure
    assert (CERT1, CB.occupationGroup, MEDIUM) in closure


def test_sub_property_recognising_party_is_party(closure: Graph) -> None:
    assert (ID["agreement/x"], CB.party, B) in closure


def test_no_same_as_between_distinct_certificates(closure: Graph) -> None:
    pairs = {(s, o) for s, o in closure.subject_objects(OWL.sameAs) if s != o}
    assert not pairs
    # Two certificate types of one issuer and occupation stay two things.
    assert (CERT1, OWL.sameAs, CERT2) not in closure


def test_closure_is_consistent(closure: Graph) -> None:
    assert not list(closure.subjects(RDF.type, OWL.Nothing))


def test_no_functional_properties_that_could_merge_individuals() -> None:
    ontology = load_ontology()
    for kind in (OWL.FunctionalProperty, OWL.InverseFunctionalProperty):
        assert not list(ontology.subjects(RDF.type, kind))


@pytest.mark.parametrize("term", [CB.recognisesCertificatesOf, CB.certificatesRecognisedBy])
def test_one_way_properties_declare_no_strong_characteristics(term: URIRef) -> None:
    ontology = load_ontology()
    for characteristic in (OWL.SymmetricProperty, OWL.TransitiveProperty, OWL.ReflexiveProperty):
        assert (term, RDF.type, characteristic) not in ontology


def test_every_characteristic_is_declared_where_reasoning_needs_it() -> None:
    ontology = load_ontology()
    assert (CB.mutuallyRecognises, RDF.type, OWL.SymmetricProperty) in ontology
    assert (CB.higherGradeThan, RDF.type, OWL.TransitiveProperty) in ontology
    assert (CB.issuedBy, OWL.inverseOf, CB.issues) in ontology
    assert (CB.mutuallyRecognises, RDFS.subPropertyOf, CB.recognisesCertificatesOf) in ontology
    assert list(ontology.objects(CB.issuerRegion, OWL.propertyChainAxiom))
    assert (CB.Qualification, RDF.type, OWL.Class) in ontology
    assert Literal("互认", lang="zh") in set(ontology.objects(CB.mutuallyRecognises, RDFS.label))
