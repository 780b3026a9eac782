"""SPARQL queries in worker processes, so that a query over its time limit can really be stopped.

Oxigraph cannot interrupt a running query, and a thread cannot be killed; a process can. Each worker
opens the store read-only (again after a write swaps in a new version) and answers jobs over a pipe.
A job that outlives the time limit gets its worker terminated and replaced, and the caller gets a
clear error naming the setting; the server's event loop is never blocked meanwhile (the endpoint
waits in a thread of the threadpool).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection

import pyoxigraph as ox

from certbridge.graph.errors import QueryError, StoreError
from certbridge.graph.query import GRAPH_FORMATS, RESULT_FORMATS
from certbridge.graph.remote.client import TruncatedAnswer
from certbridge.graph.store import AnyStore, Location, current_version, open_store
from certbridge.ontology import PREFIXES

_CONTEXT = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited RocksDB handles
#: workers run at a lower CPU priority than the server: a long query then gets the time route lookups leave idle,
#: not half the cores (at N = 40,000 with a query running at equal priority, route p95 under load was 2.1x quiet)
WORKER_NICENESS = 10


@dataclass(frozen=True, slots=True)
class Job:
    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    result_format: str | None  # json, xml, csv, tsv (SELECT/ASK)
    graph_format: str | None  # ttl, nt, rdfxml, jsonld (CONSTRUCT/DESCRIBE)
    max_rows: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """Either a serialised answer (``kind`` is "select", "ask" or "graph") or an error (``status`` and ``detail``)."""

    kind: str | None = None
    body: bytes = b""
    status: int | None = None
    detail: str | None = None


def run_job(store: AnyStore, job: Job) -> Outcome:
    """Run one query and serialise its answer (also used in-process by tests and the CLI)."""
    options: dict = {"prefixes": PREFIXES}
    if job.default_graphs:
        options["default_graph"] = [ox.NamedNode(iri) for iri in job.default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if job.named_graphs:
        options["named_graphs"] = [ox.NamedNode(iri) for iri in job.named_graphs]
    try:
        answer = store.query(job.text, **options)
    except SyntaxError as exc:
        return Outcome(status=400, detail=f"SPARQL syntax error: {exc}")
    except (OSError, ValueError) as exc:
        return Outcome(status=400, detail=f"the query failed: {exc}")
    except TruncatedAnswer as exc:  # a server store cut the answer at its own row cap: never pass it on as whole
        return Outcome(status=502, detail=f"{exc.message}; {exc.hint}")
    except QueryError as exc:  # a server store refused or failed the query
        return Outcome(status=400, detail=exc.message)
    except StoreError as exc:  # a server store cannot be reached
        return Outcome(status=503, detail=exc.message)
    if isinstance(answer, ox.QueryTriples):
        if job.graph_format is None:
            return Outcome(kind="graph", status=406)
        return Outcome("graph", answer.serialize(format=GRAPH_FORMATS[job.graph_format]))
    kind = "ask" if isinstance(answer, ox.QueryBoolean) else "select"
    if job.result_format is None:
        return Outcome(kind=kind, status=406)
    if kind == "select":
        rows = list(islice(answer, job.max_rows + 1))
        if len(rows) > job.max_rows:
            return Outcome(kind=kind, status=413, detail=f"more than {job.max_rows:,} rows")
        answer = _replay(answer.variables, rows)
    return Outcome(kind, answer.serialize(format=RESULT_FORMATS[job.result_format]))


def _replay(variables: list[ox.Variable], rows: list[ox.QuerySolution]) -> ox.QuerySolutions:
    """Solutions already read (to count them against the cap) as results again, without re-running the query.

    They go through SPARQL TSV, whose terms are written as in N-Triples, which is what ``str(term)`` gives.
    """
    lines = ["\t".join(str(v) for v in variables)]
    lines += ["\t".join("" if row[v] is None else str(row[v]) for v in variables) for row in rows]
    return ox.parse_query_results("\n".join(lines) + "\n", ox.QueryResultsFormat.TSV)


def _serve(folder: Location, connection: Connection) -> None:
    """A worker's life: answer jobs until the pipe closes, on the store's current version (reopened after a write)."""
    os.nice(WORKER_NICENESS)
    version, store = current_version(folder), open_store(folder)
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if current_version(folder) != version:
            del store
            version, store = current_version(folder), open_store(folder)
        connection.send(run_job(store, job))


class Worker:
    def __init__(self, location: Location) -> None:
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(location, child), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=5)
        self.connection.close()


class QueryPool:
    """A few worker processes; ``run`` answers a job or returns None when it ran out of time."""

    def __init__(self, location: Location, *, size: int = 2) -> None:
        self.location = location
        self.idle: queue.Queue[Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[Worker] = []
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = Worker(self.location)
        with self._lock:
            self._all.append(worker)
        self.idle.put(worker)

    def run(self, job: Job, *, timeout: float) -> Outcome | None:
        worker = self.idle.get()
        worker.connection.send(job)
        if worker.connection.poll(timeout):
            outcome = worker.connection.recv()
            self.idle.put(worker)
            return outcome
        worker.stop()  # the only way to stop a running Oxigraph query
        with self._lock:
            self._all.remove(worker)
        self._add()
        return None

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()
