"""Corrections and retirements (issue 18): `certbridge correct` / `retire` and their endpoints, validated like a
build and applied whole; a retired record still answers, marked retired with its history, and stops counting in
route lookups from its day."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from helpers.data import MINI_DATA, Cli
from helpers.rows import SOURCE, TARGET, write_csv
from helpers.serving import is_problem, serving

from certbridge.api.settings import Settings
from certbridge.graph.build import build
from certbridge.graph.dates import PartialDate
from certbridge.graph.query import run_query
from certbridge.graph.routing.engine import find_routes
from certbridge.graph.routing.records import Authorisation, Issuer, QualityCheck, Retired, Sanction
from certbridge.graph.routing.rules import QualityBar, issuer_standing, meets_bar
from certbridge.graph.store import open_store, store_at

ID = "https://w3id.org/certbridge/id/"
CERT = f"{ID}certificate-type/"
AGREEMENT = "IL-AG01"  # the illustrative agreement behind the demo's formal route (SOURCE -> TARGET)
TOKEN = "corrections-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    return location


def _ok(result: object) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr)  # type: ignore[attr-defined]


def _kept(location: Path, table: str) -> str:
    version = store_at(location).current_version()
    assert version is not None
    return (store_at(location).kept_tables(version) / f"{table}.csv").read_text(encoding="utf-8")


def _ask(location: Path, pattern: str) -> bool:
    return bool(run_query(open_store(location), f"ASK {{ {pattern} }}"))


def _agreements_on(location: Path, day: date) -> set[str]:
    """The agreements the demo's routes pass through as of *day*."""
    answer = find_routes(location, CERT + SOURCE, CERT + TARGET, as_of=day)
    return {hop.evidence.iri.rsplit("/", 1)[-1] for route in answer.routes for hop in route.hops}


def test_a_correction_rewrites_its_fields_and_logs_the_row_before_and_after(store: Path, cli: Cli) -> None:
    before = _kept(store, "agreements")
    _ok(
        cli(
            "correct",
            "agreements",
            "MR01",
            "--set",
            "valid_to=2030-12-31",
            "--note",
            "end date published",
            "--writer",
            "张三",
            "--store",
            store,
            "-q",
        )
    )
    assert _ask(store, 'agreement:MR01 cb:validTo "2030-12-31"^^xsd:date')
    after = _kept(store, "agreements")
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new]
    assert len(changed) == 1 and changed[0][0].startswith("MR01,"), "only the corrected row's line changes"
    log = json.loads(cli("changes", "--store", store, "--json").stdout)
    assert [(c["kind"], c["table"], c["writer"], c["note"]) for c in log] == [
        ("correct", "agreements", "张三", "end date published")
    ]
    row = log[0]["rows"][0]
    assert row["key"] == "MR01" and row["before"]["valid_to"] == "" and row["after"]["valid_to"] == "2030-12-31"
    assert {k: v for k, v in row["before"].items() if k != "valid_to"} == {
        k: v for k, v in row["after"].items() if k != "valid_to"
    }
    shown = cli("changes", "--store", store).stdout
    assert "correct" in shown and "valid_to: '' -> '2030-12-31'" in shown


def test_a_bad_correction_is_rejected_whole_with_every_defect(store: Path, cli: Cli, tmp_path: Path) -> None:
    version = store_at(store).current_version()
    result = cli(
        "correct",
        "agreements",
        "MR01",
        "--set",
        "valid_to=20-30",
        "--set",
        "id=MR99",
        "--set",
        "colour=red",
        "--note",
        "x",
        "--store",
        store,
        "-q",
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith("arguments:1: valid_to: '20-30' is not a date") for line in lines), lines
    assert any(line.startswith("arguments:1: id: is the row's key") for line in lines)
    assert any(line.startswith("arguments:1: colour: is not a column of agreements") for line in lines)
    ends_before = cli("correct", "agreements", "MR01", "--set", "valid_to=1990", "--note", "x", "--store", store)
    assert ends_before.exit_code == 2 and "arguments:1: valid_to: ends (1990) before it starts" in ends_before.stderr
    missing = cli("correct", "agreements", "NO-SUCH", "--set", "valid_to=2030", "--note", "x", "--store", store)
    assert missing.exit_code == 2 and "'NO-SUCH'" in missing.stderr.splitlines()[0]
    # a CSV of corrections: each defect by the file's own line
    corrections = write_csv(tmp_path / "fix.csv", [{"id": "MR01", "trust": "low"}, {"id": "MR09", "trust": "x"}])
    from_file = cli("correct", "agreements", "--file", corrections, "--note", "x", "--store", store)
    assert from_file.exit_code == 2 and f"{corrections}:3: trust: 'x' is not one of" in from_file.stderr
    assert f"{corrections}:2:" not in from_file.stderr
    assert store_at(store).current_version() == version, "nothing was written"
    assert json.loads(cli("changes", "--store", store, "--json").stdout) == []


def test_a_csv_of_corrections_applies_every_row(store: Path, cli: Cli, tmp_path: Path) -> None:
    corrections = write_csv(tmp_path / "fix.csv", [{"id": "MR01", "trust": "low"}, {"id": "MR09", "trust": "low"}])
    _ok(cli("correct", "agreements", "--file", corrections, "--note", "re-rated", "--store", store, "-q"))
    rows = {row["id"]: row for row in csv.DictReader(_kept(store, "agreements").splitlines())}
    assert rows["MR01"]["trust"] == rows["MR09"]["trust"] == "low"
    (log,) = json.loads(cli("changes", "--store", store, "--json").stdout)
    assert sorted(row["key"] for row in log["rows"]) == ["MR01", "MR09"]


def test_a_retired_agreement_stops_counting_from_its_day_and_is_retired_once(store: Path, cli: Cli) -> None:
    assert AGREEMENT in _agreements_on(store, date(2026, 7, 1)), "the demo route rests on the agreement"
    _ok(
        cli(
            "retire",
            "agreements",
            AGREEMENT,
            "--on",
            "2026-06-01",
            "--reason",
            "terminated by the parties",
            "--source",
            "SRC-ILLUSTRATIVE",
            "--illustrative",
            "--note",
            "test",
            "--store",
            store,
            "-q",
        )
    )
    assert AGREEMENT not in _agreements_on(store, date(2026, 7, 1))
    assert AGREEMENT not in _agreements_on(store, date(2026, 6, 1)), "not counted from its day"
    assert AGREEMENT in _agreements_on(store, date(2026, 1, 1)), "an earlier day still counts it"
    earlier = find_routes(store, CERT + SOURCE, CERT + TARGET, as_of=date(2026, 1, 1))
    notes = [note for route in earlier.routes for hop in route.hops for note in hop.evidence.notes]
    assert any("retired on 2026-06-01 (terminated by the parties)" in note for note in notes), notes
    assert _ask(
        store,
        f'agreement:{AGREEMENT} cb:retiredOn "2026-06-01"^^xsd:date ; cb:retiredBy ?r . '
        "?r a cb:Retirement ; dcterms:source ?s",
    )
    assert _ask(store, f"agreement:{AGREEMENT} a cb:RecognitionAgreement ; rdfs:label ?l"), "nothing is deleted"
    again = cli(
        "retire",
        "agreements",
        AGREEMENT,
        "--on",
        "2026-07-01",
        "--reason",
        "x",
        "--source",
        "SRC-ILLUSTRATIVE",
        "--illustrative",
        "--note",
        "x",
        "--store",
        store,
    )
    assert again.exit_code == 2 and "already retired" in again.stderr
    unknown = cli(
        "retire",
        "agreements",
        "NO-SUCH",
        "--on",
        "2026",
        "--reason",
        "x",
        "--source",
        "S10",
        "--note",
        "x",
        "--store",
        store,
    )
    assert unknown.exit_code == 2 and "'NO-SUCH'" in unknown.stderr
    bad = cli(
        "retire",
        "sanctions",
        "SA-il-hb-2024",
        "--on",
        "2026-13",
        "--reason",
        "x",
        "--source",
        "NOPE",
        "--note",
        "x",
        "--store",
        store,
    )
    assert bad.exit_code == 2
    assert "arguments:1: retired_on:" in bad.stderr and "arguments:1: source_ids: unknown source 'NOPE'" in bad.stderr
    log = json.loads(cli("changes", "--store", store, "--json").stdout)
    assert [(c["kind"], c["rows"][0]["after"]["record_id"]) for c in log] == [("retire", AGREEMENT)]


def test_retired_records_answer_marked_retired_with_their_history(store: Path) -> None:
    settings = Settings(store, writers=(("广东省人社厅", TOKEN),))
    with serving(settings) as url, httpx.Client(base_url=url, timeout=60) as http:
        note = {"note": "备注更新 / notes updated"}
        fixed = http.post(
            f"/api/v1/tables/agreements/rows/{AGREEMENT}", json={"notes": "corrected"}, headers=AUTH, params=note
        )
        assert fixed.status_code == 201, fixed.text
        assert fixed.json()["kind"] == "correct" and fixed.json()["keys"] == [AGREEMENT]
        body = {
            "retired_on": "2026-06-01",
            "reason": "协议终止 / terminated",
            "source_ids": ["SRC-ILLUSTRATIVE"],
            "illustrative": True,
        }
        retired = http.post(
            f"/api/v1/tables/agreements/rows/{AGREEMENT}/retire", json=body, headers=AUTH, params={"note": "terminated"}
        )
        assert retired.status_code == 201, retired.text
        assert (
            retired.json()["table"] == "retirements"
            and retired.json()["version"] == store_at(store).current_version().name
        )
        entity = http.get(f"/api/v1/agreements/{AGREEMENT}").json()
        assert (
            entity["retired"]["retired_on"] == "2026-06-01" and entity["retired"]["reason"] == "协议终止 / terminated"
        )
        assert [(h["kind"], h["writer"], h["note"]) for h in entity["history"]] == [
            ("correct", "广东省人社厅", "备注更新 / notes updated"),
            ("retire", "广东省人社厅", "terminated"),
        ]
        assert entity["history"][1]["changeset"] == retired.json()["changeset"]
        page = http.get(f"/id/agreement/{AGREEMENT}", headers={"Accept": "text/html"}).text
        assert "已退出：自 2026-06-01 起不再计入（协议终止 / terminated）" in page
        assert "更改记录" in page and retired.json()["changeset"] in page and "备注更新 / notes updated" in page
        english = http.get(f"/id/agreement/{AGREEMENT}", params={"lang": "en"}, headers={"Accept": "text/html"}).text
        assert "retired: no longer counted from 2026-06-01 (协议终止 / terminated)" in english
        assert "History of changes" in english and fixed.json()["changeset"] in english
        (hit,) = [
            h for h in http.get("/api/v1/search", params={"q": AGREEMENT}).json()["results"] if h["type"] == "agreement"
        ]
        assert hit["retired"] == "retired on 2026-06-01 (协议终止 / terminated)"
        unretired = http.get("/api/v1/agreements/MR01").json()
        assert unretired["retired"] is None and unretired["history"] == []
        routes = {"from": SOURCE, "to": TARGET}
        before = http.get("/api/v1/routes", params={**routes, "as_of": "2026-01-01"}).json()
        after = http.get("/api/v1/routes", params={**routes, "as_of": "2026-06-01"}).json()
        used = [{h["evidence"]["iri"] for r in answer["routes"] for h in r["steps"]} for answer in (before, after)]
        assert f"{ID}agreement/{AGREEMENT}" in used[0] and f"{ID}agreement/{AGREEMENT}" not in used[1]


def test_corrections_and_retirements_over_http_answer_clear_errors(store: Path) -> None:
    version = store_at(store).current_version()
    settings = Settings(store, write_token=TOKEN)
    retire = {"retired_on": "2026-06-01", "reason": "lifted", "source_ids": "SRC-ILLUSTRATIVE", "illustrative": True}
    with serving(settings) as url, httpx.Client(base_url=url, timeout=60, params={"note": "test"}) as http:
        is_problem(http.post("/api/v1/tables/agreements/rows/MR01", json={"trust": "low"}), 401)
        missing = is_problem(
            http.post("/api/v1/tables/agreements/rows/NO-SUCH", json={"trust": "low"}, headers=AUTH), 404
        )
        assert "NO-SUCH" in missing["detail"]
        is_problem(http.post("/api/v1/tables/no_table/rows/MR01", json={"trust": "low"}, headers=AUTH), 404)
        defects = is_problem(
            http.post("/api/v1/tables/agreements/rows/MR01", json={"valid_to": "20-30", "colour": "red"}, headers=AUTH),
            422,
        )
        assert {e["field"] for e in defects["errors"]} >= {"valid_to", "colour"}
        is_problem(http.post("/api/v1/tables/agreements/rows/MR01", json={}, headers=AUTH), 422)
        is_problem(http.post("/api/v1/tables/sanctions/rows/NO-SUCH/retire", json=retire, headers=AUTH), 404)
        is_problem(http.post("/api/v1/tables/regions/rows/440000/retire", json=retire, headers=AUTH), 404)
        bad = is_problem(
            http.post(
                "/api/v1/tables/sanctions/rows/SA-il-hb-2024/retire",
                json={**retire, "retired_on": "2026-13"},
                headers=AUTH,
            ),
            422,
        )
        assert [e["field"] for e in bad["errors"]] == ["retired_on"]
        assert store_at(store).current_version() == version, "nothing was written"
        # If-Match: the ETag of a read names the version the change is based on
        etag = http.get("/api/v1/agreements/MR01").headers["ETag"]
        is_problem(
            http.post(
                "/api/v1/tables/agreements/rows/MR01",
                json={"trust": "low"},
                headers={**AUTH, "If-Match": '"not-a-version"'},
            ),
            412,
        )
        lifted = http.post(
            "/api/v1/tables/sanctions/rows/SA-il-hb-2024/retire", json=retire, headers={**AUTH, "If-Match": etag}
        )
        assert lifted.status_code == 201, lifted.text
        stale = is_problem(
            http.post("/api/v1/tables/agreements/rows/MR01", json={"trust": "low"}, headers={**AUTH, "If-Match": etag}),
            412,
        )
        assert "moved on" in stale["detail"]
        twice = is_problem(
            http.post("/api/v1/tables/sanctions/rows/SA-il-hb-2024/retire", json=retire, headers=AUTH), 409
        )
        assert "already retired" in twice["detail"]
        fresh = http.get("/api/v1/agreements/MR01").headers["ETag"]
        assert fresh != etag
        done = http.post(
            "/api/v1/tables/agreements/rows/MR01", json={"trust": "low"}, headers={**AUTH, "If-Match": fresh}
        )
        assert done.status_code == 201, done.text
        no_if_match = http.post("/api/v1/tables/agreements/rows/MR09", json={"trust": "low"}, headers=AUTH)
        assert no_if_match.status_code == 201, "a write without If-Match is accepted (documented)"


def _day(text: str) -> PartialDate:
    return PartialDate.parse(text)


def test_retirements_end_what_they_retire_from_their_day_only() -> None:
    """The rules honour a retired issuer, a lifted sanction, an ended authorisation and a withdrawn check, each
    from its retirement's earliest day (a partial date counts from its first possible day)."""
    lifted = Retired(on=_day("2025-07"), reason="lifted", by=f"{ID}retirement/RT-1")
    sanction = Sanction(_day("2024-01-01"), "lax-checks", "suspended", lifted)
    issuer = Issuer(
        iri=f"{ID}organisation/x", label_zh="x", label_en="x", kind="authorised-enterprise", sanctions=(sanction,)
    )
    assert issuer_standing(issuer, date(2025, 6, 30)) == "suspended on 2024-01-01 (lax-checks)"
    assert issuer_standing(issuer, date(2025, 7, 1)) is None, "lifted from the first day of 2025-07"
    ended = Authorisation(_day("2020"), None, "active", Retired(on=_day("2025-01-01"), reason="not renewed", by="r"))
    authorised = Issuer(iri="i", label_zh=None, label_en=None, kind="authorised-enterprise", authorisations=(ended,))
    assert issuer_standing(authorised, date(2024, 12, 31)) is None
    assert issuer_standing(authorised, date(2025, 1, 1)) == "no authorisation in force on 2025-01-01"
    closed = Issuer(
        iri="i",
        label_zh=None,
        label_en=None,
        kind="authorised-enterprise",
        retired=Retired(on=_day("2025-03-01"), reason="closed", by="r"),
    )
    assert issuer_standing(closed, date(2025, 2, 28)) is None
    assert issuer_standing(closed, date(2025, 3, 1)) == "retired on 2025-03-01 (closed)"
    withdrawn = QualityCheck(_day("2024-05-01"), "fail", Retired(on=_day("2024-09-01"), reason="annulled", by="r"))
    checked = Issuer(iri="i", label_zh=None, label_en=None, kind="authorised-enterprise", checks=(withdrawn,))
    bar = QualityBar(no_failed_check_years=2)
    assert meets_bar(checked, bar, date(2024, 8, 1)) == "failed a quality check on 2024-05-01"
    assert meets_bar(checked, bar, date(2024, 9, 1)) is None


def test_a_retired_certificate_type_ends_its_routes_from_its_day(store: Path, cli: Cli) -> None:
    _ok(
        cli(
            "retire",
            "certificate_types",
            SOURCE,
            "--on",
            "2026-06",
            "--reason",
            "withdrawn by its issuer",
            "--source",
            "SRC-ILLUSTRATIVE",
            "--illustrative",
            "--note",
            "withdrawn",
            "--store",
            store,
            "-q",
        )
    )
    before = find_routes(store, CERT + SOURCE, CERT + TARGET, as_of=date(2026, 5, 31))
    after = find_routes(store, CERT + SOURCE, CERT + TARGET, as_of=date(2026, 6, 1))
    assert before.routes and not after.routes
    assert after.no_route is not None
    assert after.no_route.reason == "source is retired on 2026-06 (withdrawn by its issuer)"


def test_a_row_is_found_by_its_key_as_the_records_read_whole_find_it(tmp_path: Path) -> None:
    """``writes._has_row`` (row by row, key columns only: a retirement's check that its record exists) agrees with
    the records read whole on every table of the test data, keys of several columns, blank and ragged rows
    included, and on keys no row has."""
    from certbridge.graph import writes
    from certbridge.graph.tables import row_key

    ragged = tmp_path / "agreements.csv"
    text = (MINI_DATA / "agreements.csv").read_text(encoding="utf-8-sig")
    ragged.write_text(text + "RAGGED-1,too,few\r\n,,,\r\n", encoding="utf-8")
    tables = [(path, path.stem) for path in sorted(MINI_DATA.glob("*.csv"))] + [(ragged, "agreements")]
    for path, table in tables:
        keys = {row_key(table, values) for _, _, values in writes._read_records(path)[2]}
        for key in [*sorted(keys)[:50], "NO-SUCH", "RAGGED-1", "", "EQF:99"]:
            assert writes._has_row(path, table, key) == (key in keys), (path.name, key)
