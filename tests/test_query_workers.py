"""Query workers cannot take the service down: each way a worker ends answers that one query, and the pool refills.

The workers are killed in every way the issue names (an exception in their job handling, SIGSEGV, SIGKILL, the
memory limit, the time limit enforced by the server and by the worker itself); after each, the next query is
answered and the pool is at full size. Then the network: a worker's namespace alone stops a SERVICE fetch (the
endpoint's lexer is bypassed here). Then a real ``certbridge serve`` process: SIGTERM ends it and its workers
within seconds while slow queries run, and after SIGKILL of the server its workers are gone too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.network import SLOW_TEXT, listener

from certbridge.api.query_worker import Job, Limits, Outcome, QueryPool, WorkerEnd, _end_of, run_job
from certbridge.graph.store import open_store

ASK = Job("ASK { ?s ?p ?o }", (), (), "json", None, 10)
SLOW = Job(SLOW_TEXT, (), (), "json", None, 10)
#: a string that doubles 30 times: about 10 GiB if nothing stops it
HUNGRY = Job(
    'SELECT (STRLEN(?v30) AS ?n) WHERE { VALUES ?v0 { "0123456789" } '
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(30))
    + " }",
    (),
    (),
    "json",
    None,
    10,
)


def answers(pool: QueryPool) -> None:
    """The next query is answered and the pool is at full size."""
    outcome = pool.run(ASK)
    assert outcome.kind == "ask" and outcome.body == b'{"head":{},"boolean":true}', outcome
    state = pool.state()
    assert (state.live, state.size) == (pool.size, pool.size)


def wait_until(predicate, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture(scope="module")
def pool(mini_store: Path) -> Iterator[QueryPool]:
    pool = QueryPool(mini_store, size=2, limits=Limits(timeout_s=3.0, memory_mb=1200), queue_timeout_s=1.0)
    try:
        assert wait_until(lambda: pool.state().live == 2, 60), "the workers did not start"
        answers(pool)
        yield pool
    finally:
        pool.close()


def run_in_thread(pool: QueryPool, job: Job, **options: float) -> tuple[threading.Thread, list[Outcome]]:
    found: list[Outcome] = []
    thread = threading.Thread(target=lambda: found.append(pool.run(job, **options)))
    thread.start()
    return thread, found


def busy_pid(pool: QueryPool, before: set[int]) -> int:
    """The pid of the worker that took the job just sent (the only busy one)."""
    assert wait_until(lambda: any(w.busy for w in pool._workers), 10)
    (pid,) = [w.pid for w in pool._workers if w.busy]
    assert pid in before
    return pid


def test_an_exception_in_the_job_handling_is_a_500_and_the_worker_is_replaced(
    pool: QueryPool, caplog: pytest.LogCaptureFixture
) -> None:
    before = set(pool.pids())
    with caplog.at_level(logging.WARNING, "certbridge.api.query_worker"):
        outcome = pool.run(Job("ASK {}", (), (), "no-such-format", None, 10))  # a KeyError inside the worker
    assert outcome.status == 500 and "bug" in (outcome.detail or "")
    assert "failed handling a job" in caplog.text
    answers(pool)
    assert set(pool.pids()) != before


def test_a_client_mistake_in_a_job_leaves_the_worker_in_place(pool: QueryPool) -> None:
    before = set(pool.pids())
    for iris in [("",), ("null",), ("relative",)]:
        outcome = pool.run(Job("ASK {}", iris, iris, "json", None, 10))
        assert outcome.status == 400 and "absolute IRI" in (outcome.detail or ""), outcome
    assert pool.run(Job("SELEC nothing", (), (), "json", None, 10)).status == 400
    assert set(pool.pids()) == before
    answers(pool)


@pytest.mark.parametrize(
    ("sig", "status", "reason"),
    [(signal.SIGSEGV, 500, "crashed"), (signal.SIGKILL, 503, "killed from outside")],
    ids=["SIGSEGV", "SIGKILL"],
)
def test_a_worker_killed_mid_query(
    pool: QueryPool, caplog: pytest.LogCaptureFixture, sig: signal.Signals, status: int, reason: str
) -> None:
    before = set(pool.pids())
    with caplog.at_level(logging.WARNING, "certbridge.api.query_worker"):
        thread, found = run_in_thread(pool, SLOW, timeout=60)
        os.kill(busy_pid(pool, before), sig)
        thread.join(30)
    (outcome,) = found
    assert outcome.status == status, outcome
    assert (outcome.retry_after is not None) == (status == 503)
    assert reason in caplog.text and sig.name in caplog.text
    answers(pool)


def test_a_worker_killed_while_idle_is_replaced_by_the_pool(pool: QueryPool) -> None:
    victim = pool.pids()[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: victim not in pool.pids() and pool.state().live == pool.size)
    answers(pool)


def test_the_memory_limit_ends_the_query_with_a_400_naming_the_setting(pool: QueryPool) -> None:
    outcome = pool.run(HUNGRY, timeout=60)
    assert outcome.status == 400 and "CERTBRIDGE_SPARQL_WORKER_MEMORY_MB" in (outcome.detail or ""), outcome
    answers(pool)


def test_the_time_limit_is_enforced_by_the_server(pool: QueryPool) -> None:
    started = time.monotonic()
    outcome = pool.run(SLOW, timeout=1.0)
    assert time.monotonic() - started < 10
    assert outcome.status == 400 and "CERTBRIDGE_SPARQL_TIMEOUT_S" in (outcome.detail or "")
    answers(pool)


def test_the_time_limit_is_enforced_by_the_worker_itself(pool: QueryPool, caplog: pytest.LogCaptureFixture) -> None:
    """The server waits far longer than the limit here: the worker stops itself (alarm or RLIMIT_CPU)."""
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "certbridge.api.query_worker"):
        outcome = pool.run(SLOW, timeout=120)
    assert time.monotonic() - started < 15  # the limit is 3 s, plus a second's grace
    assert outcome.status == 400 and "CERTBRIDGE_SPARQL_TIMEOUT_S" in (outcome.detail or "")
    assert "stopped itself" in caplog.text
    answers(pool)


def test_waiting_for_a_free_worker_is_bounded(mini_store: Path) -> None:
    pool = QueryPool(mini_store, size=1, limits=Limits(timeout_s=20.0), queue_timeout_s=0.5)
    try:
        assert wait_until(lambda: pool.state().live == 1, 60), "the worker did not start"
        answers(pool)
        thread, _ = run_in_thread(pool, SLOW, timeout=6)
        assert wait_until(lambda: any(w.busy for w in pool._workers), 10)
        started = time.monotonic()
        outcome = pool.run(ASK)
        assert time.monotonic() - started < 3
        assert outcome.status == 503 and outcome.retry_after and "CERTBRIDGE_SPARQL_QUEUE_TIMEOUT_S" in outcome.detail
        thread.join(30)
        answers(pool)
    finally:
        pool.close()


def test_the_network_namespace_alone_stops_a_service_fetch(pool: QueryPool, mini_store: Path) -> None:
    """With the endpoint's lexer bypassed (the pool runs any job), an isolated worker cannot reach the listener."""
    assert pool.state().isolated is True, "workers run as root in CI: unshare(CLONE_NEWNET) must work"
    with listener() as (port, seen):
        job = Job(
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}", (), (), "json", None, 10
        )
        outcome = pool.run(job)
        assert outcome.status == 400 and "the query failed" in (outcome.detail or ""), outcome
        time.sleep(0.3)
        assert seen == []
        # the control: the same job run in this (not isolated) process does reach the listener
        run_job(open_store(mini_store), job)
        assert wait_until(lambda: len(seen) > 0, 5)
    answers(pool)


# --- a real server process ------------------------------------------------------------------------------------


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def served(store: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, set[int]]]:
    """``python -m certbridge.api serve`` on a free loopback port, after hostile requests, with two slow queries on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "CERTBRIDGE_SPARQL_TIMEOUT_S": "120", "CERTBRIDGE_SPARQL_WORKERS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "certbridge.api", "serve", "--store", str(store), "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=5) as client:

            def ready() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    workers = client.get("/api/v1/health").json()["query_workers"]
                    return workers is not None and workers["live"] == 2
                return False

            assert wait_until(ready, 60), "the server did not start with two live workers"
            # the requests that used to kill workers for good (and then made SIGTERM hang): each a 400 now
            for params in ({"named-graph-uri": ""}, {"named-graph-uri": "null"}, {"default-graph-uri": "relative"}):
                assert client.get("/sparql", params={"query": "ASK {}", **params}).status_code == 400
            nested = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000
            assert (
                client.post("/sparql", content=nested, headers={"Content-Type": "application/sparql-query"}).status_code
                == 400
            )
            assert wait_until(ready, 10)
        workers = children(process.pid)
        assert len(workers) >= 2

        def slow() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/sparql", params={"query": SLOW_TEXT}, timeout=30)

        for _ in range(2):
            threading.Thread(target=slow, daemon=True).start()
        time.sleep(1.0)  # both queries are running now
        yield process, url, workers
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_sigterm_ends_the_server_and_its_workers_while_queries_run(mini_store: Path) -> None:
    with served(mini_store) as (process, _, workers):
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 5), [p for p in workers if alive(p)]


def test_no_worker_outlives_a_killed_server(mini_store: Path) -> None:
    with served(mini_store) as (process, _, workers):
        process.kill()
        process.wait(timeout=10)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 5), [p for p in workers if alive(p)]


@pytest.mark.parametrize(
    ("exitcode", "end"),
    [
        (-signal.SIGALRM, WorkerEnd.OWN_TIME_LIMIT),
        (-signal.SIGXCPU, WorkerEnd.OWN_TIME_LIMIT),
        (-signal.SIGABRT, WorkerEnd.MEMORY),
        (-signal.SIGKILL, WorkerEnd.KILLED),
        (-signal.SIGSEGV, WorkerEnd.CRASHED),
        (-(signal.SIGRTMIN + 3), WorkerEnd.CRASHED),  # no name in signal.Signals: must not raise
        (1, WorkerEnd.EXITED),
        (None, WorkerEnd.FAILED),
    ],
)
def test_why_a_worker_ended_is_read_from_its_exit_code(exitcode: int | None, end: WorkerEnd) -> None:
    assert _end_of(exitcode) is end
