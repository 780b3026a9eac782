"""Reasoning: both of certbridge's engines against owlrl (differential) and each other, and one test per domain rule."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from certbridge.graph.build import ONTOLOGY_GRAPH, load_ontology
from certbridge.graph.convert import TABLES
from certbridge.graph.iris import named_graph
from certbridge.graph.reasoning import INFERRED_GRAPH, Engine, materialise
from certbridge.graph.routing.index import load_index
from certbridge.graph.store import NOT_IN_MEMORY, open_store
from certbridge.ontology import CB, ID, VOC

AXIOM_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.inverseOf,
    RDFS.domain,
    RDFS.range,
    OWL.propertyChainAxiom,
    RDF.first,
    RDF.rest,
}
PROPERTY_KINDS = {OWL.ObjectProperty, OWL.SymmetricProperty, OWL.TransitiveProperty, OWL.DatatypeProperty}


def tbox_axioms() -> Graph:
    """The ontology without labels and comments: what both reasoners need, and quick for owlrl."""
    axioms = Graph()
    for s, p, o in load_ontology():
        if p in AXIOM_PREDICATES or (p == RDF.type and o in PROPERTY_KINDS | {OWL.Class}):
            axioms.add((s, p, o))
    return axioms


TBOX = tbox_axioms()
OBJECT_PROPERTIES = sorted(
    {p for p in TBOX.subjects(RDF.type, OWL.ObjectProperty)}
    | {p for p in TBOX.subjects(RDF.type, OWL.TransitiveProperty)}
    | set(TBOX.subjects(OWL.inverseOf, None))
    | set(TBOX.objects(None, OWL.inverseOf))
)
#: Properties whose characteristics the rules implement; random graphs draw mostly from these, so that
#: transitive, symmetric, inverse, sub-property and chain rules all get exercised.
CHARACTERISTIC_PROPERTIES = sorted(
    (
        set(TBOX.subjects(RDF.type, OWL.TransitiveProperty))
        | set(TBOX.subjects(RDF.type, OWL.SymmetricProperty))
        | set(TBOX.subjects(RDFS.subPropertyOf, None))
        | set(TBOX.subjects(OWL.inverseOf, None))
        | {step for step in TBOX.objects(None, RDF.first) if isinstance(step, URIRef)}
    )
    & set(OBJECT_PROPERTIES)
)
CLASSES = sorted({c for c in TBOX.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)})
CLAIMED_CLASSES = {
    c for c in TBOX.all_nodes() if isinstance(c, URIRef) and not str(c).startswith((str(XSD), str(RDF)))
} - {OWL.Thing, OWL.Class}
INDIVIDUALS = [URIRef(f"urn:x:{i}") for i in range(4)]

abox_triples = st.lists(
    st.tuples(
        st.sampled_from(INDIVIDUALS),
        st.one_of(
            st.sampled_from(CHARACTERISTIC_PROPERTIES),
            st.sampled_from(CHARACTERISTIC_PROPERTIES),
            st.sampled_from(OBJECT_PROPERTIES),
        ),
        st.sampled_from(INDIVIDUALS),
    ),
    max_size=10,
)
abox_types = st.lists(st.tuples(st.sampled_from(INDIVIDUALS), st.sampled_from(CLASSES)), max_size=5)


def claimed(graph: Graph) -> set[tuple]:
    """The ABox entailments certbridge claims to support: typing by claimed classes, and object properties."""
    keep = set()
    for s, p, o in graph:
        if s not in INDIVIDUALS:
            continue
        if (p == RDF.type and o in CLAIMED_CLASSES) or (p in OBJECT_PROPERTIES and o in INDIVIDUALS):
            keep.add((s, p, o))
    return keep


def certbridge_closure(abox: Graph, engine: Engine) -> set[tuple]:
    store = ox.Store()
    store.load(TBOX.serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH)))
    store.load(abox.serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:data"))
    materialise(store, engine=engine)
    result = Graph()
    for quad in store.quads_for_pattern(None, None, None, None):
        if quad.graph_name != ox.NamedNode(str(ONTOLOGY_GRAPH)):
            result.parse(data=f"{quad.subject} {quad.predicate} {quad.object} .", format="nt")
    return claimed(result)


def owlrl_closure(abox: Graph) -> set[tuple]:
    graph = Graph()
    graph += TBOX
    graph += abox
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return claimed(graph)


X0, X1, X2 = INDIVIDUALS[:3]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(abox_triples, abox_types)
@example([(X0, CB.nextHigherGrade, X1), (X1, CB.higherGradeThan, X2)], [])  # sub-property, transitive, inverse
@example([(X0, CB.mutuallyRecognises, X1), (X1, CB.recognisesCertificatesOf, X2)], [])  # symmetric, one-way
@example([(X0, CB.issuedBy, X1), (X1, CB.region, X2)], [])  # property chain, domain, range
@example([(X0, CB.certifiesOccupation, X1), (X1, SKOS.broader, X2), (X2, SKOS.broader, X0)], [])  # cycle
@example([], [(X0, CB.AuthorisedEnterprise)])  # subclass typing
def test_same_entailments_as_owlrl(triples: list, types: list) -> None:
    abox = Graph()
    for s, p, o in triples:
        abox.add((s, p, o))
    for s, c in types:
        abox.add((s, RDF.type, c))
    expected = owlrl_closure(abox)
    assert certbridge_closure(abox, "sets") == expected
    assert certbridge_closure(abox, "sparql") == expected


# --- domain rules -----------------------------------------------------------------------------------


def store_of(turtle: str) -> ox.Store:
    store = ox.Store()
    store.load(
        load_ontology().serialize(format="nt").encode(),
        ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH)),
    )
    prefixes = (
        f"@prefix cb: <{CB}> . @prefix id: <{ID}> . @prefix voc: <{VOC}> . "
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
    )
    store.load((prefixes + turtle).encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    materialise(store)
    return store


def inferred(store: ox.Store, s: str, p: str, o: str) -> bool:
    return any(
        store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), ox.NamedNode(str(INFERRED_GRAPH)))
    )


def agreement(name: str, direction: str, status: str = "signed", parties: str = "", sides: str = "") -> str:
    return f"""<{ID}agreement/{name}> a cb:RecognitionAgreement ; cb:direction voc:direction-{direction} ;
      cb:recognisesCertificates true ; cb:status voc:status-{status} {parties} {sides} ."""


A, B = f"{ID}region/110000", f"{ID}region/120000"
PARTIES = f"; cb:party <{A}>, <{B}>"


def test_mutual_agreement_recognises_both_ways_with_provenance() -> None:
    store = store_of(agreement("m", "mutual", parties=PARTIES))
    assert inferred(store, A, str(CB.recognisesCertificatesOf), B)
    assert inferred(store, B, str(CB.recognisesCertificatesOf), A)
    why = list(
        store.query(f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?agreement ?rule WHERE {{ GRAPH <{INFERRED_GRAPH}> {{
          ?d rdf:subject <{A}> ; rdf:object <{B}> ; prov:wasDerivedFrom ?agreement ; prov:wasGeneratedBy ?rule }} }}""")
    )
    assert [(r["agreement"].value, r["rule"].value) for r in why] == [
        (f"{ID}agreement/m", f"{ID}rule/mutual-agreement")
    ]


def test_one_way_agreement_is_not_used_backwards() -> None:
    store = store_of(agreement("o", "one-way", sides=f"; cb:recognisingParty <{A}> ; cb:recognisedParty <{B}>"))
    assert inferred(store, A, str(CB.recognisesCertificatesOf), B)
    assert not inferred(store, B, str(CB.recognisesCertificatesOf), A)
    assert not inferred(store, A, str(CB.mutuallyRecognises), B)


@pytest.mark.parametrize("status", ["planned", "announced"])
def test_agreement_not_in_force_yields_nothing(status: str) -> None:
    store = store_of(agreement("p", "mutual", status=status, parties=PARTIES))
    assert not inferred(store, A, str(CB.recognisesCertificatesOf), B)


def test_cooperation_only_yields_nothing() -> None:
    store = store_of(
        agreement("c", "mutual", parties=PARTIES).replace(
            "cb:recognisesCertificates true", "cb:recognisesCertificates false"
        )
    )
    assert not inferred(store, A, str(CB.recognisesCertificatesOf), B)


@pytest.mark.parametrize("k", [1, 10, 100])
def test_same_qualification_class_costs_o_k_triples(k: int) -> None:
    certificates = "\n".join(
        f"<{ID}certificate-type/c{i}> a cb:CertificateType ; cb:certifiesOccupation <{ID}occupation/6-04-02-01> ; "
        f"cb:atGrade <{ID}grade/senior> ; cb:followsStandard <{ID}standard/s> ."
        for i in range(k)
    )
    store = store_of(f"""<{ID}standard/s> cb:standardKind voc:standard-kind-national .
        <{ID}occupation/6-04-02-01> skos:notation "6-04-02-01" ; rdfs:label "纺纱工"@zh .
        <{ID}grade/senior> rdfs:label "高级工"@zh, "senior"@en .
        {certificates}""")
    rows = list(
        store.query(f"""SELECT ?q (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{
        ?c <{CB.qualification}> ?q }} }} GROUP BY ?q""")
    )
    assert len(rows) == 1 and int(rows[0]["n"].value) == k
    about_class = list(
        store.query(f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{
        {{ ?c <{CB.qualification}> ?q }} UNION
        {{ ?q ?p ?o FILTER (STRSTARTS(STR(?q), "{ID}qualification/")) }} }} }}""")
    )
    assert int(about_class[0]["n"].value) <= k + 10  # K links plus a constant-size node: O(K), never O(K²)


def test_different_standards_make_different_qualifications() -> None:
    store = store_of(f"""<{ID}standard/s1> cb:standardKind voc:standard-kind-national .
        <{ID}standard/s2> cb:standardKind voc:standard-kind-enterprise .
        <{ID}occupation/6-04-02-01> skos:notation "6-04-02-01" ; rdfs:label "纺纱工"@zh .
        <{ID}grade/senior> rdfs:label "高级工"@zh, "senior"@en .
        <{ID}certificate-type/a> cb:certifiesOccupation <{ID}occupation/6-04-02-01> ; cb:atGrade <{ID}grade/senior> ;
           cb:followsStandard <{ID}standard/s1> ; a cb:CertificateType .
        <{ID}certificate-type/b> cb:certifiesOccupation <{ID}occupation/6-04-02-01> ; cb:atGrade <{ID}grade/senior> ;
           cb:followsStandard <{ID}standard/s2> ; a cb:CertificateType .""")
    linked = {q["c"].value for q in store.query(f"SELECT ?c WHERE {{ GRAPH ?g {{ ?c <{CB.qualification}> ?q }} }}")}
    assert linked == {f"{ID}certificate-type/a"}, "only a national standard makes a same-qualification class"


def test_reasoning_is_idempotent() -> None:
    store = store_of(agreement("m", "mutual", parties=PARTIES))
    first = sorted(str(q) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH))))
    materialise(store)
    second = sorted(str(q) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH))))
    assert first == second


def inferred_quads(store: ox.Store) -> set[str]:
    return {str(q) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH)))}


def test_both_engines_infer_the_same_from_the_real_data(real_store: Path) -> None:
    """The real tables and the whole ontology (labels, lists, literals): the sets engine equals the SPARQL updates."""
    inferred_graph = ox.NamedNode(str(INFERRED_GRAPH))
    built = open_store(real_store)
    asserted = [q for q in built.quads_for_pattern(None, None, None) if q.graph_name != inferred_graph]
    results = {}
    for engine in ("sets", "sparql"):
        store = ox.Store()
        store.extend(asserted)
        report = materialise(store, engine=engine)
        results[engine] = inferred_quads(store)
        assert report.total == len(results[engine])
    assert results["sets"] == results["sparql"]
    assert len(results["sets"]) > 1_000


def test_sets_engine_keeps_blank_nodes_and_adds_nothing_the_ontology_states() -> None:
    """A blank node stays the same node (a parser would rename it); a conclusion already stated is not added."""
    store = ox.Store()
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    store.load(load_ontology().serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES, to_graph=ontology)
    blank, stated = ox.BlankNode(), ox.NamedNode("urn:x:stated")
    region, data = ox.NamedNode(f"{ID}region/110000"), ox.NamedNode("urn:data")
    a, organisation = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(CB.Organisation))
    store.add(ox.Quad(blank, ox.NamedNode(str(CB.region)), region, data))
    store.add(ox.Quad(stated, ox.NamedNode(str(CB.region)), region, data))
    store.add(ox.Quad(stated, a, organisation, ontology))
    materialise(store, engine="sets")
    inferred_graph = ox.NamedNode(str(INFERRED_GRAPH))
    assert list(store.quads_for_pattern(blank, a, organisation, inferred_graph)), "typed by cb:region's domain"
    assert list(store.quads_for_pattern(region, a, ox.NamedNode(str(CB.Region)), inferred_graph))
    assert not list(store.quads_for_pattern(stated, a, organisation, inferred_graph)), "already in the ontology graph"


def test_conclusions_written_to_a_file_are_those_it_would_store(real_store: Path, tmp_path: Path) -> None:
    """``materialise(conclusions=...)``, as the embedded build runs it on its in-memory store (which lacks the
    predicates of ``NOT_IN_MEMORY``): the domain rules' inferences in the store, the OWL rules' in the file,
    together the same inferred graph as from every asserted triple; and the routing index, read from that store
    without the OWL conclusions, is the same as from the whole closure."""
    inferred_graph = ox.NamedNode(str(INFERRED_GRAPH))
    built = open_store(real_store)
    asserted = [q for q in built.quads_for_pattern(None, None, None) if q.graph_name != inferred_graph]
    table_of = {named_graph(table): table for table in TABLES}

    def skipped(quad: ox.Quad) -> bool:
        table = table_of.get(quad.graph_name.value, "")
        return str(quad.predicate) in NOT_IN_MEMORY["*"] | NOT_IN_MEMORY.get(table, frozenset())

    in_memory = [q for q in asserted if not skipped(q)]
    assert len(in_memory) < len(asserted)
    whole, split = ox.Store(), ox.Store()
    whole.extend(asserted)
    split.extend(in_memory)
    expected = materialise(whole)
    conclusions = tmp_path / "owl.nt"
    report = materialise(split, conclusions=conclusions)
    assert report.inferred_by_rule == expected.inferred_by_rule
    assert 0 < report.outside_store < report.total
    kept = list(split.quads_for_pattern(None, None, None, inferred_graph))
    assert len(kept) == report.total - report.outside_store
    without = ox.Store()
    without.extend([*in_memory, *kept])
    split.bulk_load(path=str(conclusions), format=ox.RdfFormat.N_TRIPLES, to_graph=inferred_graph)
    assert inferred_quads(split) == inferred_quads(whole)
    assert load_index(without) == load_index(whole)


def test_only_the_sets_engine_writes_conclusions_to_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only the sets engine"):
        materialise(ox.Store(), engine="sparql", conclusions=tmp_path / "owl.nt")


@pytest.mark.parametrize("engine", ["sets", "sparql"])
def test_a_property_with_two_chains_follows_each_as_owlrl_does(engine: Engine) -> None:
    """Two ``owl:propertyChainAxiom`` on one property are two rules: their lists were once read as one, so that a
    two-step chain beside a three-step one concluded nothing (found by tests/test_incremental_reasoning.py)."""
    ontology = """
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <urn:p:1> a owl:ObjectProperty . <urn:p:2> a owl:ObjectProperty .
        <urn:p:2> owl:propertyChainAxiom ( <urn:p:1> <urn:p:1> <urn:p:1> ) , ( <urn:p:1> <urn:p:1> ) .
    """
    data = "<urn:x:0> <urn:p:1> <urn:x:2> . <urn:x:2> <urn:p:1> <urn:x:1> ."
    store = ox.Store()
    store.load(ontology.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH)))
    store.load(data.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    materialise(store, engine=engine)
    ours = {
        (q.subject.value, q.object.value)
        for q in store.quads_for_pattern(None, ox.NamedNode("urn:p:2"), None, ox.NamedNode(str(INFERRED_GRAPH)))
    }
    reference = Graph().parse(data=ontology + data, format="turtle")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(reference)
    assert (
        ours == {(str(s), str(o)) for s, o in reference.subject_objects(URIRef("urn:p:2"))} == {("urn:x:0", "urn:x:1")}
    )
