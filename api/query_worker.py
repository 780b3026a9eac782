"""SPARQL queries in worker processes, so that no query can take the service down.

Oxigraph cannot interrupt a running query, and a thread cannot be killed; a process can. Each worker opens the
store read-only (again after a write swaps in a new version) and answers jobs over a pipe. Whatever ends a
worker (the time limit, its memory limit, a crash of the engine, a kill from outside, an exception) ends only the
query it was running, with an answer that says why, and the pool starts a replacement before that answer is
given, so the next request finds the pool at full strength.

A worker cannot outlive the server: the kernel kills it when the thread that started it ends
(PR_SET_PDEATHSIG; the pool starts workers from one thread that lives as long as the pool), and it checks its
parent after setting that, against the race. It enforces the time limit itself too (an alarm and RLIMIT_CPU,
a little after the server would have stopped it), and its address space is limited (RLIMIT_AS). It has no
network: it enters a network namespace of its own before it opens the store, so no query can fetch a URL even
if one got past the endpoint's refusal of SERVICE.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import enum
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import pyoxigraph as ox

from certbridge.graph.errors import QueryError, StoreError
from certbridge.graph.query import GRAPH_FORMATS, RESULT_FORMATS
from certbridge.graph.remote.client import TruncatedAnswer
from certbridge.graph.store import AnyStore, GraphStore, Location, as_store, store_at
from certbridge.ontology import PREFIXES

from .settings import SPARQL_QUEUE_TIMEOUT_ENV, SPARQL_TIMEOUT_ENV, SPARQL_WORKER_MEMORY_ENV

LOG = logging.getLogger(__name__)
_CONTEXT = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited RocksDB handles
#: workers run under Linux's idle scheduling class (SCHED_IDLE): a long query gets only the processor time that
#: route lookups and the server leave unused, not a share of it (at N = 40,000 with a query at equal priority,
#: route p95 under load was 2.1x quiet; at nice 10 the query still took 7-10 % of the routes' throughput).
#: The trade-off: under a sustained overload of other requests a query may reach its time limit.
WORKER_SCHEDULER = os.SCHED_IDLE
#: how long a worker may take to start (import, isolate, open the store) before it counts as failed
START_TIMEOUT_S = 30.0
#: a worker stops itself this long after the time limit, in case the server did not (it is gone, or stuck)
OWN_LIMIT_GRACE_S = 1.0
#: at most this many requests per worker wait for a free one; more are told to retry at once
WAITING_PER_WORKER = 4
#: what a 503 asks the client to wait before trying again
RETRY_AFTER_S = 2

_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class Job:
    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    result_format: str | None  # json, xml, csv, tsv (SELECT/ASK)
    graph_format: str | None  # ttl, nt, rdfxml, jsonld (CONSTRUCT/DESCRIBE)
    max_rows: int
    #: the name of the store version to query (a release's: ``/sparql?release=TAG``); None: the current one
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Either a serialised answer (``kind`` is "select", "ask" or "graph") or an error (``status`` and ``detail``).

    ``retry_after`` (seconds) comes with a 503: the service is saturated or a worker was lost, not the query wrong.
    """

    kind: str | None = None
    body: bytes = b""
    status: int | None = None
    detail: str | None = None
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """What a worker may use for one query: wall-clock (and CPU) seconds, and address space."""

    timeout_s: float = 10.0
    memory_mb: int = 4096


@dataclass(frozen=True, slots=True)
class Ready:
    """A worker's first message: it opened the store; ``isolated`` says whether it has a network of its own."""

    isolated: bool


class WorkerEnd(enum.Enum):
    """Why a worker was replaced (named in the log line and in the answer to the query it ran)."""

    TIME_LIMIT = "time limit: stopped by the server"
    OWN_TIME_LIMIT = "time limit: stopped itself (alarm or CPU limit)"
    MEMORY = "memory limit"
    KILLED = "killed from outside"
    CRASHED = "crashed"
    EXITED = "exited"
    FAILED = "failed handling a job"
    STARTING = "did not start"


def run_job(store: AnyStore, job: Job) -> Outcome:
    """Run one query and serialise its answer (also used in-process by tests and the CLI).

    Errors of the query (while it is parsed, evaluated or its results are read) are the client's: 400.
    """
    options: dict[str, Any] = {"prefixes": PREFIXES}
    try:
        if job.default_graphs:
            options["default_graph"] = [ox.NamedNode(iri) for iri in job.default_graphs]
        else:
            options["use_default_graph_as_union"] = True
        if job.named_graphs:
            options["named_graphs"] = [ox.NamedNode(iri) for iri in job.named_graphs]
    except ValueError as exc:
        return Outcome(status=400, detail=f"a graph IRI is not an absolute IRI: {exc}")
    try:
        return _answer(store.query(job.text, **options), job)
    except SyntaxError as exc:
        return Outcome(status=400, detail=f"SPARQL syntax error: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:  # evaluation errors, also while results are read
        return Outcome(status=400, detail=f"the query failed: {exc}")
    except TruncatedAnswer as exc:  # a server store cut the answer at its own row cap: never pass it on as whole
        return Outcome(status=502, detail=f"{exc.message}; {exc.hint}")
    except QueryError as exc:  # a server store refused or failed the query
        return Outcome(status=400, detail=exc.message)
    except StoreError as exc:  # a server store cannot be reached
        return Outcome(status=503, detail=exc.message, retry_after=RETRY_AFTER_S)


def _answer(answer: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: Job) -> Outcome:
    if isinstance(answer, ox.QueryTriples):
        if job.graph_format is None:
            return Outcome(kind="graph", status=406)
        graph_data = answer.serialize(format=GRAPH_FORMATS[job.graph_format])
        assert graph_data is not None  # without an output, serialize returns the bytes (its stub says bytes | None)
        return Outcome("graph", graph_data)
    kind = "ask" if isinstance(answer, ox.QueryBoolean) else "select"
    if job.result_format is None:
        return Outcome(kind=kind, status=406)
    if isinstance(answer, ox.QuerySolutions):
        rows = list(islice(answer, job.max_rows + 1))
        if len(rows) > job.max_rows:
            return Outcome(kind=kind, status=413, detail=f"more than {job.max_rows:,} rows")
        answer = _replay(answer.variables, rows)
    data = answer.serialize(format=RESULT_FORMATS[job.result_format])
    assert data is not None  # (as above)
    return Outcome(kind, data)


def _replay(variables: list[ox.Variable], rows: list[ox.QuerySolution]) -> ox.QuerySolutions:
    """Solutions already read (to count them against the cap) as results again, without re-running the query.

    They go through SPARQL TSV, whose terms are written as in N-Triples, which is what ``str(term)`` gives.
    """
    lines = ["\t".join(str(v) for v in variables)]
    lines += ["\t".join("" if row[v] is None else str(row[v]) for v in variables) for row in rows]
    replayed = ox.parse_query_results("\n".join(lines) + "\n", ox.QueryResultsFormat.TSV)
    assert isinstance(replayed, ox.QuerySolutions)  # a TSV table always parses as solutions
    return replayed


# --- inside a worker -------------------------------------------------------------------------------------------


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent's starting thread ends; exit now if the parent is gone."""
    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def isolate_network() -> bool:
    """Move this process into a network namespace of its own (only a loopback that is down); False if impossible.

    As root, CLONE_NEWNET alone; otherwise in a new user namespace too (needs unprivileged user namespaces).
    """
    libc = _libc()
    return any(libc.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET))


@contextlib.contextmanager
def _own_time_limit(seconds: float) -> Iterator[None]:
    """Kill this process (SIGALRM, or SIGXCPU for CPU time) if the block runs longer than *seconds*."""
    seconds = math.ceil(seconds)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_limit = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    if hard != resource.RLIM_INFINITY:
        cpu_limit = min(cpu_limit, hard)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _serve(folder: Location, connection: Connection, parent: int, limits: Limits) -> None:
    """A worker's life: limits and isolation first, then answer jobs until the pipe closes or the parent is gone."""
    _die_with_parent(parent)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write core files into the server's folder
    graph_store = store_at(folder)  # this process's own (a server store's HTTP client cannot cross processes)
    isolated = isolate_network() if graph_store.local else False  # a server store is reached by HTTP
    memory = limits.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.sched_setscheduler(0, WORKER_SCHEDULER, os.sched_param(0))
    version, store = graph_store.snapshot()
    pinned: dict[str, AnyStore] = {}  # the release last queried, kept opened for the next query of it
    connection.send(Ready(isolated))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if os.getppid() != parent:
            return
        try:
            if graph_store.current_version() != version:
                del store
                version, store = graph_store.snapshot()
            queried: AnyStore | None = store
            if job.version is not None and job.version != version.name:
                queried = pinned.get(job.version) or _open_pinned(graph_store, job.version, pinned)
            if queried is None:
                outcome = Outcome(status=404, detail=f"the store no longer holds the version {job.version}")
            else:
                with _own_time_limit(limits.timeout_s + OWN_LIMIT_GRACE_S):
                    outcome = run_job(queried, job)
            del queried
        except MemoryError:
            outcome = Outcome(status=400, detail=memory_detail(limits))
        except Exception as exc:  # a bug: said so, and this worker is replaced
            traceback.print_exc()
            outcome = Outcome(status=500, detail=f"the query worker failed ({type(exc).__name__}); this is a bug")
        try:
            connection.send(outcome)
        except MemoryError:
            connection.send(Outcome(status=400, detail=memory_detail(limits)))


def _open_pinned(graph_store: GraphStore, name: str, pinned: dict[str, AnyStore]) -> AnyStore | None:
    """Open the older version *name* (a release's) in place of the one kept opened before; None if it is gone."""
    pinned.clear()
    path = graph_store.version_path(name)
    if path is None:
        return None
    pinned[name] = graph_store.open_version(path)
    return pinned[name]


# --- in the server ---------------------------------------------------------------------------------------------


def memory_detail(limits: Limits) -> str:
    return (
        f"the query needed more memory than a query worker may use ({limits.memory_mb:,} MiB, the setting "
        f"{SPARQL_WORKER_MEMORY_ENV}) and was stopped"
    )


def _end_of(exitcode: int | None) -> WorkerEnd:
    """What an exit code says about why a worker ended."""
    if exitcode is None:
        return WorkerEnd.FAILED
    if exitcode >= 0:
        return WorkerEnd.EXITED
    by_signal: dict[int, WorkerEnd] = {
        signal.SIGALRM: WorkerEnd.OWN_TIME_LIMIT,
        signal.SIGXCPU: WorkerEnd.OWN_TIME_LIMIT,
        signal.SIGABRT: WorkerEnd.MEMORY,  # Rust and C++ abort when an allocation fails
        signal.SIGKILL: WorkerEnd.KILLED,
        signal.SIGTERM: WorkerEnd.KILLED,
    }
    return by_signal.get(-exitcode, WorkerEnd.CRASHED)


def _exitcode(process: BaseProcess, timeout: float) -> int | None:
    """The exit code of *process* once it ended (None if it runs on after *timeout*).

    Starting a process reaps every child that ended, from whichever thread starts it; a join racing with that
    sees no exit code at first, so this asks again until the code is recorded.
    """
    deadline = time.monotonic() + timeout
    while True:
        process.join(0.05)
        if process.exitcode is not None or time.monotonic() >= deadline:
            return process.exitcode


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return signal.Signals(-exitcode).name
    except ValueError:  # a real-time signal, say
        return f"signal {-exitcode}"


class Worker:
    """The server's handle on one worker process."""

    def __init__(self, process: BaseProcess, connection: Connection, isolated: bool) -> None:
        self.process = process
        self.connection = connection
        self.isolated = isolated
        self.busy = False

    @property
    def pid(self) -> int:
        pid = self.process.pid
        assert pid is not None  # a worker is made of a process already started
        return pid

    def stop(self) -> int | None:
        """Kill the process (the only way to stop a running Oxigraph query) and return its exit code."""
        if _exitcode(self.process, 0) is None:
            self.process.kill()
        exitcode = _exitcode(self.process, 5)
        self.connection.close()
        return exitcode


@dataclass(frozen=True, slots=True)
class PoolState:
    size: int
    live: int
    #: whether every live worker has a network namespace of its own (None before the first one started)
    isolated: bool | None

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "live": self.live, "isolated": self.isolated}


class QueryPool:
    """Worker processes for SPARQL queries; ``run`` always returns an :class:`Outcome`, never hangs.

    Waiting for a free worker takes at most ``queue_timeout_s`` (longer only while a worker is being started, up to
    :data:`START_TIMEOUT_S`), then the answer is a 503 with ``retry_after``.
    """

    def __init__(
        self,
        store: GraphStore | Location,
        *,
        size: int = 2,
        limits: Limits | None = None,
        queue_timeout_s: float = 5.0,
    ) -> None:
        self.store = as_store(store)
        self.location = self.store.location  # what each worker opens its own store at
        self.size = size
        self.limits = limits or Limits()
        self.queue_timeout_s = queue_timeout_s
        self._changed = threading.Condition()
        self._idle: collections.deque[Worker] = collections.deque()
        self._workers: list[Worker] = []
        self._waiting = 0
        self._closed = False
        self._warned_isolation = False
        self._wake_read, self._wake_write = os.pipe()
        self._keeper = threading.Thread(target=self._keep, name="certbridge query-pool keeper", daemon=True)
        self._keeper.start()

    # the keeper thread: starts every worker (so that PR_SET_PDEATHSIG ties them to a thread that lives as long as
    # the pool) and replaces workers that die while idle

    def _keep(self) -> None:
        """Keep the pool at full strength until it is closed; an error here is logged, never the keeper's end (its
        end would take every worker with it)."""
        failures = 0
        while not self._closed:
            try:
                failures = self._keep_once(failures)
            except Exception:
                LOG.exception("the query pool's keeper failed; it carries on")
                time.sleep(1.0)

    def _keep_once(self, failures: int) -> int:
        """Start the workers missing, wait for a worker to end or a wake-up, retire those that died idle."""
        with self._changed:
            if self._closed:
                return failures
            missing = self.size - len(self._workers)
        for _ in range(missing):
            if not self._start_one():
                failures += 1
                break
            failures = 0
        with self._changed:
            watched = [worker for worker in self._workers if not worker.busy]
        pause = min(2.0**failures, 30.0) if failures else 1.0
        ready = multiprocessing.connection.wait([w.process.sentinel for w in watched] + [self._wake_read], pause)
        if self._wake_read in ready:
            os.read(self._wake_read, 1024)
        for worker in watched:
            if not worker.process.is_alive():
                with self._changed:
                    if worker.busy or worker not in self._workers:
                        continue  # the request that took it handles it
                    self._idle.remove(worker)
                self._retire(worker, _end_of(_exitcode(worker.process, 1)), "while idle")
        return failures

    def _start_one(self) -> bool:
        connection, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve,
            args=(self.location, child, os.getpid(), self.limits),
            daemon=True,
            name="certbridge query worker",
        )
        process.start()
        child.close()
        ready: object = None
        deadline = time.monotonic() + START_TIMEOUT_S
        with contextlib.suppress(EOFError, OSError):
            while not self._closed and time.monotonic() < deadline:
                if connection.poll(0.2):
                    ready = connection.recv()
                    break
        if not isinstance(ready, Ready):
            _exitcode(process, 1)  # it may be exiting on its own (an error opening the store, say)
            exitcode = Worker(process, connection, isolated=False).stop()
            if not self._closed:
                LOG.warning("query worker %s %s (%s)", process.pid, WorkerEnd.STARTING.value, _signal_name(exitcode))
            return False
        if not ready.isolated and not self._warned_isolation and self.store.local:
            self._warned_isolation = True
            LOG.warning(
                "query workers run without a network namespace of their own (unshare failed: no root and no "
                "unprivileged user namespaces); only the endpoint's refusal of SERVICE keeps queries off the network"
            )
        with self._changed:
            if self._closed:
                Worker(process, connection, ready.isolated).stop()
                return False
            worker = Worker(process, connection, ready.isolated)
            self._workers.append(worker)
            self._idle.append(worker)
            self._changed.notify_all()
        return True

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")

    def _retire(self, worker: Worker, end: WorkerEnd, when: str) -> None:
        """Stop and forget *worker*; the keeper starts its replacement."""
        with self._changed:
            if worker in self._workers:
                self._workers.remove(worker)
            closed = self._closed
        exitcode = worker.stop()
        if not closed:
            LOG.warning("query worker %s replaced %s: %s (%s)", worker.pid, when, end.value, _signal_name(exitcode))
        self._wake()

    def _refilled(self) -> None:
        """Wait until the pool is at full strength again (bounded), so the next request finds it so."""
        deadline = time.monotonic() + START_TIMEOUT_S
        with self._changed:
            while not self._closed and len(self._workers) < self.size and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())

    # requests

    def _take(self) -> Worker | Outcome:
        with self._changed:
            if self._closed:
                return Outcome(status=503, detail="the server is shutting down", retry_after=RETRY_AFTER_S)
            if self._waiting >= WAITING_PER_WORKER * self.size:
                return self._saturated()
            self._waiting += 1
            try:
                started = time.monotonic()
                while True:
                    while self._idle:
                        worker = self._idle.popleft()
                        if worker.process.is_alive():
                            worker.busy = True
                            return worker
                        self._retire(worker, _end_of(_exitcode(worker.process, 1)), "while idle")
                    starting = len(self._workers) < self.size
                    bound = max(self.queue_timeout_s, START_TIMEOUT_S if starting else 0.0)
                    left = started + bound - time.monotonic()
                    if self._closed or left <= 0:
                        return self._saturated()
                    self._changed.wait(left)
            finally:
                self._waiting -= 1

    def _saturated(self) -> Outcome:
        return Outcome(
            status=503,
            detail=f"every query worker is busy; no worker became free within {self.queue_timeout_s:g} s (the "
            f"setting {SPARQL_QUEUE_TIMEOUT_ENV}); try again",
            retry_after=RETRY_AFTER_S,
        )

    def _release(self, worker: Worker) -> None:
        with self._changed:
            worker.busy = False
            if worker in self._workers:
                self._idle.append(worker)
            self._changed.notify_all()

    def run(self, job: Job, *, timeout: float | None = None) -> Outcome:
        """Answer *job* in a worker: its answer, or the error that ended it (the worker is then replaced)."""
        taken = self._take()
        if isinstance(taken, Outcome):
            return taken
        worker, limit = taken, self.limits.timeout_s if timeout is None else timeout
        end: WorkerEnd | None = None
        outcome: Outcome | None = None
        try:
            worker.connection.send(job)
            if worker.connection.poll(limit):
                outcome = worker.connection.recv()
            else:
                end = WorkerEnd.TIME_LIMIT
        except (EOFError, OSError):
            end = _end_of(_exitcode(worker.process, 2))
        except BaseException:
            self._retire(worker, WorkerEnd.FAILED, "after an error in the server")
            raise
        if end is None and outcome is not None and outcome.status != 500:
            self._release(worker)
            return outcome
        self._retire(worker, end or WorkerEnd.FAILED, "after a query")
        self._refilled()
        if outcome is not None:
            return outcome
        return self._failure(end or WorkerEnd.FAILED, worker, limit)

    def _failure(self, end: WorkerEnd, worker: Worker, limit: float) -> Outcome:
        if self._closed:
            return Outcome(status=503, detail="the server is shutting down", retry_after=RETRY_AFTER_S)
        if end in (WorkerEnd.TIME_LIMIT, WorkerEnd.OWN_TIME_LIMIT):
            seconds = min(limit, self.limits.timeout_s)
            return Outcome(
                status=400,
                detail=f"the query took longer than {seconds:g} s and was stopped; the limit is the setting "
                f"{SPARQL_TIMEOUT_ENV}",
            )
        if end is WorkerEnd.MEMORY:
            return Outcome(status=400, detail=memory_detail(self.limits))
        if end is WorkerEnd.KILLED:
            return Outcome(
                status=503,
                detail=f"the query worker was stopped from outside ({_signal_name(worker.process.exitcode)}); "
                "try again",
                retry_after=RETRY_AFTER_S,
            )
        return Outcome(
            status=500,
            detail=f"the query worker {end.value} ({_signal_name(worker.process.exitcode)}); this is a bug, the "
            "worker was replaced",
        )

    def state(self) -> PoolState:
        with self._changed:
            live = [worker for worker in self._workers if worker.process.is_alive()]
        return PoolState(self.size, len(live), all(w.isolated for w in live) if live else None)

    def pids(self) -> list[int]:
        with self._changed:
            return [worker.pid for worker in self._workers]

    def close(self) -> None:
        """Stop every worker (queries running get a 503) and the keeper."""
        with self._changed:
            self._closed = True
            workers, self._workers = self._workers, []
            self._idle.clear()
            self._changed.notify_all()
        self._wake()
        for worker in workers:
            worker.stop()
        self._keeper.join(timeout=START_TIMEOUT_S + 5)
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
