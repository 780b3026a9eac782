"""Where the graph is stored: the embedded on-disk Oxigraph (default) or a SPARQL 1.1 server.

This module is the one place the backend is chosen: a location is a directory (embedded) or a
:class:`~certbridge.graph.remote.location.RemoteLocation` (``sparql+http://...``), and
:func:`open_store` answers an object with pyoxigraph's ``Store`` interface for either.

The embedded store is built into a fresh version and swapped in only on success.

Layout of a store location ``STORE/``::

    STORE/current -> v-20261126T201500Z-4242     symlink to the version readers open
    STORE/v-20261126T201500Z-4242/               an Oxigraph (RocksDB) directory
    STORE/v-....partial/                         a build in progress (removed if it fails)
    STORE/cache/v-20261126T201500Z-4242.*        data derived from a version (e.g. the routing index)
    STORE/tables/v-20261126T201500Z-4242/        the CSV tables that version was built from (writes start there)
    STORE/.write-lock                            held while a write rebuilds the next version

A build writes a new version directory; only when it is complete is ``current`` repointed, with an
atomic ``os.replace`` of the symlink. A failed build removes its partial directory, so the store
readers see is never half-written. The previous version is kept until the next build, so a reader
that opened it just before the swap keeps working.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

import pyoxigraph as ox
from rdflib.namespace import DCTERMS

from .errors import StoreError
from .iris import BUILD_ACTIVITY, BUILD_GRAPH
from .remote.location import RemoteLocation
from .remote.store import RemoteStore

Location: TypeAlias = Path | RemoteLocation
#: what open_store answers: the embedded store, or a server behind the same interface
AnyStore: TypeAlias = ox.Store | RemoteStore

CURRENT = "current"
CACHE_DIR = "cache"
TABLES_DIR = "tables"
WRITE_LOCK = ".write-lock"
VERSION_PREFIX = "v-"
PARTIAL_SUFFIX = ".partial"
KEEP_VERSIONS = 2


def local_dir(location: Location) -> Path:
    """The local directory of a location: the store itself, or a server store's working directory."""
    return location.workdir if isinstance(location, RemoteLocation) else location


#: seconds a server store's version is trusted before it is asked again (every request asks)
REMOTE_VERSION_TTL_S = 1.0
_remote_versions: dict[RemoteLocation, tuple[float, Path | None]] = {}


def current_version(location: Location) -> Path | None:
    """The version readers use (a directory of the embedded store), or None when nothing was built yet.

    On a server, the version is the identifier the last complete build wrote into its build record,
    as a path under the working directory (where its kept tables and cache live).
    """
    if isinstance(location, RemoteLocation):
        return _remote_version(location)
    link = location / CURRENT
    if not link.is_symlink():
        return None
    target = location / os.readlink(link)
    return target if target.is_dir() else None


def _remote_version(location: RemoteLocation) -> Path | None:
    now = time.monotonic()
    known = _remote_versions.get(location)
    if known is not None and now - known[0] < REMOTE_VERSION_TTL_S:
        return known[1]
    answer = open_server(location).query(
        f"SELECT ?id WHERE {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_ACTIVITY}> <{DCTERMS.identifier}> ?id }} }}"
    )
    assert isinstance(answer, ox.QuerySolutions)
    ids = sorted(row["id"].value for row in answer)
    version = location.workdir / ids[-1] if ids else None
    _remote_versions[location] = (now, version)
    return version


def forget_version(location: Location) -> None:
    """After a build on a server: ask it again rather than trust the version seen a moment ago."""
    if isinstance(location, RemoteLocation):
        _remote_versions.pop(location, None)


def prune_workdir(location: RemoteLocation) -> None:
    """Keep the tables and caches of a server store's newest KEEP_VERSIONS versions only."""
    tables = location.workdir / TABLES_DIR
    names = sorted(p.name for p in tables.iterdir()) if tables.is_dir() else []
    live = set(names[-KEEP_VERSIONS:])
    for name in names[:-KEEP_VERSIONS]:
        shutil.rmtree(tables / name, ignore_errors=True)
    _prune_cache(location.workdir, live)


def _prune_cache(folder: Path, live: set[str]) -> None:
    """Remove what was derived from versions no longer kept (cache files are named after their version)."""
    cache = folder / CACHE_DIR
    if cache.is_dir():
        for derived in cache.iterdir():
            if derived.name.split(".", 1)[0] not in live:
                derived.unlink(missing_ok=True)


_remote_stores: dict[RemoteLocation, RemoteStore] = {}


def open_server(location: RemoteLocation) -> RemoteStore:
    """A server store whether or not it holds a build yet (a build opens it so): one client per server per process."""
    if location not in _remote_stores:
        _remote_stores[location] = RemoteStore(location)
    return _remote_stores[location]


def open_store(location: Location) -> AnyStore:
    """Open the current version read-only; raise StoreError naming the location when there is none."""
    if isinstance(location, RemoteLocation):
        if _remote_version(location) is None:
            raise StoreError(
                f"no certbridge build on the SPARQL server at {location}",
                hint=f"build one with: certbridge build --store {location}",
            )
        return open_server(location)
    version = current_version(location)
    if version is None:
        raise StoreError(
            f"no certbridge store at {location}",
            hint=f"build one with: certbridge build --store {location}",
        )
    try:
        return ox.Store.read_only(str(version))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {location}: {exc}") from exc


def _check_location(location: Path) -> None:
    if location.exists() and not location.is_dir():
        raise StoreError(f"the store location {location} is a file, not a directory")
    if location.is_dir() and current_version(location) is None:
        ours = {CACHE_DIR, TABLES_DIR, WRITE_LOCK}
        foreign = [p.name for p in location.iterdir() if not p.name.startswith(VERSION_PREFIX) and p.name not in ours]
        if foreign:
            raise StoreError(
                f"{location} is not empty and holds no certbridge store (found {', '.join(sorted(foreign)[:3])})",
                hint="choose an empty or new directory for --store",
            )


def kept_tables(location: Location, version: Path) -> Path:
    """Where the tables *version* was built from are kept (it may not exist for stores built before)."""
    return local_dir(location) / TABLES_DIR / version.name


def keep_tables(location: Location, version: Path, tables: Path) -> None:
    """Copy the CSV tables a version was built from beside it, so that a later write can start from them."""
    kept = kept_tables(location, version)
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for table in tables.glob("*.csv"):
        shutil.copy2(table, kept / table.name)


def tables_of(location: Location) -> Path:
    """The tables the current version was built from; a write adds its rows to a copy of them."""
    version = current_version(location)
    if version is None:
        open_store(location)  # raises the StoreError that says how to build one
    assert version is not None
    tables = kept_tables(location, version)
    if not tables.is_dir():
        raise StoreError(
            f"the store at {location} does not keep the tables it was built from",
            hint=f"rebuild it once with: certbridge build --store {location}",
        )
    return tables


@contextlib.contextmanager
def write_lock(location: Location) -> Iterator[None]:
    """One writer at a time: a write reads the current version's tables and builds the next version.

    On a server store the lock is the working directory's, so it orders writers of one machine only.
    """
    folder = local_dir(location)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / WRITE_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_version_name() -> str:
    """A version name that sorts by time and cannot collide between processes."""
    return f"{VERSION_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"


@contextlib.contextmanager
def new_version(location: Path, *, tables: Path | None = None, name: str | None = None) -> Iterator[ox.Store]:
    """Yield a writable store in a fresh version directory; make it current only if the block succeeds.

    *tables* (a directory of the CSV tables the version is built from) is kept beside the version,
    so that a later write can rebuild from them plus its own rows.
    """
    _check_location(location)
    location.mkdir(parents=True, exist_ok=True)
    name = name or new_version_name()
    partial = location / (name + PARTIAL_SUFFIX)
    store = ox.Store(str(partial))
    try:
        yield store
        store.flush()
    except BaseException:
        del store
        gc.collect()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    del store
    gc.collect()  # closes RocksDB before the directory is renamed
    if tables is not None:
        keep_tables(location, location / name, tables)
    final = location / name
    partial.rename(final)
    link = location / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(final.name)
    os.replace(link, location / CURRENT)
    _prune(location, keep=final)


def _prune(location: Path, *, keep: Path) -> None:
    """Remove failed partial builds and all but the newest KEEP_VERSIONS versions."""
    versions = sorted(p for p in location.iterdir() if p.name.startswith(VERSION_PREFIX) and p.is_dir())
    complete = [p for p in versions if not p.name.endswith(PARTIAL_SUFFIX)]
    stale = complete[:-KEEP_VERSIONS] + [p for p in versions if p.name.endswith(PARTIAL_SUFFIX)]
    for path in stale:
        if path != keep and not _owned_by_live_build(path):
            shutil.rmtree(path, ignore_errors=True)
    # a build still running (its partial directory) may already have cached its routing index
    live = {p.name.removesuffix(PARTIAL_SUFFIX) for p in location.iterdir() if p.name.startswith(VERSION_PREFIX)}
    _prune_cache(location, live)
    kept_tables = location / TABLES_DIR
    if kept_tables.is_dir():
        for folder in kept_tables.iterdir():
            if folder.name not in live and not _owned_by_live_build(location / (folder.name + PARTIAL_SUFFIX)):
                shutil.rmtree(folder, ignore_errors=True)


def _owned_by_live_build(path: Path) -> bool:
    """True for the partial directory of a build still running in another process."""
    if not path.name.endswith(PARTIAL_SUFFIX):
        return False
    pid = path.name.removesuffix(PARTIAL_SUFFIX).rsplit("-", 1)[-1]
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return int(pid) != os.getpid()
