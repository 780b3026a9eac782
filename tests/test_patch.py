"""A change applied to a store version without a rebuild (graph/patch.py): a copy of the current version, the change
reasoned incrementally, a record naming it, the routing index derived again, the swap; compared with reasoning the
same asserted graphs from scratch."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers.data import MINI_DATA

from certbridge.graph.build import build
from certbridge.graph.errors import InvalidOption, StoreError
from certbridge.graph.iris import BUILD_ACTIVITY, BUILD_GRAPH, INFERRED_GRAPH
from certbridge.graph.patch import patch
from certbridge.graph.reasoning import materialise
from certbridge.graph.reasoning.incremental import Change
from certbridge.graph.routing import cache
from certbridge.graph.routing.index import load_index
from certbridge.graph.routing.load import ORDERED_TABLES
from certbridge.graph.store import EmbeddedStore
from certbridge.graph.store.base import KEEP_VERSIONS
from certbridge.ontology import CB, VOC

INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
BUILD = ox.NamedNode(str(BUILD_GRAPH))


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    return EmbeddedStore(location)


def quads_of(version: Path) -> set[ox.Quad]:
    return set(ox.Store.read_only(str(version)).quads_for_pattern(None, None, None))


def reasoned_from_scratch(quads: set[ox.Quad]) -> ox.Store:
    fresh = ox.Store()
    fresh.extend(q for q in quads if q.graph_name not in (INFERRED, BUILD))
    materialise(fresh)
    return fresh


def graph_of(store: ox.Store, graph: ox.NamedNode) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, graph))


def a_mutual_agreement(quads: set[ox.Quad]) -> list[ox.Quad]:
    agreement = next(
        q.subject
        for q in quads
        if q.predicate == ox.NamedNode(str(CB.direction)) and q.object == ox.NamedNode(str(VOC["direction-mutual"]))
    )
    return [q for q in quads if q.subject == agreement and q.graph_name not in (INFERRED, BUILD)]


def record_value(store: ox.Store, subject: ox.NamedNode, predicate: object) -> str:
    (quad,) = store.quads_for_pattern(subject, ox.NamedNode(str(predicate)), None, BUILD)
    return str(quad.object.value)


def test_a_retired_agreement_is_patched_in_as_a_full_reasoning_would_make_it(store: EmbeddedStore) -> None:
    before = store.current_version()
    assert before is not None
    old = quads_of(before)
    agreement = a_mutual_agreement(old)
    patched = patch(store, Change(removed=tuple(agreement)), tables=store.tables())
    assert patched.version == store.current_version() != before
    assert quads_of(before) == old, "the version before is untouched (its files were linked, not shared)"
    assert patched.inferred.removed and patched.inferred.domain_removed
    now = ox.Store.read_only(str(patched.version))
    expected = reasoned_from_scratch(quads_of(patched.version))
    assert graph_of(now, INFERRED) == graph_of(expected, INFERRED)
    activity = ox.NamedNode(str(BUILD_ACTIVITY))
    assert record_value(now, activity, "http://purl.org/dc/terms/identifier") == patched.version.name
    inferred_count = len(graph_of(now, INFERRED))
    assert int(record_value(now, activity, CB.inferredTriples)) == inferred_count
    assert int(record_value(now, INFERRED, "http://purl.org/dc/terms/extent")) == inferred_count
    agreements_graph = agreement[0].graph_name
    assert isinstance(agreements_graph, ox.NamedNode)
    extent = int(record_value(now, agreements_graph, "http://purl.org/dc/terms/extent"))
    assert extent == len(graph_of(now, agreements_graph))
    saved = cache.read(store, patched.version.name)
    assert saved is not None and saved == load_index(expected), "the routing index of the patched version"
    assert saved != cache.read(store, before.name)

    again = patch(store, Change(added=tuple(agreement)), tables=store.tables())
    assert graph_of(ox.Store.read_only(str(again.version)), INFERRED) == {q for q in old if q.graph_name == INFERRED}, (
        "the agreement back: the inferred graph as it was"
    )


def test_a_failed_change_leaves_the_current_version_and_nothing_behind(store: EmbeddedStore) -> None:
    before = store.current_version()
    assert before is not None
    listing = sorted(p.name for p in store.location.iterdir())
    cached = sorted(p.name for p in (store.location / "cache").iterdir())
    wrong = ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.NamedNode("urn:y"), INFERRED)
    with pytest.raises(InvalidOption):
        patch(store, Change(added=(wrong,)), tables=store.tables())
    assert store.current_version() == before
    assert sorted(p.name for p in store.location.iterdir()) == listing
    assert sorted(p.name for p in (store.location / "cache").iterdir()) == cached


def test_readers_see_the_version_before_or_after_never_half(store: EmbeddedStore) -> None:
    """A reader opening the current version again and again while an agreement is retired and restored: in every
    version it opens, the agreement and the recognition statements derived from it are both there or both gone."""
    version = store.current_version()
    assert version is not None
    agreement = a_mutual_agreement(quads_of(version))
    subject = agreement[0].subject
    derived_from = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    seen: list[tuple[bool, bool]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                _, current = store.snapshot()
            except StoreError:  # the version it found was pruned before it opened it (two swaps meanwhile): again
                continue
            stated = any(current.quads_for_pattern(subject, None, None, agreement[0].graph_name))
            derived = any(current.quads_for_pattern(None, derived_from, subject, INFERRED))
            seen.append((stated, derived))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(3):
            patch(store, Change(removed=tuple(agreement)), tables=store.tables())
            patch(store, Change(added=tuple(agreement)), tables=store.tables())
    finally:
        done.set()
        reader.join()
    assert (True, True) in seen
    assert set(seen) <= {(True, True), (False, False)}, (
        "a version with the agreement but not its statements, or the reverse"
    )


def test_a_change_based_on_a_version_no_longer_current_is_refused(store: EmbeddedStore) -> None:
    first = store.current_version()
    assert first is not None
    agreement = a_mutual_agreement(quads_of(first))
    patch(store, Change(removed=tuple(agreement)), tables=store.tables(), based_on=first)
    moved = store.current_version()
    with pytest.raises(StoreError, match="is current now"):
        patch(store, Change(added=tuple(agreement)), tables=store.tables(), based_on=first)
    assert store.current_version() == moved


def tables_in_order(index: object) -> dict[str, list[tuple[str, object]]]:
    """Every table of an index as its (key, record) pairs in the order it holds them (answers follow that order)."""
    return {name: list(getattr(index, name).items()) for name in ORDERED_TABLES}


def test_a_patched_version_caches_its_changed_records_on_a_linked_full_index(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each patched version's cache holds only the records changed since the build's full cache (linked beside it
    as ``.base``, so pruning the built version loses nothing); read back in a fresh process, it equals the index read
    from the version's store, in order; past FULL_AFTER changed records the cache is full again."""
    built = store.current_version()
    assert built is not None
    agreement = a_mutual_agreement(quads_of(built))
    full_size = store.cache_path(built.name, cache.CACHE_KIND).stat().st_size
    versions = []
    for step in range(KEEP_VERSIONS + 2):  # the built version is pruned meanwhile
        change = Change(removed=tuple(agreement)) if step % 2 == 0 else Change(added=tuple(agreement))
        versions.append(patch(store, change, tables=store.tables()).version)
    assert not built.exists(), "the built version was pruned"
    for version in versions[-KEEP_VERSIONS:]:
        path = store.cache_path(version.name, cache.CACHE_KIND)
        assert path.stat().st_size < full_size / 4, "only the changed records"
        assert path.with_suffix(cache.BASE_SUFFIX).stat().st_size == full_size
        cache._HELD.clear()  # as a process that never held it reads it
        read = cache.read(store, version.name)
        assert read is not None
        assert tables_in_order(read) == tables_in_order(load_index(ox.Store.read_only(str(version))))

    monkeypatch.setattr(cache, "FULL_AFTER", 0)
    last = patch(store, Change(removed=tuple(agreement)), tables=store.tables()).version
    path = store.cache_path(last.name, cache.CACHE_KIND)
    assert not path.with_suffix(cache.BASE_SUFFIX).exists() and path.stat().st_size >= full_size * 0.9
    cache._HELD.clear()
    assert tables_in_order(cache.read(store, last.name)) == tables_in_order(load_index(ox.Store.read_only(str(last))))
