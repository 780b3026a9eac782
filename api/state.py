"""What a request reads from the application: its settings, the store and the routing index (opened once)."""

from __future__ import annotations

import threading

import pyoxigraph as ox
from fastapi import Request

from certbridge.graph.routing.index import RoutingIndex, index_for
from certbridge.graph.store import open_store

from .query_worker import QueryPool
from .settings import Settings

_LOCK = threading.RLock()


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def store_of(request: Request) -> ox.Store:
    state = request.app.state
    with _LOCK:
        if getattr(state, "store", None) is None:
            state.store = open_store(state.settings.store)
        return state.store


def pool_of(request: Request) -> QueryPool:
    state = request.app.state
    with _LOCK:
        if getattr(state, "pool", None) is None:
            store_of(request)  # a missing store is reported here, before any worker is started
            state.pool = QueryPool(state.settings.store, size=state.settings.sparql_workers)
        return state.pool


def index_of(request: Request) -> RoutingIndex:
    state = request.app.state
    with _LOCK:
        if getattr(state, "index", None) is None:
            state.index = index_for(state.settings.store)
        return state.index
