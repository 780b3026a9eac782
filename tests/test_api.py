"""The web service over a real uvicorn server on loopback: SPARQL 1.1 Protocol and REST routes."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from helpers.data import Cli
from helpers.serving import COUNT, is_problem, serving
from rdflib import Graph
from starlette.requests import Request

from certbridge.api import rest
from certbridge.api.app import create_app
from certbridge.api.query_worker import WORKER_SCHEDULER, Job, QueryPool
from certbridge.api.settings import Settings
from certbridge.api.state import state_of
from certbridge.graph.routing import graphs

MAX_ROWS = 40


@pytest.fixture(scope="module")
def base_url(mini_store: Path) -> Iterator[str]:
    with serving(Settings(mini_store, sparql_max_rows=MAX_ROWS)) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def test_get_query_defaults_to_sparql_json(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": COUNT})
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "5"


def test_post_form_and_post_body(http: httpx.Client) -> None:
    form = http.post("/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"})
    body = http.post(
        "/sparql",
        content=COUNT,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"},
    )
    assert form.text.split() == ["n", "5"]
    assert body.text.split()[1] == "5" and body.headers["content-type"].startswith("text/tab-separated-values")


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.5, application/sparql-results+json", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
    ],
)
def test_select_content_negotiation(http: httpx.Client, accept: str, media: str) -> None:
    response = http.get("/sparql", params={"query": COUNT}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        (None, "turtle"),
    ],
)
def test_construct_content_negotiation(http: httpx.Client, accept: str | None, rdflib_format: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = http.get(
        "/sparql",
        params={"query": "CONSTRUCT { ?r a cb:Region } WHERE { ?r a cb:ProvinceLevelDivision }"},
        headers=headers,
    )
    assert response.status_code == 200
    assert len(Graph().parse(data=response.text, format=rdflib_format)) == 34


def test_406_only_when_nothing_fits(http: httpx.Client) -> None:
    is_problem(http.get("/sparql", params={"query": COUNT}, headers={"Accept": "image/png"}), 406)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"query": "SELEC ?x WHERE {}"}, "syntax error"),
        ({"query": [COUNT, COUNT]}, "exactly one 'query'"),
        ({"query": COUNT, "update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, "read-only"),
        ({"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, "syntax error"),
        ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}, "SERVICE"),
    ],
)
def test_bad_requests_are_400_with_the_reason(http: httpx.Client, params: dict, fragment: str) -> None:
    assert fragment in is_problem(http.get("/sparql", params=params), 400)["detail"]


def test_update_content_type_is_refused(http: httpx.Client) -> None:
    response = http.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"})
    assert "read-only" in is_problem(response, 400)["detail"]
    assert http.get("/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"] == "5"


def test_the_word_service_inside_a_string_is_not_refused(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": 'SELECT ("SERVICE" AS ?x) WHERE {}'})
    assert response.status_code == 200


def test_row_cap_names_the_setting(http: httpx.Client) -> None:
    body = is_problem(http.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o }"}), 400)
    assert "CERTBRIDGE_SPARQL_MAX_ROWS" in body["detail"] and f"{MAX_ROWS}" in body["detail"]
    assert http.get("/sparql", params={"query": f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}"}).status_code == 200


def test_default_and_named_graph_uris_are_honoured(http: httpx.Client) -> None:
    ontology = "https://w3id.org/certbridge/graph/ontology"
    only_ontology = http.get("/sparql", params={"query": COUNT, "default-graph-uri": ontology})
    assert only_ontology.json()["results"]["bindings"][0]["n"]["value"] == "0"
    named = http.get(
        "/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": ontology}
    )
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [ontology]


def test_cors(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": COUNT}, headers={"Origin": "https://yasgui.example"})
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "extra",
    [{"as_of": "2024-01-01"}, {}, {"kinds": "formal-recognition,same-qualification"}],
    ids=["as-of (in a thread)", "today, every kind (on the event loop)", "kinds (in a thread)"],
)
def test_routes_rest_equals_cli_json(http: httpx.Client, mini_store: Path, cli: Cli, extra: dict) -> None:
    params = {"from": "IL-CT-hengfeng-spinner-senior-technician", "to": "IL-CT-js-hrss-spinner-senior-technician"}
    response = http.get("/api/v1/routes", params={**params, **extra})
    assert response.status_code == 200
    options = [f"--{name.replace('_', '-')}={value}" for name, value in extra.items()]
    expected = cli("route", "--store", mini_store, *options, "--json", params["from"], params["to"])
    assert response.json() == json.loads(expected.stdout)
    if "as_of" in extra:
        assert response.json()["routes"][0]["strength"] == "formal-recognition"


HENGFENG, JIANGSU = "IL-CT-hengfeng-spinner-senior-technician", "IL-CT-js-hrss-spinner-senior-technician"


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (HENGFENG, JIANGSU),
        (JIANGSU, HENGFENG),
        (f"https://w3id.org/certbridge/id/certificate-type/{HENGFENG}", HENGFENG),
    ],
)
def test_plain_lookup_answers_as_the_declared_parameters_do(http: httpx.Client, source: str, target: str) -> None:
    """The common lookup (``from`` and ``to`` only), answered before FastAPI reads the parameters, is the answer
    of the same question with the defaults written out (read as declared), byte for byte and with the same
    validators."""
    plain = http.get("/api/v1/routes", params={"from": source, "to": target})
    declared = http.get("/api/v1/routes", params={"from": source, "to": target, "k": 3, "max_hops": 6})
    assert plain.status_code == declared.status_code == 200
    assert plain.content == declared.content
    for name in ("content-type", "etag", "last-modified", "cache-control", "certbridge-data-version"):
        assert plain.headers[name] == declared.headers[name]
    assert (
        http.get(
            "/api/v1/routes", params={"from": source, "to": target}, headers={"If-None-Match": plain.headers["etag"]}
        ).status_code
        == 304
    )


def test_only_the_plain_lookup_skips_the_declared_parameters(mini_store: Path) -> None:
    """The route class answers itself only two certificate types named once each by id or IRI, with nothing else
    asked; anything else (search text, a credential, a repeated, empty or further parameter) is left to FastAPI."""
    app = create_app(Settings(mini_store))
    state_of(app).index()

    def plain(query: dict[str, str] | list[tuple[str, str]]) -> tuple[object, str, str] | None:
        scope = {"type": "http", "app": app, "method": "GET", "path": "/api/v1/routes", "headers": []}
        return rest._plain_lookup(Request({**scope, "query_string": urlencode(query).encode()}))

    answered = plain({"from": HENGFENG, "to": JIANGSU})
    assert answered is not None and answered[1].endswith(HENGFENG) and answered[2].endswith(JIANGSU)
    assert plain([("to", JIANGSU), ("from", HENGFENG)]) is not None
    left = [
        {"from": "纺纱工 恒丰", "to": JIANGSU},
        {"from": HENGFENG, "to": "engineer"},
        [("from", HENGFENG), ("from", HENGFENG), ("to", JIANGSU)],
        {"from": "", "to": JIANGSU},
        {"from": HENGFENG, "to": JIANGSU, "k": "3"},
        {"from": HENGFENG, "to": JIANGSU, "release": "2026-12"},
        {"from": HENGFENG},
    ]
    assert [plain(query) for query in left] == [None] * len(left)


def test_a_lookup_whose_graph_a_change_dropped_builds_it_on_the_loop_with_the_same_answer(
    mini_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain lookup is answered on the event loop, building its occupation's class graph there when a change
    dropped it (from the cached profiles, or the profiles too): no hop to a worker thread. The answer is the same
    each way, and the next lookup finds the graph built."""
    app = create_app(Settings(mini_store))
    index = state_of(app).index()
    built_in: list[str] = []
    build = graphs._build_class_graph

    def recorded(*arguments: object) -> object:
        built_in.append(threading.current_thread().name)
        return build(*arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(graphs, "_build_class_graph", recorded)
    query = {"from": HENGFENG, "to": JIANGSU}
    with serving(Settings(mini_store), app=app) as url, httpx.Client(base_url=url, timeout=30) as client:
        warm = client.get("/api/v1/routes", params=query)
        assert warm.status_code == 200 and built_in == [], "the graph warmed at start"
        index.derived.graphs.clear()  # as a change of an agreement covering every occupation leaves them
        assert client.get("/api/v1/routes", params=query).content == warm.content
        index.derived.graphs.clear()
        index.derived.profiles.clear()  # as a change of the occupation's certificate types leaves them
        assert client.get("/api/v1/routes", params=query).content == warm.content
        assert client.get("/api/v1/routes", params=query).content == warm.content
    assert len(built_in) == 2, "built once each time, then found built"
    assert not any("AnyIO" in name for name in built_in), f"built in {built_in}, not on the event loop"
    assert threading.main_thread().name not in built_in, "the server's loop runs in a thread of its own here"


def test_route_errors_share_one_shape(http: httpx.Client) -> None:
    is_problem(http.get("/api/v1/routes", params={"from": "nothing at all", "to": "x"}), 404)
    ambiguous = is_problem(http.get("/api/v1/routes", params={"from": "纺纱工", "to": "x"}), 409)
    assert len(ambiguous["candidates"]) > 1
    invalid = is_problem(http.get("/api/v1/routes", params={"from": "a", "to": "b", "k": 0}), 422)
    assert invalid["errors"][0]["field"] == "query.k"


def test_search(http: httpx.Client) -> None:
    results = http.get("/api/v1/search", params={"q": "恒丰 高级技师"}).json()["results"]
    assert [r["iri"].rsplit("/", 1)[-1] for r in results] == ["IL-CT-hengfeng-spinner-senior-technician"]


def _parameter_example(parameter: dict) -> object:
    schema = parameter.get("schema", {})
    for holder in (parameter, schema):
        if "example" in holder:
            return holder["example"]
        if holder.get("examples"):
            examples = holder["examples"]
            return examples[0] if isinstance(examples, list) else next(iter(examples.values()))["value"]
    return None


def _content_example(content: dict) -> tuple[str, object] | None:
    for media, entry in content.items():
        if "example" in entry:
            return media, entry["example"]
    return None


def test_every_endpoint_has_an_example_and_its_examples_answer(http: httpx.Client) -> None:
    """OpenAPI at /docs: each operation shows an example, and sending the examples gets a 2xx answer."""
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/sparql", "/api/v1/routes", "/api/v1/search", "/api/v1/agreements"} <= set(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            parameters = {p["name"]: (p["in"], _parameter_example(p)) for p in operation.get("parameters", [])}
            body = _content_example(operation.get("requestBody", {}).get("content", {}))
            shown = [
                _content_example(response.get("content", {})) for response in operation.get("responses", {}).values()
            ]
            has_example = any(value is not None for _, value in parameters.values()) or body or any(shown)
            assert has_example, f"{method.upper()} {path} has no example"
            if method == "post" and "writes" in operation.get("tags", []):
                continue  # sent against a writable store in test_writes.py
            url = path.format(**{name: value for name, (where, value) in parameters.items() if where == "path"})
            query = [
                (name, item)
                for name, (where, value) in parameters.items()
                if where == "query" and value is not None
                for item in (value if isinstance(value, list) else [value])
            ]
            if body is None:
                response = http.request(method, url, params=query)
            elif body[0] == "application/x-www-form-urlencoded":
                response = http.request(method, url, params=query, data=body[1])
            else:
                content = body[1] if isinstance(body[1], str | bytes) else json.dumps(body[1])
                response = http.request(method, url, params=query, content=content, headers={"Content-Type": body[0]})
            assert response.status_code < 400, (method, url, query, response.text[:300])


def test_missing_query_is_400_on_post(http: httpx.Client) -> None:
    assert "exactly one 'query'" in is_problem(http.post("/sparql", data={"default-graph-uri": "urn:g"}), 400)["detail"]


def test_service_description_with_void(http: httpx.Client) -> None:
    response = http.get("/sparql")
    assert response.headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    rows = description.query(f"""SELECT ?name ?n WHERE {{ ?s a <{sd}Service> ; <{sd}defaultDataset> ?d .
        ?d <{sd}namedGraph> [ <{sd}name> ?name ; <{sd}graph> [ <http://rdfs.org/ns/void#triples> ?n ] ] }}""")
    names = {str(row.name): int(row.n) for row in rows}
    assert names["https://w3id.org/certbridge/graph/data/occupations"] > 0


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def slow_server(mini_store: Path) -> Iterator[str]:
    with serving(Settings(mini_store, sparql_max_rows=MAX_ROWS, sparql_timeout_s=2.0, sparql_workers=1)) as url:
        yield url


def test_time_limit_stops_a_slow_query_without_stalling_other_requests(slow_server: str) -> None:
    with httpx.Client(base_url=slow_server, timeout=60) as client:
        assert client.get("/sparql", params={"query": COUNT}).status_code == 200  # the worker is up
        finished: dict[str, float] = {}

        def slow() -> None:
            finished["response"] = client.get("/sparql", params={"query": SLOW})
            finished["slow"] = time.monotonic()

        runner = threading.Thread(target=slow)
        runner.start()
        time.sleep(0.3)
        route = client.get(
            "/api/v1/routes",
            params={
                "from": "IL-CT-hengfeng-spinner-senior-technician",
                "to": "IL-CT-js-hrss-spinner-senior-technician",
            },
        )
        answered = time.monotonic()
        runner.join()
        assert route.status_code == 200
        assert answered < finished["slow"], "a route lookup waited for the slow query"
        body = is_problem(finished["response"], 400)
        assert "CERTBRIDGE_SPARQL_TIMEOUT_S" in body["detail"]
        assert client.get("/sparql", params={"query": COUNT}).status_code == 200  # a fresh worker answers


def test_query_workers_yield_the_processor_to_the_server(mini_store: Path) -> None:
    """A long query must not take the cores route lookups need: its worker runs in the idle scheduling class."""
    pool = QueryPool(mini_store, size=1)
    try:
        job = Job("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", (), (), "json", None, 10)
        assert pool.run(job, timeout=60).kind == "select"  # the worker is up and answering
        (pid,) = pool.pids()
        assert os.sched_getscheduler(pid) == WORKER_SCHEDULER == os.SCHED_IDLE
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the server itself keeps its normal class
    finally:
        pool.close()


def test_query_page_works_offline_and_lists_the_examples(http: httpx.Client) -> None:
    page = http.get("/query")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "PREFIX cb:" in page.text
    names = [e["name"] for e in http.get("/api/v1/examples").json()["examples"]]
    assert all(f'data-example="{name}"' in page.text for name in names), "a reader without JavaScript sees them"
    assert not re.search(r'(src|href)="(https?:)?//', page.text), "the page must load nothing from the internet"
    loaded = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert {"/query/static/yasgui.min.js", "/query/static/yasgui.min.css", "/query/static/query.js"} <= set(loaded)
    for path in loaded:
        asset = http.get(path)
        media = asset.headers["content-type"].split(";")[0]
        assert asset.status_code == 200 and media in ("text/javascript", "text/css"), path
    config = json.loads(re.search(r'id="certbridge-query-config">(.*?)</script>', page.text, re.DOTALL)[1])
    assert config["endpoint"] == "/sparql" and [e["name"] for e in config["examples"]] == names
    assert http.get("/sparql", headers={"Accept": "text/html"}).text == page.text
    for name in ("../app.py", "yasgui.min.js.map", "README.md", "..%2F..%2Fpyproject.toml", "query.js%00"):
        is_problem(http.get(f"/query/static/{name}"), 404)


def test_every_example_query_answers_through_the_endpoint(http: httpx.Client) -> None:
    examples = http.get("/api/v1/examples").json()["examples"]
    assert len(examples) >= 12
    for example in examples:
        response = http.post("/sparql", data={"query": example["query"]}, headers={"Accept": "text/csv"})
        assert response.status_code in (200, 400), example["name"]
        if response.status_code == 400:  # only the row cap of this test server may refuse an example
            assert "CERTBRIDGE_SPARQL_MAX_ROWS" in response.json()["detail"], example["name"]


def test_download_links_choose_the_format(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": COUNT, "accept": "csv"})
    assert response.headers["content-type"].startswith("text/csv") and response.text.split() == ["n", "5"]


def test_entity_details_with_provenance(http: httpx.Client) -> None:
    body = http.get("/api/v1/certificates/IL-CT-hengfeng-spinner-senior-technician").json()
    predicates = {s["predicate"] for s in body["statements"]}
    assert {"cb:issuedBy", "cb:atGrade", "dcterms:source", "cb:illustrative", "cb:qualification"} <= predicates
    graphs = {s["graph"] for s in body["statements"]}
    assert {"data:certificate_types", "cbg:inferred"} <= graphs  # asserted and inferred told apart
    occupation = http.get("/api/v1/occupations/6-04-02-01").json()
    assert any(s["label_zh"] == "纺纱人员" for s in occupation["statements"])
    assert http.get("/api/v1/agreements/IL-AG01").json()["incoming_links"] > 0
    is_problem(http.get("/api/v1/issuers/nobody"), 404)
    assert "certificates" in is_problem(http.get("/api/v1/planets/mars"), 422)["detail"]  # kind is an enum


def test_dereferencing_answers_html_or_rdf(http: httpx.Client) -> None:
    page = http.get("/id/occupation/6-04-02-01", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "纺纱工" in page.text
    turtle = http.get("/id/occupation/6-04-02-01", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert len(graph) > 5
    is_problem(http.get("/id/occupation/0-00-00-00", headers={"Accept": "text/turtle"}), 404)


@pytest.mark.parametrize(("fmt", "parse_as"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_bulk_graph_downloads(http: httpx.Client, fmt: str, parse_as: str) -> None:
    response = http.get(f"/api/v1/download/graph.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert len(Graph().parse(data=response.text, format=parse_as)) > 3000


def test_certificate_types_csv(http: httpx.Client) -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(http.get("/api/v1/download/certificate-types.csv").text)))
    assert len(rows) == 8 and all(row["illustrative"] == "true" for row in rows)
    is_problem(http.get("/api/v1/download/graph.xlsx"), 404)


@pytest.mark.parametrize("text", ["henfeng", "hengfeng gaojijishi", "dzhf gjjs", "Dezhou Hengfeng senior technician"])
def test_search_by_pinyin_or_english(http: httpx.Client, text: str) -> None:
    results = http.get("/api/v1/search", params={"q": text}).json()["results"]
    if text == "henfeng":
        assert results == []  # a wrong syllable finds nothing
    else:
        assert "IL-CT-hengfeng-spinner-senior-technician" in {r["iri"].rsplit("/", 1)[-1] for r in results}


def test_coverage_and_what_if_endpoints(http: httpx.Client, mini_store: Path, cli: Cli) -> None:
    response = http.get("/api/v1/coverage", params={"by": "region", "as_of": "2024-01-01"})
    expected = cli("coverage", "--store", mini_store, "--as-of", "2024-01-01", "--json")
    assert response.status_code == 200 and response.json() == json.loads(expected.stdout)
    assert "query.by" in is_problem(http.get("/api/v1/coverage", params={"by": "planet"}), 422)["detail"]
    header = (
        "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
        "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\n"
    )
    good = header + "H1,mutual,region:130000;region:330000,,,6-04,,,,2023-01-01,\n"
    answer = http.post(
        "/api/v1/what-if", params={"as_of": "2024-01-01"}, content=good.encode(), headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 200
    assert answer.json()["after"]["total"]["covered"] >= answer.json()["before"]["total"]["covered"]
    bad = is_problem(
        http.post(
            "/api/v1/what-if",
            content=(header + "H1,sideways,,,,,,,,2023,\n").encode(),
            headers={"Content-Type": "text/csv"},
        ),
        422,
    )
    assert "what-if.csv:2: direction" in bad["detail"]


def test_neighbourhood_json(http: httpx.Client) -> None:
    body = http.get(
        "/api/v1/neighbourhood", params={"id": "certificate-type/IL-CT-hengfeng-spinner-senior-technician", "depth": 1}
    ).json()
    iris = {node["iri"].rsplit("/", 1)[-1] for node in body["nodes"]}
    assert {"hengfeng", "6-04-02-01", "senior-technician", "6-04-02-01-2019"} <= iris
    center = next(n for n in body["nodes"] if n["iri"] == body["center"])
    assert center["illustrative"] is True and "cb:CertificateType" in center["types"]
    assert all(e["source"] in {n["iri"] for n in body["nodes"]} for e in body["edges"])
    small = http.get("/api/v1/neighbourhood", params={"id": "occupation/6-04-02-01", "depth": 2, "limit": 5}).json()
    assert len(small["nodes"]) == 5 and small["truncated"] is True
    is_problem(http.get("/api/v1/neighbourhood", params={"id": "occupation/0-00"}), 404)


def test_search_by_type(http: httpx.Client) -> None:
    body = http.get("/api/v1/search", params={"q": "纺纱工", "type": "occupation,issuer"}).json()
    assert body["results"] and {r["type"] for r in body["results"]} <= {"occupation", "issuer"}
    assert any(r["iri"].endswith("occupation/6-04-02-01") for r in body["results"])
    assert "query.type" in is_problem(http.get("/api/v1/search", params={"q": "x", "type": "person"}), 422)["detail"]


def test_every_endpoint_errs_in_the_same_shape(http: httpx.Client) -> None:
    """Each operation, sent without its parameters or body (and with a bogus path), fails as problem+json."""
    failed = []
    for path, operations in http.get("/openapi.json").json()["paths"].items():
        for method in operations:
            url = re.sub(r"\{[^}]+\}", "no-such-thing", path)
            response = http.request(method, url, headers={"Accept": "application/json"})
            if response.status_code >= 400:
                is_problem(response, response.status_code)
                failed.append(f"{method.upper()} {path}")
    assert len(failed) >= 12, failed  # routes, search, coverage cells, entities, writes, SPARQL POST, …
