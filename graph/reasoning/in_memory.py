"""The OWL rules as set operations in Python, for the embedded store.

The same rules and the same result as the SPARQL updates in sparql.py (which a SPARQL server runs),
an order of magnitude faster: each rule is a few set operations over all the triples of a predicate
at once, where SPARQL checks every conclusion against the store one by one.

Terms are their N-Triples text (``str`` of a pyoxigraph term), interned: Python caches a string's
hash, so the sets and joins below cost no calls into the store. The premises are read once, from every
named graph but the ontology's; the fixpoint is semi-naive (each pass starts from the triples the pass
before added); a conclusion that is already in some graph, the ontology's included, is not added (as
SPARQL's ``FILTER NOT EXISTS { GRAPH ?any { … } }``).

The rules (``apply_rules``) read the facts known so far through ``FactView``, a few lookups, and hand their
conclusions to a ``Conclusions``: the full build gives them ``Facts`` held in memory and keeps what is new;
incremental.py gives them the store seen through overlays and keeps what a change adds, removes or rederives,
so that each rule is written once for both. The new triples are bulk-loaded into the inferred
graph at the end, in one step, or written to a file for the caller (the embedded build loads them only
into the on-disk store).
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, RDFS

from ..iris import INFERRED_GRAPH, ONTOLOGY_GRAPH
from .report import ReasoningReport
from .sparql import chain_axioms, chain_rule_name

TYPE = f"<{RDF.type}>"
Pair = tuple[str, str]


def term_text(term: object) -> str:
    return sys.intern(str(term))


def _is_iri(text: str) -> bool:
    return text.startswith("<")


def is_literal(text: str) -> bool:
    return text.startswith('"')


@dataclass
class Axioms:
    """The ontology's axioms the rules read, as term texts (the rule table in ``certbridge.graph.reasoning``)."""

    superclasses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    domains: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    ranges: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    superproperties: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: p -> q for ``p owl:inverseOf q`` and for ``q owl:inverseOf p`` (prp-inv1 and prp-inv2)
    inverses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    symmetric: set[str] = field(default_factory=set)
    transitive: set[str] = field(default_factory=set)
    chains: list[tuple[str, list[str]]] = field(default_factory=list)

    @classmethod
    def read(cls, store: ox.Store) -> Axioms:
        ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))

        def pairs(predicate: object) -> Iterator[Pair]:
            for quad in store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, ontology):
                yield term_text(quad.subject), term_text(quad.object)

        axioms = cls()
        object_properties = {p for p, kind in pairs(RDF.type) if kind == f"<{OWL.ObjectProperty}>"}
        for p, kind in pairs(RDF.type):
            if kind == f"<{OWL.SymmetricProperty}>":
                axioms.symmetric.add(p)
            elif kind == f"<{OWL.TransitiveProperty}>":
                axioms.transitive.add(p)
        for c, d in pairs(RDFS.subClassOf):
            if _is_iri(d):
                axioms.superclasses[c].add(d)
        for p, c in pairs(RDFS.domain):
            if _is_iri(c):
                axioms.domains[p].add(c)
        for p, c in pairs(RDFS.range):
            if _is_iri(c) and p in object_properties:
                axioms.ranges[p].add(c)
        for p, q in pairs(RDFS.subPropertyOf):
            if _is_iri(q):
                axioms.superproperties[p].add(q)
        for p, q in pairs(OWL.inverseOf):
            if _is_iri(p) and _is_iri(q):
                axioms.inverses[p].add(q)
                axioms.inverses[q].add(p)
        axioms.chains = [(f"<{prop}>", [f"<{step}>" for step in steps]) for prop, steps in chain_axioms(store)]
        return axioms

    def predicates(self) -> set[str]:
        """Every predicate a rule reads or writes, rdf:type excepted."""
        found = set(self.domains) | set(self.ranges) | self.symmetric | self.transitive
        for p, qs in (*self.superproperties.items(), *self.inverses.items()):
            found |= {p, *qs}
        for prop, steps in self.chains:
            found |= {prop, *steps}
        return found


class FactView(Protocol):
    """What the rules ask of the facts known so far: which of some candidates are known, and one-step joins."""

    def known_members(self, c: str, xs: set[str]) -> set[str]:
        """Those of *xs* known to be of class *c*."""

    def known_pairs(self, p: str, ps: set[Pair]) -> set[Pair]:
        """Those of the (subject, object) pairs *ps* known to be related by *p*."""

    def objects(self, p: str, s: str) -> Iterable[str]:
        """Every known *o* with ``s p o``."""

    def subjects(self, p: str, o: str) -> Iterable[str]:
        """Every known *s* with ``s p o``."""


class Conclusions(Protocol):
    """Where the rules put what they conclude; each kind of run decides what of it to keep."""

    report: ReasoningReport

    def types(self, rule: str, c: str, xs: set[str]) -> None:
        """*rule* concludes ``x a c`` for each x of *xs*."""

    def pairs(self, rule: str, p: str, ps: set[Pair]) -> None:
        """*rule* concludes ``s p o`` for each pair of *ps*."""


@dataclass
class Facts:
    """Triples by predicate: rdf:type as class -> members, every other predicate as (subject, object) pairs."""

    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    pairs: dict[str, set[Pair]] = field(default_factory=lambda: defaultdict(set))
    #: (predicate, True for subject -> objects) -> the pairs of that predicate indexed, built on first use
    _indexes: dict[tuple[str, bool], dict[str, list[str]]] = field(default_factory=dict, repr=False, compare=False)

    def __bool__(self) -> bool:
        return any(self.members.values()) or any(self.pairs.values())

    def __len__(self) -> int:
        return sum(map(len, self.members.values())) + sum(map(len, self.pairs.values()))

    def merge(self, other: Facts) -> None:
        for c, xs in other.members.items():
            self.members[c] |= xs
        for p, ps in other.pairs.items():
            self.pairs[p] |= ps
        self._indexes.clear()

    def remove(self, other: Facts) -> None:
        """Forget the triples of *other*."""
        for c, xs in other.members.items():
            if c in self.members:
                self.members[c] -= xs
        for p, ps in other.pairs.items():
            if p in self.pairs:
                self.pairs[p] -= ps
        self._indexes.clear()

    def add(self, s: str, p: str, o: str) -> None:
        """One triple, its terms as N-Triples text."""
        if p == TYPE:
            self.members[o].add(s)
        else:
            self.pairs[p].add((s, o))
        self._indexes.clear()

    def __contains__(self, triple: tuple[str, str, str]) -> bool:
        s, p, o = triple
        if p == TYPE:
            return s in self.members.get(o, ())
        return (s, o) in self.pairs.get(p, ())

    def known_members(self, c: str, xs: set[str]) -> set[str]:
        return xs & self.members.get(c, set())

    def known_pairs(self, p: str, ps: set[Pair]) -> set[Pair]:
        return ps & self.pairs.get(p, set())

    def objects(self, p: str, s: str) -> Iterable[str]:
        return self._index(p, forward=True).get(s, ())

    def subjects(self, p: str, o: str) -> Iterable[str]:
        return self._index(p, forward=False).get(o, ())

    def _index(self, p: str, *, forward: bool) -> dict[str, list[str]]:
        index = self._indexes.get((p, forward))
        if index is None:
            pairs = self.pairs.get(p, set())
            index = self._indexes[p, forward] = _forward(pairs) if forward else _backward(pairs)
        return index

    def triples(self) -> Iterator[tuple[str, str, str]]:
        for c, xs in self.members.items():
            for x in xs:
                yield x, TYPE, c
        for p, ps in self.pairs.items():
            for s, o in ps:
                yield s, p, o


def _read(store: ox.Store, predicates: Iterable[str]) -> tuple[Facts, Facts, dict[str, ox.BlankNode]]:
    """The premises (every named graph but the ontology's), the ontology's own triples, and the blank nodes seen."""
    premises, in_ontology = Facts(), Facts()
    blank: dict[str, ox.BlankNode] = {}
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    for graph in store.named_graphs():
        facts = in_ontology if graph == ontology else premises
        for predicate in (TYPE, *predicates):
            node = ox.NamedNode(predicate[1:-1])
            for quad in store.quads_for_pattern(None, node, None, graph):
                s, o = term_text(quad.subject), term_text(quad.object)
                if isinstance(quad.subject, ox.BlankNode):  # the terms whose text starts with "_:"
                    blank[s] = quad.subject
                if isinstance(quad.object, ox.BlankNode):
                    blank[o] = quad.object
                if predicate == TYPE:
                    facts.members[o].add(s)
                else:
                    facts.pairs[predicate].add((s, o))
    return premises, in_ontology, blank


class Pass:
    """One semi-naive pass: the conclusions of every rule from a delta that are neither known nor *blocked* (stated
    in the ontology graph: the full build never adds those, nor reasons from them)."""

    def __init__(self, known: FactView, blocked: FactView, report: ReasoningReport):
        self.known, self.blocked, self.report = known, blocked, report
        self.new = Facts()

    def types(self, rule: str, c: str, xs: set[str]) -> None:
        fresh = xs - self.new.members[c]
        fresh -= self.known.known_members(c, fresh)
        fresh -= self.blocked.known_members(c, fresh)
        self._count(rule, len(fresh))
        self.new.members[c] |= fresh

    def pairs(self, rule: str, p: str, ps: set[Pair]) -> None:
        fresh = ps - self.new.pairs[p]
        fresh -= self.known.known_pairs(p, fresh)
        fresh -= self.blocked.known_pairs(p, fresh)
        self._count(rule, len(fresh))
        self.new.pairs[p] |= fresh

    def _count(self, rule: str, n: int) -> None:
        self.report.inferred_by_rule[rule] = self.report.inferred_by_rule.get(rule, 0) + n


def _forward(pairs: set[Pair]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for s, o in pairs:
        index[s].append(o)
    return index


def _backward(pairs: set[Pair]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for s, o in pairs:
        index[o].append(s)
    return index


def _swapped(pairs: set[Pair]) -> set[Pair]:
    return {(o, s) for s, o in pairs if not is_literal(o)}


def apply_rules(axioms: Axioms, delta: Facts, known: FactView, step: Conclusions) -> None:
    """Every rule, with at least one premise from *delta* and the others from *known* (which includes *delta*)."""
    timing = step.report.timing
    with timing("cax-sco"):
        for c, ds in axioms.superclasses.items():
            if xs := delta.members.get(c):
                for d in ds:
                    step.types("cax-sco", d, xs)
    with timing("prp-dom"):
        for p, cs in axioms.domains.items():
            if ps := delta.pairs.get(p):
                subjects = {s for s, _ in ps}
                for c in cs:
                    step.types("prp-dom", c, subjects)
    with timing("prp-rng"):
        for p, cs in axioms.ranges.items():
            if ps := delta.pairs.get(p):
                objects = {o for _, o in ps if not is_literal(o)}
                for c in cs:
                    step.types("prp-rng", c, objects)
    with timing("prp-spo1"):
        for p, qs in axioms.superproperties.items():
            if ps := delta.pairs.get(p):
                for q in qs:
                    step.pairs("prp-spo1", q, ps)
    with timing("prp-inv"):
        for p, qs in axioms.inverses.items():
            if ps := delta.pairs.get(p):
                swapped = _swapped(ps)
                for q in qs:
                    step.pairs("prp-inv", q, swapped)
    with timing("prp-symp"):
        for p in axioms.symmetric:
            if ps := delta.pairs.get(p):
                step.pairs("prp-symp", p, _swapped(ps))
    with timing("prp-trp"):
        for p in axioms.transitive:
            if ps := delta.pairs.get(p):
                joined = {(x, z) for x, y in ps for z in known.objects(p, y)}
                joined |= {(x, z) for y, z in ps for x in known.subjects(p, y)}
                step.pairs("prp-trp", p, joined)
    for prop, steps in axioms.chains:
        name = chain_rule_name(prop[1:-1])
        with timing(name):
            step.pairs(name, prop, _chain(steps, delta, known))


def _chain(steps: list[str], delta: Facts, known: FactView) -> set[Pair]:
    """The ends of every path along *steps* that uses at least one triple of *delta*."""
    found: set[Pair] = set()
    for i, p in enumerate(steps):
        if not (paths := delta.pairs.get(p)):
            continue
        for later in steps[i + 1 :]:
            paths = {(a, c) for a, b in paths for c in known.objects(later, b)}
        for earlier in reversed(steps[:i]):
            paths = {(a, c) for b, c in paths for a in known.subjects(earlier, b)}
        found |= paths
    return found


def owl_rules(
    store: ox.Store, report: ReasoningReport, *, max_iterations: int, conclusions: Path | None = None
) -> None:
    """Compute the OWL rules' closure of *store* in Python and add what is new to the inferred graph, or, given
    *conclusions*, write it there as N-Triples for the caller to load where it needs it (those with a blank
    node still go into the store, which alone knows that node)."""
    axioms = Axioms.read(store)
    known, in_ontology, blank = _read(store, axioms.predicates())
    delta, passes = known, []  # the first pass starts from every premise
    report.iterations = 0
    while delta and report.iterations < max_iterations:
        report.iterations += 1
        step = Pass(known, in_ontology, report)
        apply_rules(axioms, delta, known, step)
        known.merge(step.new)
        passes.append(step.new)
        delta = step.new
    del known, delta  # the premises (gigabytes at national scale), before the new triples are loaded
    if conclusions is not None:
        report.outside_store = _write(conclusions, store, passes, blank)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inferred.nt"
        _write(path, store, passes, blank)
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(INFERRED_GRAPH)))


def _write(path: Path, store: ox.Store, passes: list[Facts], blank: dict[str, ox.BlankNode]) -> int:
    """Write the inferred triples to *path* as N-Triples (not held as one string); add those with a blank node
    to the store's inferred graph as terms, keeping the node's identity (a parser would rename it). Answers
    how many were written."""
    graph = ox.NamedNode(str(INFERRED_GRAPH))
    with_blanks = []
    written = 0
    with path.open("w", encoding="utf-8") as lines:
        for s, p, o in (triple for new in passes for triple in new.triples()):
            if s in blank or o in blank:
                with_blanks.append(ox.Quad(text_subject(s, blank), ox.NamedNode(p[1:-1]), text_term(o, blank), graph))
            else:
                lines.write(f"{s} {p} {o} .\n")
                written += 1
    store.extend(with_blanks)
    return written


def text_term(text: str, blank: dict[str, ox.BlankNode]) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    if text in blank:
        return blank[text]
    quad: ox.Quad = next(iter(ox.parse(f"<urn:x> <urn:x> {text} .".encode(), ox.RdfFormat.N_TRIPLES)))
    return quad.object


def text_subject(text: str, blank: dict[str, ox.BlankNode]) -> ox.NamedNode | ox.BlankNode | ox.Triple:
    term = text_term(text, blank)
    assert not isinstance(term, ox.Literal), text  # the rules never put a literal first (they filter them out)
    return term
