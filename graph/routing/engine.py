"""Route search: the k best routes from certificate type A to B ("A accepted where B is required").

Every hop kind except the cross-system bridge keeps the occupation, so a query only ever needs the
certificate types of one occupation. For that occupation a small directed graph is built (and cached):

* same qualification: ``A -> Q -> B`` through one hub node per qualification (O(K) edges for K types);
* formal recognition: ``A -> H(agreement, grade, side) -> B`` where A is on a recognised side and B on a
  recognising side of an agreement in force, with occupation, grade and issuer kind in scope;
* grade dominance: ``A -> B`` when one issuer certifies the occupation at a higher grade (one way);
* cross-system bridge: ``A -> T`` to a title or level when a sourced bridge leads from A's grade to T.

Edges into a hub weigh one hop and edges out of it none, so path weight = hop count. Routes are ranked
by their weakest hop (formal > same qualification > dominance > bridge), then by hop count: for each
strength level, Yen's k-shortest simple paths run on the edges at least that strong that lie on a path of
at most the hops needed (``_level_paths``), a small graph even on a large occupation.

Graphs are cached per (occupation, day, options) within a bound in edges; ``warm`` builds the large
occupations' graphs ahead (the server does so for today when it loads the index).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

import networkx as nx

from certbridge.ontology import ID

from .index import Certificate, RoutingIndex, index_for
from .model import (
    HOP_KINDS,
    STRENGTH,
    Endpoint,
    Evidence,
    Hop,
    IssuerQuality,
    NoRoute,
    Route,
    RouteAnswer,
)
from .rules import QualityBar, agreement_in_force, issuer_standing, meets_bar

RULES = {"mutual": str(ID["rule/mutual-agreement"]), "one-way": str(ID["rule/one-way-agreement"])}
SAME_QUALIFICATION_RULE = str(ID["rule/same-qualification"])
DIRECTION = "source accepted where target is required"
EXPLAIN_LIMIT = 10
GRAPH_CACHE_SIZE = 2048
#: the cached routing graphs together hold at most this many edges (about 400 bytes each; the largest
#: occupation at national scale has ~180,000, and all 1,639 together ~3 million)
GRAPH_CACHE_EDGES = 2_500_000
#: occupations with at least this many certificate types have their graph built ahead by ``warm`` (a cold
#: build costs about 20 ms per 1,000 certificate types, a warm query a few ms)
WARM_MIN_CERTIFICATES = 1000
_CACHE_LOCK = threading.Lock()


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
) -> RouteAnswer:
    """The *k* best routes by which certificate type *source* is accepted where *target* is required.

    *store* is a routing index or a store location. *target* may also be a title or framework level
    (reached by a cross-system bridge). Raises KeyError when *source* or *target* is unknown.
    """
    index = store if isinstance(store, RoutingIndex) else index_for(store)
    day = as_of or date.today()
    allowed = tuple(kind for kind in HOP_KINDS if kinds is None or kind in set(kinds))
    unknown = set(kinds or ()) - set(HOP_KINDS)
    if unknown:
        raise ValueError(f"unknown hop kind(s) {sorted(unknown)}; use {', '.join(HOP_KINDS)}")
    start = index.certificates[source]
    goal = _endpoint(index, target)
    goal_cert = index.certificates.get(target)  # None for a credential (a title or level)
    answer = dict(
        source=_endpoint(index, source), target=goal, as_of=day.isoformat(), kinds=allowed, max_hops=max_hops, k=k
    )
    blocked = [
        f"{which} {reason}"
        for which, cert in (("source", start), ("target", goal_cert))
        if cert is not None and (reason := _blocked(index, cert, day, exclude_sanctioned, quality))
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
    graph = occupation_graph(
        index, GraphOptions(start.occupation, day, allowed, exclude_sanctioned, quality, credential)
    )
    above = goal_cert is not None and _above(index, goal_cert, start)
    paths = [] if above else _best_paths(graph, source, target, allowed, max_hops, k)
    if not paths:
        return RouteAnswer(**answer, no_route=_explain(index, graph, start, target, max_hops, day, above=above))
    routes = tuple(Route(tuple(_hops(index, graph, path, day))) for path in paths)
    notes = tuple(sorted({note for route in routes for hop in route.hops for note in hop.evidence.notes}))
    return RouteAnswer(**answer, routes=routes, notes=notes)


def _blocked(
    index: RoutingIndex, cert: Certificate, day: date, exclude_sanctioned: bool, quality: QualityBar | None
) -> str | None:
    issuer = index.issuers[cert.issuer]
    standing = issuer_standing(issuer, day)
    if standing and exclude_sanctioned:
        return f"is issued by {issuer.label_zh or issuer.iri}, which may not issue valid certificates: {standing}"
    lacking = meets_bar(issuer, quality, day)
    return f"is issued by {issuer.label_zh or issuer.iri}, below the quality bar: {lacking}" if lacking else None


def _endpoint(index: RoutingIndex, iri: str) -> Endpoint:
    if iri in index.certificates:
        cert = index.certificates[iri]
        return Endpoint(iri, cert.label_zh, cert.label_en, "certificate-type", cert.illustrative, cert.synthetic)
    if iri in index.credentials:
        return Endpoint(iri, *index.credentials[iri], "credential")
    raise KeyError(iri)


def _grade_in_scope(index: RoutingIndex, agreement, grade_iri: str) -> bool:
    """Whether *grade_iri* lies within the agreement's grade range (bounds on another ladder exclude it)."""
    grade = index.grades[grade_iri]
    for bound, accept in (
        (agreement.min_grade, lambda b: grade.rank >= b.rank),
        (agreement.max_grade, lambda b: grade.rank <= b.rank),
    ):
        if bound is not None and (index.grades[bound].ladder != grade.ladder or not accept(index.grades[bound])):
            return False
    return True


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """Everything a per-occupation routing graph depends on (and the key of its cache)."""

    occupation: str
    day: date
    allowed: tuple[str, ...]
    exclude_sanctioned: bool = True
    quality: QualityBar | None = None
    credential: str | None = None


def occupation_graph(index: RoutingIndex, options: GraphOptions) -> nx.DiGraph:
    """The routing graph for *options*, from the index's LRU cache (bounded in graphs and in edges).

    The server answers routes from several threads: the cache is only read and changed under a lock (a graph
    is built outside it, so two threads may build the same one; the second simply replaces the first).
    """
    with _CACHE_LOCK:
        if options in index.graphs:
            index.graphs.move_to_end(options)
            return index.graphs[options]
    graph = _build_graph(index, options)
    graph.graph["edges"] = graph.number_of_edges()  # counted once: number_of_edges() walks every node
    graph.graph["strengths"] = {STRENGTH[kind] for _, _, kind in graph.edges(data="kind")}
    _weak_components(graph)  # part of the build (and of warming), not of the first query
    with _CACHE_LOCK:
        index.graphs[options] = graph
        held = sum(g.graph["edges"] for g in index.graphs.values())
        while len(index.graphs) > 1 and (len(index.graphs) > GRAPH_CACHE_SIZE or held > GRAPH_CACHE_EDGES):
            held -= index.graphs.popitem(last=False)[1].graph["edges"]
    return graph


def warm(index: RoutingIndex, day: date, *, min_certificates: int = WARM_MIN_CERTIFICATES) -> int:
    """Build the default routing graphs (every hop kind, sanctioned issuers excluded, no quality bar) of the
    occupations with at least *min_certificates* certificate types, largest first, within half the cache's edge
    bound, so that no route query on *day* waits for one. Returns how many were built."""
    occupations = sorted(
        (code for code, certs in index.by_occupation.items() if len(certs) >= min_certificates),
        key=lambda code: -len(index.by_occupation[code]),
    )
    held = 0
    for built, occupation in enumerate(occupations):
        if held > GRAPH_CACHE_EDGES // 2:
            return built
        held += occupation_graph(index, GraphOptions(occupation, day, HOP_KINDS)).graph["edges"]
    return len(occupations)


def _above(index: RoutingIndex, goal: Certificate, start: Certificate) -> bool:
    """True when *goal*'s grade is above *start*'s or on another ladder: no hop raises a grade (recognition and
    same qualification keep it, dominance lowers it on one ladder), so no route can lead there."""
    high, low = index.grades[goal.grade], index.grades[start.grade]
    return high.ladder != low.ladder or high.rank > low.rank


def _add_formal_edges(
    index: RoutingIndex, graph: nx.DiGraph, certs: list[Certificate], occupation: str, day: date
) -> None:
    """``A -> H(agreement, grade, recognised side) -> B`` for every agreement in force covering the occupation.

    Certificates are looked up by party (issuer and region), so an agreement costs only the certificate
    types of its parties, not of the whole occupation.
    """
    by_party: dict[str, list[Certificate]] = {}
    for cert in certs:
        issuer = index.issuers[cert.issuer]
        for party in (issuer.iri, issuer.region):
            if party:
                by_party.setdefault(party, []).append(cert)
    grades = {cert.grade for cert in certs}
    for agreement in index.agreements.values():
        if not agreement.covers_occupation(occupation):
            continue
        if not agreement_in_force(agreement, day)[0]:
            continue
        # the occupation is in scope here, so the grade decides: once per grade, not per certificate type
        in_scope = {grade for grade in grades if _grade_in_scope(index, agreement, grade)}
        if agreement.direction == "one-way":
            sides = [(agreement.recognised, agreement.recognising)]
        elif agreement.direction == "mutual":
            sides = [(frozenset({party}), agreement.parties - {party}) for party in agreement.parties]
        else:
            continue
        for recognised, recognising in sides:
            sources = {c.iri: c for party in recognised for c in by_party.get(party, ())}
            for cert in sources.values():
                kind_ok = not agreement.issuer_kinds or index.issuers[cert.issuer].kind in agreement.issuer_kinds
                if kind_ok and cert.grade in in_scope:
                    hub = ("agreement", agreement.iri, cert.grade, tuple(sorted(recognised)))
                    graph.add_edge(cert.iri, hub, kind="formal-recognition", hop=1, evidence=agreement.iri)
            targets = {c.iri: c for party in recognising for c in by_party.get(party, ())}
            for iri, cert in targets.items():
                hub = ("agreement", agreement.iri, cert.grade, tuple(sorted(recognised)))
                if iri not in sources and hub in graph and cert.grade in in_scope:
                    graph.add_edge(hub, iri, kind="formal-recognition", hop=0, evidence=agreement.iri)


def _build_graph(index: RoutingIndex, options: GraphOptions) -> nx.DiGraph:
    """The routing graph of one occupation on one day: valid certificate types, hubs, and allowed edges."""
    occupation, day, allowed = options.occupation, options.day, options.allowed
    exclude_sanctioned, quality, credential = options.exclude_sanctioned, options.quality, options.credential
    graph = nx.DiGraph()
    blocked: dict[str, bool] = {}  # per issuer: its standing and quality are the same for all its certificates
    certs = []
    for iri in index.by_occupation.get(occupation, ()):
        cert = index.certificates[iri]
        if cert.issuer not in blocked:
            blocked[cert.issuer] = _blocked(index, cert, day, exclude_sanctioned, quality) is not None
        if not blocked[cert.issuer]:
            certs.append(cert)
    for cert in certs:
        graph.add_node(cert.iri, hub=False)
    if "same-qualification" in allowed:
        for cert in certs:
            if cert.qualification:
                hub = ("qualification", cert.qualification)
                graph.add_edge(cert.iri, hub, kind="same-qualification", hop=1, evidence=cert.qualification)
                graph.add_edge(hub, cert.iri, kind="same-qualification", hop=0, evidence=cert.qualification)
    if "formal-recognition" in allowed:
        _add_formal_edges(index, graph, certs, occupation, day)
    if "grade-dominance" in allowed:
        by_issuer: dict[str, list[Certificate]] = {}
        for cert in certs:
            by_issuer.setdefault(cert.issuer, []).append(cert)
        for same_issuer in by_issuer.values():
            for higher in same_issuer:
                for lower in same_issuer:
                    g_high, g_low = index.grades[higher.grade], index.grades[lower.grade]
                    if g_high.ladder == g_low.ladder and g_high.rank > g_low.rank:
                        graph.add_edge(
                            higher.iri, lower.iri, kind="grade-dominance", hop=1, evidence=(higher.grade, lower.grade)
                        )
    if credential and "cross-system-bridge" in allowed:
        for cert in certs:
            for bridge in index.bridges.get(cert.grade, ()):
                if bridge.credential == credential:
                    graph.add_edge(cert.iri, credential, kind="cross-system-bridge", hop=1, evidence=bridge.iri)
    return graph


def _best_paths(
    graph: nx.DiGraph, source: str, target: str, allowed: tuple[str, ...], max_hops: int, k: int
) -> list[list]:
    if source not in graph or target not in graph or source == target:
        return []
    components = _weak_components(graph)
    if components[source] != components[target]:
        return []  # not even connected ignoring direction: no level can have a path
    if not nx.has_path(graph, source, target):
        return []  # no path with all the edges: no level can have one
    found: list[list] = []
    # only the strengths some edge has: a level without edges of its own would find nothing new
    for level in sorted(graph.graph["strengths"] & {STRENGTH[kind] for kind in allowed}, reverse=True):
        found += _level_paths(graph, source, target, level, max_hops, k - len(found), stronger=len(found))
        if len(found) == k:
            break
    return found


def _level_paths(
    graph: nx.DiGraph, source: str, target: str, level: int, max_hops: int, wanted: int, stronger: int
) -> list[list]:
    """Up to *wanted* paths whose weakest edge is exactly *level* strong, fewest hops first.

    Yen's search runs on the edges at least *level* strong that lie on a path of at most *bound* hops (two
    Dijkstra searches cut off at *bound*), which holds every such path; *bound* starts at the shortest path's
    length and grows to *max_hops* only while paths are missing, so a query on a large occupation searches a
    small graph. The paths stronger than *level* were returned by the stronger levels: at most *stronger*
    of them are skipped.
    """

    def at_least(u: object, v: object, data: dict) -> int | None:
        return data["hop"] if STRENGTH[data["kind"]] >= level else None

    # when every edge is strong enough, the plain attribute (networkx's fast path) instead of a function
    weight = "hop" if level <= min(graph.graph["strengths"]) else at_least
    try:
        shortest = nx.bidirectional_dijkstra(graph, source, target, weight=weight)[0]
    except nx.NetworkXNoPath:
        return []
    taken: list[list] = []
    seen: set[tuple] = set()
    for bound in range(shortest, max_hops + 1):
        ahead = nx.single_source_dijkstra_path_length(graph, source, cutoff=bound, weight=weight)
        behind = nx.single_source_dijkstra_path_length(graph.reverse(copy=False), target, cutoff=bound, weight=weight)
        near = nx.DiGraph(
            (u, v, data)
            for u, before in ahead.items()
            if u in behind and before + behind[u] <= bound
            for v, data in graph[u].items()
            if v in behind and at_least(u, v, data) is not None and before + data["hop"] + behind[v] <= bound
        )
        for path in nx.shortest_simple_paths(near, source, target, weight="hop"):
            if sum(graph[u][v]["hop"] for u, v in pairwise(path)) > bound:
                break
            if tuple(path) in seen:
                continue
            seen.add(tuple(path))
            if min(STRENGTH[graph[u][v]["kind"]] for u, v in pairwise(path)) == level:
                taken.append(path)
                if len(taken) == wanted:
                    return taken
            else:
                stronger -= 1
                if stronger < 0:
                    return taken
    return taken


def _weak_components(graph: nx.DiGraph) -> dict:
    """Node -> weakly connected component number, computed once per routing graph."""
    if "components" not in graph.graph:
        graph.graph["components"] = {
            node: number for number, nodes in enumerate(nx.weakly_connected_components(graph)) for node in nodes
        }
    return graph.graph["components"]


def _hops(index: RoutingIndex, graph: nx.DiGraph, path: list, day: date) -> Iterable[Hop]:
    real = [i for i, node in enumerate(path) if not isinstance(node, tuple)]
    for a, b in pairwise(real):
        edge = graph[path[a]][path[a + 1]]
        yield Hop(
            _endpoint(index, path[a]),
            _endpoint(index, path[b]),
            edge["kind"],
            DIRECTION,
            _evidence(index, edge, day),
            "asserted" if edge["kind"] == "cross-system-bridge" else "inferred",
            tuple(_quality(index, node) for node in (path[a], path[b]) if node in index.certificates),
        )


def _evidence(index: RoutingIndex, edge: dict, day: date) -> Evidence:
    kind = edge["kind"]
    if kind == "formal-recognition":
        agreement = index.agreements[edge["evidence"]]
        start = agreement.valid_from or agreement.date
        notes = (f"{agreement.iri.rsplit('/', 1)[-1]}: {agreement_in_force(agreement, day)[1]}",)
        return Evidence(
            agreement.iri,
            "recognition-agreement",
            agreement.label_zh,
            agreement.label_en,
            agreement.sources,
            agreement.document_number,
            str(start) if start else None,
            str(agreement.valid_to) if agreement.valid_to else None,
            agreement.status,
            agreement.mechanism,
            agreement.direction,
            RULES.get(agreement.direction),
            agreement.illustrative,
            notes,
            synthetic=agreement.synthetic,
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
    )


def _explain(
    index: RoutingIndex, graph: nx.DiGraph, start: Certificate, target: str, max_hops: int, day: date, *, above: bool
) -> NoRoute:
    """Why there is no route: what each side reaches (nearest first), and the agreement that would connect them,
    unless the target's grade is *above* the certificate's (see ``_above``), which no agreement changes."""
    reaches = _within(graph, start.iri, max_hops, reverse=False) if start.iri in graph else []
    reached_from = _within(graph, target, max_hops, reverse=True) if target in graph else []
    listed = (
        tuple(_endpoint(index, node) for node in reaches),
        tuple(_endpoint(index, node) for node in reached_from),
    )
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
            f"{why}: no hop raises a grade (recognition keeps it, dominance only lowers it), so no route or "
            "agreement connects them; a certificate of at least the required grade is needed",
            *listed,
        )
    missing = None
    if goal is not None:
        occupation = f"{start.occupation} {index.occupation_labels.get(start.occupation, '')}".strip()
        missing = (
            f"an agreement in force on {day} by which {_party_name(index, goal)} (recognising) accepts "
            f"certificates of {_party_name(index, start)} (recognised) for {occupation} "
            f"at {grade.label_zh} / {grade.label_en}"
        )
    return NoRoute(f"no route of at most {max_hops} hops on {day} with the allowed hop kinds", *listed, missing)


def _party_name(index: RoutingIndex, cert: Certificate) -> str:
    """The region of the certificate's issuer (agreements are mostly regional), else the issuer itself."""
    issuer = index.issuers[cert.issuer]
    if issuer.region:
        zh, en = index.region_labels.get(issuer.region, (None, None))
        return f"{zh} / {en}" if zh else issuer.region
    return issuer.label_zh or issuer.iri


def _within(graph: nx.DiGraph, node: str, max_hops: int, *, reverse: bool) -> list[str]:
    """Up to EXPLAIN_LIMIT certificate types (or credentials) nearest to *node*, fewest hops then IRI, within
    *max_hops*: hop by hop (edges weigh 0 or 1), stopping at the first hop that completes the list, rather than
    searching everything *node* reaches on a large occupation."""
    step = graph.predecessors if reverse else graph.successors

    def weight(u: object, v: object) -> int:
        return (graph[v][u] if reverse else graph[u][v])["hop"]

    seen, layer, nearest = {node}, [node], []
    for _ in range(max_hops + 1):
        stack = list(layer)
        while stack:  # everything the layer reaches by 0-hop edges (out of a hub) belongs to it
            u = stack.pop()
            for v in step(u):
                if v not in seen and weight(u, v) == 0:
                    seen.add(v)
                    layer.append(v)
                    stack.append(v)
        nearest += sorted(n for n in layer if not isinstance(n, tuple) and n != node)
        if len(nearest) >= EXPLAIN_LIMIT:
            break
        following = []
        for u in layer:
            for v in step(u):
                if v not in seen and weight(u, v) == 1:
                    seen.add(v)
                    following.append(v)
        layer = following
    return nearest[:EXPLAIN_LIMIT]
