"""The store contract, run against every backend: the embedded store, Virtuoso and Oxigraph server.

Each backend gets the real + illustrative data built into it once; every answer is compared with the
embedded store's (the reference). The write tests come last in this file: they change the store.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from helpers.data import Cli
from helpers.rows import AGREEMENT, COOK, CUISINE, FUJIAN_TAIWAN, SOURCE, TARGET, write_csv
from helpers.servers import oxigraph, oxigraph_location, virtuoso, virtuoso_location
from helpers.serving import is_problem, serving

from certbridge.api.settings import Settings
from certbridge.data import DATA_DIR
from certbridge.examples import examples
from certbridge.graph import writes
from certbridge.graph.build import BuildResult, build, reason
from certbridge.graph.changes import ChangeKind, read_log
from certbridge.graph.errors import QueryError, StoreError
from certbridge.graph.query import compact, run_query
from certbridge.graph.remote.client import TruncatedAnswer
from certbridge.graph.remote.store import project_graphs
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.coverage import coverage
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.store import GraphStore, Location, open_store, store_at
from certbridge.graph.store.releases import make_release
from certbridge.graph.store.server import REMOTE_VERSION_TTL_S

BACKENDS = ("embedded", "virtuoso", "oxigraph")
AS_OF = date(2024, 1, 1)
#: how many same-occupation pairs of certificate types the route comparison takes
FIXED_PAIRS = 50


@dataclass
class Built:
    name: str
    location: Location
    result: BuildResult


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[tuple[str, str]]:
    with virtuoso() as server:
        yield server


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[str]:
    with oxigraph() as server:
        yield server


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Built:
    location = tmp_path_factory.mktemp("reference") / "store"
    return Built("reference", location, build(DATA_DIR, location))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real data built into one backend (once per session and backend)."""
    workdir = tmp_path_factory.mktemp(f"backend-{request.param}")
    location: Location
    if request.param == "virtuoso":
        base, password = request.getfixturevalue("virtuoso_server")
        location = virtuoso_location(base, password, workdir)
    elif request.param == "oxigraph":
        location = oxigraph_location(request.getfixturevalue("oxigraph_server"), workdir)
    else:
        location = workdir / "store"
    return Built(request.param, location, build(DATA_DIR, location))


def graph_counts(location: Location) -> dict[str, int]:
    answer = run_query(open_store(location), "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"].value: int(row["n"].value) for row in answer}


def rows(location: Location, text: str) -> Counter:
    """A SELECT answer as a multiset of rows of readable strings (order is not part of the contract)."""
    answer = run_query(open_store(location), text)
    if isinstance(answer, ox.QueryBoolean):
        return Counter([(bool(answer),)])
    if isinstance(answer, ox.QueryTriples):
        return Counter(tuple(map(compact, (t.subject, t.predicate, t.object))) for t in answer)
    names = [v.value for v in answer.variables]
    return Counter(tuple(compact(row[name]) for name in names) for row in answer)


def fixed_pairs(index: RoutingIndex) -> list[tuple[str, str]]:
    """Ordered pairs of certificate types of one occupation, the demo pair first: a fixed, deterministic set."""
    pairs = [(f"{SOURCE}", f"{TARGET}")]
    for code in sorted(index.by_occupation):
        pairs += itertools.permutations(sorted(index.by_occupation[code]), 2)
    return pairs[:FIXED_PAIRS]


def routes_json(location: Location, pairs: list[tuple[str, str]]) -> list[dict]:
    index = index_for(location)
    found = []
    for source, target in pairs:
        iri = {cert.rsplit("/", 1)[-1]: cert for cert in index.certificates}
        answer = find_routes(index, iri.get(source, source), iri.get(target, target), as_of=AS_OF, k=3)
        found.append(json.loads(json.dumps(answer.to_json(), ensure_ascii=False)))
    return found


# -- load ---------------------------------------------------------------------------------------------


def test_every_graph_holds_what_the_build_loaded(backend: Built, reference: Built) -> None:
    counts = graph_counts(backend.location)
    assert {g: n for g, n in counts.items() if g in project_graphs()} == counts, "only certbridge's graphs are seen"
    assert counts == {g: n for g, n in backend.result.triples_by_graph.items() if n}
    assert counts == graph_counts(reference.location)


def test_the_default_graph_is_the_union_of_certbridge_graphs_only(backend: Built) -> None:
    """Virtuoso's own default graph is the union of every graph, its ~2,500 system triples included."""
    total = int(next(iter(run_query(open_store(backend.location), "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"].value)
    assert total == sum(graph_counts(backend.location).values())


def test_ask_is_a_boolean_on_every_backend(backend: Built) -> None:
    store = open_store(backend.location)
    assert bool(run_query(store, "ASK { ?x a cb:RecognitionAgreement }")) is True
    assert bool(run_query(store, "ASK { ?x a cb:NoSuchClass }")) is False
    assert isinstance(run_query(store, "ASK {}"), ox.QueryBoolean)


# -- queries -------------------------------------------------------------------------------------------


def boolean_as_number(found: Counter) -> Counter:
    """Virtuoso types computed booleans (EXISTS, BOUND, comparisons) as xsd:integer 1/0 (README: Scaling out)."""
    numbers = {"true": "1", "false": "0"}
    return Counter({tuple(numbers.get(value, value) for value in row): n for row, n in found.items()})


@pytest.mark.parametrize("example", examples(), ids=lambda e: e["name"])
def test_the_example_queries_answer_the_same(backend: Built, reference: Built, example: dict) -> None:
    found, expected = rows(backend.location, example["query"]), rows(reference.location, example["query"])
    if backend.name == "virtuoso":
        found, expected = boolean_as_number(found), boolean_as_number(expected)
    assert found == expected


def test_bindings_reach_the_server_as_values(backend: Built, reference: Built) -> None:
    iri = ox.NamedNode(f"https://w3id.org/certbridge/id/certificate-type/{SOURCE}")
    text = "SELECT ?x ?label WHERE { ?x rdfs:label ?label }"
    answers = []
    for location in (backend.location, reference.location):
        found = open_store(location).query(
            text,
            prefixes={"rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
            use_default_graph_as_union=True,
            substitutions={ox.Variable("x"): iri},
        )
        answers.append(sorted((row["x"].value, str(row["label"])) for row in found))
    assert answers[0] == answers[1] and len(answers[0]) == 2


def test_a_capped_answer_is_refused_not_returned_as_complete(backend: Built) -> None:
    """Virtuoso cuts a SELECT at ResultSetMaxRows (50,000 in the tests) and says so only in a header."""
    store = open_store(backend.location)
    total = sum(graph_counts(backend.location).values())
    assert total > 50_000
    try:
        answer = list(run_query(store, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"))
    except TruncatedAnswer as error:
        assert backend.name == "virtuoso"
        assert "ResultSetMaxRows" in (error.hint or "")
        return
    assert len(answer) == total


def test_the_endpoint_never_passes_a_capped_answer_on_as_whole(backend: Built) -> None:
    """Past Virtuoso's cap the endpoint says the server cut the answer; elsewhere its own row cap answers."""
    total = sum(graph_counts(backend.location).values())
    settings = Settings(backend.location, sparql_max_rows=total + 1)  # the endpoint's own cap is not what is tried
    with serving(settings) as url, httpx.Client(base_url=url) as http:
        response = http.post("/sparql", data={"query": "SELECT * { ?s ?p ?o }"}, timeout=120)
    if backend.name == "virtuoso":
        assert response.status_code == 502 and "cut the answer" in response.json()["detail"]
    else:
        assert response.status_code == 200
        assert len(response.json()["results"]["bindings"]) == total


def test_an_index_scan_past_the_row_cap_comes_back_whole(backend: Built) -> None:
    """Scans are asked again in parts when the server cuts them (Virtuoso: at its cap, 50,000 in the tests)."""
    store = open_store(backend.location)
    quads = list(store.quads_for_pattern(None, None, None))
    assert len(quads) == len(set(quads)) == sum(graph_counts(backend.location).values()) > 50_000


# -- routes and coverage ------------------------------------------------------------------------------------


def test_routes_are_identical_across_backends(backend: Built, reference: Built) -> None:
    pairs = fixed_pairs(index_for(reference.location))
    assert len(pairs) == FIXED_PAIRS
    expected = routes_json(reference.location, pairs)
    assert any(answer["routes"] for answer in expected) and any(not answer["routes"] for answer in expected)
    assert routes_json(backend.location, pairs) == expected


def test_the_demo_route_from_the_cli(backend: Built, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    if not store_at(backend.location).local:
        monkeypatch.setenv("CERTBRIDGE_SERVER_WORKDIR", str(backend.location.workdir))
        if backend.location.user:
            monkeypatch.setenv("CERTBRIDGE_SERVER_USER", backend.location.user)
            monkeypatch.setenv("CERTBRIDGE_SERVER_PASSWORD", backend.location.password or "")
    result = cli("route", SOURCE, TARGET, "--store", backend.location, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == routes_json(backend.location, [(SOURCE, TARGET)])[0]


def test_coverage_is_identical_across_backends(backend: Built, reference: Built) -> None:
    for by in ("region", "issuer-kind"):
        expected = coverage(index_for(reference.location), by=by, as_of=AS_OF).to_json()
        assert coverage(index_for(backend.location), by=by, as_of=AS_OF).to_json() == expected


def _views_and_details(location: Location) -> dict[str, object]:
    """What the API answers about one certificate and one issuer on a store: details, neighbourhood, views."""
    params = {"from": SOURCE, "to": TARGET, "as_of": AS_OF.isoformat()}
    with serving(Settings(location)) as url, httpx.Client(base_url=url, timeout=60) as http:
        detail = http.get(f"/api/v1/certificates/{SOURCE}")
        around = http.get("/api/v1/neighbourhood", params={"id": "organisation/hengfeng"})
        node_view = http.get("/viz/node", params={"id": "organisation/hengfeng"})
        route_view = http.get("/viz/route", params=params)
    assert {r.status_code for r in (detail, around, node_view, route_view)} == {200}
    assert "恒丰" in node_view.text and "恒丰" in route_view.text
    nodes = sorted(node["iri"] for node in around.json()["nodes"])
    statements = sorted(json.dumps(item, sort_keys=True, ensure_ascii=False) for item in detail.json()["statements"])
    return {"nodes": nodes, "statements": statements}


def test_details_neighbourhoods_and_views_are_the_same_on_every_backend(backend: Built, reference: Built) -> None:
    assert _views_and_details(backend.location) == _views_and_details(reference.location)


def test_the_api_serves_a_backend(backend: Built, reference: Built) -> None:
    params = {"from": SOURCE, "to": TARGET, "as_of": AS_OF.isoformat()}
    with serving(Settings(backend.location)) as url, httpx.Client(base_url=url, timeout=60) as http:
        routes = http.get("/api/v1/routes", params=params)
        sparql = http.post(
            "/sparql",
            data={"query": "SELECT (COUNT(*) AS ?n) { ?x a cb:CertificateType }"},
            headers={"Accept": "application/sparql-results+json"},
        )
    assert routes.status_code == 200
    assert routes.json() == routes_json(reference.location, [(SOURCE, TARGET)])[0]
    assert sparql.status_code == 200
    expected = rows(reference.location, "SELECT (COUNT(*) AS ?n) { ?x a cb:CertificateType }")
    assert Counter([(sparql.json()["results"]["bindings"][0]["n"]["value"],)]) == expected


def test_reasoning_again_gives_the_same_closure(backend: Built) -> None:
    before = graph_counts(backend.location)
    report = reason(backend.location)
    assert report.total == backend.result.reasoning.total
    assert graph_counts(backend.location) == before


# -- writes (last: they change the store) ----------------------------------------------------------------------


def test_a_bad_write_changes_nothing(backend: Built, tmp_path: Path) -> None:
    before = graph_counts(backend.location)
    bad = {**AGREEMENT, "direction": "sideways", "valid_from": "2025-13-01"}
    with pytest.raises(Exception) as raised:
        writes.add_rows(
            backend.location,
            writes.read_rows(write_csv(tmp_path / "agreements.csv", [bad])),
            writer="test",
            note="a bad write",
        )
    assert "direction" in str(raised.value) and "valid_from" in str(raised.value)
    assert graph_counts(backend.location) == before


def test_a_write_is_applied_with_its_inferences(backend: Built, tmp_path: Path) -> None:
    rows = writes.read_rows(write_csv(tmp_path / "agreements.csv", [AGREEMENT]))
    writes.add_rows(backend.location, rows, writer="test", note="a write on every backend")
    agreement = f"<https://w3id.org/certbridge/id/agreement/{AGREEMENT['id']}>"
    store = open_store(backend.location)
    assert bool(run_query(store, f"ASK {{ {agreement} a cb:RecognitionAgreement }}"))
    derived = f"ASK {{ GRAPH cbg:inferred {{ ?d prov:wasDerivedFrom {agreement} }} }}"
    assert bool(run_query(store, derived))
    assert AGREEMENT["id"] in " ".join(index_for(backend.location).agreements)


# -- changes on every backend: add, correct, retire over the API (after the writes above: they change the store) --

WRITER, TOKEN = "福建省人社厅", "backends-write-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: days around the correction (valid from 2030) and the retirement (from 2031) the changes below make
BEFORE_CORRECTION, VALID, RETIRED = date(2026, 6, 1), date(2030, 6, 1), date(2031, 6, 1)


@contextlib.contextmanager
def api(backend: Built) -> Iterator[httpx.Client]:
    """A client of the web service on *backend*, with a writer's token configured."""
    settings = Settings(backend.location, writers=((WRITER, TOKEN),), sparql_workers=1)
    with serving(settings) as url, httpx.Client(base_url=url, timeout=300) as http:
        yield http


def applied_on(backend: Built) -> str:
    """How a write of an agreement or a retirement is applied: patched on the embedded store, rebuilt on a server
    (the slower path: every graph replaced, reasoned again by SPARQL updates)."""
    return "patched" if store_at(backend.location).local else "rebuilt"


def cook_route(http: httpx.Client, day: date, **params: str) -> dict:
    """The API's answer for Fujian's cook certificate to Taiwan's as of *day*."""
    answer = http.get("/api/v1/routes", params={"from": COOK, "to": CUISINE, "as_of": day.isoformat(), **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def agreements_on(answer: dict) -> set[str]:
    return {step["evidence"]["iri"].rsplit("/", 1)[-1] for route in answer["routes"] for step in route["steps"]}


def sparql_ask(http: httpx.Client, pattern: str) -> bool:
    """ASK through the service's SPARQL endpoint (its query workers read the backend)."""
    answer = http.post(
        "/sparql", data={"query": f"ASK {{ {pattern} }}"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.status_code == 200, answer.text
    value = answer.json()["boolean"]
    return value in (True, 1, "1", "true")


def test_an_added_agreement_is_routed_and_queried_and_if_match_guards_it(backend: Built) -> None:
    with api(backend) as http:
        read = http.get("/api/v1/routes", params={"from": COOK, "to": CUISINE})
        assert read.json()["found"] is False, "no route that way before the agreement"
        etag = read.headers["etag"]
        added = http.post(
            "/api/v1/agreements",
            json=FUJIAN_TAIWAN,
            params={"note": "闽台协议签署 / signed"},
            headers={**AUTH, "If-Match": etag},
        )
        assert added.status_code == 201, added.text
        assert added.json()["version"] == store_at(backend.location).current_version().name  # type: ignore[union-attr]
        assert added.json()["writer"] == WRITER
        assert added.json()["applied"] == applied_on(backend)
        assert FUJIAN_TAIWAN["id"] in agreements_on(cook_route(http, BEFORE_CORRECTION))
        assert sparql_ask(http, f"agreement:{FUJIAN_TAIWAN['id']} a cb:RecognitionAgreement")
        assert sparql_ask(http, f"GRAPH cbg:inferred {{ ?d prov:wasDerivedFrom agreement:{FUJIAN_TAIWAN['id']} }}"), (
            "the agreement's recognitions are inferred"
        )
        stale = http.post(
            f"/api/v1/tables/agreements/rows/{FUJIAN_TAIWAN['id']}",
            json={"trust": "medium"},
            params={"note": "based on the version before the agreement"},
            headers={**AUTH, "If-Match": etag},
        )
        assert is_problem(stale, 412)["detail"]
    assert [c.kind for c in read_log(store_at(backend.location).tables())][-1] == ChangeKind.ADD


def test_a_correction_is_routed_and_queried(backend: Built) -> None:
    key = FUJIAN_TAIWAN["id"]
    with api(backend) as http:
        etag = http.get(f"/api/v1/agreements/{key}").headers["etag"]
        fixed = http.post(
            f"/api/v1/tables/agreements/rows/{key}",
            json={"valid_from": "2030-01-01"},
            params={"note": "生效日期更正 / in force from 2030"},
            headers={**AUTH, "If-Match": etag},
        )
        assert fixed.status_code == 201, fixed.text
        assert fixed.json()["kind"] == "correct" and fixed.json()["keys"] == [key]
        assert fixed.json()["applied"] == applied_on(backend)
        assert key not in agreements_on(cook_route(http, BEFORE_CORRECTION)), "not in force before 2030 any more"
        assert key in agreements_on(cook_route(http, VALID))
        assert sparql_ask(http, f'agreement:{key} cb:validFrom "2030-01-01"^^xsd:date')
        assert not sparql_ask(http, f'agreement:{key} cb:validFrom "2025-01-01"^^xsd:date'), "the old value is gone"


def test_a_retired_agreement_answers_retired_with_its_history(backend: Built) -> None:
    key = FUJIAN_TAIWAN["id"]
    body = {
        "retired_on": "2031-01-01",
        "reason": "协议终止 / terminated",
        "source_ids": ["SRC-ILLUSTRATIVE"],
        "illustrative": True,
    }
    with api(backend) as http:
        retired = http.post(
            f"/api/v1/tables/agreements/rows/{key}/retire", json=body, headers=AUTH, params={"note": "terminated"}
        )
        assert retired.status_code == 201, retired.text
        assert retired.json()["kind"] == "retire" and retired.json()["table"] == "retirements"
        assert retired.json()["applied"] == applied_on(backend)
        assert key in agreements_on(cook_route(http, VALID)), "an earlier day still counts it"
        assert key not in agreements_on(cook_route(http, RETIRED))
        assert sparql_ask(http, f'agreement:{key} cb:retiredOn "2031-01-01"^^xsd:date ; cb:retiredBy ?r')
        assert sparql_ask(http, f"agreement:{key} a cb:RecognitionAgreement ; rdfs:label ?l"), "nothing is deleted"
        entity = http.get(f"/api/v1/agreements/{key}").json()
        assert entity["retired"]["retired_on"] == "2031-01-01" and entity["retired"]["reason"] == body["reason"]
        assert [(h["kind"], h["writer"]) for h in entity["history"]] == [
            ("add", WRITER),
            ("correct", WRITER),
            ("retire", WRITER),
        ]
        assert entity["history"][-1]["changeset"] == retired.json()["changeset"]
        again = http.post(
            f"/api/v1/tables/agreements/rows/{key}/retire", json=body, headers=AUTH, params={"note": "twice"}
        )
        assert "already retired" in is_problem(again, 409)["detail"]


def test_the_changes_feed_lists_every_change(backend: Built) -> None:
    with api(backend) as http:
        feed = http.get("/api/v1/changes")
        atom = http.get("/api/v1/changes.atom")
    assert feed.status_code == 200 and atom.status_code == 200, (feed.text, atom.text)
    ours = [c for c in feed.json()["changes"] if c["writer"] == WRITER]
    assert [c["kind"] for c in ours] == ["add", "correct", "retire"]
    assert ours[1]["rows"][0]["before"]["valid_from"] == "2025-01-01"
    assert ours[1]["rows"][0]["after"]["valid_from"] == "2030-01-01"
    assert [c["version"] for c in ours][-1] == store_at(backend.location).current_version().name  # type: ignore[union-attr]
    assert all(c["id"] in atom.text for c in ours)


def test_a_release_pins_reads_where_the_backend_keeps_versions(backend: Built) -> None:
    """The embedded store keeps releases and answers as of one; a SPARQL server holds one version, and says so."""
    store = store_at(backend.location)
    with api(backend) as http:
        if store.keeps_versions:
            make_release(store, "backends-1", note="before the agreement is lifted", writer=WRITER)
            lifted = http.post(
                "/api/v1/tables/retirements/rows/" + _retirement_of(store, FUJIAN_TAIWAN["id"]),
                json={"retired_on": "2040-01-01"},
                headers=AUTH,
                params={"note": "postponed"},
            )
            assert lifted.status_code == 201, lifted.text
            assert FUJIAN_TAIWAN["id"] in agreements_on(cook_route(http, RETIRED)), "retired from 2040 now"
            pinned = cook_route(http, RETIRED, release="backends-1")
            assert FUJIAN_TAIWAN["id"] not in agreements_on(pinned), "the release answers as the data was"
            assert [r["tag"] for r in http.get("/api/v1/releases").json()["releases"]] == ["backends-1"]
            return
        with pytest.raises(StoreError) as refused:
            make_release(store, "backends-1", note="a release", writer=WRITER)
        assert "SPARQL server" in refused.value.message and "embedded store" in (refused.value.hint or "")
        pinned = http.get("/api/v1/routes", params={"from": COOK, "to": CUISINE, "release": "backends-1"})
        assert "keeps no releases" in is_problem(pinned, 404)["detail"]
        assert http.get("/api/v1/releases").json()["releases"] == []
        diff = http.get("/api/v1/diff", params={"from": "v-20200101T000000000000Z-1", "to": "current"})
        assert "a SPARQL server keeps only the current one" in is_problem(diff, 404)["detail"]


def test_readers_during_a_write_see_before_or_after_or_are_told_to_wait(backend: Built, tmp_path: Path) -> None:
    """A reader never gets half a write, nor a 500: the version before, the version after, or (a server, which
    replaces its graphs one by one) a 503 saying there is no complete build yet."""
    second = {**FUJIAN_TAIWAN, "id": "IL-AG-FJ-TW-2"}
    rows = writes.read_rows(write_csv(tmp_path / "agreements.csv", [second]))
    with api(backend) as http:
        before = cook_route(http, BEFORE_CORRECTION)
        assert second["id"] not in agreements_on(before)
        writing = threading.Thread(
            target=writes.add_rows, args=(backend.location, rows), kwargs={"writer": WRITER, "note": "while reading"}
        )
        writing.start()
        seen: list[tuple[int, str]] = []
        params = {"from": COOK, "to": CUISINE, "as_of": BEFORE_CORRECTION.isoformat()}
        while writing.is_alive():
            answer = http.get("/api/v1/routes", params=params)
            seen.append((answer.status_code, answer.text))
        writing.join()
        time.sleep(REMOTE_VERSION_TTL_S)  # the service asks a server for its version again after this long
        after = cook_route(http, BEFORE_CORRECTION)
    assert second["id"] in agreements_on(after)
    statuses = Counter(status for status, _ in seen)
    assert set(statuses) <= {200, 503}, statuses
    answers = [json.loads(text) for status, text in seen if status == 200]
    assert all(answer in (before, after) for answer in answers), "a route answer of neither version"
    if store_at(backend.location).local:
        assert statuses[503] == 0, "the embedded store swaps versions: readers never wait"


def test_after_the_changes_the_store_is_what_a_build_of_its_tables_makes(backend: Built, tmp_path: Path) -> None:
    """Every change on every backend is in its kept tables: building them afresh (embedded) gives the same graphs
    and the same routes as the store the changes were applied to."""
    time.sleep(REMOTE_VERSION_TTL_S)  # a server's version, asked again
    rebuilt = tmp_path / "rebuilt"
    build(store_at(backend.location).tables(), rebuilt)
    assert graph_counts(backend.location) == graph_counts(rebuilt)
    pairs = [(COOK, CUISINE), *fixed_pairs(index_for(rebuilt))]
    assert routes_json(backend.location, pairs) == routes_json(rebuilt, pairs)
    changed = [c.kind for c in read_log(store_at(backend.location).tables()) if c.writer == WRITER]
    assert set(changed) == {ChangeKind.ADD, ChangeKind.CORRECT, ChangeKind.RETIRE}


def _retirement_of(store: GraphStore, record_id: str) -> str:
    """The id of the retirement row retiring *record_id*, from the current version's kept tables."""
    with (store.tables() / "retirements.csv").open(encoding="utf-8", newline="") as handle:
        (row,) = [row for row in csv.DictReader(handle) if row["record_id"] == record_id]
    return row["id"]


# -- connection settings (no server needed for most) -------------------------------------------------------


def test_a_server_that_is_down_is_named_in_the_error(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTBRIDGE_SERVER_WORKDIR", str(tmp_path))
    result = cli("info", "--store", "sparql+http://127.0.0.1:9/sparql")
    assert result.exit_code != 0
    assert "cannot reach the SPARQL server at http://127.0.0.1:9/sparql" in result.stderr
    assert "--store" in result.stderr and "Traceback" not in result.output


def test_a_bad_setting_is_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTBRIDGE_SERVER_AUTH", "kerberos")
    result = cli("info", "--store", "sparql+http://127.0.0.1:9/sparql")
    assert result.exit_code != 0 and "CERTBRIDGE_SERVER_AUTH" in result.stderr
    monkeypatch.delenv("CERTBRIDGE_SERVER_AUTH")
    result = cli("info", "--store", "sparql+http:///sparql")
    assert result.exit_code != 0 and "--store" in result.stderr and "names no host" in result.stderr


def test_wrong_credentials_are_named(virtuoso_server: tuple[str, str], tmp_path: Path) -> None:
    base, _ = virtuoso_server
    location = virtuoso_location(base, "not-the-password", tmp_path, settings={"user": "U_ENV", "password": "P_ENV"})
    with pytest.raises(StoreError) as raised:
        build(DATA_DIR, location)
    assert "refused" in raised.value.message and "U_ENV" in (raised.value.hint or "")
    assert "P_ENV" in (raised.value.hint or "")


def test_a_query_the_server_rejects_is_a_query_error(backend: Built) -> None:
    with pytest.raises(QueryError):
        list(run_query(open_store(backend.location), "SELECT ?x WHERE { ?x cb:nope }"))
