"""What a request reads from the application: its settings, the store and the routing index.

The store and the index are opened once per store version: after a write (or a build by another
process) swaps in a new version, the next request opens it, and requests already running keep the
version they started with (the store keeps the previous version on disk).
"""

from __future__ import annotations

import gc
import threading
from datetime import date
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.datastructures import State

from certbridge.graph.routing import warm
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.routing.search import search_index
from certbridge.graph.store import AnyStore, current_version, open_store

from .query_worker import Limits, QueryPool
from .settings import Settings

_LOCK = threading.RLock()


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def _follow_version(state: State) -> None:
    """Forget the opened store and index when the store's current version changed."""
    version: Path | None = current_version(state.settings.store)
    if not hasattr(state, "version") or state.version != version:
        state.version = version
        state.store = None
        state.index = None


def store_of(request: Request) -> AnyStore:
    state = request.app.state
    with _LOCK:
        _follow_version(state)
        if state.store is None:
            state.store = open_store(state.settings.store)
        return state.store


def pool_of(request: Request) -> QueryPool:
    return pool_for(request.app)


def pool_for(app: FastAPI) -> QueryPool:
    """The app's query workers, started on first use (a missing store is reported first, before any worker)."""
    state = app.state
    with _LOCK:
        if getattr(state, "pool", None) is None:
            _follow_version(state)
            if state.store is None:
                state.store = open_store(state.settings.store)
            settings: Settings = state.settings
            limits = Limits(timeout_s=settings.sparql_timeout_s, memory_mb=settings.sparql_worker_memory_mb)
            state.pool = QueryPool(
                settings.store,
                size=settings.sparql_workers,
                limits=limits,
                queue_timeout_s=settings.sparql_queue_timeout_s,
            )
        return state.pool


def index_of(request: Request) -> RoutingIndex:
    return load_index_of(request.app)


def loaded_index(request: Request) -> RoutingIndex | None:
    """The routing index of the version served if it is loaded already, else None (loading takes seconds)."""
    state = request.app.state
    with _LOCK:
        _follow_version(state)
        return state.index


def load_index_of(app: FastAPI) -> RoutingIndex:
    """The routing index of the version the app serves (also called at startup, so the first request need not wait)."""
    state = app.state
    with _LOCK:
        _follow_version(state)
        if state.index is None:
            state.index = index_for(state.settings.store)
            search_index(state.index)  # now, once, rather than in the first searches
            warm(state.index, date.today())  # every occupation's routing graph, before the first route query
            # The index is millions of long-lived objects: without freezing them, each full garbage
            # collection walks them all and stalls every request for a second at national scale.
            gc.collect()
            gc.freeze()
        return state.index
