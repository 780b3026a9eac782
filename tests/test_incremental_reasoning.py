"""Incremental reasoning (graph/reasoning/incremental.py) against the full closure (differential).

Random sequences of additions and removals of asserted quads, over the real ontology's axioms, over random
ontologies, and over a small world of agreements and certificate types for the domain rules: after every step the
inferred graph the change left equals the one ``materialise`` makes from scratch from the asserted quads of that
moment, and the change reported is the difference. On random ontologies, owlrl agrees as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from certbridge.graph.build import load_ontology
from certbridge.graph.errors import InvalidOption
from certbridge.graph.iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from certbridge.graph.reasoning import materialise
from certbridge.graph.reasoning.incremental import Change, InferredChange, apply_change
from certbridge.graph.reasoning.sparql import DOMAIN_RULES, DomainRule
from certbridge.graph.store import open_store
from certbridge.ontology import CB, ID, PREFIXES, VOC

ONTOLOGY = ox.NamedNode(str(ONTOLOGY_GRAPH))
INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
NOT_ASSERTED = {ONTOLOGY, INFERRED, ox.NamedNode(str(BUILD_GRAPH))}
REAL_ONTOLOGY = load_ontology().serialize(format="nt", encoding="utf-8")
DATA = [ox.NamedNode("urn:data:one"), ox.NamedNode("urn:data:two")]
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def node(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def quad(s: object, p: object, o: object, graph: ox.NamedNode = DATA[0]) -> ox.Quad:
    subject = s if isinstance(s, ox.NamedNode) else node(s)
    value = o if isinstance(o, ox.NamedNode | ox.Literal) else node(o)
    return ox.Quad(subject, node(p), value, graph)


def inferred_of(store: ox.Store) -> set[str]:
    return {
        str(ox.Triple(q.subject, q.predicate, q.object)) for q in store.quads_for_pattern(None, None, None, INFERRED)
    }


def fresh_store(ontology: bytes, asserted: Iterable[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.load(ontology, ox.RdfFormat.N_TRIPLES, to_graph=ONTOLOGY)
    store.extend(asserted)
    materialise(store)
    return store


class World:
    """A store kept by incremental changes beside the asserted quads it should hold; each change is checked
    against a full rebuild of those quads."""

    def __init__(self, ontology: bytes, asserted: Iterable[ox.Quad]) -> None:
        self.ontology, self.asserted = ontology, set(asserted)
        self.store = fresh_store(ontology, self.asserted)

    def change(self, *, added: Iterable[ox.Quad] = (), removed: Iterable[ox.Quad] = ()) -> InferredChange:
        added, removed = tuple(added), tuple(removed)
        before = inferred_of(self.store)
        answer = apply_change(self.store, Change(added=added, removed=removed))
        self.asserted = (self.asserted - set(removed)) | set(added)
        after = inferred_of(self.store)
        assert after == inferred_of(fresh_store(self.ontology, self.asserted))
        assert {str(t) for t in answer.added} == after - before
        assert {str(t) for t in answer.removed} == before - after
        kept = {q for q in self.store.quads_for_pattern(None, None, None) if q.graph_name not in NOT_ASSERTED}
        assert kept == self.asserted
        return answer

    def toggle(self, quads: Iterable[ox.Quad]) -> InferredChange:
        """Remove those of *quads* asserted, add the others."""
        quads = set(quads)
        return self.change(added=quads - self.asserted, removed=quads & self.asserted)


def sequences(universe_size: int) -> st.SearchStrategy[tuple[set[int], list[set[int]]]]:
    """Which of a universe of quads are asserted first, and the quads each later step toggles."""
    indices = st.integers(0, universe_size - 1)
    return st.tuples(st.sets(indices), st.lists(st.sets(indices, min_size=1, max_size=4), min_size=1, max_size=5))


# --- the OWL rules over the real ontology -------------------------------------------------------------------------

INDIVIDUALS = [node(f"urn:x:{i}") for i in range(4)]
PROPERTIES = [
    SKOS.broader,
    SKOS.broaderTransitive,
    SKOS.narrower,
    CB.nextHigherGrade,
    CB.higherGradeThan,
    CB.lowerGradeThan,
    CB.mutuallyRecognises,
    CB.recognisesCertificatesOf,
    CB.certificatesRecognisedBy,
    CB.issuedBy,
    CB.issues,
    CB.region,
    CB.certifiesOccupation,
    CB.party,
    CB.recognisingParty,
    CB.replaces,
]
CLASSES = [CB.AuthorisedEnterprise, CB.Issuer, CB.Region, CB.Province, CB.Occupation, CB.CertificateType]

real_quads = st.one_of(
    st.builds(
        quad,
        st.sampled_from(INDIVIDUALS),
        st.sampled_from(PROPERTIES),
        st.sampled_from(INDIVIDUALS),
        st.sampled_from(DATA),
    ),
    st.builds(
        lambda x, c, g: quad(x, RDF.type, c, g),
        st.sampled_from(INDIVIDUALS),
        st.sampled_from(CLASSES),
        st.sampled_from(DATA),
    ),
)


@SLOW
@given(st.lists(real_quads, min_size=1, max_size=12, unique=True), st.data())
def test_real_ontology_every_step_equals_the_full_closure(universe: list[ox.Quad], data: st.DataObject) -> None:
    first, steps = data.draw(sequences(len(universe)))
    world = World(REAL_ONTOLOGY, (universe[i] for i in first))
    for step in steps:
        world.toggle(universe[i] for i in step)


X0, X1, X2, X3 = INDIVIDUALS


def test_a_transitive_chain_cut_in_the_middle() -> None:
    chain = [quad(a, SKOS.broader, b) for a, b in ((X0, X1), (X1, X2), (X2, X3))]
    world = World(REAL_ONTOLOGY, chain)
    answer = world.change(removed=[chain[1]])
    removed = {str(t) for t in answer.removed}
    for a, b in ((X0, X2), (X0, X3), (X1, X3), (X1, X2)):
        assert str(ox.Triple(a, node(SKOS.broaderTransitive), b)) in removed
    assert str(ox.Triple(X0, node(SKOS.broaderTransitive), X1)) in inferred_of(world.store), "the ends stay"


def test_a_retraction_with_a_second_derivation_removes_nothing_it_supports() -> None:
    issuer_by_issues = quad(X0, CB.issues, X1)
    issuer_by_region = quad(X0, CB.region, X2)
    world = World(REAL_ONTOLOGY, [issuer_by_issues, issuer_by_region])
    answer = world.change(removed=[issuer_by_issues])
    typed = {str(ox.Triple(X0, node(RDF.type), node(c))) for c in (CB.Organisation, CB.Party)}
    assert typed <= inferred_of(world.store), "still an organisation by cb:region's domain"
    assert answer.rederived > 0
    assert str(ox.Triple(X0, node(RDF.type), node(CB.Issuer))) in {str(t) for t in answer.removed}


def test_symmetric_pairs_come_and_go_together() -> None:
    world = World(REAL_ONTOLOGY, [])
    pair = quad(X0, CB.mutuallyRecognises, X1)
    world.change(added=[pair])
    assert str(ox.Triple(X1, node(CB.mutuallyRecognises), X0)) in inferred_of(world.store)
    world.change(added=[quad(X1, CB.mutuallyRecognises, X0, DATA[1])])  # now both asserted: neither inferred
    assert str(ox.Triple(X1, node(CB.mutuallyRecognises), X0)) not in inferred_of(world.store)
    world.change(removed=[pair])  # X0 -> X1 asserted no more, but symmetric to the other
    assert str(ox.Triple(X0, node(CB.mutuallyRecognises), X1)) in inferred_of(world.store)


def test_a_triple_asserted_in_two_graphs_stays_until_both_go() -> None:
    one, two = quad(X0, CB.issues, X1, DATA[0]), quad(X0, CB.issues, X1, DATA[1])
    world = World(REAL_ONTOLOGY, [one, two])
    assert not world.change(removed=[one]).removed
    assert world.change(removed=[two]).removed


def test_a_change_touches_asserted_graphs_only() -> None:
    store = fresh_store(REAL_ONTOLOGY, [])
    for graph in (ONTOLOGY, INFERRED, ox.NamedNode(str(BUILD_GRAPH))):
        with pytest.raises(InvalidOption, match="asserted triples"):
            apply_change(store, Change(added=(quad(X0, CB.issues, X1, graph),)))


# --- the OWL rules over random ontologies, with owlrl as a second reference ----------------------------------------

R_CLASSES = [URIRef(f"urn:c:{i}") for i in range(4)]
R_PROPERTIES = [URIRef(f"urn:p:{i}") for i in range(4)]
classes, properties = st.sampled_from(R_CLASSES), st.sampled_from(R_PROPERTIES)
axioms = st.lists(
    st.one_of(
        st.tuples(st.just("subclass"), classes, classes),
        st.tuples(st.just("domain"), properties, classes),
        st.tuples(st.just("range"), properties, classes),
        st.tuples(st.just("subproperty"), properties, properties),
        st.tuples(st.just("inverse"), properties, properties),
        st.tuples(st.just("symmetric"), properties),
        st.tuples(st.just("transitive"), properties),
        st.tuples(st.just("chain"), properties, properties, properties),
    ),
    max_size=6,
)


def random_ontology(chosen: list[tuple]) -> Graph:
    graph = Graph()
    for p in R_PROPERTIES:
        graph.add((p, RDF.type, OWL.ObjectProperty))
    for c in R_CLASSES:
        graph.add((c, RDF.type, OWL.Class))
    for kind, *args in chosen:
        if kind == "chain":
            head = BNode()
            Collection(graph, head, args[1:])
            graph.add((args[0], OWL.propertyChainAxiom, head))
        elif kind in ("symmetric", "transitive"):
            graph.add((args[0], RDF.type, OWL.SymmetricProperty if kind == "symmetric" else OWL.TransitiveProperty))
        else:
            predicate = {
                "subclass": RDFS.subClassOf,
                "domain": RDFS.domain,
                "range": RDFS.range,
                "subproperty": RDFS.subPropertyOf,
                "inverse": OWL.inverseOf,
            }[kind]
            graph.add((args[0], predicate, args[1]))
    return graph


random_quads = st.one_of(
    st.builds(quad, st.sampled_from(INDIVIDUALS), properties, st.sampled_from(INDIVIDUALS), st.sampled_from(DATA)),
    st.builds(lambda x, c: quad(x, RDF.type, c), st.sampled_from(INDIVIDUALS), classes),
)


def owlrl_view(ontology: Graph, asserted: set[ox.Quad]) -> set[str]:
    """The typing by the random classes and the random properties between individuals owlrl entails."""
    graph = Graph()
    graph += ontology
    for q in asserted:
        graph.add((URIRef(q.subject.value), URIRef(q.predicate.value), URIRef(q.object.value)))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return {f"<{s}> <{p}> <{o}>" for s, p, o in graph if within(str(s), str(p), str(o))}


def within(s: str, p: str, o: str) -> bool:
    return s.startswith("urn:x:") and ((p == str(RDF.type) and o.startswith("urn:c:")) or p.startswith("urn:p:"))


@SLOW
@given(axioms, st.lists(random_quads, min_size=1, max_size=10, unique=True), st.data())
def test_random_ontologies_every_step_equals_the_full_closure_and_owlrl(
    chosen: list[tuple], universe: list[ox.Quad], data: st.DataObject
) -> None:
    ontology = random_ontology(chosen)
    first, steps = data.draw(sequences(len(universe)))
    world = World(ontology.serialize(format="nt", encoding="utf-8"), (universe[i] for i in first))
    for step in steps:
        world.toggle(universe[i] for i in step)
    closure = {
        str(ox.Triple(q.subject, q.predicate, q.object))
        for q in world.store.quads_for_pattern(None, None, None)
        if q.graph_name != ONTOLOGY and within(q.subject.value, q.predicate.value, q.object.value)
    }
    assert closure == owlrl_view(ontology, world.asserted)


# --- the domain rules -------------------------------------------------------------------------------------------

AGREEMENTS_GRAPH, TYPES_GRAPH, OTHER_GRAPH = (
    ox.NamedNode(f"urn:data:{name}") for name in ("agreements", "types", "other")
)
REGIONS = [node(f"{ID}region/{code}") for code in ("110000", "120000", "130000")]
GRADES = [node(f"{ID}grade/{name}") for name in ("senior", "junior")]
STANDARDS = [node(f"{ID}standard/s{i}") for i in range(2)]
OCCUPATIONS = [node(f"{ID}occupation/o{i}") for i in range(2)]


def zh(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


def domain_universe() -> list[ox.Quad]:
    """Candidate quads: three agreements, three certificate types and what they link to, with alternatives
    (both directions, in force or not, two notations for one occupation, the same notation for two)."""
    quads = []
    for i in range(3):
        a = node(f"{ID}agreement/a{i}")
        quads += [
            quad(a, RDF.type, CB.RecognitionAgreement, AGREEMENTS_GRAPH),
            quad(a, CB.direction, VOC["direction-mutual"], AGREEMENTS_GRAPH),
            quad(a, CB.direction, VOC["direction-one-way"], AGREEMENTS_GRAPH),
            quad(a, CB.recognisesCertificates, ox.Literal("true", datatype=node(str(XSD_BOOLEAN))), AGREEMENTS_GRAPH),
            quad(a, CB.status, VOC["status-signed"], AGREEMENTS_GRAPH),
            quad(a, CB.status, VOC["status-planned"], AGREEMENTS_GRAPH),
            quad(a, CB.party, REGIONS[i], AGREEMENTS_GRAPH),
            quad(a, CB.party, REGIONS[(i + 1) % 3], AGREEMENTS_GRAPH),
            quad(a, CB.recognisingParty, REGIONS[i], AGREEMENTS_GRAPH),
            quad(a, CB.recognisedParty, REGIONS[(i + 1) % 3], AGREEMENTS_GRAPH),
            quad(a, CB.party, REGIONS[(i + 2) % 3], OTHER_GRAPH),  # another graph: no match with the rest
        ]
        c = node(f"{ID}certificate-type/c{i}")
        quads += [
            quad(c, RDF.type, CB.CertificateType, TYPES_GRAPH),
            quad(c, CB.certifiesOccupation, OCCUPATIONS[i % 2], TYPES_GRAPH),
            quad(c, CB.atGrade, GRADES[i % 2], TYPES_GRAPH),
            quad(c, CB.atGrade, GRADES[(i + 1) % 2], TYPES_GRAPH),
            quad(c, CB.followsStandard, STANDARDS[0], TYPES_GRAPH),
            quad(c, CB.followsStandard, STANDARDS[1], TYPES_GRAPH),
        ]
    quads += [
        quad(STANDARDS[0], CB.standardKind, VOC["standard-kind-national"], OTHER_GRAPH),
        quad(STANDARDS[1], CB.standardKind, VOC["standard-kind-national"], OTHER_GRAPH),
        quad(STANDARDS[1], CB.standardKind, VOC["standard-kind-enterprise"], OTHER_GRAPH),
        quad(OCCUPATIONS[0], SKOS.notation, ox.Literal("6-01-01-01"), OTHER_GRAPH),
        quad(OCCUPATIONS[0], SKOS.notation, ox.Literal("6-01-01-02"), OTHER_GRAPH),
        quad(OCCUPATIONS[1], SKOS.notation, ox.Literal("6-01-01-01"), OTHER_GRAPH),
        quad(OCCUPATIONS[0], RDFS.label, zh("纺纱工"), OTHER_GRAPH),
        quad(OCCUPATIONS[1], RDFS.label, zh("织布工"), OTHER_GRAPH),
        quad(GRADES[0], RDFS.label, zh("高级工"), OTHER_GRAPH),
        quad(GRADES[0], RDFS.label, ox.Literal("senior", language="en"), OTHER_GRAPH),
        quad(GRADES[1], RDFS.label, zh("初级工"), OTHER_GRAPH),
        quad(GRADES[1], RDFS.label, ox.Literal("junior", language="en"), OTHER_GRAPH),
        quad(REGIONS[0], CB.mutuallyRecognises, REGIONS[1], OTHER_GRAPH),  # asserted as well as derived
    ]
    return quads


XSD_BOOLEAN = URIRef("http://www.w3.org/2001/XMLSchema#boolean")
DOMAIN_UNIVERSE = domain_universe()


@SLOW
@given(st.sets(st.integers(0, len(DOMAIN_UNIVERSE) - 1), max_size=12), sequences(len(DOMAIN_UNIVERSE)))
def test_domain_rules_every_step_equals_the_full_closure(
    dropped: set[int], plan: tuple[set[int], list[set[int]]]
) -> None:
    _, steps = plan
    world = World(REAL_ONTOLOGY, (q for i, q in enumerate(DOMAIN_UNIVERSE) if i not in dropped))
    for step in steps:
        world.toggle(DOMAIN_UNIVERSE[i] for i in step)


def agreement_quads(name: str, parties: tuple[ox.NamedNode, ox.NamedNode]) -> list[ox.Quad]:
    a = node(f"{ID}agreement/{name}")
    return [
        quad(a, RDF.type, CB.RecognitionAgreement, AGREEMENTS_GRAPH),
        quad(a, CB.direction, VOC["direction-mutual"], AGREEMENTS_GRAPH),
        quad(a, CB.recognisesCertificates, ox.Literal("true", datatype=node(XSD_BOOLEAN)), AGREEMENTS_GRAPH),
        quad(a, CB.status, VOC["status-signed"], AGREEMENTS_GRAPH),
        *(quad(a, CB.party, party, AGREEMENTS_GRAPH) for party in parties),
    ]


def test_retiring_one_of_two_agreements_removes_its_statements_and_nothing_else() -> None:
    first, second = (
        agreement_quads("first", (REGIONS[0], REGIONS[1])),
        agreement_quads("second", (REGIONS[0], REGIONS[1])),
    )
    world = World(REAL_ONTOLOGY, [*first, *second])
    answer = world.change(removed=first)
    assert not answer.added
    derived_from = node("http://www.w3.org/ns/prov#wasDerivedFrom")
    statements = {
        q.subject
        for q in fresh_store(REAL_ONTOLOGY, first).quads_for_pattern(None, derived_from, first[0].subject, INFERRED)
    }
    assert len(statements) == 2
    removed_about = {t.subject for t in answer.removed}
    assert removed_about == statements | {first[0].subject}, "its statements and its own typing, nothing else"
    assert str(ox.Triple(REGIONS[0], node(CB.recognisesCertificatesOf), REGIONS[1])) in inferred_of(world.store)
    answer = world.change(removed=second)
    assert str(ox.Triple(REGIONS[0], node(CB.recognisesCertificatesOf), REGIONS[1])) in {str(t) for t in answer.removed}


def test_a_changed_notation_moves_every_certificate_type_to_the_new_qualification_node() -> None:
    world = World(REAL_ONTOLOGY, [q for q in DOMAIN_UNIVERSE if q.object != ox.Literal("6-01-01-02")])
    notation = next(q for q in DOMAIN_UNIVERSE if q.subject == OCCUPATIONS[0] and q.predicate == node(SKOS.notation))
    answer = world.change(
        removed=[notation], added=[quad(OCCUPATIONS[0], SKOS.notation, ox.Literal("6-09-09-09"), OTHER_GRAPH)]
    )
    assert answer.domain_added and answer.domain_removed
    assert any("6-09-09-09" in str(t.object) for t in answer.added)


# --- the real data --------------------------------------------------------------------------------------------


def real_world(real_store: Path) -> World:
    """A world holding the real tables reasoned, checked against full reasoning with the real ontology."""
    built = open_store(real_store)
    asserted = [
        q for q in built.quads_for_pattern(None, None, None) if q.graph_name not in (INFERRED, node(BUILD_GRAPH))
    ]
    world = World(b"", [])
    world.store, world.asserted = ox.Store(), {q for q in asserted if q.graph_name != ONTOLOGY}
    world.store.extend(asserted)
    materialise(world.store)
    world.ontology = REAL_ONTOLOGY
    return world


def test_changes_to_the_real_data_equal_the_full_closure(real_store: Path) -> None:
    """The real tables and the whole ontology: retire an agreement, cut an occupation from its group, then undo."""
    world = real_world(real_store)
    agreement = next(
        q.subject
        for q in world.asserted
        if q.predicate == node(CB.direction) and q.object == node(VOC["direction-mutual"])
    )
    its = [q for q in world.asserted if q.subject == agreement]
    answer = world.change(removed=its)
    assert answer.removed and answer.domain_removed
    world.change(added=its)
    broader = next(q for q in world.asserted if q.predicate == node(SKOS.broader))
    world.change(removed=[broader])
    world.change(added=[broader])


#: predicates the rules read, of which random changes to the real data are drawn
READ_BY_RULES = {
    node(p)
    for p in (
        RDF.type,
        RDFS.label,
        SKOS.broader,
        SKOS.notation,
        CB.direction,
        CB.status,
        CB.party,
        CB.recognisingParty,
        CB.recognisedParty,
        CB.recognisesCertificates,
        CB.certifiesOccupation,
        CB.atGrade,
        CB.followsStandard,
        CB.standardKind,
        CB.issuedBy,
        CB.region,
        CB.nextHigherGrade,
    )
}


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_changes_to_the_real_data_equal_the_full_closure(real_store: Path, data: st.DataObject) -> None:
    """Removals and restorations of triples the rules read, drawn from the real tables."""
    world = real_world(real_store)
    pool = sorted((q for q in world.asserted if q.predicate in READ_BY_RULES), key=str)
    for _ in range(3):
        world.toggle(data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True)))


@pytest.mark.parametrize("rule", DOMAIN_RULES, ids=lambda rule: rule.name)
def test_a_domain_rule_names_every_predicate_it_reads(rule: DomainRule) -> None:
    """A change finds the matches it touches through the predicates a rule says it reads (``own`` and ``linked``):
    each predicate of its pattern must be among them, or a change of it would go unnoticed."""
    names = set(re.findall(r"\b([a-z]+):([A-Za-z]+)\b", rule.where))
    predicates = {
        PREFIXES[prefix] + local for prefix, local in names if local[0].islower() and prefix not in ("voc", "xsd")
    }
    predicates |= {str(RDF.type)} if re.search(r"\ba\b", rule.where) else set()
    assert predicates, rule.where
    assert predicates <= rule.own | set(rule.linked), predicates - rule.own - set(rule.linked)
