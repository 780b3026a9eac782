"""The route diff: the records a change added, corrected or retired, and the pairs whose best route appeared,
disappeared or changed strength, each with the change that caused it; what-if on a proposed change answers the same
before it is made. Expected pairs come from route lookups on every pair before and after (the reference), never
from a list written here."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from helpers.data import Cli
from helpers.rows import FUJIAN_TAIWAN, write_csv
from helpers.serving import is_problem, serving

from certbridge.api.diff import DiffOut
from certbridge.api.proposed import NOTE as NOTE_OF_WHAT_IF
from certbridge.api.proposed import WRITER
from certbridge.api.settings import Settings
from certbridge.graph import writes
from certbridge.graph.diff import diff
from certbridge.graph.errors import NotFound
from certbridge.graph.proposed import what_if_change
from certbridge.graph.routing.engine import find_routes
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.model import STRENGTH
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.store import GraphStore, store_at
from certbridge.graph.store.releases import make_release, version_of

NOTE = "闽台协议签署 / signed"


def reference(old: RoutingIndex, new: RoutingIndex, day: date) -> set[tuple[str, str, str]]:
    """(source, target, what happened) for every ordered pair of certificate types of one occupation whose best
    route differs: found by a route lookup on each pair in each index, nothing else."""

    def best(index: RoutingIndex, a: str, b: str) -> int | None:
        if a not in index.certificates or b not in index.certificates:
            return None
        routes = find_routes(index, a, b, as_of=day, k=1).routes
        return STRENGTH[routes[0].strength] if routes else None

    found = set()
    certificates = {**old.certificates, **new.certificates}
    for a, first in certificates.items():
        for b, second in certificates.items():
            if a == b or first.occupation != second.occupation:
                continue
            was, now = best(old, a, b), best(new, a, b)
            if was != now:
                kind = (
                    "appeared"
                    if was is None
                    else "disappeared"
                    if now is None
                    else "stronger"
                    if now > was  # type: ignore[operator]
                    else "weaker"
                )
                found.add((a, b, kind))
    return found


def _routes(body: dict) -> set[tuple[str, str, str]]:
    return {(r["source"]["iri"], r["target"]["iri"], r["kind"]) for r in body["routes"]}


@pytest.fixture
def real_copy(real_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(real_store, target, symlinks=True)
    return target


def _adding(tmp_path: Path) -> Callable[[GraphStore], writes.Written]:
    new = writes.read_rows(write_csv(tmp_path / "agreements.csv", [FUJIAN_TAIWAN]))
    return lambda store: writes.add_rows(store, new, writer="张三", note=NOTE)


def test_an_added_agreement_appears_with_the_routes_it_made_and_its_changeset(real_copy: Path, tmp_path: Path) -> None:
    store = store_at(real_copy)
    make_release(store, "before", note="before the agreement", writer="w")
    old = index_for(store)
    written = _adding(tmp_path)(store)
    day = date.today()
    expected = reference(old, index_for(store), day)
    assert expected and {kind for _, _, kind in expected} == {"appeared"}, "the agreement makes routes"

    body = diff(store, "before", "current", as_of=day).to_json()
    assert _routes(body) == expected
    assert body["complete"] and body["from"]["release"] == "before" and body["to"]["version"] == written.version.name
    cause = {
        "changeset": written.changeset.id,
        "kind": "add",
        "writer": "张三",
        "note": NOTE,
        "at": written.changeset.at,
    }
    assert body["changes"] == [cause]
    [record] = body["records"]
    assert (record["kind"], record["table"], record["key"], record["before"]) == (
        "added",
        "agreements",
        "IL-AG-FJ-TW",
        None,
    )
    assert record["after"]["party_refs"] == FUJIAN_TAIWAN["party_refs"] and record["causes"] == [cause]
    for change in body["routes"]:
        assert change["causes"] == [cause] and change["records"] == [record["iri"]]
        assert change["after"]["evidence"] == [record["iri"]] and change["before"] is None
        assert change["illustrative"] is True  # the agreement is illustrative: the change is marked so
    assert body["illustrative"] is True

    backwards = diff(store, "current", "before", as_of=day).to_json()
    assert _routes(backwards) == {(a, b, "disappeared") for a, b, _ in expected}
    assert [r["kind"] for r in backwards["records"]] == ["removed"]


def test_the_work_is_bounded_and_says_so(real_copy: Path, tmp_path: Path) -> None:
    store = store_at(real_copy)
    make_release(store, "before", note="n", writer="w")
    _adding(tmp_path)(store)
    whole = diff(store, "before", "current").to_json()
    cut = diff(store, "before", "current", max_pairs=1).to_json()
    assert whole["pairs_compared"] > 1 and cut["pairs_compared"] == 1 and cut["max_pairs"] == 1
    assert cut["complete"] is False and any("max_pairs" in note for note in cut["notes"])
    assert _routes(cut) <= _routes(whole)


def test_what_if_of_a_proposed_addition_equals_the_diff_after_applying_it(real_copy: Path, tmp_path: Path) -> None:
    store = store_at(real_copy)
    on_disk = _files(real_copy)
    proposed = what_if_change(store, lambda scratch: _adding(tmp_path)(scratch).changeset).to_json()
    assert _files(real_copy) == on_disk, "a what-if writes nothing to the store (its current version is linked)"
    _adding(tmp_path)(store)  # the version the what-if started from is kept (the newest two are)
    applied = diff(store, proposed["from"]["version"], "current").to_json()
    assert proposed["proposed"] is True and applied["proposed"] is False
    assert _same(proposed) == _same(applied) and proposed["routes"]


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under *folder* with its size and modification time: what a write to it would change."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def _same(body: dict) -> dict:
    """A diff without what differs between a what-if and the write made after it: the changeset's id and time, and
    the name of the version after."""
    text = json.dumps({k: v for k, v in body.items() if k not in ("to", "proposed", "notes")}, sort_keys=True)
    for change in body["changes"]:
        text = text.replace(change["changeset"], "CS").replace(change["at"], "AT")
    return json.loads(text)


def test_unknown_names_and_the_api_and_cli_answers(real_copy: Path, tmp_path: Path, cli: Cli) -> None:
    store = store_at(real_copy)
    make_release(store, "before", note="n", writer="w")
    _adding(tmp_path)(store)
    for name in ("no-such", "v-20200101T000000000000Z-1", "v-../etc"):
        with pytest.raises(NotFound):
            version_of(store, name)
    expected = diff(store, "before", "current").to_json()
    with serving(Settings(real_copy, sparql_workers=1)) as url, httpx.Client(base_url=url, timeout=60) as http:
        answer = http.get("/api/v1/diff", params={"from": "before", "to": "current"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == expected
        assert http.get("/api/v1/diff", params={"from": "before", "max_pairs": 1}).json()["complete"] is False
        is_problem(http.get("/api/v1/diff", params={"from": "nope"}), 404)
        is_problem(http.get("/api/v1/diff", params={"from": "before", "to": "v-nope"}), 404)
        is_problem(http.get("/api/v1/diff", params={"from": "before", "as_of": "2026-13-01"}), 422)
    shown = cli("diff", "before", "--store", real_copy)
    assert shown.exit_code == 0, shown.output
    assert "route appeared" in shown.stdout and NOTE in shown.stdout and "illustrative" in shown.stdout
    assert json.loads(cli("diff", "before", "current", "--store", real_copy, "--json").stdout) == expected
    assert cli("diff", "nope", "--store", real_copy).exit_code == 2


def _agreement_a_route_rests_on(index: RoutingIndex, day: date) -> str:
    """The id of an agreement that the best route of some pair of certificate types rests on (found by lookups)."""
    for a, first in sorted(index.certificates.items()):
        for b, second in sorted(index.certificates.items()):
            if a != b and first.occupation == second.occupation:
                for route in find_routes(index, a, b, as_of=day, k=1).routes:
                    for hop in route.hops:
                        if hop.evidence.kind == "recognition-agreement":
                            return hop.evidence.iri.rsplit("/", 1)[-1]
    raise AssertionError("no route rests on an agreement")


def _retiring(key: str, day: date) -> Callable[[GraphStore], writes.Written]:
    retirement = writes.Retirement(
        table="agreements",
        key=key,
        retired_on=day.isoformat(),
        reason="terminated",
        source_ids="SRC-ILLUSTRATIVE",
        illustrative=True,
    )
    return lambda store: writes.retire(store, retirement, writer="王五", note="协议终止 / terminated")


def test_a_retired_agreement_appears_in_the_diff_with_the_routes_it_removed(real_copy: Path) -> None:
    store = store_at(real_copy)
    today = date.today()
    old = index_for(store)
    key = _agreement_a_route_rests_on(old, today)
    make_release(store, "before", note="before the retirement", writer="w")
    retired_on = today - timedelta(days=1)
    written = _retiring(key, retired_on)(store)
    expected = reference(old, index_for(store), today)
    assert expected and {kind for _, _, kind in expected} <= {"disappeared", "weaker"}, expected

    body = diff(store, "before", "current").to_json()
    assert _routes(body) == expected
    iri = f"https://w3id.org/certbridge/id/agreement/{key}"
    cause = {
        "changeset": written.changeset.id,
        "kind": "retire",
        "writer": "王五",
        "note": "协议终止 / terminated",
        "at": written.changeset.at,
    }
    [record] = body["records"]
    assert (record["kind"], record["table"], record["key"], record["iri"]) == ("retired", "agreements", key, iri)
    assert record["retirement"]["retired_on"] == retired_on.isoformat() and record["causes"] == [cause]
    assert record["before"] == record["after"], "nothing is deleted: the agreement's row stays as it was"
    for change in body["routes"]:
        assert iri in change["records"] and change["causes"] == [cause]
        assert iri in change["before"]["evidence"]
    disappeared = [c for c in body["routes"] if c["kind"] == "disappeared"]
    assert disappeared and all(c["after"] is None for c in disappeared)

    earlier = diff(store, "before", "current", as_of=retired_on - timedelta(days=1)).to_json()
    assert earlier["routes"] == [], "before its retirement day the agreement still counts"
    assert [r["kind"] for r in earlier["records"]] == ["retired"]


def test_what_if_of_a_proposed_retirement_equals_the_diff_after_applying_it(real_copy: Path, cli: Cli) -> None:
    store = store_at(real_copy)
    today = date.today()
    key = _agreement_a_route_rests_on(index_for(store), today)
    retired_on = today - timedelta(days=1)
    proposed = what_if_change(store, lambda scratch: _retiring(key, retired_on)(scratch).changeset).to_json()
    shown = cli(
        "what-if",
        "--retire",
        f"agreements:{key}",
        "--on",
        retired_on.isoformat(),
        "--reason",
        "terminated",
        "--source",
        "SRC-ILLUSTRATIVE",
        "--illustrative",
        "--store",
        real_copy,
        "--json",
    )
    assert shown.exit_code == 0, shown.output
    from_cli = json.loads(shown.stdout)
    assert not list((real_copy / "tables").glob("*/retirements.csv")) or all(
        "RT-" not in p.read_text(encoding="utf-8") for p in (real_copy / "tables").glob("*/retirements.csv")
    ), "a what-if writes nothing to the store"

    _retiring(key, retired_on)(store)
    applied = diff(store, proposed["from"]["version"], "current").to_json()
    assert proposed["routes"] and any(r["kind"] == "disappeared" for r in proposed["routes"])
    assert _same(proposed) == _same(applied)
    assert _routes(from_cli) == _routes(applied) and from_cli["proposed"] is True
    assert [(r["kind"], r["key"]) for r in from_cli["records"]] == [("retired", key)]
    wrong = cli(
        "what-if",
        "--retire",
        "agreements:no-such",
        "--on",
        "2026-01-01",
        "--reason",
        "r",
        "--source",
        "SRC-ILLUSTRATIVE",
        "--store",
        real_copy,
    )
    assert wrong.exit_code == 2 and "no-such" in wrong.stderr
    assert cli("what-if", "--retire", f"agreements:{key}", "--store", real_copy).exit_code == 2  # --on … missing


def test_what_if_of_a_proposed_correction_over_http_equals_the_diff_after_it(real_copy: Path) -> None:
    store = store_at(real_copy)
    today = date.today()
    old = index_for(store)
    key = _agreement_a_route_rests_on(old, today)
    ended = (today - timedelta(days=1)).isoformat()
    with serving(Settings(real_copy, sparql_workers=1)) as url, httpx.Client(base_url=url, timeout=120) as http:
        answer = http.post(f"/api/v1/what-if/correction/agreements/{key}", json={"valid_to": ended})
        assert answer.status_code == 200, answer.text
        proposed = answer.json()
        is_problem(http.post("/api/v1/what-if/correction/agreements/no-such", json={"valid_to": ended}), 404)
        is_problem(http.post("/api/v1/what-if/correction/nope/x", json={"valid_to": ended}), 404)
        bad = is_problem(http.post(f"/api/v1/what-if/correction/agreements/{key}", json={"valid_to": "soon"}), 422)
        assert "valid_to" in bad["detail"] and "/tmp" not in json.dumps(bad)
        retirement = {
            "table": "agreements",
            "id": key,
            "retired_on": ended,
            "reason": "r",
            "source_ids": "SRC-ILLUSTRATIVE",
            "illustrative": True,
        }
        retired = http.post("/api/v1/what-if/retirement", json=retirement)
        assert retired.status_code == 200 and retired.json()["proposed"] is True, retired.text
        is_problem(http.post("/api/v1/what-if/retirement", json={**retirement, "table": "regions"}), 404)
        is_problem(http.post("/api/v1/what-if/retirement", json={**retirement, "retired_on": "never"}), 422)
    assert sorted(p.name for p in real_copy.iterdir() if p.name.startswith("v-")) == [old_name(real_copy)]

    corrections = writes.Corrections("agreements", [(key, {"valid_to": ended})], Path("arguments"), [1])
    writes.correct_rows(store, corrections, writer=WRITER, note=NOTE_OF_WHAT_IF)
    applied = diff(store, proposed["from"]["version"], "current").to_json()
    expected = reference(old, index_for(store), today)
    assert expected and _routes(applied) == expected and "disappeared" in {kind for _, _, kind in expected}
    assert _same(proposed) == _same(applied)
    [record] = proposed["records"]
    assert (record["kind"], record["key"], record["columns"]) == ("corrected", key, ["valid_to"])
    assert record["before"]["valid_to"] != ended and record["after"]["valid_to"] == ended


def old_name(location: Path) -> str:
    return (location / "current").resolve().name


def test_the_answers_validate_against_the_documented_model(real_copy: Path, tmp_path: Path) -> None:
    store = store_at(real_copy)
    make_release(store, "before", note="n", writer="w")
    _adding(tmp_path)(store)
    body = diff(store, "before", "current").to_json()
    assert body["routes"] and body["records"]
    assert DiffOut.model_validate(body).model_dump(mode="json", by_alias=True) == body
