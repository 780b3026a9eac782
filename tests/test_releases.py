"""Releases: a tag names a version kept from pruning (retention a setting, letting the oldest go on record), and
every read may pin one (?release=TAG on REST and SPARQL): the pinned answer is the old one, the unpinned the new."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from helpers.data import MINI_DATA, Cli
from helpers.rows import AGREEMENT, COOK, CUISINE, FUJIAN_TAIWAN, write_csv
from helpers.serving import is_problem, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.conventions import DATA_VERSION
from certbridge.api.settings import Settings
from certbridge.graph import writes
from certbridge.graph.build import build
from certbridge.graph.errors import CertbridgeError, InvalidValue, NotFound, StoreError
from certbridge.graph.remote.location import parse_location
from certbridge.graph.routing.engine import find_routes
from certbridge.graph.routing.index import index_for
from certbridge.graph.store import TABLES_DIR, store_at
from certbridge.graph.store.releases import RELEASES_FILE, make_release, release_named, releases, version_of

CERT = "https://w3id.org/certbridge/id/certificate-type/"


def _add(store: Path, tmp_path: Path, row: dict[str, str], note: str) -> str:
    path = write_csv(tmp_path / "agreements.csv", [row])
    return writes.add_rows(store, writes.read_rows(path), writer="张三", note=note).changeset.id


@pytest.fixture
def real_copy(real_store: Path, tmp_path: Path) -> Path:
    """A private copy of the real data's store (writes and releases change it)."""
    target = tmp_path / "store"
    shutil.copytree(real_store, target, symlinks=True)
    return target


def test_a_release_pins_reads_after_later_writes(real_copy: Path, tmp_path: Path) -> None:
    store = store_at(real_copy)
    released = make_release(store, "2026-12", note="十二月发布 / December release", writer="李四")
    assert released.version == store.current_version().name  # type: ignore[union-attr]
    before = find_routes(index_for(store), CERT + COOK, CERT + CUISINE).routes
    _add(real_copy, tmp_path, FUJIAN_TAIWAN, "闽台协议签署 / signed")
    assert not before and find_routes(index_for(store), CERT + COOK, CERT + CUISINE).routes, "the write adds a route"
    current = store.current_version().name  # type: ignore[union-attr]
    assert current != released.version

    with serving(Settings(real_copy, sparql_workers=1)) as url, httpx.Client(base_url=url, timeout=60) as http:
        pair = {"from": COOK, "to": CUISINE}
        new = http.get("/api/v1/routes", params=pair)
        old = http.get("/api/v1/routes", params={**pair, "release": "2026-12"})
        assert new.json()["found"] is True and old.json()["found"] is False
        assert new.headers[DATA_VERSION] == current and old.headers[DATA_VERSION] == released.version
        assert old.headers["etag"].startswith(f'W/"{released.version}-') and released.version not in new.headers["etag"]
        again = http.get(
            "/api/v1/routes", params={**pair, "release": "2026-12"}, headers={"If-None-Match": old.headers["etag"]}
        )
        assert again.status_code == 304

        assert http.get("/api/v1/agreements/IL-AG-FJ-TW").status_code == 200
        is_problem(http.get("/api/v1/agreements/IL-AG-FJ-TW", params={"release": "2026-12"}), 404)
        found = [hit["iri"] for hit in http.get("/api/v1/search", params={"q": "IL-AG-FJ-TW"}).json()["results"]]
        pinned = http.get("/api/v1/search", params={"q": "IL-AG-FJ-TW", "release": "2026-12"}).json()["results"]
        assert any(iri.endswith("agreement/IL-AG-FJ-TW") for iri in found) and pinned == []

        ask = {"query": "ASK { <https://w3id.org/certbridge/id/agreement/IL-AG-FJ-TW> ?p ?o }"}
        json_results = {"Accept": "application/sparql-results+json"}
        assert http.get("/sparql", params=ask, headers=json_results).json()["boolean"] is True
        pinned_ask = http.get("/sparql", params={**ask, "release": "2026-12"}, headers=json_results)
        assert pinned_ask.json()["boolean"] is False
        posted = http.post("/sparql", params={"release": "2026-12"}, data=ask, headers=json_results)
        assert posted.json()["boolean"] is False

        for path, params in (
            ("/api/v1/routes", pair),
            ("/api/v1/search", {"q": "x"}),
            ("/api/v1/coverage", {}),
            ("/api/v1/agreements/IL-AG01", {}),
            ("/sparql", ask),
        ):
            body = is_problem(http.get(path, params={**params, "release": "no-such-release"}), 404)
            assert "no-such-release" in body["detail"], path

        listed = http.get("/api/v1/releases").json()
        assert [(r["tag"], r["version"], r["writer"], r["note"]) for r in listed["releases"]] == [
            ("2026-12", released.version, "李四", "十二月发布 / December release")
        ]
        assert listed["let_go"] == [] and listed["current"] == current


def test_released_versions_survive_pruning_until_their_release_is_let_go(tmp_path: Path) -> None:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    store = store_at(location)
    first = make_release(store, "first", note="the first", writer="w", keep=1)
    versions = [first.version]
    for number in range(3):  # each write makes a version and prunes to the newest two, released ones apart
        _add(location, tmp_path, {**AGREEMENT, "id": f"IL-AG-NEW-{number}"}, f"write {number}")
        versions.append(store.current_version().name)  # type: ignore[union-attr]
    on_disk = {p.name for p in location.iterdir() if p.name.startswith("v-")}
    assert on_disk == {first.version, versions[-2], versions[-1]}, "the released version stayed; versions[1] went"
    assert (location / TABLES_DIR / first.version).is_dir() and list((location / "cache").glob(f"{first.version}.*"))
    assert version_of(store, "first") == location / first.version
    old = index_for(store, version_of(store, "first"))
    assert "https://w3id.org/certbridge/id/agreement/IL-AG-NEW-0" not in old.agreements

    second = make_release(store, "second", note="the second", writer="w", keep=1)  # one kept: the first goes
    made = releases(store)
    assert [(r.tag, r.kept) for r in made] == [("first", False), ("second", True)]
    assert made[0].let_go_at and "CERTBRIDGE_KEEP_RELEASES" in (made[0].let_go_reason or "")
    with pytest.raises(NotFound, match="let go"):
        release_named(store, "first")
    _add(location, tmp_path, {**AGREEMENT, "id": "IL-AG-NEW-9"}, "one more")
    assert not (location / first.version).exists(), "once let go, the version is pruned like any other"
    assert (location / second.version).is_dir()
    with pytest.raises(NotFound):
        version_of(store, first.version)


def test_tags_are_checked_unique_and_need_a_note(mini_store: Path, tmp_path: Path) -> None:
    location = tmp_path / "store"
    shutil.copytree(mini_store, location, symlinks=True)
    store = store_at(location)
    for bad in ("", "has space", "v-20261207", "current", "-dash", "a/b", "x" * 65, "../up"):
        with pytest.raises(InvalidValue, match="not a release tag"):
            make_release(store, bad, note="n", writer="w")
    with pytest.raises(CertbridgeError, match="note"):
        make_release(store, "ok", note=" ", writer="w")
    make_release(store, "ok", note="n", writer="w")
    with pytest.raises(CertbridgeError, match="exists already"):
        make_release(store, "ok", note="again", writer="w")
    assert json.loads((location / RELEASES_FILE).read_text(encoding="utf-8"))[0]["tag"] == "ok"


def test_a_server_store_refuses_releases_and_pins_saying_why(tmp_path: Path) -> None:
    server = store_at(parse_location("sparql+http://127.0.0.1:9/query", workdir_base=tmp_path))
    with pytest.raises(StoreError, match="holds one version only"):
        make_release(server, "r1", note="n", writer="w")
    with pytest.raises(NotFound, match="SPARQL server"):
        release_named(server, "r1")
    assert releases(server) == []


def test_the_cli_releases_lists_and_lets_go(
    cli: Cli, mini_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = tmp_path / "store"
    shutil.copytree(mini_store, location, symlinks=True)
    made = cli("release", "r1", "--note", "第一次发布", "--writer", "王五", "--store", location)
    assert made.exit_code == 0 and "released r1" in made.stdout
    assert cli("release", "r1", "--note", "x", "--store", location).exit_code == 2
    monkeypatch.setenv("CERTBRIDGE_KEEP_RELEASES", "1")
    second = cli("release", "r2", "--note", "第二次", "--store", location)
    assert second.exit_code == 0 and "let go" in second.stdout and "r1" in second.stdout
    listed = json.loads(cli("releases", "--store", location, "--json").stdout)
    assert [(r["tag"], r["let_go_at"] is None) for r in listed] == [("r1", False), ("r2", True)]
    assert listed[0]["writer"] == "王五" and listed[0]["note"] == "第一次发布"
    assert "let go: r1" in cli("releases", "--store", location).stdout


def test_any_release_parameter_is_answered_or_a_404_problem(mini_store: Path, tmp_path: Path) -> None:
    """Hostile input: whatever text ?release= carries, REST and SPARQL answer from the release it names, or 404."""
    location = tmp_path / "store"
    shutil.copytree(mini_store, location, symlinks=True)
    make_release(store_at(location), "r1", note="n", writer="w")
    ask = {"query": "ASK { ?s ?p ?o }"}
    with serving(Settings(location, sparql_workers=1)) as url, httpx.Client(base_url=url, timeout=60) as http:

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(tag=st.one_of(st.text(max_size=80), st.sampled_from(["r1", "current", "v-", "../r1", "r1/"])))
        def answered(tag: str) -> None:
            for path, params in (
                ("/api/v1/search", {"q": "纺纱"}),
                ("/sparql", ask),
                ("/api/v1/agreements/IL-AG01", {}),
            ):
                response = http.get(path, params={**params, "release": tag}, headers={"Accept": "application/json"})
                if tag == "r1":
                    assert response.status_code == 200, (path, response.text)
                else:
                    is_problem(response, 404)

        answered()


def test_the_cli_reads_pin_a_release_too(real_copy: Path, tmp_path: Path, cli: Cli) -> None:
    make_release(store_at(real_copy), "old", note="n", writer="w")
    _add(real_copy, tmp_path, FUJIAN_TAIWAN, "闽台协议签署 / signed")
    assert cli("route", COOK, CUISINE, "--store", real_copy).exit_code == 0  # a route now
    assert cli("route", COOK, CUISINE, "--store", real_copy, "--release", "old").exit_code == 1  # none then
    ask = "ASK { <https://w3id.org/certbridge/id/agreement/IL-AG-FJ-TW> ?p ?o }"
    assert cli("query", ask, "--store", real_copy).exit_code == 0
    assert cli("query", ask, "--store", real_copy, "--release", "old").exit_code == 1
    now = json.loads(cli("coverage", "--store", real_copy, "--json").stdout)["total"]
    then = json.loads(cli("coverage", "--store", real_copy, "--json", "--release", "old").stdout)["total"]
    assert now["covered"] > then["covered"]
    missing = cli("route", COOK, CUISINE, "--store", real_copy, "--release", "nope")
    assert missing.exit_code == 2 and "no release 'nope'" in missing.stderr
