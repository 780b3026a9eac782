"""Writes applied in a process of their own, so that a change's work does not hold the serving interpreter.

A write through the API converts and checks its rows, validates them by SHACL, reasons from the change and reads
what the routing index needs of the new version: seconds of Python at national scale. In the serving process that
work shared the interpreter (the GIL) with every route lookup, which then waited (bench/README.md). Here it runs
in a writer process, spawned on the first write and kept for the next ones (it keeps the conversion context it
read, as the serving process did).

The routing index is not held in the writer: loading it would double the memory. The writer reads what the change
changed (graph/routing/update.py ``read_update``: the records of the nodes it touched, small) and hands it to the
serving process, which holds the index before the change, applies it (``apply_update``) and saves the new version's
cache, all before the writer swaps the new version in (graph/patch.py ``patch(elsewhere=...)``). So the server
serves the updated index at once (``AppState.adopt``), and no reader of the new version finds its cache missing.

One write at a time: the server sends a job and answers the writer's requests until the write is done or failed.
A write's errors (graph/errors.py, pickled with their fields) are raised in the server as if the write ran there.
The writer dies with the server (it checks its parent twice a second, and a closed pipe ends it); if it dies
during a write, the write is reported failed, the store is left at the version before or after it (the swap is
atomic), and the next write starts a new writer.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol, TypeVar

from certbridge.graph import derived, writes
from certbridge.graph.errors import CertbridgeError, StoreError
from certbridge.graph.store import Location, store_at

_CONTEXT = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited RocksDB handles
#: how long the writer may take to start (import, open the store)
START_TIMEOUT_S = 60.0
#: how often the writer checks that the server that started it is still there
PARENT_CHECK_S = 0.5
#: the writer's niceness: the processor time route lookups leave goes to the write, not a share of what they need
#: (on two cores under load, a writer at the server's priority took a third of the lookups' throughput;
#: bench/README.md). Not the idle class, as SPARQL workers have: under sustained load a write must still finish
WRITER_NICENESS = 19


class WriteFunction(Protocol):
    """``writes.add_rows``, ``writes.correct_rows`` or ``writes.retire``: what a job runs."""

    def __call__(
        self,
        store: Any,
        change: Any,
        /,
        *,
        writer: str,
        note: str,
        based_on: str | None = None,
        elsewhere: derived.UpdateElsewhere | None = None,
    ) -> writes.Written: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteJob:
    """One write: the function of graph/writes.py (pickled by name), its change (``NewRows``, ``Corrections`` or
    ``Retirement``), who and why, and the version it was based on (``If-Match``)."""

    function: WriteFunction
    change: Any
    writer: str
    note: str
    based_on: str | None = None


@dataclass(frozen=True, slots=True)
class _Ready:
    pass


@dataclass(frozen=True, slots=True)
class _Update:
    """The writer asks the server to update derived data of *kind* with what it *read* of the new version."""

    kind: str
    read: Any
    before: Path
    after: Path


@dataclass(frozen=True, slots=True)
class _Done:
    written: writes.Written


@dataclass(frozen=True, slots=True)
class _Failed:
    error: CertbridgeError


T = TypeVar("T")

#: the data a process holds of the version whose cache file is given, or None (``AppState.held``)
Held = Callable[[Path], Any | None]


class Run(Protocol):
    """What runs a piece of work and answers what it answered (``AppState.on_the_loop``)."""

    def __call__(self, work: Callable[[], T]) -> T: ...


def _directly(work: Callable[[], T]) -> T:
    return work()


class WriterProcess:
    """The writer process of one store, started on first use; ``run`` applies a write there."""

    def __init__(self, location: Location, held: Held, run: Run = _directly) -> None:
        self.location = location
        self._held = held
        #: where the update is applied to the data this process holds: on the serving event loop (AppState)
        self._run = run
        self._lock = threading.Lock()  # one write at a time
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def run(self, job: WriteJob) -> writes.Written:
        """Apply *job* in the writer process; raises what the write raised, or StoreError when the writer died."""
        with self._lock:
            connection = self._started()
            try:
                outcome = self._exchange(connection, job)
            except (EOFError, OSError):
                self._stop()
                raise StoreError(
                    "the writer process ended during the write",
                    hint="the store is at the version before the write or after it: read the changes feed, then "
                    "write again if the change is not there",
                ) from None
            except BaseException:
                # this process failed while the writer waits for its answer: a stop (the write ends unapplied, the
                # pipe closed before the swap), so that the next write does not find the writer mid-conversation
                self._stop()
                raise
        if isinstance(outcome, _Failed):
            raise outcome.error
        return outcome.written

    def _exchange(self, connection: Connection, job: WriteJob) -> _Done | _Failed:
        """Send *job*, answer the writer's requests until it says how the write ended; the derived data updated
        here goes with a patched write (``Patched.derived``)."""
        updated: dict[str, Any] = {}
        connection.send(job)
        while True:
            message = connection.recv()
            if isinstance(message, _Update):
                connection.send(self._update(message, updated))
                continue
            if isinstance(message, _Done) and message.written.patched is not None:
                message.written.patched.derived.update(updated)
            assert isinstance(message, _Done | _Failed)
            return message

    def _update(self, asked: _Update, updated: dict[str, Any]) -> bool | _Failed:
        """Update the derived data *asked* for from what this process holds of the version before (or its cache)
        and save it beside the new version; False (the writer then updates it itself) when neither is there."""
        try:
            data = next(kind for kind in derived.registered() if kind.kind == asked.kind)
            assert data.apply_update is not None
            previous = self._held(asked.before)
            if previous is None and data.read is not None:
                previous = data.read(asked.before)
            if previous is None:
                return False
            made = self._run(functools.partial(data.apply_update, previous, asked.read))
            data.save(asked.after, made)  # here: a save in full (rare) waits seconds for a child process
            updated[asked.kind] = made
            return True
        except CertbridgeError as exc:
            return _Failed(exc)

    def _started(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self._stop()
        connection, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve, args=(self.location, child, os.getpid()), daemon=True, name="certbridge writer"
        )
        process.start()
        child.close()
        if not connection.poll(START_TIMEOUT_S) or not isinstance(connection.recv(), _Ready):
            process.kill()
            process.join(5)
            raise StoreError("the writer process did not start", hint="see the server's log")
        self._process, self._connection = process, connection
        return connection

    def _stop(self) -> None:
        process, connection, self._process, self._connection = self._process, self._connection, None, None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(2)
            if process.is_alive():
                process.kill()
                process.join(5)

    @property
    def pid(self) -> int | None:
        """The writer's process id, when it runs."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def close(self) -> None:
        with self._lock:
            self._stop()


# --- inside the writer ------------------------------------------------------------------------------------------


def _serve(location: Location, connection: Connection, parent: int) -> None:
    """The writer's life: apply each job sent until the pipe closes or the server is gone."""
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="certbridge writer: parent").start()
    os.nice(WRITER_NICENESS)
    graph_store = store_at(location)

    def elsewhere(data: derived.DerivedData, read: Any, before: Path, after: Path) -> bool:
        connection.send(_Update(data.kind, read, before, after))
        answer = connection.recv()
        if isinstance(answer, _Failed):
            raise answer.error
        return bool(answer)

    connection.send(_Ready())
    while True:
        try:
            job: WriteJob = connection.recv()
        except EOFError:
            return
        message: _Done | _Failed
        try:
            written = job.function(
                graph_store, job.change, writer=job.writer, note=job.note, based_on=job.based_on, elsewhere=elsewhere
            )
            message = _Done(written)
        except CertbridgeError as exc:
            message = _Failed(exc)
        except Exception as exc:  # a bug: said so, and the write is not applied (the swap is its last step)
            traceback.print_exc()
            message = _Failed(CertbridgeError(f"the write failed in the writer process ({type(exc).__name__}); a bug"))
        with contextlib.suppress(OSError):
            connection.send(message)


def _watch(parent: int) -> None:
    """End this process when the server that started it is gone (even during a write: the swap is atomic). Polled,
    not PR_SET_PDEATHSIG as the query workers are: that fires when the starting thread ends, and a writer is
    started from a request's thread, which the thread pool ends when idle."""
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os._exit(1)


__all__ = ["WriteJob", "WriterProcess"]
