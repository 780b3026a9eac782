"""Route search against references: the best route against brute force over every simple path, the nearest listing
and the hop search against Dijkstra (hypothesis)."""

from __future__ import annotations

from datetime import date

import networkx as nx
from helpers.routing_world import GRADES, OCCUPATION, World, brute_force_routes, hop_kinds, region, three_issuers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.graph.routing import HOP_KINDS, HopKind, explain, find_routes, graphs, paths
from certbridge.graph.routing.graphs import EDGE, Edge, GraphOptions
from certbridge.graph.routing.model import STRENGTH

DAY = date(2024, 1, 1)
FORMAL = ["formal-recognition"]


# --- property test against brute force --------------------------------------------------------------

REGIONS = ["110000", "120000", "130000"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    w = World()
    issuers = draw(st.integers(2, 4))
    for i in range(issuers):
        sanctioned = draw(st.sampled_from([None, None, "2021-06-01", "2025-01-01"]))
        w.issuer(
            f"i{i}",
            kind=draw(st.sampled_from(["government-hr-authority", "authorised-enterprise"])),
            region_code=draw(st.sampled_from(REGIONS)),
            sanctioned=sanctioned,
        )
    for c in range(draw(st.integers(2, 6))):
        w.cert(
            f"c{c}",
            f"i{draw(st.integers(0, issuers - 1))}",
            draw(st.sampled_from(GRADES[2:])),
            qualification=draw(st.sampled_from([None, "q1", "q2"])),
        )
    for g in range(draw(st.integers(0, 3))):
        a, b = draw(st.lists(st.sampled_from(REGIONS), min_size=2, max_size=2, unique=True))
        start, end = draw(st.sampled_from([("2019-01-01", None), ("2022-01-01", "2023-06-30"), ("2024", None)]))
        if draw(st.booleans()):
            w.agreement(f"g{g}", parties=(region(a), region(b)), valid_from=start, valid_to=end)
        else:
            w.agreement(
                f"g{g}",
                direction="one-way",
                recognising=(region(a),),
                recognised=(region(b),),
                valid_from=start,
                valid_to=end,
            )
    return w


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    worlds(),
    st.integers(0, 5),
    st.integers(0, 5),
    st.sampled_from([date(2020, 6, 1), date(2023, 1, 1), date(2025, 6, 1)]),
    st.integers(1, 4),
    st.sets(st.sampled_from(HOP_KINDS[:3]), min_size=1),
)
def test_best_route_matches_brute_force(world: World, i: int, j: int, day: date, max_hops: int, kinds: set) -> None:
    certs = sorted(world.index.certificates)
    source, target = certs[i % len(certs)], certs[j % len(certs)]
    answer = find_routes(world.index, source, target, as_of=day, max_hops=max_hops, kinds=kinds, k=3)
    expected = sorted(
        brute_force_routes(world.index, source, target, day, max_hops, kinds), key=lambda r: (-r[0], r[1])
    )
    if not expected:
        assert not answer.routes
        return
    assert answer.routes, f"brute force found {expected[0]}"
    best = answer.routes[0]
    assert (STRENGTH[best.strength], len(best.hops)) == expected[0]
    ranked = [(-STRENGTH[r.strength], len(r.hops)) for r in answer.routes]
    assert ranked == sorted(ranked)
    for route in answer.routes:
        assert route.hops[0].source.iri == source and route.hops[-1].target.iri == target
        assert len(route.hops) <= max_hops and {hop.kind for hop in route.hops} <= kinds
        for hop in route.hops:
            assert hop.kind in _direct_kinds(world, hop, day)


def _direct_kinds(world: World, hop, day: date) -> set[str]:
    return hop_kinds(world.index, hop.source.iri, hop.target.iri, day)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(0, 5), st.integers(0, 4), st.booleans())
def test_nearest_listing_matches_dijkstra(world: World, i: int, max_hops: int, reverse: bool) -> None:
    """The explanation's nearest certificate types, searched hop by hop on the class graph and stopping early, are
    those Dijkstra ranks first on the certificate graph (a differential test of the contraction)."""
    world.agreement("extra", parties=(region(REGIONS[0]), region(REGIONS[1])))
    options = GraphOptions(OCCUPATION, date(2025, 6, 1), HOP_KINDS)
    graph = graphs.certificate_graph(world.index, options)
    nodes = sorted(n for n in graph if not isinstance(n, tuple))
    if not nodes:
        return
    node = nodes[i % len(nodes)]
    lengths = nx.single_source_dijkstra_path_length(
        graph.reverse(copy=False) if reverse else graph, node, cutoff=max_hops, weight=lambda u, v, d: d[EDGE].hops
    )
    expected = sorted((n for n in lengths if not isinstance(n, tuple) and n != node), key=lambda n: (lengths[n], n))
    cg = graphs.class_graph(world.index, options)
    got = explain.nearest(world.index, cg, node, max_hops, reverse=reverse)
    assert got == expected[: explain.EXPLAIN_LIMIT]
    assert explain.nearest(world.index, cg, node, max_hops, reverse=reverse) == got  # now from the graph's cache
    assert cg.nearest[(node, max_hops, reverse)] == tuple(got)


def test_nearest_lists_kept_within_their_bound(monkeypatch) -> None:
    """A class graph keeps at most NEAREST_KEPT nearest lists, the oldest let go first, and a list let go is
    searched again the same."""
    monkeypatch.setattr(explain, "NEAREST_KEPT", 2)
    world = three_issuers()
    world.agreement("g", parties=(region("370000"), region("320000")))
    cg = graphs.class_graph(world.index, GraphOptions(OCCUPATION, DAY, HOP_KINDS))
    first = {iri: explain.nearest(world.index, cg, iri, 6, reverse=False) for iri in sorted(cg.class_of)}
    assert len(first) > 2 and len(cg.nearest) == 2
    assert list(cg.nearest) == [(iri, 6, False) for iri in sorted(cg.class_of)[-2:]]
    assert {iri: explain.nearest(world.index, cg, iri, 6, reverse=False) for iri in sorted(cg.class_of)} == first
    assert any(first.values())  # the lists compared are not all empty


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.text("abc", max_size=3), max_size=90).map(sorted), max_size=4),
    st.sets(st.text("abc", max_size=3)),
    st.integers(1, 12),
)
def test_first_unlisted_is_the_head_of_the_sorted_rest(sources: list[list[str]], listed: set[str], wanted: int) -> None:
    """A layer's new certificate types, merged only as far as needed (many) or gathered and sorted (few), are the
    first *wanted* of everything the layer holds that is not listed yet, in order (against the plain reference)."""
    expected = sorted(set().union(*sources) - listed)[:wanted]
    assert explain._first_unlisted(sources, listed, wanted) == expected


@st.composite
def weighted_graphs(draw) -> nx.DiGraph:
    """Small directed graphs with edges of every hop kind weighing 0 or 1 hops (as out of a hub, or into one)."""
    nodes = draw(st.integers(2, 12))
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, nodes - 1), st.integers(0, nodes - 1), st.sampled_from(HOP_KINDS), st.integers(0, 1)
            ),
            max_size=40,
        )
    )
    graph = nx.DiGraph()
    graph.add_nodes_from(range(nodes))
    graph.add_edges_from((u, v, {EDGE: Edge(HopKind(kind), hop, "")}) for u, v, kind, hop in edges if u != v)
    return graph


@settings(max_examples=300, deadline=None)
@given(weighted_graphs(), st.integers(1, 4), st.integers(0, 6), st.data())
def test_hop_search_matches_dijkstra(graph: nx.DiGraph, level: int, cutoff: int, data) -> None:
    """The route search's own distances (a 0-1 breadth-first search, both ways, the backward one pruned by the
    forward one) against networkx's Dijkstra with the same strength filter (a differential test)."""
    start = data.draw(st.sampled_from(sorted(graph)))
    ends = data.draw(st.lists(st.sampled_from(sorted(graph)), min_size=1, max_size=3, unique=True))

    def hops(u, v, data: dict) -> int | None:
        return data[EDGE].hops if data[EDGE].strength >= level else None

    ahead = nx.single_source_dijkstra_path_length(graph, start, cutoff=cutoff, weight=hops)
    behind = nx.multi_source_dijkstra_path_length(graph.reverse(copy=False), ends, cutoff=cutoff, weight=hops)
    assert paths._hops_from(dict(graph.adjacency()), [start], level, cutoff) == ahead
    pruned = paths._hops_from(dict(graph.reverse(copy=False).adjacency()), ends, level, cutoff, ahead)
    on_short_paths = {node for node in ahead if ahead[node] + behind.get(node, cutoff + 1) <= cutoff}
    assert {node: behind[node] for node in on_short_paths} == {node: pruned[node] for node in on_short_paths}
    assert all(pruned[node] >= behind[node] for node in pruned)
