"""The k best routes between two certificate types on a class graph, expanded back to certificate types.

Routes are ranked by their weakest hop (formal > same qualification > dominance > bridge), then by hop count.
For each strength level, Yen's k-shortest simple paths run on the class graph's edges at least that strong,
with the query's two certificate types attached as nodes of their own (``_attach``) and only the edges that lie
on a path of at most the hops needed. Each class path is then expanded into certificate-type routes by choosing
members (``_expansions``).

What is not listed: a route that passes two members of one class in the same role (entered from a hub, or
entered by dominance), and a route with two dominance hops in a row. Both have a shorter route with hops at
least as strong (skip the loop between the two members; one dominance hop covers the two), so the best route is
always found and a listed route is never a detour of a better one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain, pairwise
from typing import TYPE_CHECKING

import networkx as nx

from .graphs import EDGE, ClassGraph, ClassNode, Edge, Node
from .model import STRENGTH
from .records import RoutingIndex

if TYPE_CHECKING:
    from _typeshed import SupportsGetItem

#: a route as its hops: (from certificate type, to certificate type or credential, the edge that leaves the first)
RouteHops = list[tuple[str, str, Edge]]
#: node -> its neighbours (successors or predecessors) -> the edge's attributes
Adjacency = Mapping[Node, Mapping[Node, Mapping[str, Edge]]]
#: an edge attached for a query, with the length of the shortest path through it
_Attached = tuple[Node, Node, Edge, int]
_FAR = 1 << 30


def _hops(u: Node, v: Node, data: SupportsGetItem[str, Edge]) -> int:
    """An edge's weight for networkx: its hops."""
    return data[EDGE].hops


def best_routes(
    index: RoutingIndex, cg: ClassGraph, source: str, target: str, strengths: set[int], max_hops: int, k: int
) -> list[RouteHops]:
    """Up to *k* routes from *source* to *target* (a certificate type or a credential), best first."""
    if source == target or not _may_connect(cg, source, target):
        return []
    found: list[RouteHops] = []
    for level in sorted(strengths & cg.strengths, reverse=True):
        found += _level_routes(index, cg, source, target, level, max_hops, k - len(found))
        if len(found) == k:
            break
    return found


def _may_connect(cg: ClassGraph, source: str, target: str) -> bool:
    """False when the two are in different components of the class graph (ignoring direction)."""
    start = cg.components.get(cg.node(source))
    return any(cg.components.get(end) == start for end in _ends(cg, target))


def _ends(cg: ClassGraph, target: str) -> list[Node]:
    """The nodes of the graph that lead to *target*'s certificate types: its class in both roles (entered from a
    hub, entered by dominance), or the credential itself."""
    ends: list[Node] = [cg.node(target), cg.node(target, "lower")] if target in cg.class_of else [target]
    return [end for end in ends if end in cg.successors]


def _level_routes(
    index: RoutingIndex, cg: ClassGraph, source: str, target: str, level: int, max_hops: int, wanted: int
) -> list[RouteHops]:
    """Up to *wanted* routes whose weakest hop is exactly *level* strong, fewest hops first.

    *bound* starts at the least length a path could have and grows to *max_hops* only while routes are
    missing; each bound searches only the edges through which some path is at most *bound* long. Paths
    stronger than *level* were listed by the stronger levels and are skipped.
    """
    edges = _attach(index, cg, level, source, target, max_hops)
    taken: list[RouteHops] = []
    seen: set[tuple[Node, ...]] = set()
    # no path is shorter than the least length through an edge into the target
    least = min((through for _, v, _, through in edges if v == target), default=max_hops + 1)
    near: nx.DiGraph[Node] = nx.DiGraph()
    paths: Iterator[list[Node]] = iter(())
    kept = -1  # how many edges ``near`` holds
    waiting: list[list[Node]] = []  # the path too long for the last bound: the next bound looks at it first
    for bound in range(least, max_hops + 1):
        inside = [(u, v, {EDGE: edge}) for u, v, edge, through in edges if through <= bound]
        if len(inside) != kept:  # edges were added (a bound never drops one): search the larger graph afresh
            kept, waiting = len(inside), []
            near = nx.DiGraph()
            near.add_edges_from(inside)
            found = source in near and target in near
            paths = nx.shortest_simple_paths(near, source, target, weight=_hops) if found else iter(())
        # else the same graph: a new search would list the same paths in the same order, so the last one goes on
        # (and once it has listed every path, no larger bound on these edges finds another)
        try:
            for path in chain(waiting, paths):
                waiting = []
                hops = [near[u][v][EDGE] for u, v in pairwise(path)]
                if sum(edge.hops for edge in hops) > bound:
                    waiting = [path]
                    break
                if tuple(path) in seen:
                    continue
                seen.add(tuple(path))
                if min(edge.strength for edge in hops) > level:
                    continue  # listed by a stronger level
                for chosen in _expansions(index, cg, path, source, target):
                    taken.append(_route_hops(near, path, chosen))
                    if len(taken) == wanted:
                        return taken
        except nx.NetworkXNoPath:
            paths = iter(())
    return taken


def _attach(
    index: RoutingIndex, cg: ClassGraph, level: int, source: str, target: str, max_hops: int
) -> list[_Attached]:
    """The edges at least *level* strong on some path of at most *max_hops* from *source* to *target*, with the
    two attached: each edge with the length of the shortest path through it (a lower bound, which is all
    pruning needs).

    *source* leads where its class leads, and by dominance only to its own issuer's lower certificate types;
    *target* is reached from its class's hubs, and by dominance only from its own issuer's higher ones. The
    distances are searched from the source's class and to the target's class (both roles): a class leads at
    least where its members do, so they are never more than the true ones.
    """
    successors = cg.successors
    start = cg.node(source)
    ahead = _hops_from(successors, [start], level, max_hops)
    ends = _ends(cg, target)
    behind = _hops_from(cg.predecessors, ends, level, max_hops, ahead) if ends else {}
    edges: list[_Attached] = []
    for u, before in ahead.items():
        if before + behind.get(u, _FAR) <= max_hops:
            for v, data in successors[u].items():
                edge = data[EDGE]
                if STRENGTH[edge.kind] >= level:
                    edges.append((u, v, edge, before + edge.hops + behind.get(v, _FAR)))
    for node, data in successors[start].items():
        if not isinstance(node, ClassNode):  # a hub, or a credential reached by a bridge
            edges.append((source, node, data[EDGE], 1 + behind.get(node, _FAR)))
    for low in cg.lower(source, index.certificates[source].issuer):  # dominance: the source's issuer's only
        lower_node = cg.node(low, "lower")
        edge = successors[start][lower_node][EDGE]
        through = 1 if low == target else 1 + behind.get(lower_node, _FAR)
        edges.append((source, target if low == target else lower_node, edge, through))
    if target in cg.class_of:
        end = cg.node(target)
        for hub in cg.into[cg.class_of[target]]:
            edges.append((hub, target, successors[hub][end][EDGE], ahead.get(hub, _FAR)))
        for high in cg.higher(target, index.certificates[target].issuer):
            node = cg.node(high)
            if high != source:
                edge = successors[node][cg.node(target, "lower")][EDGE]
                edges.append((node, target, edge, ahead.get(node, _FAR) + 1))
    return [attached for attached in edges if attached[3] <= max_hops and STRENGTH[attached[2].kind] >= level]


def _hops_from(
    adjacency: Adjacency, starts: Sequence[Node], level: int, cutoff: int, ahead: dict[Node, int] | None = None
) -> dict[Node, int]:
    """The fewest hops from any of *starts* to each node within *cutoff*, over the edges at least *level*
    strong of *adjacency* (a graph's successor or predecessor dicts, ``ClassGraph.successors``). Searching
    back from the target, *ahead* holds the hops from the source: a node whose two distances add up to more
    than *cutoff* is on no path short enough, and is not searched beyond.

    Edges weigh 0 (out of a hub) or 1, so a double-ended queue does what Dijkstra's heap would: a node
    reached by a 0-hop edge is searched before the rest of its layer. About a third faster than networkx's
    Dijkstra with a weight function on these graphs (bench/README.md), and a route query runs two per level.
    """
    found = dict.fromkeys(starts, 0)
    waiting = deque(starts)
    bound: Callable[[Node, int], int] = ahead.get if ahead is not None else lambda node, default: 0
    while waiting:
        u = waiting.popleft()
        before = found[u]
        for v, data in adjacency[u].items():
            edge = data[EDGE]
            hop = edge.hops
            if (
                STRENGTH[edge.kind] < level
                or before + hop + bound(v, _FAR) > cutoff
                or found.get(v, _FAR) <= before + hop
            ):
                continue
            found[v] = before + hop
            if hop:
                waiting.append(v)
            else:
                waiting.appendleft(v)
    return found


def _expansions(
    index: RoutingIndex, cg: ClassGraph, path: list[Node], source: str, target: str
) -> Iterator[list[Node]]:
    """The member choices for the class nodes of *path* (in path order, members in IRI order) that make a simple
    route: distinct certificate types, neither of them *source* or *target*, and each dominance hop inside one
    issuer."""
    slots = [i for i, node in enumerate(path) if isinstance(node, ClassNode)]
    issuer_of = {source: index.certificates[source].issuer}
    if target in index.certificates:
        issuer_of[target] = index.certificates[target].issuer

    def candidates(i: int, chosen: dict[int, str]) -> Iterator[str]:
        node = path[i]
        assert isinstance(node, ClassNode)
        role, number = node
        if role == "lower":  # entered by dominance: the issuer of the certificate type it came from
            before = path[i - 1]
            came_from = chosen[i - 1] if isinstance(before, ClassNode) else before
            assert isinstance(came_from, str)
            yield from cg.by_issuer[number].get(index.certificates[came_from].issuer, ())
            return
        after = path[i + 1]
        if isinstance(after, ClassNode):  # leaves by dominance to a lower class: an issuer present in both
            for issuer in sorted(cg.by_issuer[number].keys() & cg.by_issuer[after.number].keys()):
                yield from cg.by_issuer[number][issuer]
        elif after == target and target in issuer_of:  # leaves by dominance to the target itself
            yield from cg.by_issuer[number].get(issuer_of[target], ())
        else:
            yield from cg.members[number]

    def choose(at: int, chosen: dict[int, str], used: set[str]) -> Iterator[dict[int, str]]:
        if at == len(slots):
            yield dict(chosen)
            return
        i = slots[at]
        for member in candidates(i, chosen):
            if member not in used:
                chosen[i] = member
                used.add(member)
                yield from choose(at + 1, chosen, used)
                used.discard(member)
                del chosen[i]

    for chosen in choose(0, {}, {source, target}):
        yield [chosen.get(i, node) for i, node in enumerate(path)]


def _route_hops(graph: nx.DiGraph[Node], path: list[Node], chosen: list[Node]) -> RouteHops:
    """The hops of a class path whose class nodes are replaced by the *chosen* members: one per pair of
    consecutive certificate types, with the edge that leaves the first (into a hub, or dominance)."""
    stops = [i for i, node in enumerate(chosen) if isinstance(node, str)]
    return [(_iri(chosen[a]), _iri(chosen[b]), graph[path[a]][path[a + 1]][EDGE]) for a, b in pairwise(stops)]


def _iri(node: Node) -> str:
    assert isinstance(node, str)
    return node
