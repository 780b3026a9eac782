"""Writes over the API applied in a writer process (api/write_worker.py): the change is worked out there, the routing
index updated by the server from what the writer read, and a writer that dies mid-write leaves the store before or
after the write, the server answering, and the next write a new writer."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from helpers.data import MINI_DATA
from helpers.rows import SOURCE, TARGET
from helpers.serving import is_problem, serving

from certbridge.api.app import create_app
from certbridge.api.settings import Settings
from certbridge.api.state import AppState, state_of
from certbridge.graph.build import build
from certbridge.graph.changes import read_log
from certbridge.graph.routing.cache import CACHE_KIND
from certbridge.graph.routing.index import load_index
from certbridge.graph.store import store_at

TOKEN = "writer-process-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ID = "https://w3id.org/certbridge/id/"
AGREEMENT = "IL-AG01"  # the illustrative agreement behind the demo's formal route (SOURCE -> TARGET)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    return location


def _agreements_used(http: httpx.Client) -> set[str]:
    answer = http.get("/api/v1/routes", params={"from": SOURCE, "to": TARGET})
    assert answer.status_code == 200, answer.text
    return {step["evidence"].get("iri", "").rsplit("/", 1)[-1] for r in answer.json()["routes"] for step in r["steps"]}


def _correct(http: httpx.Client, fields: dict[str, str], note: str) -> httpx.Response:
    """A correction of the agreement's *fields* over the API."""
    return http.post(f"/api/v1/tables/agreements/rows/{AGREEMENT}", json=fields, params={"note": note}, headers=AUTH)


def test_a_write_runs_in_the_writer_process_and_the_server_serves_the_index_it_updated(store: Path) -> None:
    app = create_app(Settings(store, write_token=TOKEN))
    with serving(Settings(store), app=app) as url, httpx.Client(base_url=url, timeout=60) as http:
        assert AGREEMENT in _agreements_used(http)
        state = state_of(app)
        served = state.index()
        written = _correct(http, {"valid_to": "2024-06-30"}, "ended early")
        assert written.status_code == 201, written.text
        assert written.json()["applied"] == "patched"
        writer = state._writer
        assert writer is not None and writer.pid not in (None, os.getpid()), "the write ran in another process"
        assert AGREEMENT not in _agreements_used(http), "visible at once"
        version = store_at(store).current_version()
        assert version is not None and version.name == written.json()["version"]
        index = state.index()
        assert index is not served, "the server serves the index it updated"
        assert index == load_index(ox.Store.read_only(str(version))), "equal to the new version read afresh"
        assert index.derived.changed is not None, "updated from the index before, not read in full"
        cache = store_at(store).cache_path(version.name, CACHE_KIND)
        assert cache.exists(), "saved beside the new version"
        again = _correct(http, {"valid_to": ""}, "restored")
        assert again.status_code == 201, again.text
        assert state._writer is writer and writer.pid is not None, "the same writer, kept for the next write"
        assert AGREEMENT in _agreements_used(http)


def test_a_writer_killed_mid_write_leaves_the_store_before_or_after_and_the_next_write_goes_through(
    store: Path,
) -> None:
    app = create_app(Settings(store, write_token=TOKEN))
    rng = random.Random(18)
    trust = iter(["medium", "high", "low"] * 20)

    def write(http: httpx.Client, note: str) -> httpx.Response:
        return _correct(http, {"trust": next(trust)}, note)

    with serving(Settings(store), app=app) as url, httpx.Client(base_url=url, timeout=120) as http:
        state = state_of(app)
        assert write(http, "starts the writer").status_code == 201
        began = time.monotonic()
        assert write(http, "timed").status_code == 201
        duration = time.monotonic() - began
        writer = state._writer
        assert writer is not None
        killed_midway = 0
        for attempt in range(8):
            pid, before = writer.pid, store_at(store).current_version()
            assert pid is not None
            killer = threading.Timer(rng.uniform(0.05, 0.9) * duration, os.kill, args=(pid, signal.SIGKILL))
            killer.start()
            answer = write(http, f"attempt {attempt}")
            killer.join()
            if answer.status_code != 201:
                body = is_problem(answer, 503)
                assert "writer process ended" in body["detail"]
                killed_midway += 1
            after = store_at(store).current_version()
            assert after is not None
            logged = read_log(store_at(store).kept_tables(after))
            assert logged[-1].version == after.name, "the log's last change made the current version"
            assert after == before or logged[-1].note == f"attempt {attempt}", "before the write, or after it"
            assert http.get("/api/v1/health").status_code == 200, "the server answers"
            assert write(http, f"after attempt {attempt}").status_code == 201, "the next write goes through"
            assert writer.pid not in (None, pid), "in a new writer"
            current = store_at(store).current_version()
            assert current is not None
            assert state.index() == load_index(ox.Store.read_only(str(current))), "and the index served is right"
        assert killed_midway >= 3, f"only {killed_midway} of 8 writers were killed during their write"


def test_a_failure_of_the_server_during_a_write_leaves_the_store_as_it_was_and_the_next_write_whole(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server fails (a bug, say) while the writer waits for it to update the routing index: the write is not
    applied, and the next write does not find that writer still waiting (it would take the job for the answer)."""
    failing = [True]
    held = AppState.held

    def held_once(self: AppState, cache: Path) -> object:
        if failing.pop() if failing else False:
            raise RuntimeError("a bug in the server")
        return held(self, cache)

    monkeypatch.setattr(AppState, "held", held_once)
    app = create_app(Settings(store, write_token=TOKEN))
    with serving(Settings(store), app=app) as url:
        before = store_at(store).current_version()
        with httpx.Client(base_url=url, timeout=60) as http, contextlib.suppress(httpx.ReadError):
            # an unexpected error: a 500, or the connection dropped (as for any bug in a handler)
            assert _correct(http, {"trust": "medium"}, "fails in the server").status_code == 500
        assert store_at(store).current_version() == before, "not applied"
        with httpx.Client(base_url=url, timeout=60) as http:
            done = _correct(http, {"trust": "high"}, "goes through")
            assert done.status_code == 201, done.text
            current = store_at(store).current_version()
            assert current is not None and current.name == done.json()["version"]
            assert [c.note for c in read_log(store_at(store).kept_tables(current))][-1] == "goes through"
            assert state_of(app).index() == load_index(ox.Store.read_only(str(current)))
