"""A change of asserted triples applied to the current store version without a rebuild.

A full build of a national store takes minutes and gigabytes; a change of a few rows needs neither. The next
version starts as a copy of the current one (``EmbeddedStore.writable_version(copy_of=...)``: a RocksDB
checkpoint, hard links, made in milliseconds), takes the change and its consequences for the inferred graph
(reasoning/incremental.py), a build record naming it, and the derived data (the routing index: updated from the
current version's for what the change touched, when that kind of data can be and the current version's is cached;
else derived again in full), then becomes current by the same symlink swap as a build. Readers see the version before
or the version after, never half of it; a failure at any step leaves the current version as it was.

What the change is (which quads a corrected or retired row adds and removes) is the caller's to say; the caller
holds the store's write lock, as a write does, and gives the tables the new version corresponds to, kept beside it
so that a rebuild from them reproduces it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, XSD

from certbridge.ontology import CB

from . import derived
from .derived import Touched
from .errors import StoreError
from .iris import BUILD_ACTIVITY, BUILD_GRAPH, INFERRED_GRAPH
from .progress import Progress, silent
from .reasoning.incremental import Change, InferredChange, apply_change
from .store import GraphStore, Location, as_store, new_version_name
from .store.embedded import EmbeddedStore

__all__ = ["Patched", "patch"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Patched:
    """What applying a change made: the new current version, what changed in its inferred graph, and the time."""

    version: Path
    inferred: InferredChange
    #: wall time of each step (copy, reason, record, derive, swap), for bench/bench_incremental.py
    seconds: dict[str, float]
    #: the version the change was applied to (current before it)
    previous: Path
    #: what the change touched (asserted and inferred), from which the derived data was updated
    touched: Touched
    #: the derived data of the new version, by kind (``DerivedData.kind``), as saved beside it: a process that
    #: made the change serves it without reading it back (api/state.py)
    derived: dict[str, Any]
    #: the kinds of derived data updated from the previous version's (the others were derived in full)
    updated: frozenset[str] = frozenset()


def patch(
    store: GraphStore | Location,
    change: Change,
    *,
    tables: Path,
    based_on: Path | None = None,
    version_name: str | None = None,
    progress: Progress = silent,
    elsewhere: derived.UpdateElsewhere | None = None,
) -> Patched:
    """Make the next version of *store* the current one with *change* applied, reasoned incrementally.

    *tables* are the CSV tables (and changes log) the new version corresponds to; *based_on*, the version the
    change was worked out against, if the caller read one (a change is refused when another became current since).
    *version_name* names the new version (a write logs it first, as for a build); by default a new name.
    Raises StoreError on a server store (which rebuilds instead), when nothing was built yet or when the current
    version is not *based_on*, InvalidOption for a change of graphs that hold no asserted triples; in each case the
    current version is left as it was.

    With *elsewhere*, each kind of derived data that can be updated is updated by it (in the process that holds
    the data before the change: api/write_worker.py), from what this process reads of the version after, and saved
    there before the new version becomes current.
    """
    graph_store = as_store(store)
    if not isinstance(graph_store, EmbeddedStore):
        raise StoreError(
            f"the store at {graph_store.location} is a SPARQL server: a change is applied by a rebuild there",
            hint="only the embedded store takes a change without a rebuild",
        )
    current, _ = graph_store.snapshot()  # raises the StoreError that says how to build one
    if based_on is not None and current != based_on:
        raise StoreError(
            f"the change was worked out against version {based_on.name}, but {current.name} is current now",
            hint="work the change out again against the current version",
        )
    name = version_name or new_version_name()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    try:
        with graph_store.writable_version(tables=tables, name=name, copy_of=current) as copy:
            seconds["copy"] = time.perf_counter() - started
            with progress("reasoning from the change"):
                inferred = apply_change(copy, change)
            seconds["reason"] = inferred.seconds
            mark = time.perf_counter()
            _record(copy, name, inferred)
            seconds["record"] = time.perf_counter() - mark
            mark = time.perf_counter()
            touched = Touched.of(
                [*inferred.applied.added, *inferred.applied.removed, *inferred.added, *inferred.removed]
            )
            made, updated = _derive(graph_store, current, name, copy, touched, progress, elsewhere)
            seconds["derive"] = time.perf_counter() - mark
            mark = time.perf_counter()
        seconds["swap"] = time.perf_counter() - mark
    except BaseException:
        graph_store.forget_derived(name)
        raise
    version = graph_store.current_version()
    assert version is not None
    return Patched(
        version=version,
        inferred=inferred,
        seconds=seconds,
        previous=current,
        touched=touched,
        derived=made,
        updated=updated,
    )


def _derive(
    graph_store: EmbeddedStore,
    current: Path,
    name: str,
    copy: ox.Store,
    touched: Touched,
    progress: Progress,
    elsewhere: derived.UpdateElsewhere | None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """Every registered derived data of the new version *name*, saved beside it: updated from the current version's
    where the kind can be and that is cached (by *elsewhere*, when given and able), else derived in full. Returns it
    by kind (None for what *elsewhere* updated: it holds it), and the kinds updated."""
    made: dict[str, Any] = {}
    updated: set[str] = set()
    for data in derived.registered():
        before, after = graph_store.cache_path(current.name, data.kind), graph_store.cache_path(name, data.kind)
        read_update, apply_update = data.read_update, data.apply_update
        previous = read = None
        if read_update is not None and apply_update is not None and before.exists():
            if elsewhere is not None:
                with progress(f"updating {data.name}"):
                    read = read_update(copy, touched)
                    if elsewhere(data, read, before, after):
                        made[data.kind] = None  # held where it was updated
                        updated.add(data.kind)
                        continue
            if data.read is not None:
                previous = data.read(before)
        if previous is not None and read_update is not None and apply_update is not None:
            with progress(f"updating {data.name}"):
                made[data.kind] = apply_update(previous, read if read is not None else read_update(copy, touched))
            updated.add(data.kind)
        else:
            with progress(f"deriving {data.name}"):
                made[data.kind] = data.derive(copy)
        data.save(after, made[data.kind])
    return made, frozenset(updated)


def _record(store: ox.Store, name: str, inferred: InferredChange) -> None:
    """The build record names the new version and when it was made, and counts the triples of each graph the change
    touched (as a build counts them: the count before plus what the change added, less what it removed); what the
    version was built from stays the build's."""
    graph = ox.NamedNode(str(BUILD_GRAPH))
    activity = ox.NamedNode(str(BUILD_ACTIVITY))
    extent, inferred_graph = ox.NamedNode(str(DCTERMS.extent)), ox.NamedNode(str(INFERRED_GRAPH))
    growth: Counter[ox.NamedNode] = Counter()
    for quad in inferred.applied.added:
        assert isinstance(quad.graph_name, ox.NamedNode)
        growth[quad.graph_name] += 1
    for quad in inferred.applied.removed:
        assert isinstance(quad.graph_name, ox.NamedNode)
        growth[quad.graph_name] -= 1
    growth[inferred_graph] += len(inferred.added) - len(inferred.removed)
    now = ox.Literal(datetime.now(UTC).isoformat(), datatype=ox.NamedNode(str(XSD.dateTime)))
    replaced = {
        (activity, ox.NamedNode(str(DCTERMS.identifier))): ox.Literal(name),
        (activity, ox.NamedNode(str(PROV.endedAtTime))): now,
    }
    for named, more in growth.items():
        replaced[named, extent] = _integer(_count(store, named, extent) + more)
    replaced[activity, ox.NamedNode(str(CB.inferredTriples))] = _integer(
        _count(store, activity, ox.NamedNode(str(CB.inferredTriples))) + growth[inferred_graph]
    )
    for (s, p), o in replaced.items():
        for old in list(store.quads_for_pattern(s, p, None, graph)):
            store.remove(old)
        store.add(ox.Quad(s, p, o, graph))


def _count(store: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode) -> int:
    """A count the build record holds (0 for a graph it did not count)."""
    for quad in store.quads_for_pattern(subject, predicate, None, ox.NamedNode(str(BUILD_GRAPH))):
        if isinstance(quad.object, ox.Literal):
            return int(quad.object.value)
    return 0


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(str(XSD.integer)))
