"""Why there is no route: what each side reaches (nearest first), and what agreement would connect them."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from .graphs import ClassGraph, ClassNode, Node
from .model import Absence, NoRoute
from .records import Certificate, RoutingIndex

EXPLAIN_LIMIT = 10
#: how many nearest lists a class graph keeps (two per no-route answer; the graph is one occupation on one day)
NEAREST_KEPT = 128
_NEAREST_LOCK = threading.Lock()
#: a layer of more certificate types than this is merged (in IRI order) only as far as the list needs
_MERGE_ABOVE = 64


def explain(
    index: RoutingIndex,
    cg: ClassGraph,
    start: Certificate,
    target: str,
    max_hops: int,
    day: date,
    *,
    above: bool,
) -> NoRoute:
    """The no-route answer; *above* says the target's grade is above the certificate's (see ``engine._above``),
    which no agreement changes."""
    reaches = nearest(index, cg, start.iri, max_hops, reverse=False) if start.iri in cg.class_of else []
    reached = target in cg.class_of or target in cg.successors
    reached_from = nearest(index, cg, target, max_hops, reverse=True) if reached else []
    source_reaches = tuple(map(index.endpoint, reaches))
    target_reached_from = tuple(map(index.endpoint, reached_from))
    goal = index.certificates.get(target)
    grade = index.grades[start.grade]
    if goal is not None and above:
        high = index.grades[goal.grade]
        why = (
            f"{high.label_zh} / {high.label_en} is on another grade ladder than {grade.label_zh} / {grade.label_en}"
            if high.ladder != grade.ladder
            else f"the required grade {high.label_zh} / {high.label_en} is above the certificate's grade "
            f"{grade.label_zh} / {grade.label_en}"
        )
        return NoRoute(
            reason=f"{why}: no hop raises a grade (recognition keeps it, dominance only lowers it), so no route or "
            "agreement connects them; a certificate of at least the required grade is needed",
            source_reaches=source_reaches,
            target_reached_from=target_reached_from,
            kind=Absence.GRADE_TOO_HIGH,
        )
    missing = None
    if goal is not None:
        occupation = f"{start.occupation} {index.occupation_labels.get(start.occupation, '')}".strip()
        missing = (
            f"an agreement in force on {day} by which {_party_name(index, goal)} (recognising) accepts "
            f"certificates of {_party_name(index, start)} (recognised) for {occupation} "
            f"at {grade.label_zh} / {grade.label_en}"
        )
    return NoRoute(
        reason=f"no route of at most {max_hops} hops on {day} with the allowed hop kinds",
        source_reaches=source_reaches,
        target_reached_from=target_reached_from,
        missing_agreement=missing,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingAgreement:
    """The agreement that would connect a certificate type to a required one, in parts (each a (Chinese, English)
    pair) that a page words in its own language; ``NoRoute.missing_agreement`` says the same in one English text."""

    day: str
    #: the side that would accept (the required certificate's province, else its issuer)
    recognising: tuple[str, str]
    #: the side whose certificates would be accepted
    recognised: tuple[str, str]
    occupation: str
    occupation_label: str
    grade: tuple[str, str]


def missing_agreement(index: RoutingIndex, source: str, target: str, day: date) -> MissingAgreement | None:
    """The parts of the agreement that would let certificate type *source* be accepted where *target* is required
    on *day*; None when either is not a certificate type of the index (a credential is reached by a bridge)."""
    start, goal = index.certificates.get(source), index.certificates.get(target)
    if start is None or goal is None:
        return None
    grade = index.grades[start.grade]
    return MissingAgreement(
        day=day.isoformat(),
        recognising=_party_names(index, goal),
        recognised=_party_names(index, start),
        occupation=start.occupation,
        occupation_label=index.occupation_labels.get(start.occupation, ""),
        grade=(grade.label_zh or grade.label_en or grade.iri, grade.label_en or grade.label_zh or grade.iri),
    )


def _party_names(index: RoutingIndex, cert: Certificate) -> tuple[str, str]:
    """What :func:`_party_name` names, as a (Chinese, English) pair, each falling back on the other."""
    issuer = index.issuers[cert.issuer]
    province = index.province_of(issuer.region)
    if province:
        zh, en = index.region_labels.get(province, (None, None))
        return (zh or en or province, en or zh or province)
    return (issuer.label_zh or issuer.label_en or issuer.iri, issuer.label_en or issuer.label_zh or issuer.iri)


def _party_name(index: RoutingIndex, cert: Certificate) -> str:
    """The province of the certificate's issuer (agreements are mostly between provinces), else the issuer itself."""
    issuer = index.issuers[cert.issuer]
    province = index.province_of(issuer.region)
    if province:
        zh, en = index.region_labels.get(province, (None, None))
        return f"{zh} / {en}" if zh and en else zh or en or province
    return issuer.label_zh or issuer.iri


def nearest(index: RoutingIndex, cg: ClassGraph, iri: str, max_hops: int, *, reverse: bool) -> list[str]:
    """Up to EXPLAIN_LIMIT certificate types (or credentials) nearest to *iri*, fewest hops then IRI, within
    *max_hops*, from the class graph's own cache of them (at most NEAREST_KEPT per graph, the oldest let go first).
    """
    key = (iri, max_hops, reverse)
    known = cg.nearest.get(key)
    if known is None:
        known = tuple(_nearest(index, cg, iri, max_hops, reverse=reverse))
        with _NEAREST_LOCK:
            if len(cg.nearest) >= NEAREST_KEPT:
                del cg.nearest[next(iter(cg.nearest))]
            cg.nearest[key] = known
    return list(known)


def _nearest(index: RoutingIndex, cg: ClassGraph, iri: str, max_hops: int, *, reverse: bool) -> list[str]:
    """What :func:`nearest` answers, searched hop by hop (edges weigh 0 or 1), stopping at the first hop that
    completes the list, rather than searching everything *iri* reaches on a large occupation.

    The search walks the class graph with three kinds of node: a hub, a whole class (reached from a hub: every
    member is), and a single certificate type (the start, or reached by a dominance hop, which stays inside
    one issuer)."""
    step = _backward if reverse else _forward
    seen: set[Node] = {iri}
    listed: set[str] = {iri}
    layer: list[Node] = [iri]
    found: list[str] = []
    for _ in range(max_hops + 1):
        stack = list(layer)
        while stack:  # everything the layer reaches by 0-hop edges (out of a hub) belongs to it
            for node, hops in step(index, cg, stack.pop()):
                if hops == 0 and node not in seen:
                    seen.add(node)
                    layer.append(node)
                    stack.append(node)
        new = _first_unlisted([_certificates(cg, node) for node in layer], listed, EXPLAIN_LIMIT - len(found))
        found += new
        if len(found) >= EXPLAIN_LIMIT:
            break
        listed.update(new)
        following: list[Node] = []
        for node in layer:
            for after, hops in step(index, cg, node):
                if hops == 1 and after not in seen:
                    seen.add(after)
                    following.append(after)
        layer = following
    return found[:EXPLAIN_LIMIT]


def _first_unlisted(sources: list[list[str] | tuple[str, ...]], listed: set[str], wanted: int) -> list[str]:
    """The first *wanted* certificate types (in IRI order) of *sources*, each in IRI order, that are not *listed*;
    all of them when there are fewer. A layer that fills the list is merged only as far as needed, rather than
    gathered and sorted whole: a class of a large occupation has thousands of members."""
    if sum(map(len, sources)) <= _MERGE_ABOVE:  # a few: gathering and sorting them is cheaper than merging
        return sorted(set().union(*sources) - listed)[:wanted]
    taken: list[str] = []
    for iri in heapq.merge(*sources):
        if iri not in listed and (not taken or taken[-1] != iri):
            taken.append(iri)
            if len(taken) == wanted:
                break
    return taken


def _certificates(cg: ClassGraph, node: Node) -> list[str] | tuple[str, ...]:
    if isinstance(node, str):
        return [node]  # a certificate type or a credential
    return cg.members[node.number] if isinstance(node, ClassNode) and node.role == "class" else []


def _forward(index: RoutingIndex, cg: ClassGraph, node: Node) -> Iterator[tuple[Node, int]]:
    if isinstance(node, str):
        if node in cg.class_of:  # a certificate type: its class's hubs, and its own issuer's lower types
            yield from ((hub, 1) for hub in cg.out[cg.class_of[node]])
            yield from ((low, 1) for low in cg.lower(node, index.certificates[node].issuer))
    elif isinstance(node, ClassNode):
        if node.role == "class":
            number = node.number
            yield from ((hub, 1) for hub in cg.out[number])
            for lower in cg.successors[node]:
                if isinstance(lower, ClassNode) and lower.role == "lower":  # members of the issuers both share
                    yield from ((low, 1) for low in _shared_issuers(cg, number, lower.number, pick=lower.number))
    else:  # a hub: every class it leads to
        yield from ((after, 0) for after in cg.successors[node])


def _backward(index: RoutingIndex, cg: ClassGraph, node: Node) -> Iterator[tuple[Node, int]]:
    if isinstance(node, str):
        if node in cg.class_of:  # a certificate type: its class's hubs, and its own issuer's higher types
            yield from ((hub, 0) for hub in cg.into[cg.class_of[node]])
            yield from ((high, 1) for high in cg.higher(node, index.certificates[node].issuer))
        else:  # a credential: the classes with a bridge to it
            yield from ((ClassNode("class", _number(before)), 1) for before in cg.predecessors[node])
    elif isinstance(node, ClassNode):
        if node.role == "class":
            number = node.number
            yield from ((hub, 0) for hub in cg.into[number])
            lower = ClassNode("lower", number)
            for higher in cg.predecessors.get(lower, ()):
                yield from ((high, 1) for high in _shared_issuers(cg, _number(higher), number, pick=_number(higher)))
    else:  # a hub: every class that leads to it (in either role, the members are the same)
        yield from ((ClassNode("class", _number(before)), 1) for before in cg.predecessors[node])


def _number(node: Node) -> int:
    """The number of a class node (what leads into a hub, a credential or a lower class is always one)."""
    assert isinstance(node, ClassNode)
    return node.number


def _shared_issuers(cg: ClassGraph, high: int, low: int, *, pick: int) -> Iterator[str]:
    """The members of class *pick* whose issuer has members in both classes *high* and *low* (a dominance
    hop between the two classes exists exactly for those issuers)."""
    for issuer in cg.by_issuer[high].keys() & cg.by_issuer[low].keys():
        yield from cg.by_issuer[pick][issuer]
