"""Changes are never lost: every write is a logged changeset kept with the tables; a build that would drop one is
refused; the tables exported with their log rebuild the same store."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from helpers.contents import contents
from helpers.data import MINI_DATA, Cli
from helpers.rows import AGREEMENT, write_csv
from helpers.serving import is_problem, serving

from certbridge.api.settings import Settings
from certbridge.api.writes import WRITABLE
from certbridge.graph.build import build
from certbridge.graph.changes import LOG_FILE
from certbridge.graph.store import store_at

ISSUER = WRITABLE["issuers"][1]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    return location


def _write(cli: Cli, store: Path, path: Path, writer: str, note: str) -> None:
    result = cli("import", path, "--store", store, "-q", "--writer", writer, "--note", note)
    assert result.exit_code == 0, result.output


def test_writes_are_logged_kept_and_rebuilt_from_the_export(store: Path, cli: Cli, tmp_path: Path) -> None:
    _write(cli, store, write_csv(tmp_path / "agreements.csv", [AGREEMENT]), "张三", "协议已签署 / signed in May")
    _write(cli, store, write_csv(tmp_path / "organisations.csv", [ISSUER]), "li.si", "a new evaluation centre")
    log = json.loads(cli("changes", "--store", store, "--json").stdout)
    assert [(c["writer"], c["table"], c["note"]) for c in log] == [
        ("张三", "agreements", "协议已签署 / signed in May"),
        ("li.si", "organisations", "a new evaluation centre"),
    ]
    assert log[0]["rows"][0]["after"]["id"] == AGREEMENT["id"] and log[1]["based_on"] != log[0]["based_on"]
    written = contents(store)

    exported = tmp_path / "exported"
    assert cli("export-tables", exported, "--store", store).exit_code == 0
    assert (exported / LOG_FILE).is_file()
    assert AGREEMENT["id"] in (exported / "agreements.csv").read_text(encoding="utf-8")
    fresh = tmp_path / "fresh"
    assert cli("build", "--data", exported, "--store", fresh, "-q").exit_code == 0
    assert contents(fresh) == written, "the export, log included, rebuilds the same store"
    assert cli("build", "--data", exported, "--store", store, "-q").exit_code == 0  # nothing is lost: accepted
    assert contents(store) == written
    assert [c["id"] for c in json.loads(cli("changes", "--store", fresh, "--json").stdout)] == [c["id"] for c in log]


def test_a_build_that_would_drop_changes_is_refused_until_they_are_named(store: Path, cli: Cli, tmp_path: Path) -> None:
    _write(cli, store, write_csv(tmp_path / "agreements.csv", [AGREEMENT]), "张三", "signed")
    _write(cli, store, write_csv(tmp_path / "organisations.csv", [ISSUER]), "li.si", "new centre")
    first, second = (c["id"] for c in json.loads(cli("changes", "--store", store, "--json").stdout))
    version = store_at(store).current_version()
    refused = cli("build", "--data", MINI_DATA, "--store", store, "-q")
    assert refused.exit_code == 2
    line = refused.stderr.splitlines()[0]
    assert line.startswith("error: the store holds 2 change(s) that the input tables lack")
    assert first in refused.stderr and second in refused.stderr and "export-tables" in refused.stderr
    assert store_at(store).current_version() == version, "nothing was replaced"
    partly = cli("build", "--data", MINI_DATA, "--store", store, "-q", "--discard-changes", first)
    assert partly.exit_code == 2 and second in partly.stderr and first not in partly.stderr.splitlines()[1]
    unknown = cli("build", "--data", MINI_DATA, "--store", store, "-q", "--discard-changes", "CS-nothing")
    assert unknown.exit_code == 2 and "CS-nothing" in unknown.stderr
    dropped = cli("build", "--data", MINI_DATA, "--store", store, "-q", "--discard-changes", f"{first},{second}")
    assert dropped.exit_code == 0, dropped.stderr
    assert contents(store) == contents(_built(MINI_DATA, tmp_path / "plain"))


def _built(data: Path, location: Path) -> Path:
    build(data, location)
    return location


def test_a_change_needs_a_note_and_a_malformed_log_is_named_by_line(store: Path, cli: Cli, tmp_path: Path) -> None:
    result = cli("import", write_csv(tmp_path / "agreements.csv", [AGREEMENT]), "--store", store, "-q")
    assert result.exit_code == 2 and "note" in result.stderr.splitlines()[0]
    exported = tmp_path / "exported"
    assert cli("export-tables", exported, "--store", store).exit_code == 0
    (exported / LOG_FILE).write_text('{"id": "CS-1"}\nnot json\n', encoding="utf-8")
    broken = cli("build", "--data", exported, "--store", tmp_path / "other", "-q")
    assert broken.exit_code == 2
    assert f"{LOG_FILE}:1: -: not a changeset" in broken.stderr and f"{LOG_FILE}:2:" in broken.stderr
    assert not (tmp_path / "other").exists()
    again = cli("export-tables", exported, "--store", store)
    assert again.exit_code == 2 and "already holds" in again.stderr


def test_writes_over_http_are_logged_under_the_writer_their_token_names(store: Path) -> None:
    settings = Settings(store, writers=(("广东省人社厅", "token-gd"), ("auditor", "token-au")))
    with serving(settings) as url, httpx.Client(base_url=url, timeout=60) as http:
        auth = {"Authorization": "Bearer token-gd"}
        is_problem(http.post("/api/v1/agreements", json=AGREEMENT, headers=auth), 422)  # no note
        is_problem(http.post("/api/v1/agreements", json=AGREEMENT, params={"note": "x"}), 401)
        made = http.post("/api/v1/agreements", json=AGREEMENT, headers=auth, params={"note": "签署 / signed"})
        assert made.status_code == 201, made.text
        assert made.json()["writer"] == "广东省人社厅" and made.json()["changeset"].startswith("CS-")
        listed = http.get("/api/v1/changes").json()["changes"]
        assert [(c["id"], c["writer"], c["note"], c["rows"][0]["after"]["id"]) for c in listed] == [
            (made.json()["changeset"], "广东省人社厅", "签署 / signed", AGREEMENT["id"])
        ]
        assert http.get("/api/v1/changes", params={"since": "2999-01-01"}).json()["changes"] == []
        is_problem(http.get("/api/v1/changes", params={"since": "0"}), 422)
