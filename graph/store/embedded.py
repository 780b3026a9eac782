"""The embedded store: versioned on-disk Oxigraph (RocksDB) directories, and how a build writes a new one.

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

A build reasons and derives in memory (about 4x faster than on RocksDB) while a thread bulk-loads the new
on-disk version (``_TwoLoads``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from ..convert.sink import TripleSink
from ..errors import StoreError
from ..iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from ..load_queue import LoadQueue, bulk_load
from ..progress import Progress
from ..reasoning import ReasoningReport, materialise
from .base import (
    CACHE_DIR,
    CURRENT,
    KEEP_VERSIONS,
    PARTIAL_SUFFIX,
    TABLES_DIR,
    VERSION_PREFIX,
    WRITE_LOCK,
    WRITES_DIR,
    GraphStore,
    NewVersion,
    new_version_name,
    owned_by_live_build,
    prune_cache,
)
from .releases import RELEASES_FILE, released_versions

#: what the build's in-memory store (which reasoning and the routing index read) leaves to the on-disk store, by
#: table ("*": every table): skos:prefLabel, a copy of rdfs:label for SKOS clients, and the sources of certificate
#: types, which routing never cites (together 1.8 million triples at national scale; neither reads them, and
#: tests/test_reasoning.py checks both give the same without them)
NOT_IN_MEMORY: dict[str, frozenset[str]] = {
    "*": frozenset({SKOS.prefLabel.n3()}),
    "certificate_types": frozenset({DCTERMS.source.n3()}),
}


class EmbeddedStore(GraphStore):
    """Versioned on-disk Oxigraph directories under one folder, with a ``current`` symlink readers follow."""

    local = True
    keeps_versions = True
    location: Path

    def __init__(self, location: Path) -> None:
        self.location = self.workdir = location

    def current_version(self) -> Path | None:
        link = self.location / CURRENT
        if not link.is_symlink():
            return None
        target = self.location / os.readlink(link)
        return target if target.is_dir() else None

    def version_path(self, name: str) -> Path | None:
        """The complete version directory *name* (``v-…``), if it was not pruned."""
        if not name.startswith(VERSION_PREFIX) or name.endswith(PARTIAL_SUFFIX) or "/" in name or name in (".", ".."):
            return None
        path = self.location / name
        return path if path.is_dir() else None

    def forget_version(self) -> None:
        """Nothing to forget: the symlink is read on every call."""

    def close(self) -> None:
        """Nothing held open: each reader opens its version read-only."""

    def _open_version(self, version: Path) -> ox.Store:
        try:
            return ox.Store.read_only(str(version))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {self.location}: {exc}") from exc

    @contextlib.contextmanager
    def new_version(self, *, tables: Path, name: str | None = None) -> Iterator[NewVersion]:
        name = name or new_version_name()
        with (
            tempfile.TemporaryDirectory(prefix="certbridge-build-") as folder,
            self._forgetting_derived(name),
            self.writable_version(tables=tables, name=name) as disk,
            _TwoLoads(name, disk, Path(folder)) as version,
        ):
            yield version

    @contextlib.contextmanager
    def reasoned_again(self) -> Iterator[NewVersion]:
        version, current = self.snapshot()
        assert isinstance(current, ox.Store)
        kept = self.kept_tables(version)
        name = new_version_name()
        with self._forgetting_derived(name):
            rebuilt = _InMemory(name, current, self, kept if kept.is_dir() else None)
            del current
            yield rebuilt

    @contextlib.contextmanager
    def _forgetting_derived(self, name: str) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.forget_derived(name)  # written before the version was complete, which it never became
            raise

    @contextlib.contextmanager
    def writable_version(
        self, *, tables: Path | None = None, name: str | None = None, copy_of: Path | None = None
    ) -> Iterator[ox.Store]:
        """Yield a writable store in a fresh version directory; make it current only if the block succeeds.

        *tables* (a directory of the CSV tables the version is built from) is kept beside the version,
        so that a later write can rebuild from them plus its own rows. With *copy_of* (a version), the new version
        starts as a copy of it: a RocksDB checkpoint, whose files are hard links to the version's own (made in
        milliseconds whatever the size; they part as either changes).
        """
        location = self.location
        self._check_location()
        location.mkdir(parents=True, exist_ok=True)
        name = name or new_version_name()
        partial = location / (name + PARTIAL_SUFFIX)
        try:
            if copy_of is not None:
                self._open_version(copy_of).backup(str(partial))
            store = ox.Store(str(partial))
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
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
            self.keep_tables(name, tables)
        final = location / name
        partial.rename(final)
        link = location / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(final.name)
        os.replace(link, location / CURRENT)
        self._prune(keep=final)

    def _check_location(self) -> None:
        """Refuse a file, or a non-empty folder that holds no certbridge store, before anything is written."""
        location = self.location
        if location.exists() and not location.is_dir():
            raise StoreError(f"the store location {location} is a file, not a directory")
        if location.is_dir() and self.current_version() is None:
            ours = {CACHE_DIR, TABLES_DIR, WRITES_DIR, WRITE_LOCK, RELEASES_FILE}
            foreign = [
                p.name for p in location.iterdir() if not p.name.startswith(VERSION_PREFIX) and p.name not in ours
            ]
            if foreign:
                raise StoreError(
                    f"{location} is not empty and holds no certbridge store (found {', '.join(sorted(foreign)[:3])})",
                    hint="choose an empty or new directory for --store",
                )

    def _prune(self, *, keep: Path) -> None:
        """Remove failed partial builds and all but the newest KEEP_VERSIONS versions, but for released ones
        (releases.py: a released version, its kept tables and derived data stay until its release is let go)."""
        location = self.location
        released = released_versions(location)
        versions = sorted(p for p in location.iterdir() if p.name.startswith(VERSION_PREFIX) and p.is_dir())
        complete = [p for p in versions if not p.name.endswith(PARTIAL_SUFFIX)]
        stale = complete[:-KEEP_VERSIONS] + [p for p in versions if p.name.endswith(PARTIAL_SUFFIX)]
        for path in stale:
            if path != keep and path.name not in released and not owned_by_live_build(path):
                shutil.rmtree(path, ignore_errors=True)
        # a build still running (its partial directory) may already have cached its routing index
        live = {p.name.removesuffix(PARTIAL_SUFFIX) for p in location.iterdir() if p.name.startswith(VERSION_PREFIX)}
        prune_cache(location, live)
        kept_tables = location / TABLES_DIR
        if kept_tables.is_dir():
            for folder in kept_tables.iterdir():
                if folder.name not in live and not owned_by_live_build(location / (folder.name + PARTIAL_SUFFIX)):
                    shutil.rmtree(folder, ignore_errors=True)


class _TwoLoads(NewVersion):
    """A build's two stores: the on-disk version readers will open, and an in-memory store to reason and derive on.

    Each table is loaded into both in chunks while it is converted (but for ``NOT_IN_MEMORY``, whose triples come
    in chunks of their own, for the disk only), each store by a thread of its own: Oxigraph releases the GIL while
    it loads, so on two cores both loads run beside the conversion instead of after it. The disk then gets the
    ontology, and, once reasoning is done, the inferred graph and build record, while the routing index is derived
    from memory. Both stores read the same converted triples: the tables convert to IRIs and literals only, so the
    inferred triples copied from memory name the same nodes on disk (only the ontology's own lists have blank
    nodes, and no rule reads the ontology graph's triples as premises). The OWL rules' conclusions (4 million
    triples at national scale) go from their file to disk only: the routing index does not read them, and the
    memory store would need gigabytes more to hold them.
    """

    split_predicates = NOT_IN_MEMORY

    def __init__(self, name: str, disk: ox.Store, folder: Path) -> None:
        self.name = name
        # leniently: every triple it loads is also parsed strictly by the memory store, whose loading fails the
        # build (but skos:prefLabel, the same literal as rdfs:label, and the sources' IRIs it mints)
        self._disk = LoadQueue(disk, lenient=True)
        self._loading = LoadQueue(ox.Store())
        self._memory: ox.Store | None = None
        self._folder = folder
        self._conclusions = folder / "owl-conclusions.nt"
        self.chunks = self._take

    def __enter__(self) -> _TwoLoads:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if error is not None:
            self.cancel()
        else:  # both done by commit(); finish() again is a no-op that re-raises a late error
            self._disk.finish()
            self._loading.finish()

    def _take(self, identifier: URIRef, chunk: Path, for_memory: bool) -> None:
        self._disk.load(identifier, chunk)
        if for_memory:
            self._loading.load(identifier, chunk)

    def load(self, ontology: Graph | None, tables: Sequence[TripleSink], progress: Progress) -> None:
        assert ontology is not None
        text = ontology.serialize(format="nt", encoding="utf-8")
        self._disk.load(ONTOLOGY_GRAPH, text)
        with progress("loading the graphs into memory (what reading left)"):
            memory = self._loading.finish()
            assert memory is not None
            bulk_load(memory, [(ONTOLOGY_GRAPH, text)])  # the tables are in already
        self._memory = memory

    def reason(self, progress: Progress) -> ReasoningReport:
        with progress("reasoning"):
            return materialise(self._in_memory(), conclusions=self._conclusions)

    def record(self, record: Graph) -> None:
        memory = self._in_memory()
        bulk_load(memory, [(BUILD_GRAPH, record.serialize(format="nt", encoding="utf-8"))])
        # the inferred graph goes to disk while the routing index is derived from the memory store
        for identifier in (INFERRED_GRAPH, BUILD_GRAPH):
            self._disk.load(identifier, _dump(memory, identifier, self._folder))
        self._disk.load(INFERRED_GRAPH, self._conclusions)

    def derived_source(self) -> ox.Store:
        return self._in_memory()

    def commit(self, progress: Progress) -> None:
        self._memory = None  # gigabytes, freed while the disk load goes on
        with progress("writing the store (what indexing left)"):
            self._disk.finish()

    def cancel(self) -> None:
        self._loading.cancel()
        self._disk.cancel()

    def _in_memory(self) -> ox.Store:
        assert self._memory is not None, "load() comes first"
        return self._memory


class _InMemory(NewVersion):
    """The current version's asserted graphs and build record, copied into memory to be reasoned again; written to
    a new version directory at ``commit``."""

    def __init__(self, name: str, current: ox.Store, store: EmbeddedStore, tables: Path | None) -> None:
        self.name = name
        self._current: ox.Store | None = current
        self._store, self._tables = store, tables
        self._memory = ox.Store()

    def load(self, ontology: Graph | None, tables: Sequence[TripleSink], progress: Progress) -> None:
        assert self._current is not None
        skipped = {ox.NamedNode(str(INFERRED_GRAPH)), ox.NamedNode(str(BUILD_GRAPH))}
        with progress("copying the asserted graphs"):
            self._memory.bulk_extend(
                q for q in self._current.quads_for_pattern(None, None, None) if q.graph_name not in skipped
            )
        self._current = None

    def reason(self, progress: Progress) -> ReasoningReport:
        with progress("reasoning"):
            return materialise(self._memory)

    def record(self, record: Graph) -> None:
        bulk_load(self._memory, [(BUILD_GRAPH, record.serialize(format="nt", encoding="utf-8"))])

    def derived_source(self) -> ox.Store:
        return self._memory

    def commit(self, progress: Progress) -> None:
        with (
            progress("writing the store"),
            self._store.writable_version(tables=self._tables, name=self.name) as disk,
            tempfile.TemporaryDirectory() as folder,
        ):
            path = Path(folder) / "all.nq"
            self._memory.dump(str(path), ox.RdfFormat.N_QUADS)
            disk.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)

    def cancel(self) -> None:
        """Nothing runs beside the caller."""


def _dump(memory: ox.Store, identifier: URIRef, folder: Path) -> Path:
    """One graph of the in-memory store as an N-Triples file in *folder*."""
    path = folder / f"{identifier.rsplit('/', 1)[-1]}.nt"
    memory.dump(str(path), ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(identifier)))
    return path
