"""The rules as SPARQL updates, run by the store itself: the domain rules always, the OWL rules on a server.

The OWL rules are semi-naive: the first pass joins everything; each later pass joins at least one
premise with the triples the previous pass added (graph ``DELTA_GRAPH``), until a pass adds nothing.

Non-ASCII constants in the updates are written ``"（"^^xsd:string`` (the same term as ``"（"``):
Virtuoso 7 mangles a plain non-ASCII constant concatenated with stored text into mojibake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from certbridge.ontology import CB, GRAPH, PREFIXES

from ..iris import (
    INFERRED_GRAPH,
    MUTUAL_AGREEMENT_RULE,
    ONE_WAY_AGREEMENT_RULE,
    ONTOLOGY_GRAPH,
    SAME_QUALIFICATION_RULE,
)
from ..remote.store import RemoteStore
from .report import ReasoningReport

#: the embedded store, or a SPARQL server (the rules run as SPARQL updates on either)
Store = ox.Store | RemoteStore

#: working graphs of the semi-naive passes (the triples added by the previous and the current pass)
DELTA_GRAPH = GRAPH["reasoning-delta"]
NEXT_GRAPH = GRAPH["reasoning-next"]
#: Agreement statuses that never put an agreement in force.
NOT_IN_FORCE = ("voc:status-planned", "voc:status-announced")

_PROLOGUE = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
_NEW = "FILTER NOT EXISTS {{ GRAPH ?any {{ {triple} }} }}"

_RULE_LABELS = f"""
INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{
  <{SAME_QUALIFICATION_RULE}> a prov:Plan ; rdfs:label "同一资格"@zh, "same qualification"@en ;
    rdfs:comment "同一职业、同一等级、同一国家职业技能标准的证书类型共享一个资格节点。"@zh,
                 "Certificate types of one occupation, grade and national standard share one qualification node."@en .
  <{MUTUAL_AGREEMENT_RULE}> a prov:Plan ; rdfs:label "互认协议"@zh, "mutual agreement"@en ;
    rdfs:comment "互认协议的各方相互认可证书。"@zh,
                 "The parties of a mutual agreement recognise each other's certificates."@en .
  <{ONE_WAY_AGREEMENT_RULE}> a prov:Plan ; rdfs:label "单向认可协议"@zh, "one-way agreement"@en ;
    rdfs:comment "单向协议的认可方认可被认可方的证书。"@zh,
                 "The recognising party of a one-way agreement recognises the recognised party's certificates."@en .
}} }}
"""


@dataclass(frozen=True, slots=True)
class DomainRule:
    """A domain rule: a SPARQL pattern over the asserted graphs and what each of its matches concludes.

    Every match is about one *anchor* (an agreement; a certificate type) and reads triples of the anchor itself
    (predicates *own*) and of nodes the anchor links to (*linked*: predicate -> the links that reach such a node),
    which is how incremental.py finds the anchors a change of asserted triples touches and evaluates the rule for
    those alone (``construct``) instead of for the whole store (``insert``).
    """

    name: str
    template: str
    where: str
    anchor: str
    own: frozenset[str]
    linked: dict[str, tuple[str, ...]]

    def insert(self) -> str:
        """The update adding every match's conclusions to the inferred graph (the full build)."""
        return f"INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ {self.template} }} }} WHERE {{ {self.where} }}"

    def concludes(self) -> list[tuple[str, str]]:
        """The (predicate, object) of each triple pattern the rule concludes, as IRIs; the object is "" when it is
        not a constant: which triples a rule can make at all, read from its template."""
        variables = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
        turtle = variables.replace("PREFIX ", "@prefix ").replace(">\n", "> .\n")
        template = re.sub(r"\?(\w+)", r"<urn:variable:\1>", self.template)
        found = []
        for triple in ox.parse((turtle + template).encode(), ox.RdfFormat.TURTLE):
            constant = isinstance(triple.object, ox.NamedNode) and not triple.object.value.startswith("urn:variable:")
            found.append((triple.predicate.value, triple.object.value if constant else ""))
        return found

    def construct(self, anchors: Iterable[str]) -> str:
        """The query answering the conclusions of the matches about *anchors* (IRIs) alone."""
        values = " ".join(f"<{anchor}>" for anchor in anchors)
        return f"CONSTRUCT {{ {self.template} }} WHERE {{ VALUES ?{self.anchor} {{ {values} }} {self.where} }}"


_SAME_QUALIFICATION = DomainRule(
    name="same-qualification",
    template=f"""
  ?c cb:qualification ?q .
  ?q a cb:Qualification ; cb:qualificationOccupation ?o ; cb:qualificationGrade ?grade ;
     cb:qualificationStandard ?s ; prov:wasGeneratedBy <{SAME_QUALIFICATION_RULE}> ;
     rdfs:label ?zh, ?en .""",
    where="""
  GRAPH ?g1 { ?c a cb:CertificateType ; cb:certifiesOccupation ?o ; cb:atGrade ?grade ; cb:followsStandard ?s . }
  GRAPH ?g2 { ?s cb:standardKind voc:standard-kind-national . }
  GRAPH ?g3 { ?o skos:notation ?code ; rdfs:label ?oname . FILTER (LANG(?oname) = "zh") }
  GRAPH ?g4 { ?grade rdfs:label ?gzh, ?gen . FILTER (LANG(?gzh) = "zh" && LANG(?gen) = "en") }
  BIND (STRAFTER(STR(?s), STR(std:)) AS ?sid)
  BIND (IRI(CONCAT(STR(id:), "qualification/", ?code, "/", STRAFTER(STR(?grade), STR(grade:)), "/", ?sid)) AS ?q)
  BIND (STRLANG(CONCAT(STR(?oname), " ", STR(?gzh), "（"^^xsd:string, ?sid, "）"^^xsd:string), "zh") AS ?zh)
  BIND (STRLANG(CONCAT(?code, " ", STR(?gen), " (standard ", ?sid, ")"), "en") AS ?en)
""",
    anchor="c",
    own=frozenset({str(RDF.type), str(CB.certifiesOccupation), str(CB.atGrade), str(CB.followsStandard)}),
    linked={
        str(CB.standardKind): (str(CB.followsStandard),),
        str(SKOS.notation): (str(CB.certifiesOccupation),),
        str(RDFS.label): (str(CB.certifiesOccupation), str(CB.atGrade)),
    },
)

_AGREEMENT_PREMISES = frozenset(
    str(p)
    for p in (
        RDF.type,
        CB.direction,
        CB.recognisesCertificates,
        CB.status,
        CB.party,
        CB.recognisingParty,
        CB.recognisedParty,
    )
)

_MUTUAL = DomainRule(
    name="mutual-agreement",
    template=f"""
  ?p1 cb:mutuallyRecognises ?p2 .
  ?d a rdf:Statement ; rdf:subject ?p1 ; rdf:predicate cb:mutuallyRecognises ; rdf:object ?p2 ;
     prov:wasDerivedFrom ?a ; prov:wasGeneratedBy <{MUTUAL_AGREEMENT_RULE}> .""",
    where=f"""
  GRAPH ?g {{ ?a a cb:RecognitionAgreement ; cb:direction voc:direction-mutual ; cb:recognisesCertificates true ;
              cb:status ?status ; cb:party ?p1, ?p2 . }}
  FILTER (?p1 != ?p2 && ?status NOT IN ({", ".join(NOT_IN_FORCE)}))
  BIND (IRI(CONCAT(STR(id:), "derivation/", MD5(CONCAT(STR(?a), " ", STR(?p1), " ", STR(?p2))))) AS ?d)
""",
    anchor="a",
    own=_AGREEMENT_PREMISES,
    linked={},
)

_ONE_WAY = DomainRule(
    name="one-way-agreement",
    template=f"""
  ?r cb:recognisesCertificatesOf ?o .
  ?d a rdf:Statement ; rdf:subject ?r ; rdf:predicate cb:recognisesCertificatesOf ; rdf:object ?o ;
     prov:wasDerivedFrom ?a ; prov:wasGeneratedBy <{ONE_WAY_AGREEMENT_RULE}> .""",
    where=f"""
  GRAPH ?g {{ ?a a cb:RecognitionAgreement ; cb:direction voc:direction-one-way ; cb:recognisesCertificates true ;
              cb:status ?status ; cb:recognisingParty ?r ; cb:recognisedParty ?o . }}
  FILTER (?r != ?o && ?status NOT IN ({", ".join(NOT_IN_FORCE)}))
  BIND (IRI(CONCAT(STR(id:), "derivation/", MD5(CONCAT(STR(?a), " ", STR(?r), " ", STR(?o))))) AS ?d)
""",
    anchor="a",
    own=_AGREEMENT_PREMISES,
    linked={},
)

#: the domain rules in the order they run (before the OWL rules, whose premises their conclusions are)
DOMAIN_RULES = (_SAME_QUALIFICATION, _MUTUAL, _ONE_WAY)
#: the subjects of the rule descriptions (constant triples of the inferred graph)
RULE_IRIS = frozenset(str(rule) for rule in (SAME_QUALIFICATION_RULE, MUTUAL_AGREEMENT_RULE, ONE_WAY_AGREEMENT_RULE))


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


def chain_axioms(store: Store) -> list[tuple[str, list[str]]]:
    """Each ``owl:propertyChainAxiom`` of the ontology: the property and its steps in order (a property may have
    several chains: each is its own rule).

    One query, positions counted along ``rdf:rest`` and cells grouped by the list they belong to: a list's blank
    nodes cannot be named again in a later request to a SPARQL server, so no list is walked cell by cell.
    """
    answer = _select(
        store,
        f"""SELECT ?p ?list ?step (COUNT(?before) AS ?position) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
              ?p owl:propertyChainAxiom ?list . ?list rdf:rest* ?before . ?before rdf:rest* ?cell .
              ?cell rdf:first ?step }} }} GROUP BY ?p ?list ?cell ?step""",
        prefixes=PREFIXES,
    )
    chains: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in answer:
        steps = chains.setdefault((row["p"].value, str(row["list"])), [])
        steps.append((int(row["position"].value), row["step"].value))
    return sorted((prop, [step for _, step in sorted(steps)]) for (prop, _), steps in chains.items())


def _chain_rules(store: Store) -> list[Rule]:
    """One rule per ``owl:propertyChainAxiom`` of the ontology (the chain is an RDF list)."""
    rules = []
    for prop, steps in chain_axioms(store):
        premises = tuple(f"?v{i} <{step}> ?v{i + 1}" for i, step in enumerate(steps))
        rules.append(Rule(chain_rule_name(prop), "", premises, f"?v0 <{prop}> ?v{len(steps)}"))
    return rules


def chain_rule_name(prop: str) -> str:
    return f"prp-spo2 {prop.rsplit('#', 1)[-1]}"


def _size(store: Store, graph: URIRef) -> int:
    answer = _select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(answer))["n"].value)


def _select(store: Store, query: str, prefixes: dict[str, str] | None = None) -> ox.QuerySolutions:
    """The rows a SELECT answers (either store's ``query`` is typed for every query form)."""
    answer = store.query(query, prefixes=prefixes)
    assert isinstance(answer, ox.QuerySolutions)
    return answer


def clear(store: Store) -> None:
    """Drop the inferred graph and any working graph a failed run left behind."""
    for graph in (INFERRED_GRAPH, DELTA_GRAPH, NEXT_GRAPH):
        if store.contains_named_graph(ox.NamedNode(str(graph))):
            store.remove_graph(ox.NamedNode(str(graph)))


def domain_rules(store: Store, report: ReasoningReport) -> None:
    """The rule descriptions, shared qualification nodes and party-level recognition (run first)."""
    store.update(_PROLOGUE + _RULE_LABELS)
    for rule in DOMAIN_RULES:
        with report.timing(rule.name):
            before = _size(store, INFERRED_GRAPH)
            store.update(_PROLOGUE + rule.insert())
            report.inferred_by_rule[rule.name] = _size(store, INFERRED_GRAPH) - before


def construct(store: ox.Store, rule: DomainRule, anchors: Iterable[str]) -> Iterator[ox.Triple]:
    """The conclusions of *rule*'s matches about *anchors* alone (IRIs), in the store's present state."""
    anchors = sorted(anchors)
    for start in range(0, len(anchors), 500):
        answer = store.query(_PROLOGUE + rule.construct(anchors[start : start + 500]))
        assert isinstance(answer, ox.QueryTriples)
        yield from answer


def owl_rules(store: Store, report: ReasoningReport, *, max_iterations: int) -> None:
    """The OWL 2 RL rules as semi-naive SPARQL updates, to a fixpoint."""

    def run(name: str, update: str) -> None:
        with report.timing(name):
            before = _size(store, NEXT_GRAPH)
            store.update(_PROLOGUE + update)
            report.inferred_by_rule[name] = report.inferred_by_rule.get(name, 0) + _size(store, NEXT_GRAPH) - before

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


def count_rule_descriptions(store: Store, report: ReasoningReport) -> None:
    """What the rules did not account for in the inferred graph: the rule descriptions."""
    report.inferred_by_rule["rule descriptions"] = _size(store, INFERRED_GRAPH) - (report.total - report.outside_store)
