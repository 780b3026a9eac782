"""The routing index, routing graphs and search index updated for what a change touched, against the same read
afresh (differential).

Random changes of asserted quads (a fact removed, a fact's value replaced by another's, a record's facts removed,
a record copied under a new IRI), one at a time and in short sequences, are patched into a small world
(graph/patch.py): after each, the index ``patch`` updated equals ``load_index`` of the new version (its records,
and their order); the routing graphs carried over from the index before (graph/routing/carry.py) equal graphs
built afresh; the search index equals one built afresh and answers as it does; route answers for sampled pairs
equal those of the fresh index. And through the API: a change is visible in the next route lookup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import pyoxigraph as ox
import pytest
from helpers.data import MINI_DATA
from helpers.graph_shapes import edges, shape
from helpers.rows import SOURCE, TARGET
from helpers.serving import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.app import create_app
from certbridge.api.settings import Settings
from certbridge.api.state import AppState, state_of
from certbridge.graph import writes
from certbridge.graph.build import build
from certbridge.graph.iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from certbridge.graph.patch import Patched, patch
from certbridge.graph.reasoning.incremental import Change
from certbridge.graph.routing import HopKind, find_routes, graphs, update, warm
from certbridge.graph.routing.cache import CACHE_KIND
from certbridge.graph.routing.carry import carry_over, kept_graphs
from certbridge.graph.routing.graphs import (
    ClassGraph,
    GraphOptions,
    _build_certificate_graph,
    _build_class_graph,
    has_class_graph,
)
from certbridge.graph.routing.graphs import certificate_graph as certificate_graph_of
from certbridge.graph.routing.index import load_index
from certbridge.graph.routing.load import ORDERED_TABLES
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.routing.search import build_search, ranked_search, search, search_index
from certbridge.graph.routing.update import Changed
from certbridge.graph.store import EmbeddedStore
from certbridge.ontology import CB

ID = "https://w3id.org/certbridge/id/"
TOKEN = "incremental-index-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: a number to pick an item with (modulo the count): the same draw whatever the count, as the store changes
NUMBERS = st.integers(min_value=0, max_value=1_000_000)
NOT_ASSERTED = {ox.NamedNode(str(g)) for g in (INFERRED_GRAPH, BUILD_GRAPH, ONTOLOGY_GRAPH)}
DAYS = (date(2026, 12, 7), date(2019, 1, 1))
SEARCHES = ("电工", "spinner", "技师", "高级", "osta", "hrss", "agreement", "IL-CT", "mr1", "hk")
CHANGES = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    location = tmp_path_factory.mktemp("incremental-index") / "store"
    build(MINI_DATA, location)
    return EmbeddedStore(location)


@pytest.fixture(scope="module")
def served(world: EmbeddedStore) -> dict[str, RoutingIndex]:
    """The index served, as a process holds it: its graphs warmed and its search index built (carried over)."""
    index = load_index(world.open())
    search_index(index)
    for day in DAYS:
        warm(index, day)
    return {"index": index}


def asserted(store: EmbeddedStore) -> list[ox.Quad]:
    version = store.current_version()
    assert version is not None
    quads = ox.Store.read_only(str(version)).quads_for_pattern(None, None, None)
    return sorted((q for q in quads if q.graph_name not in NOT_ASSERTED), key=str)


def a_change(data: st.DataObject, quads: list[ox.Quad]) -> Change:
    """A random change of the asserted quads *quads*: a fact removed, a fact's value replaced by the value another
    fact of the same property has, a record's facts all removed, or a record's facts copied to a new IRI."""
    kind = data.draw(st.sampled_from(["remove", "replace", "remove-record", "copy-record"]), label="kind")
    quad = quads[data.draw(NUMBERS, label="quad") % len(quads)]
    if kind == "remove":
        return Change(removed=(quad,))
    pick = data.draw(NUMBERS, label="value")
    if kind == "replace":
        others = [q.object for q in quads if q.predicate == quad.predicate and q.object != quad.object]
        if not others:
            return Change(removed=(quad,))
        value = others[pick % len(others)]
        return Change(removed=(quad,), added=(ox.Quad(quad.subject, quad.predicate, value, quad.graph_name),))
    record = [q for q in quads if q.subject == quad.subject]
    if kind == "remove-record":
        return Change(removed=tuple(record))
    assert isinstance(quad.subject, ox.NamedNode)
    copy = ox.NamedNode(quad.subject.value + "-copy")
    return Change(added=tuple(ox.Quad(copy, q.predicate, q.object, q.graph_name) for q in record))


def undo(patched: Patched) -> Change:
    """The change that undoes what *patched* applied (a quad added that was there already is not removed)."""
    applied = patched.inferred.applied
    return Change(added=applied.removed, removed=applied.added)


def patched_index(patched: Patched) -> RoutingIndex:
    index = patched.derived[CACHE_KIND]
    assert isinstance(index, RoutingIndex)
    return index


def check(store: EmbeddedStore, served: dict[str, RoutingIndex], patched: Patched) -> None:
    """Everything the update made against the same made afresh from the new version; the updated index (with
    what was carried over to it) becomes the one served."""
    assert CACHE_KIND in patched.updated, "the routing index was updated, not derived again"
    updated = patched_index(patched)
    fresh = load_index(ox.Store.read_only(str(patched.version)))
    for name in ORDERED_TABLES:
        assert getattr(updated, name) == getattr(fresh, name), name
        assert list(getattr(updated, name)) == list(getattr(fresh, name)), f"{name}: in the order of a fresh read"
    assert updated == fresh
    previous = served["index"]
    carry_over(previous, updated)
    kept = dict(updated.derived.graphs)
    for key, graph in kept.items():
        which, options = key
        if which == "classes":
            assert isinstance(graph, ClassGraph)
            made = outcome(lambda index, options: shape(_build_class_graph(index, options)), fresh, options)
            assert made == ("answer", shape(graph)), f"carried over: {options.occupation}"
        else:
            assert not isinstance(graph, ClassGraph)
            made = outcome(lambda index, options: edges(_build_certificate_graph(index, options)), fresh, options)
            assert made == ("answer", edges(graph)), options.occupation
    for (_, options), grouped in updated.derived.profiles.items():  # what graphs dropped are built again from
        assert grouped == graphs._group(fresh, options), f"profiles carried over: {options.occupation}"
    assert updated.derived.search is not None, "the search index carried over"
    assert search_shape(updated.derived.search) == search_shape(build_search(fresh))
    for text in SEARCHES:
        assert outcome(ranked_search, updated, text, limit=50) == outcome(ranked_search, fresh, text, limit=50), text
        assert outcome(search, updated, text, limit=5) == outcome(search, fresh, text, limit=5), text
    for source, target in pairs(fresh):
        for day in DAYS:
            answer = outcome(route_json, updated, source, target, day)
            assert answer == outcome(route_json, fresh, source, target, day), (source, target, day)
    for code in list(fresh.by_occupation)[:3]:  # certificate graphs, built on first use, as coverage builds them
        options = GraphOptions(code, DAYS[0], tuple(HopKind))
        built = outcome(lambda index, options: edges(_build_certificate_graph(index, options)), fresh, options)
        assert outcome(lambda index, options: edges(certificate_graph_of(index, options)), updated, options) == built
    served["index"] = updated


def route_json(index: RoutingIndex, source: str, target: str, day: date) -> dict[str, Any]:
    return find_routes(index, source, target, as_of=day).to_json()


def outcome(answer: Callable[..., Any], *arguments: Any, **options: Any) -> tuple[str, Any]:
    """What *answer* answers, or the error it raises: a random change may leave a world the routing cannot read
    (a grade's record removed while an agreement bounds its scope by it), which the updated index must then fail
    on as the fresh one does."""
    try:
        return "answer", answer(*arguments, **options)
    except Exception as exc:
        return "error", repr(exc)


def pairs(index: RoutingIndex) -> Iterator[tuple[str, str]]:
    """Sampled pairs: the first certificate types of each occupation, each way (routes keep the occupation)."""
    for members in index.by_occupation.values():
        sample = members[:: max(1, len(members) // 4)][:4]
        yield from ((a, b) for a in sample for b in sample if a != b)


def search_shape(found: Any) -> tuple[Any, ...]:
    def hay(h: Any) -> tuple[list[str], list[str]]:
        return h.keys, h.texts

    return (
        hay(found.entries),
        found.kinds,
        found.labels,
        hay(found.issuers),
        hay(found.occupations),
        hay(found.grades),
        hay(found.ids),
        found.by_issuer,
        found.by_grade,
    )


@given(data=st.data())
@CHANGES
def test_a_random_change_and_its_undoing_update_the_index_as_a_fresh_read(
    world: EmbeddedStore, served: dict[str, RoutingIndex], data: st.DataObject
) -> None:
    done = patch(world, a_change(data, asserted(world)), tables=world.tables())
    try:
        check(world, served, done)
    except BaseException:
        restore(world, served, [done])
        raise
    try:
        check(world, served, patch(world, undo(done), tables=world.tables()))
    except BaseException:
        restore(world, served, [])
        raise


@given(data=st.data())
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_short_sequence_of_changes_updates_the_index_as_a_fresh_read(
    world: EmbeddedStore, served: dict[str, RoutingIndex], data: st.DataObject
) -> None:
    made: list[Patched] = []
    try:
        for _ in range(data.draw(st.integers(min_value=2, max_value=4))):
            made.append(patch(world, a_change(data, asserted(world)), tables=world.tables()))
            check(world, served, made[-1])
    except BaseException:
        restore(world, served, made)
        raise
    for count, done in enumerate(reversed(made), start=1):
        try:
            check(world, served, patch(world, undo(done), tables=world.tables()))
        except BaseException:
            restore(world, served, made[: len(made) - count])
            raise


def restore(world: EmbeddedStore, served: dict[str, RoutingIndex], made: list[Patched]) -> None:
    """The world as it was before *made* (after a failed check: hypothesis replays its examples on the same world,
    and must find it as it was), and the index served read afresh."""
    for done in reversed(made):
        patch(world, undo(done), tables=world.tables())
    index = load_index(world.open())
    search_index(index)
    served["index"] = index


def test_without_the_previous_index_cached_the_index_is_derived_in_full(tmp_path: Path) -> None:
    build(MINI_DATA, tmp_path / "store")
    store = EmbeddedStore(tmp_path / "store")
    version = store.current_version()
    assert version is not None
    store.cache_path(version.name, CACHE_KIND).unlink()
    quad = asserted(store)[0]
    done = patch(store, Change(removed=(quad,)), tables=store.tables())
    assert CACHE_KIND not in done.updated
    assert patched_index(done) == load_index(ox.Store.read_only(str(done.version)))
    assert patched_index(done).derived.changed is None


AGREEMENT = "https://w3id.org/certbridge/id/agreement/IL-AG01"  # behind the mini world's formal route


def agreement_used(answer: Any) -> bool:
    return any(hop.evidence.iri == AGREEMENT for route in answer.routes for hop in route.hops)


def test_the_serving_process_adopts_a_change_it_made_with_the_index_updated(tmp_path: Path) -> None:
    """``AppState.adopt``: the next reader gets the updated index itself (its cache file gone, it is still
    served), the graphs the change did not touch are the same objects, and a reader still holding the index
    before keeps its answers."""
    build(MINI_DATA, tmp_path / "store")
    state = AppState(Settings(tmp_path / "store"))
    before = state.index()
    source, target = f"{ID}certificate-type/{SOURCE}", f"{ID}certificate-type/{TARGET}"
    day = date(2026, 6, 1)
    assert agreement_used(find_routes(before, source, target, as_of=day))
    other = GraphOptions("other-occupation", day, tuple(HopKind))
    untouched = ("certificates", other)
    stand_in: nx.DiGraph[Any] = nx.DiGraph()  # stands for another occupation's graph
    stand_in.graph["size"] = 0
    before.derived.graphs[untouched] = stand_in
    store = state.store
    assert isinstance(store, EmbeddedStore)
    version = store.current_version()
    assert version is not None
    record = [q for q in ox.Store.read_only(str(version)).quads_for_pattern(ox.NamedNode(AGREEMENT), None, None)]
    done = patch(
        store, Change(removed=tuple(q for q in record if q.graph_name not in NOT_ASSERTED)), tables=store.tables()
    )
    store.cache_path(done.version.name, CACHE_KIND).unlink()
    frozen = gc.get_freeze_count()
    assert state.adopt(done)
    after = state.index()
    assert after is done.derived[CACHE_KIND] and state.opened() is not None
    assert AGREEMENT not in after.agreements
    assert not agreement_used(find_routes(after, source, target, as_of=day))
    assert after.derived.graphs[untouched] is before.derived.graphs[untouched], "another occupation's graph kept"
    assert after == load_index(ox.Store.read_only(str(done.version)))
    assert agreement_used(find_routes(before, source, target, as_of=day)), "the index before is left as it was"
    assert asyncio.run(state.warm_after_change(after)) > 0, "the graphs the change dropped, built again"
    today = date.today()
    assert all(has_class_graph(after, GraphOptions(code, today, tuple(HopKind))) for code in after.by_occupation)
    assert gc.get_freeze_count() > frozen, "then frozen, as the index read at start is"
    assert AGREEMENT in before.agreements

    again = patch(store, undo(done), tables=store.tables())
    assert not state.adopt(done), "another version is current: the next request follows it as for any other"
    assert state.index() == load_index(ox.Store.read_only(str(again.version)))
    assert AGREEMENT in state.index().agreements


def test_the_warming_after_a_change_pauses_between_graphs_and_stops_when_another_index_is_served(
    tmp_path: Path,
) -> None:
    """``AppState.warm_after_change`` hands the event loop back after each graph it builds (other work there runs
    meanwhile), and stops once another index is served."""
    build(MINI_DATA, tmp_path / "store")
    state = AppState(Settings(tmp_path / "store"))
    index = state.index()
    ran: list[int] = []

    async def alongside() -> None:
        for _ in range(1000):
            ran.append(len(index.derived.graphs))
            await asyncio.sleep(0.0005)

    async def warming_and_more() -> int:
        other = asyncio.create_task(alongside())
        built = await state.warm_after_change(index)
        other.cancel()
        return built

    index.derived.graphs.clear()
    assert asyncio.run(warming_and_more()) == len(index.by_occupation) >= 1
    assert ran and ran[0] == 1, "other work ran in the pause after the graph built"
    state._index = None  # another version followed
    index.derived.graphs.clear()
    assert asyncio.run(state.warm_after_change(index)) == 0 and len(index.derived.graphs) == 0


def test_a_writes_work_in_the_serving_process_runs_on_its_event_loop(tmp_path: Path) -> None:
    """``AppState.on_the_loop``: from another thread (a write's), the work runs on the serving loop and its answer
    or error comes back; on the loop itself, or with no loop, it runs at once."""
    state = AppState(Settings(tmp_path / "store"))
    assert state.on_the_loop(threading.get_ident) == threading.get_ident(), "no loop: at once"

    def fails() -> None:
        raise ValueError("the work failed")

    async def main() -> tuple[int, int, int]:
        state.loop = asyncio.get_running_loop()
        from_a_thread = await asyncio.to_thread(state.on_the_loop, threading.get_ident)
        with pytest.raises(ValueError, match="the work failed"):
            await asyncio.to_thread(state.on_the_loop, fails)
        return threading.get_ident(), from_a_thread, state.on_the_loop(threading.get_ident)

    loop_thread, from_a_thread, on_it = asyncio.run(main())
    assert from_a_thread == loop_thread == on_it


def test_a_retirement_through_the_api_is_visible_in_the_next_route_lookup(tmp_path: Path) -> None:
    build(MINI_DATA, tmp_path / "store")
    settings = Settings(tmp_path / "store", writers=(("广东省人社厅", TOKEN),))
    routes = {"from": SOURCE, "to": TARGET, "as_of": "2026-06-01"}
    app = create_app(settings)
    with serving(settings, app=app) as url, httpx.Client(base_url=url, timeout=60) as http:
        first = http.get("/api/v1/routes", params=routes).json()
        assert AGREEMENT in {h["evidence"]["iri"] for r in first["routes"] for h in r["steps"]}
        body = {
            "retired_on": "2026-06-01",
            "reason": "terminated",
            "source_ids": ["SRC-ILLUSTRATIVE"],
            "illustrative": True,
        }
        retired = http.post(
            "/api/v1/tables/agreements/rows/IL-AG01/retire", json=body, headers=AUTH, params={"note": "terminated"}
        )
        assert retired.status_code == 201, retired.text
        after = http.get("/api/v1/routes", params=routes).json()
        assert AGREEMENT not in {h["evidence"]["iri"] for r in after["routes"] for h in r["steps"]}
        earlier = http.get("/api/v1/routes", params={**routes, "as_of": "2026-01-01"}).json()
        assert AGREEMENT in {h["evidence"]["iri"] for r in earlier["routes"] for h in r["steps"]}
        state = state_of(app)  # the graph of today the change dropped, built again on the server's loop
        for _ in range(600):
            if state._warming is not None and state._warming.done():
                break
            time.sleep(0.05)
        assert state._warming is not None and state._warming.result() == 1
        occupation = state.index().certificates[f"{ID}certificate-type/{SOURCE}"].occupation
        assert has_class_graph(state.index(), GraphOptions(occupation, date.today(), tuple(HopKind)))


def test_a_retirement_and_what_its_record_reads_through_update_the_records_that_read_them(
    world: EmbeddedStore, served: dict[str, RoutingIndex]
) -> None:
    """Changes whose subject is not the record they change, only what it reads: a retirement's day changed (the
    agreement retired by it is read again), and the trust of a source the agreement cites (through the source)."""
    agreement = ox.NamedNode(AGREEMENT)
    (graph,) = {q.graph_name for q in asserted(world) if q.subject == agreement}
    retirement = ox.NamedNode(f"{ID}retirement/RT-incremental-index")
    day = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")

    def on(text: str) -> ox.Quad:
        return ox.Quad(retirement, ox.NamedNode(str(CB.retiredOn)), ox.Literal(text, datatype=day), graph)

    retired = (
        ox.Quad(agreement, ox.NamedNode(str(CB.retiredBy)), retirement, graph),
        on("2026-06-01"),
        ox.Quad(retirement, ox.NamedNode(str(CB.retirementReason)), ox.Literal("terminated", language="en"), graph),
    )
    made = [patch(world, Change(added=retired), tables=world.tables())]
    check(world, served, made[-1])
    record = served["index"].agreements[AGREEMENT]
    assert record.retired is not None and str(record.retired.on) == "2026-06-01"
    made.append(patch(world, Change(removed=(on("2026-06-01"),), added=(on("2025-01-01"),)), tables=world.tables()))
    assert made[-1].touched.subjects == {retirement.value}, "only the retirement's own triples changed"
    check(world, served, made[-1])
    record = served["index"].agreements[AGREEMENT]
    assert record.retired is not None and str(record.retired.on) == "2025-01-01"

    source = next(s for s in record.sources if s.trust is not None)
    trust = ox.NamedNode(str(CB.trust))
    (stated,) = [q for q in asserted(world) if q.subject == ox.NamedNode(source.iri) and q.predicate == trust]
    other = next(q.object for q in asserted(world) if q.predicate == trust and q.object != stated.object)
    made.append(
        patch(
            world,
            Change(removed=(stated,), added=(ox.Quad(stated.subject, trust, other, stated.graph_name),)),
            tables=world.tables(),
        )
    )
    check(world, served, made[-1])
    cited = next(s for s in served["index"].agreements[AGREEMENT].sources if s.iri == source.iri)
    assert cited.trust != source.trust
    for done in reversed(made):
        check(world, served, patch(world, undo(done), tables=world.tables()))
    assert served["index"].agreements[AGREEMENT].retired is None


def test_the_graphs_carried_over_are_read_under_the_cache_lock(served: dict[str, RoutingIndex]) -> None:
    """Requests (and the warming after a change) add graphs to the cache from other threads while a change is carried
    over: reading the cache unlocked failed with "OrderedDict mutated during iteration" (a write answered 500)."""
    previous = served["index"]
    after = RoutingIndex(**{name: getattr(previous, name) for name in ORDERED_TABLES})
    done: list[int] = []
    with graphs._CACHE_LOCK:  # a request putting a graph in the cache
        carrying = threading.Thread(target=lambda: done.append(len(kept_graphs(previous, after, Changed())[0])))
        carrying.start()
        carrying.join(timeout=0.5)
        assert carrying.is_alive() and not done, "the carrying over waits for the cache"
    carrying.join(timeout=30)
    assert done == [len(previous.derived.graphs)]


def test_an_end_date_set_far_ahead_on_an_agreement_of_every_occupation_keeps_every_graph(
    world: EmbeddedStore, served: dict[str, RoutingIndex]
) -> None:
    """MR01 lists no occupation (it covers every one): an end date set to 2099-12-31 changes no graph on the days
    served, so every graph is carried over, the same objects (they were all dropped before staleness was decided
    per graph)."""
    agreement = ox.NamedNode(f"{ID}agreement/MR01")
    previous = served["index"]
    assert (
        not previous.agreements[agreement.value].scope_codes and previous.agreements[agreement.value].valid_to is None
    )
    (graph,) = {q.graph_name for q in asserted(world) if q.subject == agreement}
    xsd_date = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
    end = ox.Quad(agreement, ox.NamedNode(str(CB.validTo)), ox.Literal("2099-12-31", datatype=xsd_date), graph)
    cached = dict(previous.derived.graphs)
    assert cached, "graphs are cached on the index served"
    done = patch(world, Change(added=(end,)), tables=world.tables())
    try:
        check(world, served, done)
        after = served["index"]
        assert str(after.agreements[agreement.value].valid_to) == "2099-12-31"
        assert all(after.derived.graphs.get(key) is graph for key, graph in cached.items()), "every graph kept"
    finally:
        check(world, served, patch(world, undo(done), tables=world.tables()))


def test_graphs_a_change_dropped_are_freed_though_the_serving_process_froze_them(tmp_path: Path) -> None:
    """A serving process freezes what it holds for the garbage collector (``AppState``), which then never frees an
    object in a reference cycle. networkx kept its degree and edge views on each graph, each referring back to it:
    every graph a change dropped stayed in memory (500 MB per change at national scale). A routing graph, once used
    by lookups, is now freed by its reference count alone."""
    build(MINI_DATA, tmp_path / "store")
    state = AppState(Settings(tmp_path / "store"))
    try:
        before = state.index()
        for source in list(before.certificates)[:10]:
            for target in list(before.certificates)[:10]:
                find_routes(before, source, target)
        kept = list(before.derived.graphs.values())
        assert kept, "graphs are cached"
        views = [graph.graph if isinstance(graph, ClassGraph) else graph for graph in kept]
        for view in views:  # what lookups and coverage ask of them
            assert view.number_of_edges() >= 0 and len(view.edges) >= 0 and len(view.nodes) >= 0
        freed = [weakref.ref(view) for view in views]
        del kept, views, view, before
        store = state.store
        assert isinstance(store, EmbeddedStore)
        corrected = writes.Corrections("agreements", [("IL-AG01", {"valid_to": "2024-06-30"})], Path("arguments"), [1])
        with state.writing():
            written = writes.correct_rows(store, corrected, writer="test", note="ended early")
            assert written.patched is not None and state.adopt(written.patched)
        del written
        asyncio.run(state.warm_after_change(state.index()))  # as the serving loop does after a change
        assert gc.get_freeze_count() > 0
        served = state.index().derived.graphs.values()
        carried = {id(graph.graph if isinstance(graph, ClassGraph) else graph) for graph in served}
        dropped = [ref for ref in freed if ref() is None or id(ref()) not in carried]
        assert dropped, "the change dropped graphs (IL-AG01 ended: the graphs of its occupations)"
        assert all(ref() is None for ref in dropped), "every graph the change dropped is freed"
    finally:
        gc.unfreeze()


def test_a_changed_record_alone_in_its_list_keeps_its_list_in_place(served: dict[str, RoutingIndex]) -> None:
    """Found by the random changes above: a bridge changed (its source's record removed), the only one of its grade,
    was taken out of the grade's list and put back, so the grade went last, out of the order a fresh read holds; the
    same for a certificate type alone in its occupation. A list that is still there keeps its place."""
    index = served["index"]
    cert = next(iter(index.certificates.values()))
    by_occupation = defaultdict(list, {"first": [cert.iri], cert.occupation: [cert.iri], "last": ["z"]})
    by_occupation["first"] = ["a"]
    relabelled = dataclasses.replace(cert, label_en="relabelled")
    assert update._move(by_occupation, cert.iri, cert, relabelled) == {cert.occupation}
    assert list(by_occupation) == ["first", cert.occupation, "last"] and by_occupation[cert.occupation] == [cert.iri]

    bridge = next(bridge for bridges in index.bridges.values() for bridge in bridges)
    other = dataclasses.replace(bridge, iri=bridge.iri + "-other", grade="other-grade")
    previous = RoutingIndex(bridges=defaultdict(list, {bridge.grade: [bridge], "other-grade": [other]}))
    after = RoutingIndex(bridges=defaultdict(list, previous.bridges))
    fresh = RoutingIndex(bridges=defaultdict(list, {bridge.grade: [dataclasses.replace(bridge, years=99)]}))
    changes: dict[str, set[str]] = defaultdict(set)
    update._bridges(previous, after, fresh, {bridge.iri}, changes)
    assert list(after.bridges) == [bridge.grade, "other-grade"] and after.bridges[bridge.grade][0].years == 99
    assert changes["bridges"] == {bridge.grade}
