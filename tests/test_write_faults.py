"""Writes under concurrency and faults (issue 18): many writers at once through the real server, each change applied
exactly once; writes based on a version that moved are refused (If-Match); a write killed with SIGKILL at random
moments leaves the store at the version before or after, its changes log consistent with its tables, and the write
lock free for the next writer."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from helpers.contents import contents
from helpers.data import MINI_DATA
from helpers.rows import AGREEMENT, write_csv
from helpers.serving import serving

from certbridge.api.settings import Settings
from certbridge.graph.build import build
from certbridge.graph.changes import read_log
from certbridge.graph.convert import TABLES
from certbridge.graph.query import run_query
from certbridge.graph.store import open_store, store_at
from certbridge.graph.tables import row_key

TOKEN = "faults-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: the mini data's agreements a correction may touch
AGREEMENTS = ("MR01", "MR09", "MR11", "IL-AG01", "IL-AG02")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    return location


def _tables(store: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The current version's kept tables: table -> key -> row."""
    version = store_at(store).current_version()
    assert version is not None
    kept = store_at(store).kept_tables(version)
    found = {}
    for table in TABLES:
        path = kept / f"{table}.csv"
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                found[table] = {row_key(table, row): row for row in csv.DictReader(handle)}
    return found


def _agreement(number: int) -> dict[str, str]:
    return dict(AGREEMENT, id=f"IL-AG-T{number}", name_en=f"ILLUSTRATIVE: test agreement {number}")


def test_concurrent_writers_are_serialised_and_no_change_is_lost(store: Path) -> None:
    adds = [_agreement(n) for n in range(8)]
    corrections = {key: f"corrected concurrently {n}" for n, key in enumerate(AGREEMENTS)}
    answers: list[httpx.Response] = []
    start = threading.Barrier(len(adds) + len(corrections))

    def post(path: str, body: dict[str, str]) -> None:
        with httpx.Client(base_url=url, timeout=300, params={"note": "concurrent"}) as http:
            start.wait()
            answers.append(http.post(path, json=body, headers=AUTH))

    with serving(Settings(store, write_token=TOKEN)) as url:
        threads = [threading.Thread(target=post, args=("/api/v1/agreements", row)) for row in adds]
        threads += [
            threading.Thread(target=post, args=(f"/api/v1/tables/agreements/rows/{key}", {"notes": notes}))
            for key, notes in corrections.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(a.status_code for a in answers) == [201] * len(threads), [
        a.text for a in answers if a.status_code != 201
    ]
    made = [answer.json() for answer in answers]
    assert len({m["version"] for m in made}) == len(made), "each write made a version of its own"
    version = store_at(store).current_version()
    assert version is not None
    log = read_log(store_at(store).kept_tables(version))
    assert Counter(c.id for c in log) == Counter(m["changeset"] for m in made), "every change logged exactly once"
    assert [c.version for c in log][-1] == version.name
    assert [c.based_on for c in log[1:]] == [c.version for c in log[:-1]], "one after the other, none overlapping"
    kept = store_at(store).kept_tables(version).joinpath("agreements.csv").read_text(encoding="utf-8")
    for row in adds:
        assert sum(line.startswith(row["id"] + ",") for line in kept.splitlines()) == 1, row["id"]
        assert run_query(open_store(store), f"ASK {{ agreement:{row['id']} a cb:RecognitionAgreement }}")
    rows = _tables(store)["agreements"]
    assert {key: rows[key]["notes"] for key in corrections} == corrections


def test_writers_based_on_the_same_version_one_wins_the_others_get_412(store: Path) -> None:
    answers: list[httpx.Response] = []
    with serving(Settings(store, write_token=TOKEN)) as url:
        etag = httpx.get(f"{url}/api/v1/agreements/MR01").headers["ETag"]
        start = threading.Barrier(len(AGREEMENTS))

        def correct(key: str) -> None:
            with httpx.Client(base_url=url, timeout=300, params={"note": "based on what I read"}) as http:
                start.wait()
                body = {"trust": "low"}
                answers.append(
                    http.post(f"/api/v1/tables/agreements/rows/{key}", json=body, headers={**AUTH, "If-Match": etag})
                )

        threads = [threading.Thread(target=correct, args=(key,)) for key in AGREEMENTS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 1, 412: len(AGREEMENTS) - 1}, [a.text for a in answers]
    assert all(
        a.headers["content-type"].startswith("application/problem+json") for a in answers if a.status_code == 412
    )
    (won,) = [a.json() for a in answers if a.status_code == 201]
    rows = _tables(store)["agreements"]
    assert [key for key in AGREEMENTS if rows[key]["trust"] == "low" and key in won["keys"]] == won["keys"]
    assert len(read_log(store_at(store).kept_tables(store_at(store).current_version()))) == 1


def _command(store: Path, number: int, folder: Path) -> list[str]:
    """A write of one of the three kinds, varied by *number*."""
    base = [sys.executable, "-m", "certbridge.api"]
    options = ["--store", str(store), "-q", "--note", f"write {number}", "--writer", "faults"]
    if number % 3 == 0:
        rows = write_csv(folder / f"{number}.agreements.csv", [_agreement(number)])
        return [*base, "import", str(rows), *options]
    if number % 3 == 1:
        key = AGREEMENTS[number % len(AGREEMENTS)]
        return [*base, "correct", "agreements", key, "--set", f"notes=corrected by write {number}", *options]
    added = number - 2  # retire the agreement write number-2 added, if it got in (else the write is refused)
    return [
        *base,
        "retire",
        "agreements",
        f"IL-AG-T{added}",
        "--on",
        "2026-06-01",
        "--reason",
        f"ended {number}",
        "--source",
        "SRC-ILLUSTRATIVE",
        "--illustrative",
        *options,
    ]


def _check_consistent(store: Path, baseline: dict[str, dict[str, dict[str, str]]]) -> int:
    """The store opens; the current version's tables are its baseline plus exactly the logged changes (every
    logged row as logged, no row changed without its log entry); returns the number of changesets."""
    assert run_query(open_store(store), "ASK { ?o a cb:Occupation }"), "the store opens and answers"
    version = store_at(store).current_version()
    assert version is not None
    log = read_log(store_at(store).kept_tables(version))
    expected = {table: dict(rows) for table, rows in baseline.items()}
    for changeset in log:
        for row in changeset.rows:
            expected.setdefault(changeset.table, {})[row.key] = dict(row.after)
    assert _tables(store) == expected, "the tables hold exactly the logged changes"
    if log:
        assert log[-1].version == version.name, "the log's last change made the current version"
        last = log[-1].rows[0].after
        if log[-1].table == "agreements":
            assert run_query(open_store(store), f"ASK {{ agreement:{last['id']} a cb:RecognitionAgreement }}")
    return len(log)


def test_a_write_killed_at_random_moments_leaves_the_store_before_or_after(store: Path, tmp_path: Path) -> None:
    baseline = _tables(store)
    rng = random.Random(18)
    began = time.monotonic()
    first = subprocess.run(_command(store, 0, tmp_path), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    duration = time.monotonic() - began  # a whole write, process start included: the kills fall within it
    changes = _check_consistent(store, baseline)
    assert changes == 1
    kills = attempts = 0
    while kills < 24 and attempts < 48:  # a load on the machine slows writes: kill within the fastest seen
        attempts += 1
        version = store_at(store).current_version()
        started = time.monotonic()
        process = subprocess.Popen(
            _command(store, attempts, tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, duration * 0.98))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        elif process.returncode == 0:
            duration = min(duration, time.monotonic() - started)
        process.wait()
        now = _check_consistent(store, baseline)
        after = store_at(store).current_version()
        if after == version:
            assert now == changes, "the version before: its log unchanged"
        else:
            assert now == changes + 1 and process.returncode in (0, -signal.SIGKILL), (
                "the version after: one more change"
            )
        changes = now
    assert kills >= 20, f"only {kills} of {attempts} writes were killed (the fastest took {duration:.1f} s)"
    # the lock is not left held: the next write (a correction, which cannot be refused) goes through, and clears the
    # debris of the killed ones
    last = subprocess.run(_command(store, 3 * attempts + 1, tmp_path), capture_output=True, text=True, timeout=120)
    assert last.returncode == 0, last.stderr
    assert _check_consistent(store, baseline) == changes + 1
    assert not any(path.name.endswith(".partial") for path in store.iterdir())
    # and the store is whole: what a fresh build makes of its tables
    version = store_at(store).current_version()
    assert version is not None
    build(store_at(store).kept_tables(version), tmp_path / "fresh")
    assert contents(store) == contents(tmp_path / "fresh")
