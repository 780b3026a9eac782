"""Incremental reasoning: from the closure before a change of asserted triples to the closure after, touching only
what the change can reach.

A change of a few rows should not re-reason a national store (42 s and gigabytes at N = 40,000): the work here is
proportional to the part of the graph the change reaches, read from the store by lookups.

The closure ``materialise`` makes, as sets of triples: the asserted triples A (every named graph but the
ontology's, the inferred graph and the build record); the domain rules' conclusions D (a function of A) and the rule
descriptions L, which with A make the base B of the OWL rules; the OWL closure K of B, where a conclusion stated in
the ontology graph is neither added nor reasoned from. The inferred graph holds D ∪ L ∪ (K − B).

``apply_change`` applies a change (quads added to and removed from asserted graphs) to a store holding that closure,
in four steps:

1. the domain rules, for the anchors the change touches alone (agreements; certificate types, directly or through
   their occupation, grade or standard: ``DomainRule.construct``), before and after; a conclusion those no longer
   make stays when another anchor still makes it, found through the inferred graph's own record of support (the
   reified statements' ``prov:wasDerivedFrom``, the ``cb:qualification`` links);
2. the change of the base B, from A's and D's;
3. delete and rederive (DRed) for what left the base: overdelete every fact of K with a derivation through a
   removed fact (the rules run forward from the removed facts over the old closure), then rederive those with
   another derivation from what remains (the rules run once over the overdeleted facts' neighbourhood, which holds
   a premise of every derivation of each) and what follows from them (semi-naive);
4. semi-naive forward from what entered the base.

The rules are in_memory.py's ``apply_rules``, reading the store through ``FactView`` lookups and overlays; only what
is collected from their conclusions differs. tests/test_incremental_reasoning.py checks every step of random
sequences of changes against the full closure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

import pyoxigraph as ox
from rdflib.namespace import PROV, RDF

from certbridge.ontology import CB

from ..errors import InvalidOption
from ..iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from .in_memory import TYPE, Axioms, Facts, FactView, Pair, Pass, apply_rules, is_literal, term_text, text_term
from .report import ReasoningReport
from .sparql import DOMAIN_RULES, RULE_IRIS, DomainRule, construct

__all__ = ["Change", "InferredChange", "apply_change"]

Triple = tuple[str, str, str]

_ONTOLOGY = ox.NamedNode(str(ONTOLOGY_GRAPH))
_INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
_BUILD = ox.NamedNode(str(BUILD_GRAPH))
#: graphs that hold no asserted triple
_NOT_ASSERTED = frozenset({_ONTOLOGY, _INFERRED, _BUILD})


@dataclass(frozen=True, slots=True)
class Change:
    """Quads added to and removed from the asserted graphs (a quad in both is kept: removal comes first)."""

    added: tuple[ox.Quad, ...] = ()
    removed: tuple[ox.Quad, ...] = ()


@dataclass
class InferredChange:
    """What a change did to the inferred graph, and how much work it took."""

    added: list[ox.Triple] = field(default_factory=list)
    removed: list[ox.Triple] = field(default_factory=list)
    #: the change as it was applied: the quads added that were not there, and those removed that were
    applied: Change = field(default_factory=Change)
    #: domain conclusions that appeared and disappeared
    domain_added: int = 0
    domain_removed: int = 0
    #: OWL facts overdeleted, rederived (of those), and added forward
    overdeleted: int = 0
    rederived: int = 0
    inserted: int = 0
    seconds: float = 0.0


# --- the store seen as the rules see it -------------------------------------------------------------------------


class _Terms:
    """Term texts (as in_memory.py writes them) to pyoxigraph terms and back, keeping blank nodes' identity."""

    def __init__(self) -> None:
        self.blank: dict[str, ox.BlankNode] = {}
        self._terms: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {}

    def text(self, term: object) -> str:
        text = term_text(term)
        if isinstance(term, ox.BlankNode):
            self.blank[text] = term
        return text

    def triple(self, quad: ox.Quad | ox.Triple) -> Triple:
        return self.text(quad.subject), self.text(quad.predicate), self.text(quad.object)

    def term(self, text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
        term = self._terms.get(text)
        if term is None:
            term = self._terms[text] = ox.NamedNode(text[1:-1]) if text.startswith("<") else text_term(text, self.blank)
        return term

    def node(self, text: str) -> ox.NamedNode:
        term = self.term(text)
        assert isinstance(term, ox.NamedNode), text
        return term

    def as_triple(self, triple: Triple) -> ox.Triple:
        s, p, o = triple
        subject = self.term(s)
        assert not isinstance(subject, ox.Literal), s
        return ox.Triple(subject, self.node(p), self.term(o))


class _StoreFacts:
    """Some of a store's graphs as a ``FactView``, read by lookups (nothing held), restricted to *predicates*."""

    def __init__(self, store: ox.Store, terms: _Terms, keep: Callable[[object], bool], predicates: set[str]) -> None:
        self.store, self.terms, self.keep, self.predicates = store, terms, keep, predicates

    def _match(self, s: str | None, p: str | None, o: str | None) -> Iterator[ox.Quad]:
        if s is not None and is_literal(s):
            return
        terms = self.terms
        subject = None if s is None else terms.term(s)
        assert not isinstance(subject, ox.Literal)
        pattern = (subject, None if p is None else terms.node(p), None if o is None else terms.term(o))
        for quad in self.store.quads_for_pattern(*pattern, None):
            if self.keep(quad.graph_name):
                yield quad

    def contains(self, triple: Triple) -> bool:
        return any(self._match(*triple))

    def known_members(self, c: str, xs: set[str]) -> set[str]:
        return {x for x in xs if self.contains((x, TYPE, c))}

    def known_pairs(self, p: str, ps: set[Pair]) -> set[Pair]:
        return {(s, o) for s, o in ps if self.contains((s, p, o))}

    def objects(self, p: str, s: str) -> Iterable[str]:
        return {self.terms.text(quad.object) for quad in self._match(s, p, None)}

    def subjects(self, p: str, o: str) -> Iterable[str]:
        return {self.terms.text(quad.subject) for quad in self._match(None, p, o)}

    def about(self, subjects: Iterable[str]) -> Facts:
        """The facts whose subject is one of *subjects*."""
        found = Facts()
        for s in subjects:
            for quad in self._match(s, None, None):
                if (p := self.terms.text(quad.predicate)) in self.predicates:
                    found.add(s, p, self.terms.text(quad.object))
        return found

    def pointing_to(self, objects: Iterable[str]) -> Facts:
        """The facts but typing whose object is one of *objects*."""
        found = Facts()
        for o in objects:
            for quad in self._match(None, None, o):
                if (p := self.terms.text(quad.predicate)) in self.predicates and p != TYPE:
                    found.add(self.terms.text(quad.subject), p, o)
        return found


class _Overlay:
    """A view with some facts added (*plus*) and some taken away (*minus*); both may grow while it is used."""

    def __init__(self, base: _StoreFacts | _Overlay, *, plus: Facts | None = None, minus: Facts | None = None) -> None:
        self.base = base
        self.plus = Facts() if plus is None else plus
        self.minus = Facts() if minus is None else minus

    def contains(self, triple: Triple) -> bool:
        return triple in self.plus or (triple not in self.minus and self.base.contains(triple))

    def known_members(self, c: str, xs: set[str]) -> set[str]:
        kept = self.base.known_members(c, xs) - self.minus.members.get(c, set())
        return kept | self.plus.known_members(c, xs)

    def known_pairs(self, p: str, ps: set[Pair]) -> set[Pair]:
        return (self.base.known_pairs(p, ps) - self.minus.pairs.get(p, set())) | self.plus.known_pairs(p, ps)

    def objects(self, p: str, s: str) -> Iterable[str]:
        gone = self.minus.pairs.get(p, set())
        return {o for o in self.base.objects(p, s) if (s, o) not in gone} | set(self.plus.objects(p, s))

    def subjects(self, p: str, o: str) -> Iterable[str]:
        gone = self.minus.pairs.get(p, set())
        return {s for s in self.base.subjects(p, o) if (s, o) not in gone} | set(self.plus.subjects(p, o))

    def about(self, subjects: Iterable[str]) -> Facts:
        wanted = set(subjects)
        return self._adjust(self.base.about(wanted), lambda s, o: s in wanted, typing=True)

    def pointing_to(self, objects: Iterable[str]) -> Facts:
        wanted = set(objects)
        return self._adjust(self.base.pointing_to(wanted), lambda s, o: o in wanted, typing=False)

    def _adjust(self, found: Facts, chosen: Callable[[str, str], bool], *, typing: bool) -> Facts:
        found.remove(self.minus)
        for s, p, o in self.plus.triples():
            if (typing or p != TYPE) and chosen(s, o):
                found.add(s, p, o)
        return found


# --- delete and rederive ----------------------------------------------------------------------------------------


class _Overdelete:
    """Conclusions that were in the old closure and are not in the base after: each loses a derivation."""

    def __init__(self, known: FactView, deleted: Facts, base: FactView, report: ReasoningReport) -> None:
        self.known, self.deleted, self.base, self.report = known, deleted, base, report
        self.new = Facts()

    def types(self, rule: str, c: str, xs: set[str]) -> None:
        doubtful = xs - self.deleted.members.get(c, set()) - self.new.members.get(c, set())
        doubtful = self.known.known_members(c, doubtful)
        self.new.members[c] |= doubtful - self.base.known_members(c, doubtful)

    def pairs(self, rule: str, p: str, ps: set[Pair]) -> None:
        doubtful = ps - self.deleted.pairs.get(p, set()) - self.new.pairs.get(p, set())
        doubtful = self.known.known_pairs(p, doubtful)
        self.new.pairs[p] |= doubtful - self.base.known_pairs(p, doubtful)


class _Rederive:
    """Overdeleted facts that a rule still concludes from what remains."""

    def __init__(self, deleted: Facts, blocked: FactView, report: ReasoningReport) -> None:
        self.deleted, self.blocked, self.report = deleted, blocked, report
        self.found = Facts()

    def types(self, rule: str, c: str, xs: set[str]) -> None:
        back = self.deleted.known_members(c, xs)
        self.found.members[c] |= back - self.blocked.known_members(c, back)

    def pairs(self, rule: str, p: str, ps: set[Pair]) -> None:
        back = self.deleted.known_pairs(p, ps)
        self.found.pairs[p] |= back - self.blocked.known_pairs(p, back)


def _neighbourhood(view: _Overlay, facts: Facts) -> Facts:
    """Facts of *view* holding a premise of every one-step derivation of each of *facts*: for ``x a C``, those about
    x (cax-sco, prp-dom) and those pointing to x (prp-rng); for ``x p y``, those about x (prp-spo1, prp-trp,
    prp-spo2) and about y (prp-inv, prp-symp)."""
    typed = {x for xs in facts.members.values() for x in xs}
    related = {term for ps in facts.pairs.values() for pair in ps for term in pair if not is_literal(term)}
    around = view.about(typed | related)
    around.merge(view.pointing_to(typed))
    return around


def _maintain(
    axioms: Axioms,
    known: _StoreFacts | _Overlay,
    blocked: FactView,
    base: FactView,
    *,
    removed: Facts,
    added: Facts,
    report: ReasoningReport,
) -> tuple[Facts, Facts, int]:
    """The OWL closure after its base lost *removed* and gained *added*, as what left it and what entered it.

    *known* is the closure before, *base* the base after, *blocked* what the ontology graph states. Answers (gone,
    new, overdeleted): the closure after is *known* without *gone*, with *new*.
    """
    deleted, frontier = Facts(), removed
    deleted.merge(removed)
    while frontier:
        overdelete = _Overdelete(known, deleted, base, report)
        apply_rules(axioms, frontier, known, overdelete)
        frontier = overdelete.new
        deleted.merge(frontier)
    new = Facts()
    current = _Overlay(known, plus=new, minus=deleted)

    def forward(delta: Facts) -> None:
        while delta:
            step = Pass(current, blocked, report)
            apply_rules(axioms, delta, current, step)
            new.merge(step.new)
            delta = step.new

    if deleted:
        rederive = _Rederive(deleted, blocked, report)
        apply_rules(axioms, _neighbourhood(_Overlay(known, minus=deleted), deleted), current, rederive)
        new.merge(rederive.found)
        forward(rederive.found)
    entering = Facts()
    for c, xs in added.members.items():
        entering.members[c] = xs - current.known_members(c, xs)
    for p, ps in added.pairs.items():
        entering.pairs[p] = ps - current.known_pairs(p, ps)
    new.merge(entering)
    forward(entering)
    gone = Facts()
    gone.merge(deleted)
    gone.remove(new)
    return gone, new, len(deleted)


# --- the domain rules for the anchors a change touches ----------------------------------------------------------


class _Domain:
    """The domain rules' conclusions D before and after a change, for the anchors the change touches; whether a
    conclusion is in D before or after for any other triple (``before``, ``after``)."""

    def __init__(self, store: ox.Store, terms: _Terms, quads: list[ox.Quad]) -> None:
        self.store, self.terms = store, terms
        self.touched = {rule.name: _anchors(store, rule, quads) for rule in DOMAIN_RULES}
        self.old = self._conclusions(self.touched)
        self.new: set[Triple] = set()
        self._made: set[Triple] = set()
        self._asked: dict[str, set[str]] = {rule.name: set() for rule in DOMAIN_RULES}
        #: (predicate, object or "" for any) of every triple a domain rule can conclude
        self._shapes = {(f"<{p}>", f"<{o}>" if o else "") for rule in DOMAIN_RULES for p, o in rule.concludes()}

    def changed(self) -> None:
        """The store's asserted graphs now hold the change: evaluate the touched anchors again."""
        self.new = self._conclusions(self.touched)

    def _conclusions(self, anchors: dict[str, set[str]]) -> set[Triple]:
        return {
            self.terms.triple(triple)
            for rule in DOMAIN_RULES
            for triple in construct(self.store, rule, anchors[rule.name])
        }

    def before(self, triples: Iterable[Triple]) -> set[Triple]:
        """Those of *triples* the domain rules concluded before the change."""
        triples = set(triples)
        return (triples & self.old) | self._untouched(triples - self.old)

    def after(self, triples: Iterable[Triple]) -> set[Triple]:
        """Those of *triples* the domain rules conclude after the change."""
        triples = set(triples)
        return (triples & self.new) | self._untouched(triples - self.new)

    def _untouched(self, triples: set[Triple]) -> set[Triple]:
        """Those of *triples* an anchor the change does not touch concludes (the same before and after): only a
        triple of the inferred graph can be one, and its anchors are on record there."""
        shapes = self._shapes
        possible = {t for t in triples if (t[1], "") in shapes or (t[1], t[2]) in shapes}
        inferred = {t for t in possible if any(self._inferred(*t))}
        wanted: dict[str, set[str]] = {rule.name: set() for rule in DOMAIN_RULES}
        for triple in inferred:
            for anchor in self._anchors_on_record(triple):
                for rule in DOMAIN_RULES:
                    if anchor not in self.touched[rule.name] and anchor not in self._asked[rule.name]:
                        wanted[rule.name].add(anchor)
        if any(wanted.values()):
            self._made |= self._conclusions(wanted)
            for name, anchors in wanted.items():
                self._asked[name] |= anchors
        return inferred & self._made

    def _inferred(self, s: str | None, p: str | None, o: str | None) -> Iterator[ox.Quad]:
        terms = self.terms
        if s is not None and is_literal(s):
            return iter(())
        subject = None if s is None else terms.term(s)
        assert not isinstance(subject, ox.Literal)
        return self.store.quads_for_pattern(
            subject, None if p is None else terms.node(p), None if o is None else terms.term(o), _INFERRED
        )

    def _anchors_on_record(self, triple: Triple) -> set[str]:
        """The anchors whose matches may conclude *triple*: its subject itself (a certificate type's link), the
        agreement a derivation node or a reified statement of it names, the certificate types linked to a
        qualification node."""
        s, p, o = triple
        if not s.startswith("<"):
            return set()
        derived_from, qualification = f"<{PROV.wasDerivedFrom}>", f"<{CB.qualification}>"
        statements = [s] + [
            term_text(quad.subject)
            for quad in self._inferred(None, f"<{RDF.subject}>", s)
            if any(self._inferred(term_text(quad.subject), f"<{RDF.predicate}>", p))
            and any(self._inferred(term_text(quad.subject), f"<{RDF.object}>", o))
        ]
        found = {s[1:-1]}
        for statement in statements:
            found |= {q.object.value for q in self._inferred(statement, derived_from, None) if _named(q.object)}
        found |= {q.subject.value for q in self._inferred(None, qualification, s) if _named(q.subject)}
        return found


def _named(term: object) -> TypeGuard[ox.NamedNode]:
    return isinstance(term, ox.NamedNode)


def _asserted_graph(graph: object) -> bool:
    """A named graph of asserted triples (the full build reads no triple of the default graph)."""
    return isinstance(graph, ox.NamedNode) and graph not in _NOT_ASSERTED


def _anchors(store: ox.Store, rule: DomainRule, quads: list[ox.Quad]) -> set[str]:
    """The anchors of *rule* (IRIs) a change of *quads* touches: their own premises, or a premise of a node they
    link to."""
    found: set[str] = set()
    for quad in quads:
        predicate = quad.predicate.value
        if predicate in rule.own and isinstance(quad.subject, ox.NamedNode):
            found.add(quad.subject.value)
        for link in rule.linked.get(predicate, ()):
            for linking in store.quads_for_pattern(None, ox.NamedNode(link), quad.subject, None):
                if _asserted_graph(linking.graph_name) and isinstance(linking.subject, ox.NamedNode):
                    found.add(linking.subject.value)
    return found


# --- one change ---------------------------------------------------------------------------------------------------


def apply_change(store: ox.Store, change: Change) -> InferredChange:
    """Apply *change* to the asserted graphs of *store*, whose inferred graph holds their closure, and bring the
    inferred graph to the closure after, as ``materialise`` would make it from scratch. Answers what changed in the
    inferred graph.

    The store is changed in several writes: give it a copy readers do not see (graph/store/ swaps the versions).
    """
    started = time.perf_counter()
    for quad in (*change.added, *change.removed):
        if quad.graph_name in _NOT_ASSERTED or not isinstance(quad.graph_name, ox.NamedNode):
            raise InvalidOption(f"a change adds or removes asserted triples of named graphs only, not {quad}")
    adding = set(change.added)
    removing = [quad for quad in set(change.removed) - adding if quad in store]
    added_quads = [quad for quad in adding if quad not in store]
    terms, report = _Terms(), ReasoningReport()
    axioms = Axioms.read(store)
    predicates = {TYPE, *axioms.predicates()}

    def rule_facts(triples: Iterable[Triple]) -> Facts:
        facts = Facts()
        for s, p, o in triples:
            if p in predicates:
                facts.add(s, p, o)
        return facts

    asserted = _StoreFacts(store, terms, _asserted_graph, predicates)
    everything = _StoreFacts(store, terms, lambda graph: graph == _INFERRED or _asserted_graph(graph), predicates)
    inferred = _StoreFacts(store, terms, lambda graph: graph == _INFERRED, predicates)
    blocked = _StoreFacts(store, terms, lambda graph: graph == _ONTOLOGY, predicates)

    touched = {terms.triple(quad) for quad in (*removing, *added_quads)}
    asserted_before = {t for t in touched if asserted.contains(t)}
    domain = _Domain(store, terms, [*removing, *added_quads])
    for quad in removing:
        store.remove(quad)
    store.extend(added_quads)
    domain.changed()
    asserted_after = {t for t in touched if asserted.contains(t)}

    domain_added = domain.new - domain.before(domain.new - domain.old)
    domain_removed = domain.old - domain.after(domain.old - domain.new)
    unasserted, newly_asserted = asserted_before - asserted_after, asserted_after - asserted_before

    def in_base_before(triples: set[Triple]) -> set[Triple]:
        was_asserted = {t for t in triples if (t in asserted_before if t in touched else asserted.contains(t))}
        rest = triples - was_asserted
        return was_asserted | domain.before(rest) | _descriptions(rest)

    def in_base_after(triples: set[Triple]) -> set[Triple]:
        rest = {t for t in triples if not asserted.contains(t)}
        return (triples - rest) | domain.after(rest) | _descriptions(rest)

    leaving = unasserted | domain_removed
    leaving = in_base_before(leaving) - in_base_after(leaving)
    entering = newly_asserted | domain_added
    entering = in_base_after(entering) - in_base_before(entering)
    # the closure before: the store holds the asserted triples after, and the inferred graph before
    old_closure = _Overlay(
        everything,
        plus=rule_facts(unasserted),
        minus=rule_facts(t for t in newly_asserted if not inferred.contains(t)),
    )
    gone, new, overdeleted = _maintain(
        axioms,
        old_closure,
        blocked,
        _BaseAfter(asserted, in_base_after),
        removed=rule_facts(leaving),
        added=rule_facts(entering),
        report=report,
    )
    new_closure = _Overlay(old_closure, plus=new, minus=gone)

    candidates = touched | domain_added | domain_removed | set(gone.triples()) | set(new.triples())
    was = {t for t in candidates if inferred.contains(t)}
    base_after = in_base_after(candidates)
    domain_after = domain.after(candidates)
    now = {
        t
        for t in candidates
        if t in domain_after
        or t[0] in _RULE_TEXTS
        or (t[1] in predicates and t not in base_after and new_closure.contains(t))
    }
    result = InferredChange(
        added=[terms.as_triple(t) for t in sorted(now - was)],
        removed=[terms.as_triple(t) for t in sorted(was - now)],
        applied=Change(added=tuple(added_quads), removed=tuple(removing)),
        domain_added=len(domain_added),
        domain_removed=len(domain_removed),
        overdeleted=overdeleted,
        rederived=overdeleted - len(gone),
        inserted=len(new) - (overdeleted - len(gone)),
    )
    for triple in result.removed:
        store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, _INFERRED))
    store.extend(ox.Quad(triple.subject, triple.predicate, triple.object, _INFERRED) for triple in result.added)
    result.seconds = time.perf_counter() - started
    return result


_RULE_TEXTS = frozenset(f"<{iri}>" for iri in RULE_IRIS)


def _descriptions(triples: set[Triple]) -> set[Triple]:
    """Those of *triples* describing a rule (constant, in the inferred graph from the start)."""
    return {t for t in triples if t[0] in _RULE_TEXTS}


class _BaseAfter:
    """The base of the OWL rules after the change (asserted, concluded by a domain rule, or a rule's description),
    as the ``FactView`` overdeletion asks which of its conclusions stay."""

    def __init__(self, asserted: _StoreFacts, in_base: Callable[[set[Triple]], set[Triple]]) -> None:
        self.asserted, self.in_base = asserted, in_base

    def known_members(self, c: str, xs: set[str]) -> set[str]:
        return {x for x, _, _ in self.in_base({(x, TYPE, c) for x in xs})}

    def known_pairs(self, p: str, ps: set[Pair]) -> set[Pair]:
        return {(s, o) for s, _, o in self.in_base({(s, p, o) for s, o in ps})}

    def objects(self, p: str, s: str) -> Iterable[str]:
        raise NotImplementedError("overdeletion asks which facts stay, never joins on the base")

    def subjects(self, p: str, o: str) -> Iterable[str]:
        raise NotImplementedError("overdeletion asks which facts stay, never joins on the base")
