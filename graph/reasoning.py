"""Materialise, inside the store, exactly the entailments the ontology's characteristics require.

owlrl is far too slow for national-scale data (minutes for 100k triples), so the OWL 2 RL rules the
ontology actually uses are run as SPARQL updates by Oxigraph itself, to a fixpoint:

=================  ==========================================  ============================
rule (OWL 2 RL)    axiom read from the ontology graph          entailment
=================  ==========================================  ============================
cax-sco            ``C rdfs:subClassOf D``                      ``x a C`` ⇒ ``x a D``
prp-dom            ``p rdfs:domain C``                          ``x p y`` ⇒ ``x a C``
prp-rng            ``p rdfs:range C`` (object properties)       ``x p y`` ⇒ ``y a C``
prp-spo1           ``p rdfs:subPropertyOf q``                   ``x p y`` ⇒ ``x q y``
prp-inv1/2         ``p owl:inverseOf q``                        ``x p y`` ⇔ ``y q x``
prp-symp           ``p a owl:SymmetricProperty``                ``x p y`` ⇒ ``y p x``
prp-trp            ``p a owl:TransitiveProperty``               ``x p y, y p z`` ⇒ ``x p z``
prp-spo2           ``p owl:propertyChainAxiom (p1 … pn)``       ``x p1 … pn y`` ⇒ ``x p y``
=================  ==========================================  ============================

Two domain rules come first: certificate types that certify the same occupation at the same grade
under the same national standard share one ``cb:Qualification`` node (O(K) triples for K types,
not the O(K²) of a symmetric, transitive property), and each agreement in force that recognises
certificates yields party-level recognition (mutual, or one-way from the recognising to the
recognised party), recorded with a reified statement saying which rule and which agreement produced it.

Non-ASCII constants in the updates are written ``"（"^^xsd:string`` (the same term as ``"（"``):
Virtuoso 7 mangles a plain non-ASCII constant concatenated with stored text into mojibake.

Everything derived goes to the named graph ``cbg:inferred``; only ABox entailments are materialised
(the class and property hierarchy itself stays in the ontology graph). tests/test_reasoning.py checks
the result against owlrl's closure on random graphs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef

from certbridge.ontology import GRAPH, ID, PREFIXES

from .iris import INFERRED_GRAPH, ONTOLOGY_GRAPH
from .remote.store import RemoteStore

#: the embedded store, or a SPARQL server (the rules run as SPARQL updates on either)
Store = ox.Store | RemoteStore

#: working graphs of the semi-naive passes (the triples added by the previous and the current pass)
DELTA_GRAPH = GRAPH["reasoning-delta"]
NEXT_GRAPH = GRAPH["reasoning-next"]
RULE = {
    "same-qualification": ID["rule/same-qualification"],
    "mutual-agreement": ID["rule/mutual-agreement"],
    "one-way-agreement": ID["rule/one-way-agreement"],
}
#: Agreement statuses that never put an agreement in force.
NOT_IN_FORCE = ("voc:status-planned", "voc:status-announced")

_PROLOGUE = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
_NEW = "FILTER NOT EXISTS {{ GRAPH ?any {{ {triple} }} }}"

_RULE_LABELS = f"""
INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{
  <{RULE["same-qualification"]}> a prov:Plan ; rdfs:label "同一资格"@zh, "same qualification"@en ;
    rdfs:comment "同一职业、同一等级、同一国家职业技能标准的证书类型共享一个资格节点。"@zh,
                 "Certificate types of one occupation, grade and national standard share one qualification node."@en .
  <{RULE["mutual-agreement"]}> a prov:Plan ; rdfs:label "互认协议"@zh, "mutual agreement"@en ;
    rdfs:comment "互认协议的各方相互认可证书。"@zh,
                 "The parties of a mutual agreement recognise each other's certificates."@en .
  <{RULE["one-way-agreement"]}> a prov:Plan ; rdfs:label "单向认可协议"@zh, "one-way agreement"@en ;
    rdfs:comment "单向协议的认可方认可被认可方的证书。"@zh,
                 "The recognising party of a one-way agreement recognises the recognised party's certificates."@en .
}} }}
"""

_SAME_QUALIFICATION = f"""
INSERT {{ GRAPH <{INFERRED_GRAPH}> {{
  ?c cb:qualification ?q .
  ?q a cb:Qualification ; cb:qualificationOccupation ?o ; cb:qualificationGrade ?grade ;
     cb:qualificationStandard ?s ; prov:wasGeneratedBy <{RULE["same-qualification"]}> ;
     rdfs:label ?zh, ?en .
}} }}
WHERE {{
  GRAPH ?g1 {{ ?c a cb:CertificateType ; cb:certifiesOccupation ?o ; cb:atGrade ?grade ; cb:followsStandard ?s . }}
  GRAPH ?g2 {{ ?s cb:standardKind voc:standard-kind-national . }}
  GRAPH ?g3 {{ ?o skos:notation ?code ; rdfs:label ?oname . FILTER (LANG(?oname) = "zh") }}
  GRAPH ?g4 {{ ?grade rdfs:label ?gzh, ?gen . FILTER (LANG(?gzh) = "zh" && LANG(?gen) = "en") }}
  BIND (STRAFTER(STR(?s), STR(std:)) AS ?sid)
  BIND (IRI(CONCAT(STR(id:), "qualification/", ?code, "/", STRAFTER(STR(?grade), STR(grade:)), "/", ?sid)) AS ?q)
  BIND (STRLANG(CONCAT(STR(?oname), " ", STR(?gzh), "（"^^xsd:string, ?sid, "）"^^xsd:string), "zh") AS ?zh)
  BIND (STRLANG(CONCAT(?code, " ", STR(?gen), " (standard ", ?sid, ")"), "en") AS ?en)
}}
"""

_MUTUAL = f"""
INSERT {{ GRAPH <{INFERRED_GRAPH}> {{
  ?p1 cb:mutuallyRecognises ?p2 .
  ?d a rdf:Statement ; rdf:subject ?p1 ; rdf:predicate cb:mutuallyRecognises ; rdf:object ?p2 ;
     prov:wasDerivedFrom ?a ; prov:wasGeneratedBy <{RULE["mutual-agreement"]}> .
}} }}
WHERE {{
  GRAPH ?g {{ ?a a cb:RecognitionAgreement ; cb:direction voc:direction-mutual ; cb:recognisesCertificates true ;
              cb:status ?status ; cb:party ?p1, ?p2 . }}
  FILTER (?p1 != ?p2 && ?status NOT IN ({", ".join(NOT_IN_FORCE)}))
  BIND (IRI(CONCAT(STR(id:), "derivation/", MD5(CONCAT(STR(?a), " ", STR(?p1), " ", STR(?p2))))) AS ?d)
}}
"""

_ONE_WAY = f"""
INSERT {{ GRAPH <{INFERRED_GRAPH}> {{
  ?r cb:recognisesCertificatesOf ?o .
  ?d a rdf:Statement ; rdf:subject ?r ; rdf:predicate cb:recognisesCertificatesOf ; rdf:object ?o ;
     prov:wasDerivedFrom ?a ; prov:wasGeneratedBy <{RULE["one-way-agreement"]}> .
}} }}
WHERE {{
  GRAPH ?g {{ ?a a cb:RecognitionAgreement ; cb:direction voc:direction-one-way ; cb:recognisesCertificates true ;
              cb:status ?status ; cb:recognisingParty ?r ; cb:recognisedParty ?o . }}
  FILTER (?r != ?o && ?status NOT IN ({", ".join(NOT_IN_FORCE)}))
  BIND (IRI(CONCAT(STR(id:), "derivation/", MD5(CONCAT(STR(?a), " ", STR(?r), " ", STR(?o))))) AS ?d)
}}
"""


@dataclass(frozen=True, slots=True)
class Rule:
    """An OWL 2 RL rule: axioms matched in the ontology graph, premises matched in the data, one conclusion."""

    name: str
    axioms: str
    premises: tuple[str, ...]
    conclusion: str
    filters: str = ""

    def update(self, delta_premise: int | None) -> str:
        """The SPARQL update applying the rule; with *delta_premise*, that premise must be a new triple."""
        patterns = []
        working = f"<{ONTOLOGY_GRAPH}>, <{DELTA_GRAPH}>, <{NEXT_GRAPH}>"
        for i, premise in enumerate(self.premises):
            if i == delta_premise:
                patterns.append(f"GRAPH <{DELTA_GRAPH}> {{ {premise} }}")
            else:
                patterns.append(f"GRAPH ?g{i} {{ {premise} }} FILTER (?g{i} NOT IN ({working}))")
        axioms = f"GRAPH <{ONTOLOGY_GRAPH}> {{ {self.axioms} }}" if self.axioms else ""
        return (
            f"INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ {self.conclusion} }}"
            f" GRAPH <{NEXT_GRAPH}> {{ {self.conclusion} }} }}"
            f" WHERE {{ {axioms} {' '.join(patterns)} {self.filters} {_NEW.format(triple=self.conclusion)} }}"
        )


def _owl_rules() -> list[Rule]:
    """The generic OWL 2 RL rules, each joining the data with the axioms of the ontology graph."""
    return [
        Rule("cax-sco", "?c rdfs:subClassOf ?d . FILTER (isIRI(?d))", ("?x a ?c",), "?x a ?d"),
        Rule("prp-dom", "?p rdfs:domain ?c . FILTER (isIRI(?c))", ("?x ?p ?y",), "?x a ?c"),
        Rule(
            "prp-rng",
            "?p rdfs:range ?c ; a owl:ObjectProperty . FILTER (isIRI(?c))",
            ("?x ?p ?y",),
            "?y a ?c",
            "FILTER (!isLiteral(?y))",
        ),
        Rule("prp-spo1", "?p rdfs:subPropertyOf ?q", ("?x ?p ?y",), "?x ?q ?y"),
        Rule("prp-inv1", "?p owl:inverseOf ?q", ("?x ?p ?y",), "?y ?q ?x", "FILTER (!isLiteral(?y))"),
        Rule("prp-inv2", "?p owl:inverseOf ?q", ("?x ?q ?y",), "?y ?p ?x", "FILTER (!isLiteral(?y))"),
        Rule("prp-symp", "?p a owl:SymmetricProperty", ("?x ?p ?y",), "?y ?p ?x"),
        Rule("prp-trp", "?p a owl:TransitiveProperty", ("?x ?p ?y", "?y ?p ?z"), "?x ?p ?z"),
    ]


def _chain_rules(store: Store) -> list[Rule]:
    """One rule per ``owl:propertyChainAxiom`` of the ontology (the chain is an RDF list)."""
    rules = []
    chained = store.query(
        f"SELECT DISTINCT ?p WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?p owl:propertyChainAxiom ?list }} }}",
        prefixes=PREFIXES,
    )
    for solution in chained:
        prop = solution["p"].value
        steps = _ordered_chain(store, prop)
        premises = tuple(f"?v{i} <{step}> ?v{i + 1}" for i, step in enumerate(steps))
        rules.append(Rule(f"prp-spo2 {prop.rsplit('#', 1)[-1]}", "", premises, f"?v0 <{prop}> ?v{len(steps)}"))
    return rules


def _ordered_chain(store: Store, prop: str) -> list[str]:
    """The steps of a property chain in list order (SPARQL does not promise list order).

    One query, positions counted along ``rdf:rest``: a list's blank nodes cannot be named again in a
    later request to a SPARQL server, so the list is never walked cell by cell.
    """
    answer = store.query(
        f"""SELECT ?step (COUNT(?before) AS ?position) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
              <{prop}> owl:propertyChainAxiom ?list . ?list rdf:rest* ?before . ?before rdf:rest* ?cell .
              ?cell rdf:first ?step }} }} GROUP BY ?cell ?step ORDER BY ?position""",
        prefixes=PREFIXES,
    )
    return [row["step"].value for row in answer]


@dataclass
class ReasoningReport:
    """How many triples each rule added, and how many passes the OWL rules needed to reach the fixpoint."""

    inferred_by_rule: dict[str, int] = field(default_factory=dict)
    #: wall time spent in each rule's updates (bench/ prints it: where a backend spends its reasoning)
    seconds_by_rule: dict[str, float] = field(default_factory=dict)
    iterations: int = 0

    def timed(self, name: str, started: float) -> None:
        self.seconds_by_rule[name] = self.seconds_by_rule.get(name, 0.0) + time.perf_counter() - started

    @property
    def total(self) -> int:
        return sum(self.inferred_by_rule.values())


def _size(store: Store, graph: URIRef) -> int:
    answer = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(answer))["n"].value)


def materialise(store: Store, *, max_iterations: int = 50) -> ReasoningReport:
    """Replace the inferred graph of *store* with the closure of its asserted graphs under the rules above.

    Semi-naive: the first pass joins everything; each later pass joins at least one premise with the
    triples the previous pass added (graph ``DELTA_GRAPH``), until a pass adds nothing.
    """
    for graph in (INFERRED_GRAPH, DELTA_GRAPH, NEXT_GRAPH):
        if store.contains_named_graph(ox.NamedNode(str(graph))):
            store.remove_graph(ox.NamedNode(str(graph)))
    report = ReasoningReport()

    def run(name: str, update: str) -> None:
        started = time.perf_counter()
        before = _size(store, NEXT_GRAPH)
        store.update(_PROLOGUE + update)
        report.inferred_by_rule[name] = report.inferred_by_rule.get(name, 0) + _size(store, NEXT_GRAPH) - before
        report.timed(name, started)

    store.update(_PROLOGUE + _RULE_LABELS)
    for name, update in (
        ("same-qualification", _SAME_QUALIFICATION),
        ("mutual-agreement", _MUTUAL),
        ("one-way-agreement", _ONE_WAY),
    ):
        started = time.perf_counter()
        before = _size(store, INFERRED_GRAPH)
        store.update(_PROLOGUE + update)
        report.inferred_by_rule[name] = _size(store, INFERRED_GRAPH) - before
        report.timed(name, started)
    rules = [*_owl_rules(), *_chain_rules(store)]
    for rule in rules:
        run(rule.name, rule.update(None))
    report.iterations = 1
    while _size(store, NEXT_GRAPH) and report.iterations < max_iterations:
        store.update(f"DROP SILENT GRAPH <{DELTA_GRAPH}> ; MOVE SILENT GRAPH <{NEXT_GRAPH}> TO GRAPH <{DELTA_GRAPH}>")
        report.iterations += 1
        for rule in rules:
            for position in range(len(rule.premises)):
                run(rule.name, rule.update(position))
    store.update(f"DROP SILENT GRAPH <{DELTA_GRAPH}> ; DROP SILENT GRAPH <{NEXT_GRAPH}>")
    report.inferred_by_rule["rule descriptions"] = _size(store, INFERRED_GRAPH) - report.total
    return report
