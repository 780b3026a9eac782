"""The store interface: a location with versions, and a version being written.

Two implementations: :mod:`.embedded` (versioned Oxigraph directories) and :mod:`.server` (a SPARQL 1.1 server).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TypeAlias

import pyoxigraph as ox
from rdflib import Graph

from ..convert import table_files
from ..convert.sink import ChunkTaker, TripleSink
from ..errors import StoreError
from ..progress import Progress
from ..reasoning import ReasoningReport
from ..remote.location import RemoteLocation
from ..remote.store import RemoteStore

Location: TypeAlias = Path | RemoteLocation
#: what a GraphStore opens: the embedded store, or a server behind the same interface
AnyStore: TypeAlias = ox.Store | RemoteStore

CURRENT = "current"
CACHE_DIR = "cache"
TABLES_DIR = "tables"
#: where a write works on its copy of the tables, beside them (graph/writes.py): the files it does not edit are hard
#: links, and stay so when the new version keeps them
WRITES_DIR = ".writes"
WRITE_LOCK = ".write-lock"
VERSION_PREFIX = "v-"
PARTIAL_SUFFIX = ".partial"
KEEP_VERSIONS = 2


def new_version_name() -> str:
    """A version name that sorts by time and cannot collide between processes."""
    return f"{VERSION_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"


class GraphStore(ABC):
    """A store location and what lives beside it; the two backends differ in how versions are kept and read."""

    #: where the store is, as the settings gave it
    location: Location
    #: the local directory of derived data (``cache/``), kept tables (``tables/``) and the write lock
    workdir: Path
    #: False when opening the store needs the network (query workers then keep it)
    local: bool
    #: True when old versions stay readable beside the current one (releases and pinned reads need it)
    keeps_versions: bool = False

    @abstractmethod
    def current_version(self) -> Path | None:
        """The version readers use (as a path under the working directory), or None when nothing was built yet."""

    @abstractmethod
    def _open_version(self, version: Path) -> AnyStore:
        """The store at *version*, read-only."""

    def open(self) -> AnyStore:
        """The current version, read-only; StoreError naming the location when there is none."""
        return self.snapshot()[1]

    def snapshot(self) -> tuple[Path, AnyStore]:
        """The current version and the store opened at that very version (the version is read once)."""
        version = self.current_version()
        if version is None:
            raise StoreError(
                f"no certbridge {self._what} at {self.location}",
                hint=f"build one with: certbridge build --store {self.location}",
            )
        return version, self._open_version(version)

    _what = "store"

    def version_path(self, name: str) -> Path | None:
        """The version called *name* if the store still holds it, else None (a server store: the current only)."""
        current = self.current_version()
        return current if current is not None and current.name == name else None

    def open_version(self, version: Path) -> AnyStore:
        """The store at *version* (the current one, or one ``version_path`` found), read-only."""
        return self._open_version(version)

    @abstractmethod
    def forget_version(self) -> None:
        """After a build: read the current version again rather than trust one seen a moment ago."""

    @abstractmethod
    def close(self) -> None:
        """Release what the store holds open (a server's HTTP client); it may be opened again after."""

    # --- beside the versions: derived data, kept tables, the write lock ----------------------------------------

    def cache_path(self, version_name: str, kind: str) -> Path:
        """Where data of *kind* derived from the version *version_name* is cached (removed with the version)."""
        return self.workdir / CACHE_DIR / f"{version_name}.{kind}"

    def kept_tables(self, version: Path) -> Path:
        """Where the tables *version* was built from are kept (it may not exist for stores built before)."""
        return self.workdir / TABLES_DIR / version.name

    def keep_tables(self, version_name: str, tables: Path) -> None:
        """Copy the CSV tables a version was built from (and their changes log) beside it, so that a later write
        can start from them. Tables already in the store's directory (a write's copy: graph/writes.py) are hard
        linked instead: nothing there is changed in place, whereas a data folder's files may be edited after."""
        kept = self.workdir / TABLES_DIR / version_name
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
        ours = self.workdir.resolve()
        for path in table_files(tables):
            if path.resolve().is_relative_to(ours):
                link_or_copy(path, kept / path.name)
            else:
                shutil.copy2(path, kept / path.name)

    def tables(self) -> Path:
        """The tables the current version was built from; a write adds its rows to a copy of them."""
        version = self.current_version()
        if version is None:
            version, _ = self.snapshot()  # raises the StoreError that says how to build one
        tables = self.kept_tables(version)
        if not tables.is_dir():
            raise StoreError(
                f"the store at {self.location} does not keep the tables it was built from",
                hint=f"rebuild it once with: certbridge build --store {self.location}",
            )
        return tables

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer at a time: a write reads the current version's tables and builds the next version.

        On a server store the lock is the working directory's, so it orders writers of one machine only.
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        with (self.workdir / WRITE_LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- new versions -------------------------------------------------------------------------------------------

    @abstractmethod
    def new_version(self, *, tables: Path, name: str | None = None) -> contextlib.AbstractContextManager[NewVersion]:
        """A version built from the tables in *tables* (kept beside it), current only if the block succeeds; named
        *name* (from ``new_version_name``, so that a write can log the version it makes before making it)."""

    @abstractmethod
    def reasoned_again(self) -> contextlib.AbstractContextManager[NewVersion]:
        """A version holding the current one's asserted graphs and build record, to be reasoned again."""

    def forget_derived(self, version_name: str) -> None:
        """Remove what was derived from a version that never became current (a build that failed late)."""
        cache = self.workdir / CACHE_DIR
        if cache.is_dir():
            for derived in cache.glob(f"{version_name}.*"):
                derived.unlink(missing_ok=True)

    def __str__(self) -> str:
        return str(self.location)


class NewVersion(ABC):
    """A version being written; graph/build.py runs its stages in order, each backend does them its own way.

    Leaving the context that made it by an error removes it and whatever was derived from it: readers keep
    seeing the version that was current before.
    """

    #: the version's name (it names the derived data cached for it too)
    name: str
    #: takes each table's N-Triples in chunks while the tables are converted; None: whole tables, at ``load``
    chunks: ChunkTaker | None = None
    #: by table ("*": every table), the predicates (N-Triples) whose triples the chunks hand over apart
    split_predicates: Mapping[str, frozenset[str]] = MappingProxyType({})

    @abstractmethod
    def load(self, ontology: Graph | None, tables: Sequence[TripleSink], progress: Progress) -> None:
        """The ontology and whatever of the tables the chunks did not bring (the rebuild of ``reasoned_again``
        takes neither: it starts from the current version's asserted graphs)."""

    @abstractmethod
    def reason(self, progress: Progress) -> ReasoningReport:
        """Materialise the inferred graph (graph/reasoning/) from the asserted graphs loaded."""

    @abstractmethod
    def record(self, record: Graph) -> None:
        """Store the build record (the named graph ``cbg:build``, which names the version)."""

    @abstractmethod
    def derived_source(self) -> AnyStore:
        """The store holding everything so far, to derive data from (the routing index): fastest to read."""

    @abstractmethod
    def commit(self, progress: Progress) -> None:
        """Finish writing; the version becomes current when the context that made it is left."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop the writing still under way (before the converted tables' files are removed); an error follows."""


def link_or_copy(source: Path, target: Path) -> None:
    """*target* as a hard link to *source* (a table file that is never changed in place: tens of megabytes at
    national scale), or a copy when they lie on different file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def prune_cache(folder: Path, live: set[str]) -> None:
    """Remove what was derived from versions no longer kept (cache files are named after their version)."""
    cache = folder / CACHE_DIR
    if cache.is_dir():
        for derived in cache.iterdir():
            if derived.name.split(".", 1)[0] not in live:
                derived.unlink(missing_ok=True)


def owned_by_live_build(path: Path) -> bool:
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
