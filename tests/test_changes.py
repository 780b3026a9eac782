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


def _series(store: Path) -> list[str]:
    """Adds, corrections and retirements across tables, applied through the write functions; their changeset ids."""
    from certbridge.graph import writes

    def rows(table: str, *items: dict[str, str]) -> writes.NewRows:
        return writes.NewRows(table, list(items), Path(f"{table}.csv"), list(range(2, 2 + len(items))))

    def correct(table: str, key: str, **values: str) -> writes.Corrections:
        return writes.Corrections(table, [(key, values)], Path("arguments"), [1])

    def retirement(table: str, key: str, on: str, reason: str) -> writes.Retirement:
        return writes.Retirement(
            table=table, key=key, retired_on=on, reason=reason, source_ids="SRC-ILLUSTRATIVE", illustrative=True
        )

    made = [
        writes.add_rows(store, rows("agreements", AGREEMENT), writer="张三", note="signed"),
        writes.add_rows(store, rows("organisations", ISSUER), writer="li.si", note="new centre"),
        writes.correct_rows(
            store, correct("agreements", AGREEMENT["id"], valid_to="2027-12-31"), writer="张三", note="end"
        ),
        writes.retire(
            store, retirement("agreements", "IL-AG01", "2026-06-01", "terminated"), writer="王五", note="ended"
        ),
        writes.correct_rows(
            store,
            correct("sanctions", "SA-il-hb-2024", description="ILLUSTRATIVE: reworded"),
            writer="li.si",
            note="wording",
        ),
        writes.retire(store, retirement("sanctions", "SA-il-hb-2024", "2026", "lifted"), writer="王五", note="lifted"),
        writes.correct_rows(
            store,
            correct("retirements", "RT-1", reason="terminated by both parties"),
            writer="王五",
            note="the reason as the notice words it",
        ),
        writes.retire(
            store, retirement("organisations", ISSUER["id"], "2026-09-30", "closed"), writer="li.si", note="closed"
        ),
    ]
    return [written.changeset.id for written in made]


def test_a_series_of_adds_corrections_and_retirements_is_never_lost(store: Path, cli: Cli, tmp_path: Path) -> None:
    """The invariant over every kind of change: the export (tables and log) rebuilds the same store, and a build
    from tables that lack the changes is refused, naming each."""
    ids = _series(store)
    log = json.loads(cli("changes", "--store", store, "--json").stdout)
    assert [c["id"] for c in log] == ids
    assert [c["kind"] for c in log] == ["add", "add", "correct", "retire", "correct", "retire", "correct", "retire"]
    assert all(c["version"] and c["based_on"] for c in log)
    assert [c["based_on"] for c in log[1:]] == [c["version"] for c in log[:-1]], "each change built on the last"
    assert log[-1]["version"] == store_at(store).current_version().name
    written = contents(store)
    exported = tmp_path / "exported"
    assert cli("export-tables", exported, "--store", store).exit_code == 0
    assert "RT-3" in (exported / "retirements.csv").read_text(encoding="utf-8")
    fresh = tmp_path / "fresh"
    assert cli("build", "--data", exported, "--store", fresh, "-q").exit_code == 0
    assert contents(fresh) == written, "the export, log included, rebuilds the same store"
    refused = cli("build", "--data", MINI_DATA, "--store", store, "-q")
    assert refused.exit_code == 2 and all(changeset in refused.stderr for changeset in ids)
    assert cli("build", "--data", exported, "--store", store, "-q").exit_code == 0
    assert contents(store) == written


def test_the_changes_feed_since_a_version_or_a_day_as_json_and_atom(store: Path) -> None:
    import feedparser

    ids = _series(store)
    with serving(Settings(store)) as url, httpx.Client(base_url=url, timeout=60) as http:
        listed = http.get("/api/v1/changes").json()["changes"]
        assert [c["id"] for c in listed] == ids
        retired = listed[3]
        assert retired["kind"] == "retire" and retired["rows"][0]["before"] is None
        assert retired["rows"][0]["after"]["record_id"] == "IL-AG01"
        corrected = listed[2]["rows"][0]
        assert (corrected["before"]["valid_to"], corrected["after"]["valid_to"]) == ("", "2027-12-31")
        after_third = http.get("/api/v1/changes", params={"since": listed[2]["version"]}).json()["changes"]
        assert [c["id"] for c in after_third] == ids[3:]
        assert http.get("/api/v1/changes", params={"since": listed[-1]["version"]}).json()["changes"] == []
        assert len(http.get("/api/v1/changes", params={"since": listed[0]["at"][:10]}).json()["changes"]) == len(ids)
        assert http.get("/api/v1/changes", params={"since": "2999-01-01"}).json()["changes"] == []
        is_problem(http.get("/api/v1/changes", params={"since": "last tuesday"}), 422)
        for feed_response in (
            http.get("/api/v1/changes", headers={"Accept": "application/atom+xml"}),
            http.get("/api/v1/changes.atom"),
        ):
            assert feed_response.headers["content-type"].startswith("application/atom+xml")
            feed = feedparser.parse(feed_response.content)
            assert not feed.bozo, feed.bozo_exception
            assert feed.version == "atom10"
            assert [entry.id.rsplit("/", 1)[-1] for entry in feed.entries] == ids[::-1], "newest first"
            newest = feed.entries[0]
            assert newest.author == "li.si" and newest.summary == "closed"
            assert newest.title == f"退出 / retire：organisations 表的 {ISSUER['id']}: closed"
            content = json.loads(newest.content[0].value)
            assert content["kind"] == "retire" and content["rows"][0]["after"]["record_id"] == ISSUER["id"]
            correction = json.loads(feed.entries[-3].content[0].value)
            assert correction["rows"][0]["before"]["valid_to"] == "" and correction["version"] == listed[2]["version"]
        since = feedparser.parse(http.get("/api/v1/changes.atom", params={"since": listed[5]["version"]}).content)
        assert [entry.id.rsplit("/", 1)[-1] for entry in since.entries] == ids[:5:-1]


def test_a_log_written_before_change_kinds_reads_as_adds(tmp_path: Path) -> None:
    """Logs written before corrections and retirements held each added row plain: they read as adds of those rows,
    keyed by the table's key, with no row before and no version made."""
    from certbridge.graph.changes import ChangeKind, read_log

    old = {
        "id": "CS-20261201T100000000000Z-0001",
        "kind": "add",
        "table": "framework_levels",
        "rows": [{"framework": "EQF", "level": "9", "title_en": "Level 9"}],
        "writer": "张三",
        "note": "an old write",
        "at": "2026-12-01T10:00:00+00:00",
        "based_on": "v-20261201T090000000000Z-1",
    }
    (tmp_path / LOG_FILE).write_text(json.dumps(old, ensure_ascii=False) + "\n", encoding="utf-8")
    (changeset,) = read_log(tmp_path)
    assert changeset.kind is ChangeKind.ADD and changeset.version is None
    (row,) = changeset.rows
    assert row.key == "EQF:9" and row.before is None and row.after["title_en"] == "Level 9"
    assert changeset.touches("framework_levels", "EQF:9") and not changeset.touches("framework_levels", "EQF:8")


def test_a_write_links_the_tables_it_leaves_as_they_were_and_never_changes_a_kept_version(
    store: Path, tmp_path: Path
) -> None:
    """A version's kept tables are hard links to the previous version's for every file the write did not edit (a
    national store's tables are tens of megabytes); the edited table and the changes log are files of their own, and
    the previous version's tables are byte for byte as they were. Tables a build read from a data folder are copies:
    editing the folder afterwards changes nothing the store keeps."""
    from certbridge.graph import writes

    data = tmp_path / "data"
    data.mkdir()
    for source in MINI_DATA.iterdir():
        if source.is_file():
            (data / source.name).write_bytes(source.read_bytes())
    location = tmp_path / "own"
    build(data, location)
    graph_store = store_at(location)
    built = graph_store.tables()
    assert all((built / p.name).stat().st_ino != p.stat().st_ino for p in data.iterdir() if (built / p.name).exists())
    with (data / "agreements.csv").open("a", encoding="utf-8") as handle:
        handle.write("edited after the build\n")
    assert b"edited after the build" not in (built / "agreements.csv").read_bytes()

    before = {p.name: p.read_bytes() for p in built.iterdir()}
    correction = writes.Corrections("agreements", [("MR01", {"notes": "reworded"})], Path("arguments"), [1])
    writes.correct_rows(location, correction, writer="li.si", note="wording")
    after = graph_store.tables()
    assert after != built and {p.name: p.read_bytes() for p in built.iterdir()} == before
    for path in after.iterdir():
        linked = (built / path.name).exists() and path.stat().st_ino == (built / path.name).stat().st_ino
        assert linked == (path.name not in {"agreements.csv", LOG_FILE}), path.name
    assert b"reworded" in (after / "agreements.csv").read_bytes()
