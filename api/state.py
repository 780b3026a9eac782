"""What the application holds across requests, as one typed object (``AppState``) made in ``create_app``.

The store (a :class:`~certbridge.graph.store.GraphStore`, created once from the settings), the version served
with the store opened at it and its routing index, and the query workers. The opened store and the index follow
the store's current version: after a write (or a build by another process) swaps in a new version, the next
request opens it, and requests already running keep the version they started with (the store keeps the previous
version on disk). A write made in this process and applied as a change (graph/patch.py) hands its updated index
over (``adopt``): the next request serves it without reading the cache, with the routing graphs and search index
of what the change did not touch carried over (graph/routing/carry.py). Handlers reach it through the functions
below, or the ``Annotated`` dependencies, which tests
can override (``app.dependency_overrides``).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar, cast

from fastapi import Depends, FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool

from certbridge.graph.errors import NotFound
from certbridge.graph.patch import Patched
from certbridge.graph.routing import warm
from certbridge.graph.routing.cache import CACHE_KIND
from certbridge.graph.routing.carry import carry_over
from certbridge.graph.routing.graphs import warming
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.routing.search import search_index
from certbridge.graph.store import AnyStore, GraphStore, store_at
from certbridge.graph.store.releases import release_named
from certbridge.graph.writes import Written

from .query_worker import Limits, QueryPool
from .settings import Settings
from .write_worker import WriteJob, WriterProcess

T = TypeVar("T")

#: how many older versions (releases) the app keeps opened, with their routing indexes, besides the current one:
#: an index is hundreds of megabytes at national scale, so few; a request for another loads it from its cache
PINNED_VERSIONS = 2
#: the pause after each routing graph a change dropped is built again on the serving event loop
#: (``AppState.warm_after_change``): at least this long, and this many times as long as the graph took, so that the
#: warming takes about a tenth of the loop while requests want the rest (a lookup whose graph is not built yet
#: builds it itself)
WARM_PAUSE_S = 0.005
WARM_PAUSE_FACTOR = 9.0
#: where a request's pinned version is put (``request.state``, which the conventions middleware reads for the ETag)
PINNED = "certbridge_pinned_version"


def settle() -> None:
    """Collect the garbage made since the last freeze, then freeze what is left (``gc.freeze``).

    A serving process holds millions of long-lived objects (the routing index, its graphs); frozen, collections skip
    them. Collecting first frees the reference cycles made meanwhile, which frozen would never be freed, and costs
    about a millisecond when done often: only what is not frozen is walked."""
    gc.collect()
    gc.freeze()


class AppState:
    """The settings, the store, the version served (opened, and its routing index) and the query workers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: GraphStore = store_at(settings.store)
        self._lock = threading.RLock()
        self._version: Path | None = None
        self._followed = False
        self._opened: AnyStore | None = None
        self._index: RoutingIndex | None = None
        self._pool: QueryPool | None = None
        self._writer: WriterProcess | None = None
        #: what ``per_version`` computed for the version served, by name
        self._per_version: dict[str, object] = {}
        #: writes of this process under way (``writing``): the version served is kept until they are adopted
        self._writing = 0
        #: the event loop serving requests (set by ``create_app``'s lifespan), which warms the graphs a change
        #: dropped (``warm_after_change``), and the warming under way there
        self.loop: asyncio.AbstractEventLoop | None = None
        self._warming: asyncio.Task[int] | None = None
        #: held while a what-if of a proposed change builds its scratch version (api/proposed.py): one at a time
        self.proposing = threading.Lock()
        #: older versions read by pinned requests (``?release=``): opened store and index, most recently used last
        self._pinned: OrderedDict[str, tuple[AnyStore, RoutingIndex | None]] = OrderedDict()

    def _follow_version(self) -> None:
        """Forget the opened store and index when the store's current version changed (called under the lock)."""
        if self._writing and self._index is not None:
            return  # a write of this process is under way: its version is adopted when it is done (``writing``)
        version = self.store.current_version()
        if not self._followed or self._version != version:
            self._followed, self._version = True, version
            self._opened = self._index = None
            self._per_version = {}

    @contextmanager
    def writing(self) -> Iterator[None]:
        """While a write of this process runs (and is adopted), keep serving the version served before it, with its
        index: the new version becomes current on disk before the write returns, and a request that followed it
        then would load and warm its whole index, under the lock, while the write holds the updated one."""
        with self._lock:
            self._writing += 1
        try:
            yield
        finally:
            with self._lock:
                self._writing -= 1

    def adopt(self, patched: Patched) -> bool:
        """Serve the version *patched* made with its updated routing index (no cache read), the routing graphs and
        search index of the index served before carried over where the change did not touch them. Returns False,
        leaving the next request to follow the version as for any other, when the index served was not of the
        version the change was applied to, or another version became current meanwhile.

        The carrying over runs outside the lock (it changes nothing requests read: the new index is not served
        yet); the swap of version and index under it, so a request sees the version before or the one after."""
        index = patched.derived.get(CACHE_KIND)
        if not isinstance(index, RoutingIndex):
            return False
        with self._lock:
            previous = self._index if self._version == patched.previous else None
        if previous is not None:
            carry_over(previous, index)
        else:
            search_index(index)  # as a freshly loaded index would be (the graphs are built on first use)
        with self._lock:
            if self.store.current_version() != patched.version:
                return False
            if self._version not in (patched.previous, patched.version) or (
                self._version == patched.version and self._index is not None
            ):
                return False
            self._followed, self._version = True, patched.version
            self._opened, self._index = None, index
            self._per_version = {}
            settle()  # the new index's tables and what was carried over, without the write's garbage
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._start_warming, index)
        return True

    def _start_warming(self, index: RoutingIndex) -> None:
        self._warming = asyncio.get_running_loop().create_task(self.warm_after_change(index))

    async def warm_after_change(self, index: RoutingIndex) -> int:
        """Build the routing graphs a change dropped, largest occupation first, on the event loop between requests
        (a lookup needing one meanwhile builds it), with a pause after each of ``WARM_PAUSE_FACTOR`` times the time
        it took: a change of an agreement between two provinces drops every occupation's graph, seconds of work, of
        which requests need only the graphs of the occupations they ask about. Stops when another index is served;
        returns how many it built.

        On the loop rather than in a thread: a thread building graphs fights the loop for the interpreter (each of
        the loop's socket calls hands it over, and the loop waits up to the switch interval to get it back), and
        lookups while changes ran waited twice as long at the 95th percentile (bench/README.md).

        After each graph, what the process holds is collected and frozen (``settle``), as at start (``index``): a
        full garbage collection otherwise walks every graph built since the last freeze, so warming all of a
        national store's graphs took twice as long (16.6 s instead of 7.6 s; bench/README.md) and the collection
        after it stalled every request for 1.2 s."""
        built = 0
        started = time.perf_counter()
        graphs = warming(index, date.today())
        while self._index is index and (made := next(graphs, None)) is not None:
            if made:
                built += 1
                settle()
                await asyncio.sleep(max(WARM_PAUSE_S, WARM_PAUSE_FACTOR * (time.perf_counter() - started)))
                started = time.perf_counter()
        settle()
        return built

    def opened(self) -> AnyStore:
        """The store opened at the version served (StoreError when nothing was built yet)."""
        with self._lock:
            self._follow_version()
            if self._opened is None:
                self._opened = self.store.open()
            return self._opened

    def opened_at(self, version: Path) -> AnyStore:
        """The store opened at *version*, a release's (kept opened for the next pinned request)."""
        return self._at(version, index=False)[0]

    def index_at(self, version: Path) -> RoutingIndex:
        """The routing index of *version*, a release's (from its cache beside the version; not warmed)."""
        index = self._at(version, index=True)[1]
        assert index is not None
        return index

    def _at(self, version: Path, *, index: bool) -> tuple[AnyStore, RoutingIndex | None]:
        with self._lock:
            self._follow_version()
            if version == self._version:
                return self.opened(), self.index() if index else None
            found = self._pinned.get(version.name)
            if found is None:
                found = (self.store.open_version(version), None)
            if index and found[1] is None:
                found = (found[0], index_for(self.store, version))
            self._pinned[version.name] = found
            self._pinned.move_to_end(version.name)
            while len(self._pinned) > PINNED_VERSIONS:
                self._pinned.popitem(last=False)
            return found

    def per_version(self, name: str, compute: Callable[[AnyStore], T]) -> T:
        """What *compute* answers on the version served, computed once per version (a scan of the whole store, say:
        seconds at national scale). Computed outside the lock, so that route lookups never wait for it; two
        requests at once may both compute it."""
        with self._lock:
            self._follow_version()
            if name in self._per_version:
                return cast(T, self._per_version[name])
            version, opened = self._version, self.opened()
        value = compute(opened)
        with self._lock:
            if self._version == version:
                self._per_version[name] = value
        return value

    def loaded_index(self) -> RoutingIndex | None:
        """The routing index of the version served if it is loaded already, else None (loading takes seconds)."""
        with self._lock:
            self._follow_version()
            return self._index

    def index(self) -> RoutingIndex:
        """The routing index of the version served (also loaded at startup, so the first request need not wait)."""
        with self._lock:
            self._follow_version()
            if self._index is None:
                self._index = index_for(self.store)
                search_index(self._index)  # now, once, rather than in the first searches
                warm(self._index, date.today())  # every occupation's routing graph, before the first route query
                # The index is millions of long-lived objects: without freezing them, each full garbage
                # collection walks them all and stalls every request for a second at national scale.
                settle()
            return self._index

    def pool(self) -> QueryPool:
        """The query workers, started on first use (a missing store is reported first, before any worker)."""
        with self._lock:
            if self._pool is None:
                self.opened()
                settings = self.settings
                limits = Limits(timeout_s=settings.sparql_timeout_s, memory_mb=settings.sparql_worker_memory_mb)
                self._pool = QueryPool(
                    self.store,
                    size=settings.sparql_workers,
                    limits=limits,
                    queue_timeout_s=settings.sparql_queue_timeout_s,
                )
            return self._pool

    def write(self, job: WriteJob) -> Written:
        """Apply *job* in the writer process (started on the first write), then serve the version it made with its
        updated routing index when it was applied as a change (``adopt``; a version rebuilt in full is read from its
        cache by the next request). Meanwhile requests keep the version served before (``writing``): were they to
        follow the new version the moment it is current, they would load and warm its index in full, the very work
        the change spared."""
        with self._lock:
            if self._writer is None:
                self._writer = WriterProcess(self.settings.store, self.held, self.on_the_loop)
            writer = self._writer
        with self.writing():
            written = writer.run(job)
            patched = written.patched
            if patched is not None:
                self.on_the_loop(lambda: self.adopt(patched))
        return written

    def on_the_loop(self, work: Callable[[], T]) -> T:
        """Run *work* on the serving event loop and wait for its answer, from a thread (a write's); at once when
        there is no loop (no server: tests, scripts) or when called on it.

        Why: what a write costs the serving process (its index update, the adoption: tenths of a second of Python at
        national scale) done in the write's thread fights the loop for the interpreter (each of the loop's socket
        calls hands it over, and the loop waits up to the switch interval to get it back); done on the loop, between
        requests, route lookups while changes ran waited a quarter less at the 95th percentile (bench/README.md)."""
        loop = self.loop
        if loop is None or loop.is_closed() or _running(loop):
            return work()

        async def run() -> T:
            return work()

        return asyncio.run_coroutine_threadsafe(run(), loop).result()

    def held(self, cache: Path) -> RoutingIndex | None:
        """The routing index served, if *cache* is its cache file (the version served's): what a change made in the
        writer process is applied to (api/write_worker.py)."""
        with self._lock:
            version, index = self._version, self._index
        if version is None or index is None or cache != self.store.cache_path(version.name, CACHE_KIND):
            return None
        return index

    def started_pool(self) -> QueryPool | None:
        """The query workers if they were started (health reports them without starting them)."""
        return self._pool

    def close(self) -> None:
        """Stop the query workers and close the store (at shutdown)."""
        with self._lock:
            pool, self._pool = self._pool, None
            writer, self._writer = self._writer, None
        if pool is not None:
            pool.close()
        if writer is not None:
            writer.close()
        self.store.close()


def _running(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether *loop* is the loop running in this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def state_of(app: FastAPI) -> AppState:
    state: AppState = app.state.certbridge
    return state


def settings_of(request: Request) -> Settings:
    return state_of(request.app).settings


def graph_store_of(request: Request) -> GraphStore:
    return state_of(request.app).store


def pinned_version(request: Request) -> Path | None:
    """The version a request pinned with ``?release=`` (through :func:`pinned`), else None: the current one."""
    version: Path | None = getattr(request.state, PINNED, None)
    return version


def store_of(request: Request) -> AnyStore:
    """The store opened at the version the request reads: its release's, else the current one."""
    version = pinned_version(request)
    state = state_of(request.app)
    return state.opened() if version is None else state.opened_at(version)


def pool_of(request: Request) -> QueryPool:
    return state_of(request.app).pool()


def index_of(request: Request) -> RoutingIndex:
    """The routing index of the version the request reads: its release's, else the current one."""
    version = pinned_version(request)
    state = state_of(request.app)
    return state.index() if version is None else state.index_at(version)


def loaded_index(request: Request) -> RoutingIndex | None:
    """The current version's index if loaded already; None for a pinned request (its index may need loading)."""
    return None if pinned_version(request) is not None else state_of(request.app).loaded_index()


#: the ``?release=TAG`` parameter of every read that can answer as of a release
Release = Annotated[
    str | None,
    Query(
        description="answer from this data release (its tag: GET /api/v1/releases) rather than the current "
        "data (e.g. 2026-12); the answer's ETag and Certbridge-Data-Version name the release's version; 404 "
        "for a release not kept",
    ),
]


def pinned(request: Request, release: Release = None) -> Path | None:
    """The dependency that pins a read to a release (``?release=TAG``): 404 for a release not kept.

    Declared once, taken by every read that can answer as of a release (the routes, search, coverage, entities
    …), so that OpenAPI documents the parameter on each; what the read opens follows (``store_of``, ``index_of``).
    """
    if release is None:
        return None
    state = state_of(request.app)
    version = state.store.version_path(release_named(state.store, release).version)
    if version is None:
        raise NotFound(f"the version of the release {release!r} is missing from the store")
    setattr(request.state, PINNED, version)
    return version


async def pin(request: Request, release: Release = None) -> Path | None:
    """:func:`pinned` as the dependency: a read of the current data (no ``release``) returns at once on the event
    loop; only a release, whose lookup reads the store, goes to the thread pool (FastAPI would send a plain
    function there on every request, and the hop costs a route lookup a good part of its time)."""
    if release is None:
        return None
    return await run_in_threadpool(pinned, request, release)


#: dependencies for handlers (``index: Index``), overridable in tests (``app.dependency_overrides[index_of]``)
Pinned = Depends(pin)
Index = Annotated[RoutingIndex, Depends(index_of)]
AppGraphStore = Annotated[GraphStore, Depends(graph_store_of)]
AppSettings = Annotated[Settings, Depends(settings_of)]
