"""Route search: the k best routes from certificate type A to B ("A accepted where B is required").

Every hop kind except the cross-system bridge keeps the occupation, so a query only needs the class graph of
one occupation on one day (``graphs``): hubs for qualifications and agreements, and interchangeable certificate
types contracted into classes. The routes are searched there (``paths``) and expanded back to certificate
types; each hop then gets its evidence, and each certificate type its issuer's quality facts. When there is no
route, ``explain`` says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from certbridge.ontology import ID

from ..errors import InvalidOption
from .explain import explain
from .graphs import GraphOptions, blocked_reason, class_graph
from .index import index_for
from .model import HOP_KINDS, STRENGTH, Evidence, Hop, IssuerQuality, NoRoute, Route, RouteAnswer
from .paths import RouteHops, best_routes
from .records import Certificate, RoutingIndex
from .rules import QualityBar, agreement_in_force

RULES = {"mutual": str(ID["rule/mutual-agreement"]), "one-way": str(ID["rule/one-way-agreement"])}
SAME_QUALIFICATION_RULE = str(ID["rule/same-qualification"])
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
    allowed = tuple(kind for kind in HOP_KINDS if kinds is None or kind in set(kinds))
    unknown = set(kinds or ()) - set(HOP_KINDS)
    if unknown:
        raise InvalidOption(f"unknown hop kind(s) {sorted(unknown)}; use {', '.join(HOP_KINDS)}")
    start = index.certificates[source]
    goal = index.endpoint(target)
    goal_cert = index.certificates.get(target)  # None for a credential (a title or level)
    answer = dict(
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
        return RouteAnswer(**answer, no_route=NoRoute("; ".join(blocked)))
    if goal_cert is not None and goal_cert.occupation != start.occupation:
        other = goal_cert.occupation
        return RouteAnswer(
            **answer,
            no_route=NoRoute(
                f"different occupations ({start.occupation} {index.occupation_labels.get(start.occupation, '')} and "
                f"{other} {index.occupation_labels.get(other, '')}): recognition routes keep the occupation, and no "
                "source maps one occupation onto another"
            ),
        )

    credential = target if goal.node_type == "credential" else None
    options = GraphOptions(start.occupation, day, allowed, exclude_sanctioned, quality, credential, unconditional)
    cg = class_graph(index, options)
    above = goal_cert is not None and _above(index, goal_cert, start)
    strengths = {STRENGTH[kind] for kind in allowed}
    found = [] if above else best_routes(index, cg, source, target, strengths, max_hops, k)
    if not found:
        return RouteAnswer(**answer, no_route=explain(index, cg, start, target, max_hops, day, above=above))
    routes = tuple(Route(tuple(_hops(index, hops, day))) for hops in found)
    notes = tuple(sorted({note for route in routes for hop in route.hops for note in hop.evidence.notes}))
    return RouteAnswer(**answer, routes=routes, notes=notes)


def _above(index: RoutingIndex, goal: Certificate, start: Certificate) -> bool:
    """True when *goal*'s grade is above *start*'s or on another ladder: no hop raises a grade (recognition and
    same qualification keep it, dominance lowers it on one ladder), so no route can lead there."""
    high, low = index.grades[goal.grade], index.grades[start.grade]
    return high.ladder != low.ladder or high.rank > low.rank


def _hops(index: RoutingIndex, hops: RouteHops, day: date) -> Iterable[Hop]:
    for source, target, edge in hops:
        yield Hop(
            index.endpoint(source),
            index.endpoint(target),
            edge["kind"],
            DIRECTION,
            _evidence(index, edge, day),
            "asserted" if edge["kind"] == "cross-system-bridge" else "inferred",
            tuple(_quality(index, node) for node in (source, target) if node in index.certificates),
        )


def _evidence(index: RoutingIndex, edge: dict, day: date) -> Evidence:
    kind = edge["kind"]
    if kind == "formal-recognition":
        agreement = index.agreements[edge["evidence"]]
        notes = (f"{agreement.iri.rsplit('/', 1)[-1]}: {agreement_in_force(agreement, day)[1]}",)
        if agreement.valid_from is None and agreement.date is not None:
            notes += (f"validity not stated; the document's date ({agreement.date}) is used as its start",)
        return Evidence(
            agreement.iri,
            "recognition-agreement",
            agreement.label_zh,
            agreement.label_en,
            agreement.sources,
            agreement.document_number,
            str(agreement.valid_from) if agreement.valid_from else None,
            str(agreement.valid_to) if agreement.valid_to else None,
            agreement.status,
            agreement.mechanism,
            agreement.direction,
            RULES.get(agreement.direction),
            agreement.illustrative,
            notes,
            synthetic=agreement.synthetic,
            conditions=agreement.conditions,
        )
    if kind == "same-qualification":
        q = index.qualifications[edge["evidence"]]
        return Evidence(
            q.iri,
            "qualification",
            q.label_zh,
            q.label_en,
            q.sources,
            q.document_number,
            rule=SAME_QUALIFICATION_RULE,
            notes=(f"same national standard: {q.standard_label} ({q.edition or 'edition unknown'})",),
        )
    if kind == "grade-dominance":
        high, low = (index.grades[g] for g in edge["evidence"])
        return Evidence(
            high.iri,
            "grade-order",
            f"{high.label_zh} 高于 {low.label_zh}",
            f"{high.label_en} above {low.label_en}",
            high.sources,
            notes=("the higher grade of the same issuer and occupation covers the lower one",),
        )
    bridge = next(b for bridges in index.bridges.values() for b in bridges if b.iri == edge["evidence"])
    notes = tuple(filter(None, (bridge.condition, f"held for at least {bridge.years} years" if bridge.years else None)))
    return Evidence(
        bridge.iri,
        "cross-system-bridge",
        bridge.relation,
        bridge.relation,
        bridge.sources,
        bridge.document_number,
        notes=notes,
    )


def _quality(index: RoutingIndex, cert_iri: str) -> IssuerQuality:
    issuer = index.issuers[index.certificates[cert_iri].issuer]
    checks = tuple((str(when), result) for when, result in sorted(issuer.checks, key=lambda c: str(c[0]), reverse=True))
    sanctions = tuple((str(when), reason, status) for when, reason, status in issuer.sanctions)
    return IssuerQuality(
        issuer.iri,
        issuer.label_zh,
        issuer.label_en,
        issuer.kind,
        issuer.region,
        issuer.question_bank,
        checks,
        sanctions,
        issuer.illustrative,
        issuer.synthetic,
        str(issuer.last_confirmed) if issuer.last_confirmed else None,
    )
