"""Bulk loads into one store, done in order by a thread of their own while the build goes on.

pyoxigraph releases the GIL while it bulk-loads, so the embedded build's two stores are loaded on the second
core while the tables are converted: each table's N-Triples in chunks as the conversion finishes them, then,
into the on-disk store, the ontology and the inferred graph. Oxigraph's bulk loader takes one load at a time
per store, hence a queue per store.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

#: what the queue holds: a load to do, or None (no more work)
_Work = Callable[[], None] | None


def bulk_load(target: ox.Store, graphs: list[tuple[URIRef, bytes | Path]], *, lenient: bool = False) -> None:
    """Each N-Triples file (or bytes) into its named graph of *target* (*lenient*: without Oxigraph's checks of
    IRIs and language tags, for triples already checked on their way into another store)."""
    for identifier, source in graphs:
        graph = ox.NamedNode(str(identifier))
        if isinstance(source, Path):
            target.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=lenient)
        else:
            target.bulk_load(input=source, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=lenient)


class LoadQueue:
    """``load()`` and ``run()`` queue work on *store*; ``finish()`` waits for all of it and re-raises the first
    error (the work queued after a failed one is skipped). *lenient*: see ``bulk_load``.

    Use as a context manager: leaving it by an error drops the work not yet started and waits for the load
    under way, so that nothing writes to the store once the caller removes it.
    """

    def __init__(self, store: ox.Store, *, lenient: bool = False):
        self._store: ox.Store | None = store
        self._lenient = lenient
        self._work: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._cancelled = self._closed = False
        self._thread = threading.Thread(target=self._run, name="certbridge-store-writer")
        self._thread.start()

    def __enter__(self) -> LoadQueue:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if error is not None:
            self.cancel()
        else:
            self.finish()

    def load(self, identifier: URIRef, source: bytes | Path) -> None:
        """Queue bulk-loading *source* (N-Triples) into the named graph *identifier*."""
        store = self._store
        assert store is not None, "nothing is queued once the queue is finished"
        self.run(lambda: bulk_load(store, [(identifier, source)], lenient=self._lenient))

    def run(self, work: Callable[[], None]) -> None:
        """Queue *work* (which writes to the store) after everything queued before it; if some work queued
        before failed, raise its error instead (the caller need not go on to learn it at the end)."""
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("the load queue is finished; nothing more can be queued")
        self._work.put(work)

    def finish(self) -> ox.Store | None:
        """Wait until everything queued is done; re-raise what failed. Answer the store and let go of it (an
        in-memory one may hold gigabytes the caller wants to free); a second call answers None."""
        self._stop()
        if self._error is not None:
            raise self._error
        store, self._store = self._store, None
        return store

    def cancel(self) -> None:
        """Skip what has not started; wait for the load under way (its error, if any, is dropped)."""
        self._cancelled = True
        self._stop()
        self._store = None

    def _stop(self) -> None:
        if not self._closed:
            self._closed = True
            self._work.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (work := self._work.get()) is not None:
            if self._error is not None or self._cancelled:
                continue
            try:
                work()
            except BaseException as error:  # handed to the caller by finish()
                self._error = error
