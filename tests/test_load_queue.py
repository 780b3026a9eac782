"""The on-disk store's bulk loads, done in order by a thread of their own (graph/load_queue.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from certbridge.graph.load_queue import LoadQueue

GRAPH = URIRef("urn:x:g")


def _wait_for_failure(disk: LoadQueue) -> BaseException:
    """What queueing more work raises once the queue has failed (polled: the failure comes from its thread)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            disk.run(lambda: None)
        except Exception as error:
            return error
        time.sleep(0.01)
    raise AssertionError("queueing after a failed load went on raising nothing")


def _writers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "certbridge-store-writer"]


def test_loads_and_work_run_in_the_order_queued(tmp_path: Path) -> None:
    done: list[str] = []
    store = ox.Store()
    (tmp_path / "a.nt").write_text("<urn:x:a> <urn:x:p> <urn:x:o> .\n", encoding="utf-8")
    with LoadQueue(store) as disk:
        disk.load(GRAPH, tmp_path / "a.nt")
        disk.run(lambda: done.append(f"after a: {len(store)}"))
        disk.load(GRAPH, b"<urn:x:b> <urn:x:p> <urn:x:o> .\n")
        disk.run(lambda: done.append(f"after b: {len(store)}"))
        assert disk.finish() is store  # and lets go of it, so that the caller can free it
        assert disk.finish() is None
    assert done == ["after a: 1", "after b: 2"]
    with pytest.raises(RuntimeError, match="finished"):
        disk.run(lambda: done.append("too late"))
    assert {str(quad.graph_name) for quad in store} == {f"<{GRAPH}>"}
    assert not _writers()


def test_the_first_error_is_raised_and_what_follows_it_skipped() -> None:
    done: list[int] = []
    release = threading.Event()
    disk = LoadQueue(ox.Store())
    disk.run(lambda: release.wait(timeout=10))  # holds the queue until all three are in it
    disk.load(GRAPH, b"not N-Triples\n")
    disk.run(lambda: done.append(1))
    release.set()
    with pytest.raises(SyntaxError):
        disk.finish()
    assert done == []
    with pytest.raises(SyntaxError):  # and so does queueing more
        disk.run(lambda: done.append(2))
    assert not _writers()


def test_leaving_by_an_error_drops_pending_work_and_waits_for_the_running_one() -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(timeout=10)
        done.append("slow")

    with pytest.raises(KeyError), LoadQueue(ox.Store()) as disk:
        disk.run(slow)
        disk.run(lambda: done.append("pending"))
        started.wait(timeout=10)
        threading.Timer(0.2, release.set).start()
        raise KeyError("the build failed")
    assert done == ["slow"]  # the running work finished before the queue was left; the pending one never ran
    assert not _writers()


def test_queueing_after_a_failure_raises_it_at_once() -> None:
    """A disk error during the conversion stops the build at the next chunk, not minutes later at the end."""
    disk = LoadQueue(ox.Store())
    disk.load(GRAPH, b"not N-Triples\n")
    assert isinstance(_wait_for_failure(disk), SyntaxError)
    with pytest.raises(SyntaxError):
        disk.finish()
