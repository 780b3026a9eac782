"""The routing graphs of one occupation on one day, built from the routing index and cached.

Every hop kind except the cross-system bridge keeps the occupation, so a question only needs the certificate
types of one occupation. Both graphs below are built from the same incidences (``Incidence``):

* the certificate graph (coverage counts pairs on it): a node per certificate type; one hub node per
  qualification (``A -> Q -> B``, so K types of one qualification cost O(K) edges) and per (agreement, grade,
  recognised side) (``A -> H -> B``); grade-dominance edges ``A -> B`` inside one issuer; bridge edges to a
  title or level. Edges into a hub weigh one hop and edges out of it none, so path weight = hop count.
* the class graph (routes are searched on it): certificate types with the same grade and the same hubs in
  and out are interchangeable on any route, so each such class is one node. At national scale the largest
  occupation's 35,000 certificate types make about 230 classes beside 280 hubs. See ``ClassGraph``.

Nodes and edges are typed: a hub is a ``QualificationHub`` or an ``AgreementHub``, a class node a ``ClassNode``,
a certificate type or credential its IRI; every edge carries one ``Edge`` record (attribute ``EDGE``).

Graphs are cached on the index per (occupation, day, options) within a bound (``GraphCache``), and apart from
them what they read of each certificate type (``Profiles``), which a change of agreements alone leaves; ``warm``
builds the large occupations' class graphs ahead (the server does so for today when it loads the index).

What a graph reads of each record, for its options, is written here once (``certificate_reads``, ``issuer_reads``,
``agreement_reads``): the build decides by the same rules what it takes in, and a change that leaves these the
same for a graph's options leaves the graph as it was (carry.py keeps it after a change).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any, Literal, NamedTuple, TypeAlias, TypeVar, cast

import networkx as nx

from ..choices import Direction, HopKind
from .model import STRENGTH
from .records import Agreement, Certificate, Issuer, RoutingIndex, still_counts
from .rules import QualityBar, agreement_in_force, issuer_standing, meets_bar

#: the cache holds at most this many graphs ...
GRAPH_CACHE_SIZE = 2048
#: ... holding at most this many edges and certificate types together (a few hundred bytes each). At national
#: scale the largest occupation's certificate graph has ~180,000 edges; the class graphs of all 1,639 occupations
#: together have ~1 million edges and 600,000 member certificate types (about 700 MB)
GRAPH_CACHE_ITEMS = 4_000_000
#: occupations with at least this many certificate types have their class graph built ahead by ``warm``: all of
#: them, because a graph built during a query costs that query about 10 ms and, at national scale, the garbage
#: collector pauses of hundreds of ms that the many new objects bring (see bench/README.md)
WARM_MIN_CERTIFICATES = 1
_CACHE_LOCK = threading.Lock()


class QualificationHub(NamedTuple):
    """The hub of one qualification: ``A -> hub -> B`` for any two certificate types of it."""

    qualification: str


class AgreementHub(NamedTuple):
    """The hub of one agreement at one grade for one recognised side: ``A -> hub -> B`` when A's issuer or region
    is on the recognised side and B's on the recognising side."""

    agreement: str
    grade: str
    #: the recognised side's parties, sorted
    recognised: tuple[str, ...]


Hub: TypeAlias = QualificationHub | AgreementHub


class ClassNode(NamedTuple):
    """A class of interchangeable certificate types in one of its two roles (see ``ClassGraph``)."""

    role: Literal["class", "lower"]
    number: int


#: a node of a routing graph: a hub, a class, or a certificate type or credential (by its IRI)
Node: TypeAlias = Hub | ClassNode | str


class Dominance(NamedTuple):
    """The evidence of a grade-dominance hop: the two grades."""

    high: str
    low: str


class Edge(NamedTuple):
    """What an edge of a routing graph stands for: a hop of *kind*, weighing *hops* (1 into a hub and for a
    dominance hop, 0 out of a hub, so that a path's weight is its hop count), justified by *evidence* (the
    agreement, qualification or bridge IRI, or the two grades)."""

    kind: HopKind
    hops: int
    evidence: str | Dominance

    @property
    def strength(self) -> int:
        return STRENGTH[self.kind]


#: the one attribute of a routing graph's edges: its ``Edge``
EDGE = "edge"


def order(target: Hub | str) -> tuple[int, str] | tuple[int, str, str, tuple[str, ...]]:
    """The order edges are added in, which the order of equally good routes follows: agreement hubs, then
    qualification hubs, then credentials (a bridge's target), each by its fields."""
    if isinstance(target, AgreementHub):
        return (0, *target)
    if isinstance(target, QualificationHub):
        return (1, *target)
    return (2, target)


class RoutingGraph(nx.DiGraph):  # type: ignore[type-arg]
    """A networkx directed graph whose node, edge and degree views are made on each use rather than kept on it.

    Why: networkx keeps each view on the graph the first time it is asked for (``number_of_edges`` asks for the
    degree view), and the view refers back to the graph. A graph in such a reference cycle is freed only by the
    garbage collector, which never frees what a serving process has frozen (api/state.py freezes what it holds so
    that collections skip it): every change that dropped a national store's routing graphs left them all behind,
    about 500 MB each time.
    """

    nodes = property(nx.DiGraph.nodes.func)  # type: ignore[attr-defined]
    edges = property(nx.DiGraph.edges.func)  # type: ignore[attr-defined]
    out_edges = property(nx.DiGraph.out_edges.func)  # type: ignore[attr-defined]
    in_edges = property(nx.DiGraph.in_edges.func)  # type: ignore[attr-defined]
    degree = property(nx.DiGraph.degree.func)  # type: ignore[attr-defined]
    in_degree = property(nx.DiGraph.in_degree.func)  # type: ignore[attr-defined]
    out_degree = property(nx.DiGraph.out_degree.func)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """Everything a per-occupation routing graph depends on (and the key of its cache)."""

    occupation: str
    day: date
    allowed: tuple[HopKind, ...]
    exclude_sanctioned: bool = True
    quality: QualityBar | None = None
    credential: str | None = None
    #: leave out agreements with conditions (what the holder must still do): only unconditional recognition
    unconditional: bool = False


def blocked_reason(
    index: RoutingIndex, cert: Certificate, day: date, exclude_sanctioned: bool, quality: QualityBar | None
) -> str | None:
    """Why *cert* does not count on *day* (retired, or its issuer's standing or quality bar), or None."""
    if not still_counts(cert.retired, day):
        assert cert.retired is not None
        return f"is {cert.retired.describe()}"
    issuer = index.issuers[cert.issuer]
    standing = issuer_standing(issuer, day)
    if standing and exclude_sanctioned:
        return f"is issued by {issuer.label_zh or issuer.iri}, which may not issue valid certificates: {standing}"
    lacking = meets_bar(issuer, quality, day)
    return f"is issued by {issuer.label_zh or issuer.iri}, below the quality bar: {lacking}" if lacking else None


def _blocked(issuer: Issuer, options: GraphOptions) -> bool:
    """Whether *issuer*'s certificate types are left out of the graph for *options* (the issuer's part of
    ``blocked_reason``): it may not issue on the day while sanctioned issuers are excluded, or is below the bar."""
    if options.exclude_sanctioned and issuer_standing(issuer, options.day) is not None:
        return True
    return meets_bar(issuer, options.quality, options.day) is not None


def parties(index: RoutingIndex) -> frozenset[str]:
    """Every party to some agreement, on either side (in force or not): an issuer among them is a ``Profile``'s
    party."""
    return frozenset(p for a in index.agreements.values() for p in a.parties | a.recognising | a.recognised)


def acts_in(agreement: Agreement, options: GraphOptions) -> bool:
    """Whether *agreement* makes hubs in the graph for *options*: formal recognition allowed, the occupation in its
    scope, a direction with sides, no conditions when only unconditional recognition counts, in force on the day."""
    return agreement.covers_occupation(options.occupation) and _acts_on_day(agreement, options)


def _acts_on_day(agreement: Agreement, options: GraphOptions) -> bool:
    """``acts_in`` but for the occupation: the same for the graphs of every occupation."""
    return (
        HopKind.FORMAL_RECOGNITION in options.allowed
        and agreement.direction in (Direction.ONE_WAY, Direction.MUTUAL)
        and not (options.unconditional and agreement.conditions)
        and agreement_in_force(agreement, options.day)[0]
    )


def _acting(index: RoutingIndex, options: GraphOptions) -> tuple[Agreement, ...]:
    """The agreements of *index* that act in the graphs of every occupation they cover for *options* (in the
    index's order), worked out once per day for all of them (``Derived.acting``)."""
    key = (options.day, options.unconditional, HopKind.FORMAL_RECOGNITION in options.allowed)
    acting = index.derived.acting.get(key)
    if acting is None:  # two threads may both work it out: the same
        acting = tuple(agreement for agreement in index.agreements.values() if _acts_on_day(agreement, options))
        index.derived.acting[key] = acting
    return acting


class CertificateReads(NamedTuple):
    """What a routing graph reads of a certificate type it holds (see ``certificate_reads``)."""

    issuer: str
    grade: str
    qualification: str | None  # None when same-qualification hops are not allowed


class IssuerReads(NamedTuple):
    """What a routing graph reads of an issuer (see ``issuer_reads``): whether its certificate types are left
    out, and if not, what its profiles are made of."""

    blocked: bool
    kind: str | None = None
    region: str | None = None
    party: bool = False


class AgreementReads(NamedTuple):
    """What a routing graph reads of an agreement acting in it (see ``agreement_reads``). Its labels, dates,
    status, sources and conditions are not among them: a graph reads only whether it acts (``acts_in``), and an
    answer reads the evidence from the index when it is given."""

    direction: str
    parties: frozenset[str]
    recognising: frozenset[str]
    recognised: frozenset[str]
    min_grade: str | None
    max_grade: str | None
    issuer_kinds: frozenset[str]


#: an issuer whose certificate types a graph leaves out: nothing else of it is read
_BLOCKED = IssuerReads(blocked=True)


def certificate_reads(cert: Certificate | None, options: GraphOptions) -> CertificateReads | None:
    """What the graph for *options* reads of *cert*; None when it is not in that graph (absent, of another
    occupation, or not counting on the day). Its issuer's standing is the issuer's part (``issuer_reads``)."""
    if cert is None or cert.occupation != options.occupation or not still_counts(cert.retired, options.day):
        return None
    same_qualification = HopKind.SAME_QUALIFICATION in options.allowed
    return CertificateReads(cert.issuer, cert.grade, cert.qualification if same_qualification else None)


def issuer_reads(issuer: Issuer | None, options: GraphOptions, *, party: bool) -> IssuerReads | None:
    """What the graph for *options* reads of *issuer* (a party to some agreement when *party*); None when there is
    no such record (a graph of its certificate types cannot be built then)."""
    if issuer is None:
        return None
    if _blocked(issuer, options):
        return _BLOCKED
    return IssuerReads(blocked=False, kind=issuer.kind, region=issuer.region, party=party)


def agreement_reads(agreement: Agreement | None, options: GraphOptions) -> AgreementReads | None:
    """What the graph for *options* reads of *agreement*; None when it does not act in it (``acts_in``)."""
    if agreement is None or not acts_in(agreement, options):
        return None
    return AgreementReads(
        direction=agreement.direction,
        parties=agreement.parties,
        recognising=agreement.recognising,
        recognised=agreement.recognised,
        min_grade=agreement.min_grade,
        max_grade=agreement.max_grade,
        issuer_kinds=agreement.issuer_kinds,
    )


def _grade_in_scope(index: RoutingIndex, agreement: Agreement, grade_iri: str) -> bool:
    """Whether *grade_iri* lies within the agreement's grade range (bounds on another ladder exclude it)."""
    grade = index.grades[grade_iri]
    if agreement.min_grade is not None:
        low = index.grades[agreement.min_grade]
        if low.ladder != grade.ladder or grade.rank < low.rank:
            return False
    if agreement.max_grade is not None:
        high = index.grades[agreement.max_grade]
        if high.ladder != grade.ladder or grade.rank > high.rank:
            return False
    return True


class Profile(NamedTuple):
    """What decides a certificate type's hubs."""

    grade: str
    kind: str  # of the issuer
    region: str | None
    party: str | None  # the issuer itself when it is a party to some agreement
    qualification: str | None  # None when same-qualification hops are not allowed


@dataclass(slots=True)
class Profiles:
    """The certificate types of one occupation that count on a day for some exclusions and quality bar, grouped by
    profile: what a routing graph reads of them one by one, worked out once.

    Why apart from the graph: at national scale this is most of a graph's build (610,894 certificate types over
    1,639 occupations), while agreements act on profiles. A change of agreements only (the broad kind: two
    provinces, every occupation) leaves it as it was (carry.py keeps it), and the graphs it drops are built again
    from it at the cost of their profiles, hubs and edges. Cached per index beside the graphs (``Derived.profiles``)
    under ``profiles_key`` of the graph's options.
    """

    #: the certificate types that count, in the occupation's order (``by_occupation``): IRIs, not records, as
    #: a change of what is not read here (a label) keeps them
    certs: tuple[str, ...]
    #: the profiles, in the order classes are numbered by (their text)
    profiles: list[Profile]
    #: certificate type -> the number of its profile
    number_of: dict[str, int]
    #: profile -> its certificate types, in IRI order
    members: list[tuple[str, ...]]
    #: profile -> issuer -> its members of that issuer
    by_issuer: list[dict[str, tuple[str, ...]]]
    #: issuer -> its certificate types of this occupation, when grade dominance is allowed (else empty)
    issuer_certs: dict[str, tuple[str, ...]]
    #: (higher, lower) profiles some issuer has certificate types of, on one ladder, when grade dominance is allowed
    dominance: frozenset[tuple[int, int]]
    #: certificate types held: what the cache bounds
    size: int


@dataclass(slots=True)
class Incidence:
    """The hubs each profile of valid certificate types of an occupation leads to and is reached from.

    Agreements act on parties, scopes and grades, not on single certificate types, so the hubs are worked out
    once per profile (a few hundred at the largest occupation) rather than once per certificate type.
    """

    grouped: Profiles
    #: profile -> hub (or credential) it leads to -> the edge there (1 hop)
    out: dict[Profile, dict[Hub | str, Edge]]
    #: profile -> hubs that lead to it
    into: dict[Profile, set[Hub]]
    #: hub -> the edges out of it (0 hops)
    hubs: dict[Hub, Edge]


def profiles_key(options: GraphOptions) -> GraphOptions:
    """The options the profiles of a graph for *options* depend on: not its agreements, credential or conditions;
    of the hop kinds, whether qualifications and grade dominance count."""
    read = tuple(kind for kind in (HopKind.SAME_QUALIFICATION, HopKind.GRADE_DOMINANCE) if kind in options.allowed)
    return GraphOptions(options.occupation, options.day, read, options.exclude_sanctioned, options.quality)


def profiles_of(index: RoutingIndex, options: GraphOptions) -> Profiles:
    """The profiles of the graph for *options*, from the index's cache (``Derived.profiles``)."""
    key = profiles_key(options)
    return _cached(index, ("profiles", key), lambda: _group(index, key), index.derived.profiles)


def _group(index: RoutingIndex, options: GraphOptions) -> Profiles:
    occupation, day = options.occupation, options.day
    blocked: dict[str, bool] = {}  # per issuer: its standing and quality are the same for all its certificates
    certs: list[Certificate] = []
    for iri in index.by_occupation.get(occupation, ()):
        cert = index.certificates[iri]
        if not still_counts(cert.retired, day):
            continue
        if cert.issuer not in blocked:
            blocked[cert.issuer] = _blocked(index.issuers[cert.issuer], options)
        if not blocked[cert.issuer]:
            certs.append(cert)
    party = parties(index)
    same_qualification = HopKind.SAME_QUALIFICATION in options.allowed
    made: dict[Profile, Profile] = {}  # one object per profile, shared by its certificate types
    profile_of: dict[str, Profile] = {}
    for cert in certs:
        issuer = index.issuers[cert.issuer]
        profile = Profile(
            cert.grade,
            issuer.kind,
            issuer.region,
            issuer.iri if issuer.iri in party else None,
            cert.qualification if same_qualification else None,
        )
        profile_of[cert.iri] = made.setdefault(profile, profile)
    profiles = sorted(made, key=str)
    numbers = {profile: number for number, profile in enumerate(profiles)}
    number_of = {iri: numbers[profile] for iri, profile in profile_of.items()}
    listed: list[list[str]] = [[] for _ in profiles]
    grouped: list[dict[str, list[str]]] = [defaultdict(list) for _ in profiles]
    for iri in sorted(number_of):
        listed[number_of[iri]].append(iri)
        grouped[number_of[iri]][index.certificates[iri].issuer].append(iri)
    issuer_certs: dict[str, tuple[str, ...]] = {}
    dominance: set[tuple[int, int]] = set()
    if HopKind.GRADE_DOMINANCE in options.allowed:
        by_issuer: dict[str, list[str]] = defaultdict(list)
        for cert in certs:
            by_issuer[cert.issuer].append(cert.iri)
        issuer_certs = {issuer: tuple(iris) for issuer, iris in by_issuer.items() if len(iris) > 1}
        seen: set[frozenset[int]] = set()  # issuers whose certificate types fall in the same profiles link the same
        for iris in issuer_certs.values():
            held = frozenset(number_of[iri] for iri in iris)
            if held not in seen:
                seen.add(held)
                dominance.update((number_of[high], number_of[low]) for high, low in _dominance_pairs(index, iris))
    return Profiles(
        certs=tuple(cert.iri for cert in certs),
        profiles=profiles,
        number_of=number_of,
        members=[tuple(iris) for iris in listed],
        by_issuer=[{issuer: tuple(iris) for issuer, iris in groups.items()} for groups in grouped],
        issuer_certs=issuer_certs,
        dominance=frozenset(dominance),
        size=len(number_of),
    )


def _incidence(index: RoutingIndex, options: GraphOptions) -> Incidence:
    day, allowed = options.day, options.allowed
    grouped = profiles_of(index, options)
    profiles = grouped.profiles
    found = Incidence(grouped, {p: {} for p in profiles}, {p: set() for p in profiles}, {})
    # one hub and one edge each way per qualification, shared by its profiles (see ``_formal_incidence``)
    qualification_hubs: dict[str, tuple[QualificationHub, Edge]] = {}
    for profile in profiles:
        if profile.qualification:
            if profile.qualification not in qualification_hubs:
                hub = QualificationHub(profile.qualification)
                found.hubs[hub] = Edge(HopKind.SAME_QUALIFICATION, 0, profile.qualification)
                qualification_hubs[profile.qualification] = hub, Edge(HopKind.SAME_QUALIFICATION, 1, hub.qualification)
            hub, into_hub = qualification_hubs[profile.qualification]
            found.out[profile][hub] = into_hub
            found.into[profile].add(hub)
    if HopKind.FORMAL_RECOGNITION in allowed:
        _formal_incidence(index, found, profiles, options)
    if options.credential and HopKind.CROSS_SYSTEM_BRIDGE in allowed:
        bridge_edges = {
            bridge.iri: Edge(HopKind.CROSS_SYSTEM_BRIDGE, 1, bridge.iri)
            for bridges in index.bridges.values()
            for bridge in bridges
            if bridge.credential == options.credential and still_counts(bridge.retired, day)
        }
        for profile in profiles:
            for bridge in index.bridges.get(profile.grade, ()):
                if bridge.iri in bridge_edges:
                    found.out[profile][options.credential] = bridge_edges[bridge.iri]
    return found


def _formal_incidence(
    index: RoutingIndex, found: Incidence, profiles: Iterable[Profile], options: GraphOptions
) -> None:
    """``A -> H(agreement, grade, recognised side) -> B`` for every agreement acting in the graph (``acts_in``: in
    force, covering the occupation, ...): a profile is on a side when its issuer, its region or a region above
    that (the province of a city, say) is a party there.

    Each hub, and each edge, is made once and shared by every profile and graph edge it serves: a named tuple is
    tracked by the garbage collector for as long as it lives (a plain tuple of strings is not), and the cached
    graphs hold hundreds of thousands of edges."""
    by_party: dict[str, list[Profile]] = defaultdict(list)
    for profile in profiles:
        for party in (profile.party, *index.enclosing_regions(profile.region)):
            if party:
                by_party[party].append(profile)
    grades = {profile.grade for profile in profiles}
    for agreement in _acting(index, options):
        if not agreement.covers_occupation(options.occupation):
            continue
        # the occupation is in scope here, so the grade decides: once per grade
        in_scope = {grade for grade in grades if _grade_in_scope(index, agreement, grade)}
        if agreement.direction == Direction.ONE_WAY:
            sides = [(agreement.recognised, agreement.recognising)]
        elif agreement.direction == Direction.MUTUAL:
            sides = [(frozenset({party}), agreement.parties - {party}) for party in agreement.parties]
        else:
            continue
        out_of_hub = Edge(HopKind.FORMAL_RECOGNITION, 0, agreement.iri)
        into_hub = Edge(HopKind.FORMAL_RECOGNITION, 1, agreement.iri)
        for recognised, recognising in sides:
            side = tuple(sorted(recognised))
            hubs: dict[str, AgreementHub] = {}  # by grade: the hubs of this agreement and side
            sources = {profile for party in recognised for profile in by_party.get(party, ())}
            for profile in sources:
                kind_ok = not agreement.issuer_kinds or profile.kind in agreement.issuer_kinds
                if kind_ok and profile.grade in in_scope:
                    if profile.grade not in hubs:
                        hubs[profile.grade] = AgreementHub(agreement.iri, profile.grade, side)
                        found.hubs[hubs[profile.grade]] = out_of_hub
                    found.out[profile][hubs[profile.grade]] = into_hub
            for profile in {profile for party in recognising for profile in by_party.get(party, ())} - sources:
                hub = hubs.get(profile.grade)  # in_scope, when made: a hub is made only for a grade in scope
                if hub is not None:
                    found.into[profile].add(hub)


def _dominance_pairs(index: RoutingIndex, iris: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(higher, lower) for every two of one issuer's certificate types *iris* on one ladder."""
    grades = [index.grades[index.certificates[iri].grade] for iri in iris]
    for high, g_high in zip(iris, grades, strict=True):
        for low, g_low in zip(iris, grades, strict=True):
            if g_high.ladder == g_low.ladder and g_high.rank > g_low.rank:
                yield high, low


def _dominance_edges() -> Callable[[str, str], Edge]:
    """The edge of a dominance hop from grade *high* to *low*, one object per pair of grades."""
    made: dict[tuple[str, str], Edge] = {}

    def edge(high: str, low: str) -> Edge:
        if (high, low) not in made:
            made[high, low] = Edge(HopKind.GRADE_DOMINANCE, 1, Dominance(high, low))
        return made[high, low]

    return edge


def certificate_graph(index: RoutingIndex, options: GraphOptions) -> nx.DiGraph[Node]:
    """The certificate graph for *options* (see the module docstring), from the index's cache."""
    return _cached(index, ("certificates", options), lambda: _build_certificate_graph(index, options))


def _build_certificate_graph(index: RoutingIndex, options: GraphOptions) -> nx.DiGraph[Node]:
    found = _incidence(index, options)
    grouped = found.grouped
    graph: nx.DiGraph[Node] = RoutingGraph()
    graph.add_nodes_from(grouped.certs, hub=False)
    for iri, number in grouped.number_of.items():
        profile = grouped.profiles[number]
        for hub, edge in found.out[profile].items():
            graph.add_edge(iri, hub, **{EDGE: edge})
        for hub in found.into[profile]:
            graph.add_edge(hub, iri, **{EDGE: found.hubs[hub]})
    dominance_edge = _dominance_edges()
    profiles, number_of = grouped.profiles, grouped.number_of
    graph.add_edges_from(
        (high, low, {EDGE: dominance_edge(profiles[number_of[high]].grade, profiles[number_of[low]].grade)})
        for iris in grouped.issuer_certs.values()
        for high, low in _dominance_pairs(index, iris)
    )
    graph.graph["size"] = graph.number_of_edges()
    return graph


@dataclass(slots=True)
class ClassGraph:
    """The routing graph of one occupation on one day with interchangeable certificate types contracted.

    A class is the certificate types with the same grade, the same hubs (and bridges) out and the same hubs
    in: on any route one member can stand for another, except at a grade-dominance hop, which stays inside one
    issuer. So each class is two nodes: ``("class", n)``, entered from a hub (any member), and ``("lower", n)``,
    entered by a dominance hop from a higher class (a member of the same issuer as the one it came from). Both
    lead to the class's hubs; only ``("class", n)`` leads on by dominance, because two dominance hops in a row
    are one (the grades of one ladder are ordered). A query attaches its two certificate types to the graph
    (``paths``), and the answer is expanded back to member certificate types.

    Per certificate type only its class number is kept (and tuples per class and issuer), which keeps a cached
    graph small and light on the garbage collector.

    The graph itself is its two adjacency dicts, made directly rather than by networkx (which made a graph's
    build twice as slow, and an attribute dict per edge where one per ``Edge`` object is shared); ``graph`` gives
    it as a networkx graph for whoever wants one.
    """

    #: node -> its successors -> their edge attributes, and node -> its predecessors -> ...: adjacency dicts as a
    #: networkx graph's (``DiGraph.adjacency``; every node in both, in the order it was added), read as they are by
    #: the route search's inner loop
    successors: dict[Node, dict[Node, dict[str, Edge]]]
    predecessors: dict[Node, dict[Node, dict[str, Edge]]]
    class_of: Mapping[str, int]
    #: class -> its members, in IRI order
    members: list[tuple[str, ...]]
    #: class -> issuer -> its members of that issuer
    by_issuer: list[dict[str, tuple[str, ...]]]
    #: class -> grade
    grades: list[str]
    #: class -> the hubs (and credential) it leads to, and class -> the hubs leading into it
    out: list[tuple[Hub | str, ...]]  # sorted (``order``), as every order the routes may follow
    into: list[tuple[Hub, ...]]
    #: issuer -> its certificate types of this occupation (dominance stays inside one issuer)
    issuer_certs: dict[str, tuple[str, ...]]
    #: grade -> (ladder, rank), for the grades of this occupation
    ranks: dict[str, tuple[str, int]]
    #: node -> weakly connected component number (of ``graph``)
    components: dict[Node, int]
    #: the strengths of its edges' hop kinds
    strengths: frozenset[int]
    #: edges plus member certificate types: what the cache bounds
    size: int
    #: (certificate type or credential, max hops, searched backwards) -> what ``explain.nearest`` found from there:
    #: a no-route answer explains from both ends, and popular certificates are asked about again and again
    #: (bounded there; it lives and goes with the graph, so it never outlives the data it was found on)
    nearest: dict[tuple[str, int, bool], tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def graph(self) -> nx.DiGraph[Node]:
        """The graph as a networkx graph (made on each call: the route search reads the adjacency dicts)."""
        graph: nx.DiGraph[Node] = RoutingGraph()
        graph.add_nodes_from(self.successors)
        graph.add_edges_from((u, v, data) for u, after in self.successors.items() for v, data in after.items())
        return graph

    def node(self, iri: str, role: Literal["class", "lower"] = "class") -> ClassNode:
        return ClassNode(role, self.class_of[iri])

    def lower(self, iri: str, issuer: str) -> list[str]:
        """The certificate types *iri* dominates: its issuer's, at a lower grade of the same ladder."""
        return self._same_ladder(iri, issuer, lambda rank, other_rank: other_rank < rank)

    def higher(self, iri: str, issuer: str) -> list[str]:
        """The certificate types that dominate *iri*: its issuer's, at a higher grade of the same ladder."""
        return self._same_ladder(iri, issuer, lambda rank, other_rank: other_rank > rank)

    def _same_ladder(self, iri: str, issuer: str, keep: Callable[[int, int], bool]) -> list[str]:
        ladder, rank = self.ranks[self.grades[self.class_of[iri]]]
        found: list[str] = []
        for other in self.issuer_certs.get(issuer, ()):
            other_ladder, other_rank = self.ranks[self.grades[self.class_of[other]]]
            if other_ladder == ladder and keep(rank, other_rank):
                found.append(other)
        return found


def class_graph(index: RoutingIndex, options: GraphOptions) -> ClassGraph:
    """The class graph for *options*, from the index's cache."""
    return _cached(index, ("classes", options), lambda: _build_class_graph(index, options))


def has_class_graph(index: RoutingIndex, options: GraphOptions) -> bool:
    """Whether the class graph for *options* is in the index's cache (a lookup on it needs no building)."""
    return ("classes", options) in index.derived.graphs


def _build_class_graph(index: RoutingIndex, options: GraphOptions) -> ClassGraph:
    found = _incidence(index, options)
    grouped = found.grouped
    # a hub no certificate type is reached from leads nowhere: dropped, so that classes differing only in
    # such hubs merge (at national scale about a quarter of an occupation's hubs are such dead ends)
    live = {hub for hubs in found.into.values() for hub in hubs}
    for profile, hubs in found.out.items():
        found.out[profile] = {hub: edge for hub, edge in hubs.items() if hub in live or hub not in found.hubs}
    keys: dict[tuple[str, frozenset[Hub | str], frozenset[Hub]], int] = {}
    classes: list[int] = []  # profile number -> its class
    for profile in grouped.profiles:  # in their order, so classes are numbered alike from one build to the next
        key = (profile.grade, frozenset(found.out[profile]), frozenset(found.into[profile]))
        classes.append(keys.setdefault(key, len(keys)))
    parts: list[list[int]] = [[] for _ in keys]  # class -> its profiles
    for number, in_class in enumerate(classes):
        parts[in_class].append(number)
    members = [_joined(grouped, numbers) for numbers in parts]
    by_issuer = [_joined_by_issuer(grouped, numbers) for numbers in parts]
    grades = [grade for grade, _, _ in keys]
    profiles = [grouped.profiles[numbers[0]] for numbers in parts]  # one of each class: they lead alike
    out = [tuple(sorted(found.out[profiles[number]], key=order)) for number in range(len(keys))]
    into = [tuple(sorted(found.into[profiles[number]], key=order)) for number in range(len(keys))]

    # Edges are added in a sorted order: the order of equally good routes follows it, and hubs come out of
    # sets, whose order changes from one process to the next.
    # one node object per class and role (a named tuple lives tracked by the garbage collector: see _formal_incidence)
    nodes = [ClassNode("class", number) for number in range(len(keys))]
    adjacency = _Adjacency(nodes)
    for number, node in enumerate(nodes):
        adjacency.leading(node, out[number], found.out[profiles[number]])  # sorted above
        adjacency.entering(node, into[number], found.hubs)
    lower_nodes: dict[int, ClassNode] = {}
    dominance_edge = _dominance_edges()
    for high, low in sorted({(classes[high], classes[low]) for high, low in grouped.dominance}):
        if low not in lower_nodes:  # a class entered by dominance leads to the class's hubs as well
            lower_nodes[low] = ClassNode("lower", low)
            adjacency.leading(lower_nodes[low], out[low], found.out[profiles[low]])
        dominated = lower_nodes[low]
        adjacency.leading(nodes[high], (dominated,), {dominated: dominance_edge(grades[high], grades[low])})
    ranks = {grade: (index.grades[grade].ladder, index.grades[grade].rank) for grade in set(grades)}
    return ClassGraph(
        successors=adjacency.successors,
        predecessors=adjacency.predecessors,
        class_of=ClassOf(grouped.number_of, classes),
        members=members,
        by_issuer=by_issuer,
        grades=grades,
        out=out,
        into=into,
        issuer_certs=grouped.issuer_certs,
        ranks=ranks,
        components=adjacency.components(),
        strengths=_strengths(found, live, out, bool(lower_nodes)),
        size=adjacency.edges + len(grouped.number_of),
    )


class _Adjacency:
    """The adjacency dicts of a directed graph being made, as networkx's ``add_nodes_from`` and ``add_edge`` make
    them (nodes in the order first named, edges in the order added), with one attribute dict per ``Edge``."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.successors: dict[Node, dict[Node, dict[str, Edge]]] = {}
        self.predecessors: dict[Node, dict[Node, dict[str, Edge]]] = {}
        self.edges = 0
        self._attributes: dict[Edge, dict[str, Edge]] = {}
        for node in nodes:
            self.name(node)

    def name(self, node: Node) -> None:
        """Add *node* if it is new (last, in the order of nodes)."""
        if node not in self.successors:
            self.successors[node], self.predecessors[node] = {}, {}

    def leading(self, node: Node, targets: Iterable[Node], edges: Mapping[Any, Edge]) -> None:
        """Edges from *node* to each of *targets*, in their order, each *edges*[target]."""
        self.name(node)
        self._add((node, target, edges[target]) for target in targets)

    def entering(self, node: Node, sources: Iterable[Node], edges: Mapping[Any, Edge]) -> None:
        """Edges into *node* from each of *sources*, in their order, each *edges*[source]."""
        self.name(node)
        self._add((source, node, edges[source]) for source in sources)

    def _add(self, edges: Iterable[tuple[Node, Node, Edge]]) -> None:
        successors, predecessors, attributes = self.successors, self.predecessors, self._attributes
        for u, v, edge in edges:
            for end in (u, v):  # as networkx adds them: u first
                if end not in successors:
                    successors[end], predecessors[end] = {}, {}
            data = attributes.get(edge)
            if data is None:
                data = attributes[edge] = {EDGE: edge}
            self.edges += v not in successors[u]
            successors[u][v] = data
            predecessors[v][u] = data

    def components(self) -> dict[Node, int]:
        """Node -> the number of its weakly connected component (numbered in the order of their first node)."""
        found: dict[Node, int] = {}
        number = -1
        for start in self.successors:
            if start in found:
                continue
            number += 1
            found[start] = number
            pending = [start]
            while pending:
                node = pending.pop()
                for near in chain(self.successors[node], self.predecessors[node]):
                    if near not in found:
                        found[near] = number
                        pending.append(near)
        return found


def _strengths(found: Incidence, live: set[Hub], out: list[tuple[Hub | str, ...]], dominance: bool) -> frozenset[int]:
    """The strengths of a class graph's edges' hop kinds, from what they lead to rather than edge by edge: a live
    hub's edges in and out are of its kind, a credential is reached by a bridge, and a lower class by dominance."""
    kinds = {found.hubs[hub].kind for hub in live}
    if any(not isinstance(target, tuple) for targets in out for target in targets[-1:]):  # credentials sort last
        kinds.add(HopKind.CROSS_SYSTEM_BRIDGE)
    if dominance:
        kinds.add(HopKind.GRADE_DOMINANCE)
    return frozenset(STRENGTH[kind] for kind in kinds)


class ClassOf(Mapping[str, int]):
    """Certificate type -> its class: its profile's (``Profiles.number_of``), read through the class of each
    profile, so that a graph built again after a change of agreements makes nothing per certificate type."""

    __slots__ = ("_classes", "_number_of")

    def __init__(self, number_of: dict[str, int], classes: list[int]) -> None:
        self._number_of, self._classes = number_of, classes

    def __getitem__(self, iri: str) -> int:
        return self._classes[self._number_of[iri]]

    def __contains__(self, iri: object) -> bool:
        return iri in self._number_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._number_of)

    def __len__(self) -> int:
        return len(self._number_of)


def _joined(grouped: Profiles, numbers: list[int]) -> tuple[str, ...]:
    """The members of the profiles *numbers*, in IRI order (a class of one profile shares its tuple)."""
    if len(numbers) == 1:
        return grouped.members[numbers[0]]
    return tuple(sorted(chain.from_iterable(grouped.members[number] for number in numbers)))


def _joined_by_issuer(grouped: Profiles, numbers: list[int]) -> dict[str, tuple[str, ...]]:
    """Issuer -> its members of the profiles *numbers*, in IRI order (a class of one profile shares its dict)."""
    if len(numbers) == 1:
        return grouped.by_issuer[numbers[0]]
    joined: dict[str, tuple[str, ...]] = {}
    for number in numbers:
        for issuer, iris in grouped.by_issuer[number].items():
            joined[issuer] = tuple(sorted(joined[issuer] + iris)) if issuer in joined else iris
    return joined


#: what a cache holds: a certificate graph (coverage) or a class graph (routes), under (which, options), in
#: ``Derived.graphs``; the profiles they are built from, under ("profiles", ``profiles_key``), in ``Derived.profiles``
CachedGraph: TypeAlias = "nx.DiGraph[Node] | ClassGraph | Profiles"
GraphKey: TypeAlias = tuple[Literal["certificates", "classes", "profiles"], GraphOptions]
_Graph = TypeVar("_Graph", "nx.DiGraph[Node]", ClassGraph, Profiles)


def _size(graph: CachedGraph) -> int:
    return graph.size if isinstance(graph, (ClassGraph, Profiles)) else int(graph.graph["size"])


class GraphCache(MutableMapping[GraphKey, CachedGraph]):
    """The routing graphs of one index (``Derived.graphs``), oldest used first, and the size they hold together
    (``held``: edges and member certificate types), which the bound in ``_cached`` is checked against.

    Why a running total: the server caches thousands of graphs, and summing them on every insertion cost more
    than building a small one. Every change goes through ``__setitem__`` and ``__delitem__`` (the mapping
    methods, ``clear`` and ``popitem`` included), so the total stays right whoever changes the cache; callers
    that share the cache between threads do so under ``_CACHE_LOCK``.
    """

    def __init__(self, graphs: Iterable[tuple[GraphKey, CachedGraph]] = ()) -> None:
        self._graphs: OrderedDict[GraphKey, CachedGraph] = OrderedDict()
        self.held = 0
        for key, graph in graphs:
            self[key] = graph

    def __getitem__(self, key: GraphKey) -> CachedGraph:
        return self._graphs[key]

    def __setitem__(self, key: GraphKey, graph: CachedGraph) -> None:
        """Put *graph* under *key* (in the place of the graph there, if any, which it replaces)."""
        if key in self._graphs:
            self.held -= _size(self._graphs[key])
        self._graphs[key] = graph
        self.held += _size(graph)

    def __delitem__(self, key: GraphKey) -> None:
        self.held -= _size(self._graphs.pop(key))

    def __contains__(self, key: object) -> bool:
        return key in self._graphs

    def __iter__(self) -> Iterator[GraphKey]:
        return iter(self._graphs)

    def __len__(self) -> int:
        return len(self._graphs)

    def __repr__(self) -> str:
        return f"GraphCache({len(self)} graphs, {self.held} items held)"

    def clear(self) -> None:
        self._graphs.clear()
        self.held = 0

    def move_to_end(self, key: GraphKey) -> None:
        """Mark the graph under *key* used last (the last to be evicted)."""
        self._graphs.move_to_end(key)

    def kept(self, keep: Callable[[GraphKey], bool]) -> GraphCache:
        """A new cache of the graphs under the keys *keep* accepts, in their order (this one is read under the
        lock: requests may be adding graphs to it meanwhile)."""
        with _CACHE_LOCK:
            cached = list(self._graphs.items())
        return GraphCache((key, graph) for key, graph in cached if keep(key))

    def popitem(self, last: bool = True) -> tuple[GraphKey, CachedGraph]:
        """The graph used last (or, not *last*, first) and its key, taken out."""
        key, graph = self._graphs.popitem(last=last)
        self.held -= _size(graph)
        return key, graph


def _cached(index: RoutingIndex, key: GraphKey, build: Callable[[], _Graph], cache: GraphCache | None = None) -> _Graph:
    """The graph under *key* from the index's LRU cache (bounded in graphs and in items), built when missing
    (*cache*: another of the index's, its profiles').

    The server answers routes from several threads: the cache is only read and changed under a lock (a graph
    is built outside it, so two threads may build the same one; the second simply replaces the first).
    """
    if cache is None:
        cache = index.derived.graphs
    with _CACHE_LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cast(_Graph, cache[key])  # the key's first part says which kind of graph
    graph = build()
    with _CACHE_LOCK:
        cache[key] = graph
        while len(cache) > 1 and (len(cache) > GRAPH_CACHE_SIZE or cache.held > GRAPH_CACHE_ITEMS):
            cache.popitem(last=False)
    return graph


def warm(index: RoutingIndex, day: date, *, min_certificates: int = WARM_MIN_CERTIFICATES) -> int:
    """Build the default class graphs (every hop kind, sanctioned issuers excluded, no quality bar) of the
    occupations with at least *min_certificates* certificate types, largest first, within half the cache's
    bound, so that no route query on *day* waits for one. Returns how many were built (or found built)."""
    return sum(1 for _ in warming(index, day, min_certificates=min_certificates))


def warming(index: RoutingIndex, day: date, *, min_certificates: int = WARM_MIN_CERTIFICATES) -> Iterator[bool]:
    """``warm`` one occupation at a time: yields after each whether its graph was built (False: found built), so
    that a serving process warming the graphs a change dropped can pause between them (api/state.py)."""
    occupations = sorted(
        (code for code, certs in index.by_occupation.items() if len(certs) >= min_certificates),
        key=lambda code: -len(index.by_occupation[code]),
    )
    held = 0
    for occupation in occupations:
        if held > GRAPH_CACHE_ITEMS // 2:
            return
        options = GraphOptions(occupation, day, tuple(HopKind))
        cached = has_class_graph(index, options)
        held += _size(class_graph(index, options))
        yield not cached
