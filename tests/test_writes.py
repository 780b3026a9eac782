"""Writes: `certbridge import` and POST /api/v1/{agreements,issuers,sanctions}, validated whole and atomic."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from helpers.data import MINI_DATA, Cli
from helpers.rows import AGREEMENT, SOURCE, TARGET, write_csv
from helpers.serving import is_problem, serving

from certbridge.api.settings import Settings
from certbridge.api.writes import WRITABLE
from certbridge.graph.build import build
from certbridge.graph.query import run_query
from certbridge.graph.store import open_store, store_at

TOKEN = "s3cret-token-for-tests"
SANCTION = {
    "id": "SA-il-hengfeng",
    "issuer_id": "hengfeng",
    "date": "2025-06-01",
    "reason": "excessive-issuance",
    "resulting_status": "suspended",
    "description": "ILLUSTRATIVE: a sanction added by a test",
    "illustrative": "yes",
    "source_ids": "SRC-ILLUSTRATIVE",
}

#: every write says why (a query parameter; GETs ignore it)
NOTE = {"note": "a test write"}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A private store built from the mini tables, safe to write to."""
    location = tmp_path / "store"
    build(MINI_DATA, location)
    return location


def count(location: Path, where: str) -> int:
    rows = list(run_query(open_store(location), f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0]["n"].value)


def test_a_build_keeps_its_tables_for_later_writes(store: Path) -> None:
    version = store_at(store).current_version()
    assert version is not None
    kept = store_at(store).kept_tables(version)
    assert (kept / "agreements.csv").read_bytes() == (MINI_DATA / "agreements.csv").read_bytes()


def test_import_adds_an_agreement_with_its_inferences(store: Path, cli: Cli, tmp_path: Path) -> None:
    assert count(store, "?s prov:wasDerivedFrom agreement:IL-AG-ZJ-SD") == 0
    result = cli(
        "import", write_csv(tmp_path / "agreements.csv", [AGREEMENT]), "--store", store, "-q", "--note", "a test write"
    )
    assert result.exit_code == 0, result.stderr
    assert count(store, "agreement:IL-AG-ZJ-SD a cb:RecognitionAgreement") == 1
    # the recognition the agreement implies was re-derived, with the agreement as its provenance
    assert count(store, "GRAPH cbg:inferred { ?s prov:wasDerivedFrom agreement:IL-AG-ZJ-SD }") > 0


def test_an_imported_sanction_ends_the_routes_through_its_issuer(store: Path, cli: Cli, tmp_path: Path) -> None:
    before = cli("route", SOURCE, TARGET, "--store", store, "--as-of", "2026-01-01", "--json")
    assert before.exit_code == 0 and json.loads(before.stdout)["routes"]
    assert (
        cli(
            "import",
            write_csv(tmp_path / "sanctions.csv", [SANCTION]),
            "--store",
            store,
            "-q",
            "--note",
            "a test write",
        ).exit_code
        == 0
    )
    after = cli("route", SOURCE, TARGET, "--store", store, "--as-of", "2026-01-01", "--json")
    assert after.exit_code == 1 and "suspended" in json.loads(after.stdout)["no_route"]["reason"]
    earlier = cli("route", SOURCE, TARGET, "--store", store, "--as-of", "2025-01-01", "--json")
    assert earlier.exit_code == 0  # before the sanction's date the routes still count
    # a second write starts from the first one's tables
    assert (
        cli(
            "import",
            write_csv(tmp_path / "agreements.csv", [AGREEMENT]),
            "--store",
            store,
            "-q",
            "--note",
            "a test write",
        ).exit_code
        == 0
    )
    assert count(store, "sanction:SA-il-hengfeng a cb:Sanction") == 1


def test_a_bad_write_is_rejected_whole_with_every_defect(store: Path, cli: Cli, tmp_path: Path) -> None:
    version = store_at(store).current_version()
    good = dict(AGREEMENT)
    duplicate = dict(AGREEMENT, id="MR01")
    broken = dict(AGREEMENT, id="IL-AG-BAD", direction="sideways", valid_from="2025-13-01", source_ids="NOPE")
    path = write_csv(tmp_path / "more.csv", [good, duplicate, broken])
    result = cli("import", path, "--table", "agreements", "--store", store, "-q", "--note", "a test write")
    assert result.exit_code == 2
    for expected in (
        "more.csv:3: id: duplicate id 'MR01' (already stored",
        "more.csv:4: direction:",
        "more.csv:4: valid_from:",
        "more.csv:4: source_ids:",
    ):
        assert expected in result.stderr, result.stderr
    assert store_at(store).current_version() == version
    assert count(store, "agreement:IL-AG-ZJ-SD ?p ?o") == 0


def test_unknown_columns_are_reported_with_the_other_defects(store: Path, cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "organisations.csv", [{"id": "x-new", "kind": "nope", "colour": "red"}])
    result = cli("import", path, "--store", store, "-q", "--note", "a test write")
    assert result.exit_code == 2
    assert "organisations.csv:2: colour: is not a column of organisations" in result.stderr
    assert "organisations.csv:2: kind:" in result.stderr


RAGGED = "id,kind\na,b,c,d,e\nok-1,government-hr-authority\nx,y,z\n"


def test_every_ragged_row_of_an_import_is_reported_by_its_line(store: Path, cli: Cli, tmp_path: Path) -> None:
    version = store_at(store).current_version()
    path = tmp_path / "organisations.csv"
    path.write_text(RAGGED, encoding="utf-8")
    result = cli("import", path, "--store", store, "-q", "--note", "a test write")
    assert result.exit_code == 2
    assert "organisations.csv:2: -: expected 2 fields as in the header, found 5" in result.stderr, result.stderr
    assert "organisations.csv:4: -: expected 2 fields as in the header, found 3" in result.stderr, result.stderr
    assert store_at(store).current_version() == version


def test_every_ragged_row_of_a_csv_write_is_a_422_naming_the_body(store: Path) -> None:
    """The API reads CSV with the import's code: each ragged row is a defect of its line, never a 500."""
    version = store_at(store).current_version()
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv"}
    with (
        serving(Settings(store, write_token=TOKEN)) as url,
        httpx.Client(base_url=url, timeout=60, params=NOTE) as http,
    ):
        body = is_problem(http.post("/api/v1/issuers", content=RAGGED.encode(), headers=auth), 422)
        assert body["type"] == "/problems/rejected-write"
        assert {(e["line"], e["field"]) for e in body["errors"]} == {(2, "-"), (4, "-")}
        assert "body.csv:2: -: expected 2 fields" in body["detail"] and "body.csv:4:" in body["detail"]
        assert "/tmp" not in str(body)
        header_only = is_problem(http.post("/api/v1/issuers", content=b"id,kind\n", headers=auth), 422)
        assert "no rows" in header_only["detail"]
    assert store_at(store).current_version() == version


def test_a_json_value_outside_the_documented_schema_is_a_422_before_if_match_is_read(store: Path) -> None:
    """A field's value is a string, number, boolean, null or list of strings (the body's schema); an object or a list
    holding one is a defect of its item and field (422), whatever If-Match says (schemathesis found it answered
    412 for a malformed If-Match beside such a body)."""
    version = store_at(store).current_version()
    auth = {"Authorization": f"Bearer {TOKEN}", "If-Match": "not-a-version"}
    body = [{"id": "x", "note": ["fine", {"nested": 1}]}, {"id": "y", "kind": {"a": "b"}}, {"id": "z", "note": ["ok"]}]
    with (
        serving(Settings(store, write_token=TOKEN)) as url,
        httpx.Client(base_url=url, timeout=60, params=NOTE) as http,
    ):
        problem = is_problem(http.post("/api/v1/issuers", json=body, headers=auth), 422)
        assert problem["type"] == "/problems/rejected-write"
        assert {(e["item"], e["field"]) for e in problem["errors"]} == {(0, "note"), (1, "kind")}
        good = [{"id": "z", "note": ["ok"]}]
        assert is_problem(http.post("/api/v1/issuers", json=good, headers=auth), 412)  # a fit body: If-Match decides
    assert store_at(store).current_version() == version


def test_a_file_that_names_no_table_asks_for_one(store: Path, cli: Cli, tmp_path: Path) -> None:
    result = cli("import", write_csv(tmp_path / "new.csv", [AGREEMENT]), "--store", store, "--note", "a test write")
    assert result.exit_code == 2 and "--table" in result.stderr


def test_a_write_killed_midway_leaves_the_store_as_it_was(store: Path, tmp_path: Path) -> None:
    version = store_at(store).current_version()
    path = write_csv(tmp_path / "agreements.csv", [AGREEMENT])
    command = [sys.executable, "-m", "certbridge.api", "import", str(path), "--store", str(store), "-q"]
    command += ["--note", "a test write"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in store.iterdir()):  # the new version is being written
        assert process.poll() is None and time.monotonic() < deadline, "the write ended before it could be killed"
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert store_at(store).current_version() == version
    assert count(store, "agreement:IL-AG-ZJ-SD ?p ?o") == 0
    assert count(store, "?o a cb:Occupation") > 0
    # the next write succeeds and clears the debris of the killed one
    result = subprocess.run(
        [*command[:4], str(write_csv(tmp_path / "sanctions.csv", [SANCTION])), *command[5:]], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert not any(p.name.endswith(".partial") for p in store.iterdir())


def test_writes_over_http(store: Path) -> None:
    with (
        serving(Settings(store, write_token=TOKEN)) as url,
        httpx.Client(base_url=url, timeout=60, params=NOTE) as http,
    ):
        assert http.get(f"/api/v1/agreements/{AGREEMENT['id']}").status_code == 404  # served before the write
        assert "token" in is_problem(http.post("/api/v1/agreements", json=AGREEMENT), 401)["detail"]
        wrong = {"Authorization": "Bearer not-the-token"}
        is_problem(http.post("/api/v1/agreements", json=AGREEMENT, headers=wrong), 401)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        created = http.post("/api/v1/agreements", json=[AGREEMENT], headers=auth)
        assert created.status_code == 201, created.text
        assert created.json()["added"] == 1 and created.json()["version"] == store_at(store).current_version().name
        # the server follows the new version: details, SPARQL and routes all see the write
        assert http.get(f"/api/v1/agreements/{AGREEMENT['id']}").status_code == 200
        ask = http.get("/sparql", params={"query": "ASK { agreement:IL-AG-ZJ-SD a cb:RecognitionAgreement }"})
        assert ask.json()["boolean"] is True
        query = {"from": SOURCE, "to": TARGET, "as_of": "2026-01-01"}
        assert http.get("/api/v1/routes", params=query).json()["routes"]
        assert http.post("/api/v1/sanctions", json=SANCTION, headers=auth).status_code == 201
        assert http.get("/api/v1/routes", params=query).json()["routes"] == []
        # CSV bodies too
        issuer = WRITABLE["issuers"][1]
        body = ",".join(issuer) + "\n" + ",".join(issuer.values()) + "\n"
        made = http.post("/api/v1/issuers", content=body, headers={**auth, "Content-Type": "text/csv"})
        assert made.status_code == 201, made.text


def test_a_bad_write_over_http_lists_every_defect_and_changes_nothing(store: Path) -> None:
    version = store_at(store).current_version()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    items = [dict(AGREEMENT), dict(AGREEMENT, id="X2", direction="sideways", mystery="1")]
    with (
        serving(Settings(store, write_token=TOKEN)) as url,
        httpx.Client(base_url=url, timeout=60, params=NOTE) as http,
    ):
        body = is_problem(http.post("/api/v1/agreements", json=items, headers=auth), 422)
        found = {(e["item"], e["field"]) for e in body["errors"]}
        assert {(1, "direction"), (1, "mystery")} <= found
        assert all(e["item"] == 1 for e in body["errors"])
        is_problem(http.post("/api/v1/agreements", content=b"{not json", headers=auth), 415)
        is_problem(
            http.post("/api/v1/agreements", content=b"{not json", headers={**auth, "Content-Type": "application/json"}),
            400,
        )
    assert store_at(store).current_version() == version


def test_writes_are_disabled_without_a_token(mini_store: Path) -> None:
    with serving(Settings(mini_store)) as url, httpx.Client(base_url=url, params=NOTE) as http:
        body = is_problem(http.post("/api/v1/sanctions", json=WRITABLE["sanctions"][1]), 403)
        assert "CERTBRIDGE_WRITE_TOKEN" in body["detail"]


@pytest.mark.parametrize("name", list(WRITABLE))
def test_every_documented_write_example_is_accepted(store: Path, name: str) -> None:
    """The examples at /docs are real: each one is a valid write on the mini data (issuer before sanction)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with (
        serving(Settings(store, write_token=TOKEN)) as url,
        httpx.Client(base_url=url, timeout=60, params=NOTE) as http,
    ):
        if name == "sanctions":
            assert http.post("/api/v1/issuers", json=WRITABLE["issuers"][1], headers=auth).status_code == 201
        response = http.post(f"/api/v1/{name}", json=WRITABLE[name][1], headers=auth)
        assert response.status_code == 201, response.text
        spec = http.get("/openapi.json").json()["paths"][f"/api/v1/{name}"]["post"]
        assert spec["requestBody"]["content"]["application/json"]["example"] == [WRITABLE[name][1]]


def test_import_into_a_missing_store_says_so_and_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "import",
        write_csv(tmp_path / "agreements.csv", [AGREEMENT]),
        "--store",
        tmp_path / "nothing",
        "--note",
        "a test write",
    )
    assert result.exit_code == 2 and "no certbridge store" in result.stderr
    assert not (tmp_path / "nothing").exists()
