"""Route search: the k best routes from certificate type A to B ("A accepted where B is required").

Every hop kind except the cross-system bridge keeps the occupation, so a query only needs the class graph of
one occupation on one day (``graphs``): hubs for qualifications and agreements, and interchangeable certificate
types contracted into classes. The routes are searched there (``paths``) and expanded back to certificate
types; each hop then gets its evidence, and each certificate type its issuer's quality facts. When there is no
route, ``explain`` says why.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from ..choices import HOP_KINDS, Direction, HopKind
from ..errors import InvalidOption
from ..iris import MUTUAL_AGREEMENT_RULE, ONE_WAY_AGREEMENT_RULE, SAME_QUALIFICATION_RULE
from .explain import explain
from .graphs import Dominance, Edge, GraphOptions, blocked_reason, class_graph, has_class_graph
from .index import index_for
from .model import STRENGTH, Absence, Evidence, Hop, IssuerQuality, NoRoute, Route, RouteAnswer
from .paths import RouteHops, best_routes
from .records import Certificate, RoutingIndex
from .rules import QualityBar, agreement_in_force

#: the rule (a prov:Plan in the inferred graph) by which an agreement of each direction recognises
RULES: dict[str, str] = {Direction.MUTUAL: str(MUTUAL_AGREEMENT_RULE), Direction.ONE_WAY: str(ONE_WAY_AGREEMENT_RULE)}
DIRECTION = "source accepted where target is required"


def find_routes(
    store: RoutingIndex | Path,
    source: str,
    target: str,
    *,
    as_of: date | None = None,
    kinds: Iterable[str] | None = None,
    max_hops: int = 6,
    k: int = 3,
    exclude_sanctioned: bool = True,
    quality: QualityBar | None = None,
    unconditional: bool = False,
) -> RouteAnswer:
    """The *k* best routes by which certificate type *source* is accepted where *target* is required.

    *store* is a routing index or a store location. *target* may also be a title or framework level
    (reached by a cross-system bridge). *unconditional* leaves out agreements that attach conditions (an
    examination still to take ...). Raises KeyError when *source* or *target* is unknown.
    """
    index = store if isinstance(store, RoutingIndex) else index_for(store)
    day = as_of or date.today()
    allowed = tuple(kind for kind in HopKind if kinds is None or kind in set(kinds))
    unknown = set(kinds or ()) - set(HOP_KINDS)
    if unknown:
        raise InvalidOption(f"unknown hop kind(s) {sorted(unknown)}; use {', '.join(HOP_KINDS)}")
    start = index.certificates[source]
    goal = index.endpoint(target)
    goal_cert = index.certificates.get(target)  # None for a credential (a title or level)
    answer = functools.partial(
        RouteAnswer,
        source=index.endpoint(source),
        target=goal,
        as_of=day.isoformat(),
        kinds=allowed,
        max_hops=max_hops,
        k=k,
        unconditional=unconditional,
    )
    blocked = [
        f"{which} {reason}"
        for which, cert in (("source", start), ("target", goal_cert))
        if cert is not None and (reason := blocked_reason(index, cert, day, exclude_sanctioned, quality))
    ]
    if blocked:
        return answer(no_route=NoRoute(reason="; ".join(blocked), kind=Absence.ISSUER_NOT_VALID))
    if goal_cert is not None and goal_cert.occupation != start.occupation:
        labels = index.occupation_labels
        ours, theirs = start.occupation, goal_cert.occupation
        return answer(
            no_route=NoRoute(
                reason=f"different occupations ({ours} {labels.get(ours, '')} and {theirs} {labels.get(theirs, '')}): "
                "recognition routes keep the occupation, and no source maps one occupation onto another",
                kind=Absence.DIFFERENT_OCCUPATIONS,
            ),
        )

    options = _options(
        index,
        start,
        target,
        day=day,
        allowed=allowed,
        exclude_sanctioned=exclude_sanctioned,
        quality=quality,
        unconditional=unconditional,
    )
    cg = class_graph(index, options)
    above = goal_cert is not None and _above(index, goal_cert, start)
    strengths = {STRENGTH[kind] for kind in allowed}
    found: list[RouteHops] = [] if above else best_routes(index, cg, source, target, strengths, max_hops, k)
    if not found:
        return answer(no_route=explain(index, cg, start, target, max_hops, day, above=above))
    routes = tuple(Route(tuple(_hops(index, hops, day))) for hops in found)
    notes = tuple(sorted({note for route in routes for hop in route.hops for note in hop.evidence.notes}))
    return answer(routes=routes, notes=notes)


def graph_at_hand(index: RoutingIndex, source: str, target: str) -> bool:
    """Whether the class graph ``find_routes`` searches for *source* and *target* as of today with every hop kind
    is built already (true too when there is none to search): a server answering such a lookup on its event loop
    lets the lookups waiting there go first when it is not, as the build takes longer than they do (api/rest.py)."""
    start = index.certificates.get(source)
    if start is None:
        return True
    return has_class_graph(index, _options(index, start, target, day=date.today(), allowed=tuple(HopKind)))


def _options(
    index: RoutingIndex,
    start: Certificate,
    target: str,
    *,
    day: date,
    allowed: tuple[HopKind, ...],
    exclude_sanctioned: bool = True,
    quality: QualityBar | None = None,
    unconditional: bool = False,
) -> GraphOptions:
    """The options of the class graph a route from *start* to *target* is searched on (a credential as target
    brings its bridges)."""
    return GraphOptions(
        occupation=start.occupation,
        day=day,
        allowed=allowed,
        exclude_sanctioned=exclude_sanctioned,
        quality=quality,
        credential=None if target in index.certificates else target,
        unconditional=unconditional,
    )


def _above(index: RoutingIndex, goal: Certificate, start: Certificate) -> bool:
    """True when *goal*'s grade is above *start*'s or on another ladder: no hop raises a grade (recognition and
    same qualification keep it, dominance lowers it on one ladder), so no route can lead there."""
    high, low = index.grades[goal.grade], index.grades[start.grade]
    return high.ladder != low.ladder or high.rank > low.rank


def _hops(index: RoutingIndex, hops: RouteHops, day: date) -> Iterable[Hop]:
    for source, target, edge in hops:
        yield Hop(
            source=index.endpoint(source),
            target=index.endpoint(target),
            kind=edge.kind,
            direction=DIRECTION,
            evidence=_evidence(index, edge, day),
            derivation="asserted" if edge.kind is HopKind.CROSS_SYSTEM_BRIDGE else "inferred",
            quality=tuple(_quality(index, node) for node in (source, target) if node in index.certificates),
        )


def _evidence(index: RoutingIndex, edge: Edge, day: date) -> Evidence:
    if isinstance(edge.evidence, Dominance):  # grade dominance
        high, low = index.grades[edge.evidence.high], index.grades[edge.evidence.low]
        return Evidence(
            iri=high.iri,
            kind="grade-order",
            label_zh=f"{high.label_zh} 高于 {low.label_zh}",
            label_en=f"{high.label_en} above {low.label_en}",
            sources=high.sources,
            notes=("the higher grade of the same issuer and occupation covers the lower one",),
        )
    if edge.kind is HopKind.FORMAL_RECOGNITION:
        agreement = index.agreements[edge.evidence]
        notes: tuple[str, ...] = (f"{agreement.iri.rsplit('/', 1)[-1]}: {agreement_in_force(agreement, day)[1]}",)
        if agreement.valid_from is None and agreement.date is not None:
            notes += (f"validity not stated; the document's date ({agreement.date}) is used as its start",)
        return Evidence(
            iri=agreement.iri,
            kind="recognition-agreement",
            label_zh=agreement.label_zh,
            label_en=agreement.label_en,
            sources=agreement.sources,
            document_number=agreement.document_number,
            valid_from=str(agreement.valid_from) if agreement.valid_from else None,
            valid_to=str(agreement.valid_to) if agreement.valid_to else None,
            status=agreement.status,
            mechanism=agreement.mechanism,
            direction=agreement.direction,
            rule=RULES.get(agreement.direction),
            illustrative=agreement.illustrative,
            notes=notes,
            synthetic=agreement.synthetic,
            conditions=agreement.conditions,
        )
    if edge.kind is HopKind.SAME_QUALIFICATION:
        q = index.qualifications[edge.evidence]
        return Evidence(
            iri=q.iri,
            kind="qualification",
            label_zh=q.label_zh,
            label_en=q.label_en,
            sources=q.sources,
            document_number=q.document_number,
            rule=str(SAME_QUALIFICATION_RULE),
            notes=(f"same national standard: {q.standard_label} ({q.edition or 'edition unknown'})",),
        )
    bridge = next(b for bridges in index.bridges.values() for b in bridges if b.iri == edge.evidence)
    held = f"held for at least {bridge.years} years" if bridge.years else None
    return Evidence(
        iri=bridge.iri,
        kind="cross-system-bridge",
        label_zh=bridge.relation,
        label_en=bridge.relation,
        sources=bridge.sources,
        document_number=bridge.document_number,
        notes=tuple(note for note in (bridge.condition, held) if note),
    )


def _quality(index: RoutingIndex, cert_iri: str) -> IssuerQuality:
    issuer = index.issuers[index.certificates[cert_iri].issuer]
    ordered = sorted(issuer.checks, key=lambda c: str(c.when), reverse=True)
    checks = tuple((str(check.when), check.result) for check in ordered)
    sanctions = tuple((str(s.when), s.reason, s.status) for s in issuer.sanctions)
    return IssuerQuality(
        issuer=issuer.iri,
        label_zh=issuer.label_zh,
        label_en=issuer.label_en,
        kind=issuer.kind,
        region=issuer.region,
        question_bank=issuer.question_bank,
        checks=checks,
        sanctions=sanctions,
        illustrative=issuer.illustrative,
        synthetic=issuer.synthetic,
        last_confirmed=str(issuer.last_confirmed) if issuer.last_confirmed else None,
    )
