"""A SPARQL 1.1 server as the store (Virtuoso, Oxigraph server), and how a build writes a new version there.

The graphs are PUT by the Graph Store Protocol (graph/remote/load.py) and the rules run as SPARQL updates
(graph/reasoning/sparql.py). Each graph is replaced atomically and its triple count checked.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import DCTERMS

from ..convert.sink import TripleSink
from ..iris import BUILD_ACTIVITY, BUILD_GRAPH, ONTOLOGY_GRAPH
from ..progress import Progress
from ..reasoning import ReasoningReport, materialise
from ..remote.load import GraphLoad, put_graphs
from ..remote.location import RemoteLocation
from ..remote.store import RemoteStore
from .base import KEEP_VERSIONS, TABLES_DIR, GraphStore, NewVersion, new_version_name, prune_cache

#: seconds a server store's version is trusted before it is asked again (every request asks)
REMOTE_VERSION_TTL_S = 1.0


class ServerStore(GraphStore):
    """A SPARQL 1.1 server: the current version is the one its build record names; one HTTP client per object.

    The tables, caches and lock of each version live in a local working directory, named after the version.
    """

    local = False
    location: RemoteLocation
    _what = "build on the SPARQL server"

    def __init__(self, location: RemoteLocation) -> None:
        self.location = location
        self.workdir = location.workdir
        self._server: RemoteStore | None = None
        self._version: tuple[float, Path | None] | None = None  # (when asked, answer): asked again after a TTL

    @property
    def server(self) -> RemoteStore:
        """The server, whether or not it holds a build yet (a build opens it so)."""
        if self._server is None:
            self._server = RemoteStore(self.location)
        return self._server

    def current_version(self) -> Path | None:
        now = time.monotonic()
        if self._version is not None and now - self._version[0] < REMOTE_VERSION_TTL_S:
            return self._version[1]
        answer = self.server.query(
            f"SELECT ?id WHERE {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_ACTIVITY}> <{DCTERMS.identifier}> ?id }} }}"
        )
        assert isinstance(answer, ox.QuerySolutions)
        ids = sorted(row["id"].value for row in answer)
        version = self.workdir / ids[-1] if ids else None
        self._version = (now, version)
        return version

    def _open_version(self, version: Path) -> RemoteStore:
        return self.server

    def forget_version(self) -> None:
        self._version = None

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @contextlib.contextmanager
    def new_version(self, *, tables: Path, name: str | None = None) -> Iterator[NewVersion]:
        with self._building(_Loads(name or new_version_name(), self, tables)) as version:
            yield version
        self.prune_workdir()

    @contextlib.contextmanager
    def reasoned_again(self) -> Iterator[NewVersion]:
        current, _ = self.snapshot()
        # the asserted graphs and the build record stay: so does the version (and its kept tables)
        with self._building(_InPlace(current.name, self, None)) as version:
            yield version

    @contextlib.contextmanager
    def _building(self, version: _ServerVersion) -> Iterator[_ServerVersion]:
        """See ``_ServerVersion``: nothing on the server changes before its ``load``."""
        try:
            yield version
        except BaseException:
            self.forget_derived(version.name)
            raise
        finally:
            self.forget_version()

    def prune_workdir(self) -> None:
        """Keep the tables and caches of the newest KEEP_VERSIONS versions only."""
        tables = self.workdir / TABLES_DIR
        names = sorted(p.name for p in tables.iterdir()) if tables.is_dir() else []
        live = set(names[-KEEP_VERSIONS:])
        for name in names[:-KEEP_VERSIONS]:
            shutil.rmtree(tables / name, ignore_errors=True)
        prune_cache(self.workdir, live)


class _ServerVersion(NewVersion):
    """What both ways of writing a version on a server share: reasoning by SPARQL updates, the record last.

    A server cannot swap many graphs at once, so ``load`` (the first stage that writes: a defect found while
    converting or validating changes nothing) removes the build record first, and ``commit`` writes it last: while
    the build runs, or after it failed, readers are told there is no complete build rather than shown a mix of old
    and new graphs as if it were one.
    """

    def __init__(self, name: str, store: ServerStore, tables: Path | None) -> None:
        self.name, self.server = name, store.server
        self._store, self._tables = store, tables
        self._record: Graph | None = None

    def reason(self, progress: Progress) -> ReasoningReport:
        with progress("reasoning on the server"):
            return materialise(self.server)

    def record(self, record: Graph) -> None:
        self._record = record  # written last, by commit(): it makes the version current

    def derived_source(self) -> RemoteStore:
        return self.server

    def commit(self, progress: Progress) -> None:
        assert self._record is not None, "record() comes first"
        record = self._record
        if self._tables is not None:  # before the record: once it is written, writes start from the kept tables
            self._store.keep_tables(self.name, self._tables)
        put_graphs(self.server, [(str(BUILD_GRAPH), record.serialize(format="nt", encoding="utf-8"), len(record))])

    def cancel(self) -> None:
        """Nothing runs beside the caller."""


class _Loads(_ServerVersion):
    """A build: every graph replaced from the converted tables."""

    def load(self, ontology: Graph | None, tables: Sequence[TripleSink], progress: Progress) -> None:
        assert ontology is not None
        self.server.remove_graph(ox.NamedNode(str(BUILD_GRAPH)))  # until commit(), no build is current
        graphs: list[GraphLoad] = [
            (str(ONTOLOGY_GRAPH), ontology.serialize(format="nt", encoding="utf-8"), len(ontology))
        ]
        graphs += [(str(sink.identifier), sink.path(), len(sink)) for sink in tables]
        put_graphs(self.server, graphs, progress)  # one progress step per graph


class _InPlace(_ServerVersion):
    """Reasoning again: the asserted graphs stay as they are; the inferred graph is replaced."""

    def load(self, ontology: Graph | None, tables: Sequence[TripleSink], progress: Progress) -> None:
        """Nothing to load (the server holds the asserted graphs); until commit(), no build is current."""
        self.server.remove_graph(ox.NamedNode(str(BUILD_GRAPH)))
