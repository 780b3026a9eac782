"""Where the graph is stored: the embedded on-disk Oxigraph (default) or a SPARQL 1.1 server.

This package is the one place the backend is chosen: :func:`store_at` turns a location, a directory (embedded)
or a :class:`~certbridge.graph.remote.location.RemoteLocation` (``sparql+http://...``), into a
:class:`GraphStore`: :class:`EmbeddedStore` (``embedded.py``) or :class:`ServerStore` (``server.py``). A
GraphStore owns its location, its current version, opening it (an object with pyoxigraph's ``Store`` interface
on either backend), new versions (``new_version``, whose stages graph/build.py runs), its working directory
(derived data, kept tables, the write lock) and, for a server, its one HTTP client. Callers create one from the
settings and pass it down; :func:`open_store` is a shorthand for scripts and tests.
"""

from __future__ import annotations

from ..remote.location import RemoteLocation
from .base import (
    CACHE_DIR,
    CURRENT,
    KEEP_VERSIONS,
    PARTIAL_SUFFIX,
    TABLES_DIR,
    VERSION_PREFIX,
    WRITE_LOCK,
    WRITES_DIR,
    AnyStore,
    GraphStore,
    Location,
    NewVersion,
    link_or_copy,
    new_version_name,
)
from .embedded import NOT_IN_MEMORY, EmbeddedStore
from .server import ServerStore

__all__ = [
    "CACHE_DIR",
    "CURRENT",
    "KEEP_VERSIONS",
    "NOT_IN_MEMORY",
    "PARTIAL_SUFFIX",
    "TABLES_DIR",
    "VERSION_PREFIX",
    "WRITES_DIR",
    "WRITE_LOCK",
    "AnyStore",
    "EmbeddedStore",
    "GraphStore",
    "Location",
    "NewVersion",
    "ServerStore",
    "as_store",
    "link_or_copy",
    "new_version_name",
    "open_store",
    "store_at",
]


def store_at(location: Location) -> GraphStore:
    """The store at *location*: the one place the backend is chosen."""
    return ServerStore(location) if isinstance(location, RemoteLocation) else EmbeddedStore(location)


def as_store(store: GraphStore | Location) -> GraphStore:
    """*store* itself, or the store at a location (entry points take either, so scripts and tests may pass a path)."""
    return store if isinstance(store, GraphStore) else store_at(store)


def open_store(location: GraphStore | Location) -> AnyStore:
    """Shorthand: the current version at *location*, read-only (StoreError naming the location when none)."""
    return as_store(location).open()
