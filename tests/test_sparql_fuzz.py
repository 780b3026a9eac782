"""Fuzzing /sparql on a real server on loopback: every answer is a clear 4xx or a documented 503, never a 500 or a hang.

Malformed, huge, deeply nested and wrongly encoded queries, bad graph IRIs and SERVICE smuggling go over GET, POST
forms and POST application/sparql-query bodies. Each answer comes within the client's timeout (a hang fails the
test) and is < 500, or a 503 with Retry-After; afterwards the health check reports every query worker live and a
normal query answers. Also: a slow query on either method does not hold up a route lookup (nothing on the
/sparql path blocks the event loop).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.network import SLOW_TEXT
from helpers.serving import COUNT, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.settings import Settings

WORKERS = 2
MAX_BYTES = 30_000
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
QUERY = {"Content-Type": "application/sparql-query"}
ROUTE = {"from": "IL-CT-hengfeng-spinner-senior-technician", "to": "IL-CT-js-hrss-spinner-senior-technician"}


@pytest.fixture(scope="module")
def server(mini_store: Path) -> Iterator[str]:
    limits = Settings(
        mini_store,
        sparql_workers=WORKERS,
        sparql_timeout_s=3.0,
        sparql_queue_timeout_s=3.0,
        sparql_max_query_bytes=MAX_BYTES,
        sparql_max_rows=100,
    )
    with serving(limits) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            deadline = time.monotonic() + 60
            while (
                time.monotonic() < deadline
                and (client.get("/api/v1/health").json()["query_workers"] or {}).get("live") != WORKERS
            ):
                time.sleep(0.1)
        yield url


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=httpx.Timeout(30.0)) as client:
        yield client


def clear(response: httpx.Response) -> httpx.Response:
    """A correct answer, a problem+json 4xx, or a 503 with Retry-After; never a 500."""
    status = response.status_code
    assert status < 500 or (status == 503 and "retry-after" in response.headers), (status, response.text[:300])
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), response.text[:300]
        assert response.json()["detail"]
    return response


def healthy(http: httpx.Client) -> None:
    """The pool is at full strength and a normal query answers."""
    workers = http.get("/api/v1/health").json()["query_workers"]
    assert workers == {"size": WORKERS, "live": WORKERS, "isolated": True}
    assert http.get("/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"] == "5"


def send(http: httpx.Client, method: str, text: str, **params: str) -> httpx.Response:
    if method == "GET":
        return http.get("/sparql", params={"query": text, **params})
    if method == "form":
        return http.post("/sparql", params=params, data={"query": text})
    return http.post("/sparql", params=params, content=text.encode("utf-8", "surrogatepass"), headers=QUERY)


METHODS = ["GET", "form", "body"]
NESTED = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("named-graph-uri", ""),
        ("named-graph-uri", "null"),
        ("default-graph-uri", "relative"),
        ("default-graph-uri", "http://x y"),
        ("named-graph-uri", "http://example.org/\x00"),
    ],
)
def test_bad_graph_iris_are_400_and_harm_no_worker(http: httpx.Client, method: str, name: str, value: str) -> None:
    for _ in range(3):  # the outside client needed two such requests to disable /sparql
        response = clear(send(http, method, "ASK {}", **{name: value}))
        assert response.status_code == 400 and "absolute IRI" in response.json()["detail"]
    healthy(http)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (NESTED, "CERTBRIDGE_SPARQL_MAX_DEPTH"),
        ("SELECT * WHERE { ?s ?p " + "[ ?p " * 60 + "1" + " ]" * 60 + " }", "CERTBRIDGE_SPARQL_MAX_DEPTH"),
        ("SELECT (" + "(" * 500 + "1" + ")" * 500 + " AS ?x) {}", "CERTBRIDGE_SPARQL_MAX_DEPTH"),
        ("ASK {} #" + "x" * MAX_BYTES, "CERTBRIDGE_SPARQL_MAX_QUERY_BYTES"),
        ("SELECT * WHERE { OPTIONAL { ?s occ:a\\#b ?o } SERVICE <http://127.0.0.1:9/x> { ?x ?y ?z } }", "SERVICE"),
        ('SELECT * { ?s ?p "unclosed }', "cannot be read"),
        ("SELECT * { ?s ?p ?o } \x00", "cannot be read"),
        ("SELECT * { BIND(REGEX('a', '(') AS ?x) }", ""),
        ("SELECT * { ?s ?p ?o } LIMIT 99999999999999999999999", "syntax error"),
    ],
    ids=["10000-groups", "brackets", "parentheses", "huge", "service", "unclosed", "nul", "regex", "limit"],
)
def test_hostile_queries_are_answered_clearly(http: httpx.Client, method: str, text: str, fragment: str) -> None:
    response = clear(send(http, method, text))
    if fragment:
        assert response.status_code == 400 and fragment in response.json()["detail"], response.text[:300]


@pytest.mark.parametrize(
    ("url", "content", "headers"),
    [
        ("/sparql", b"ASK { ?s ?p '\xff\xfe' }", QUERY),
        ("/sparql", b"query=ASK%20%7B%7D%FF", FORM),
        ("/sparql", b"query=ASK \xff {}", FORM),
        ("/sparql", b"query=%ZZ%", FORM),
        ("/sparql", b"query=ASK%20{}&query", FORM),
        ("/sparql", b"ASK {}", {"Content-Type": "application/sparql-query; charset=latin-1"}),
        ("/sparql", b"\x00" * 100, {"Content-Type": "application/octet-stream"}),
        ("/sparql", b"x" * (4 * MAX_BYTES), QUERY),
        ("/sparql", b"query=" + b"%41" * (2 * MAX_BYTES), FORM),
        ("/sparql?query=ASK%20%7B%7D%ZZ", b"", FORM),
        ("/sparql?query=%C3%28&default-graph-uri=%FF", b"", FORM),
    ],
    ids=["utf8-body", "utf8-percent", "utf8-raw", "bad-percent", "two-queries", "latin1", "binary", "long-body",
         "long-form", "get-bad-percent", "get-bad-utf8"],
)  # fmt: skip
def test_wrongly_encoded_requests_are_4xx(http: httpx.Client, url: str, content: bytes, headers: dict) -> None:
    response = clear(http.post(url, content=content, headers=headers))
    assert 400 <= response.status_code < 500
    get = clear(http.get(url))
    assert get.status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(METHODS),
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                ["SELECT", "*", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "<http://x/>", "'a'", '"""b"""', "#c\n",
                 "SERVICE", "\\u0053ERVICE", "ex:a\\#b", "OPTIONAL", "FILTER", "<", ">", "1", ".", ";", ",", "GRAPH",
                 "ASK", "CONSTRUCT", "DESCRIBE", "a", "cb:Occupation", "\\", "'''", '"', "@en", "^^", "LIMIT"]
            ),
            max_size=40,
        ).map(" ".join),
    ),
    graph=st.one_of(st.none(), st.text(max_size=20)),
)  # fmt: skip
def test_any_query_text_gets_a_clear_answer(http: httpx.Client, method: str, text: str, graph: str | None) -> None:
    params = {} if graph is None else {"default-graph-uri": graph}
    clear(send(http, method, text, **params))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=300),
    media=st.sampled_from(["application/sparql-query", "application/x-www-form-urlencoded"]),
    prefix=st.sampled_from([b"", b"query=", b"query=ASK%20%7B%7D&default-graph-uri="]),
)
def test_any_body_gets_a_clear_answer(http: httpx.Client, body: bytes, media: str, prefix: bytes) -> None:
    clear(http.post("/sparql", content=prefix + body, headers={"Content-Type": media}))


def test_a_flood_of_slow_queries_is_told_to_retry_and_health_still_answers(http: httpx.Client, server: str) -> None:
    answers: list[httpx.Response] = []

    def slow() -> None:
        with httpx.Client(base_url=server, timeout=30) as client:
            answers.append(client.get("/sparql", params={"query": SLOW_TEXT}))

    threads = [threading.Thread(target=slow) for _ in range(4 * WORKERS + 4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert http.get("/api/v1/health").status_code == 200
    assert time.monotonic() - started < 2
    for thread in threads:
        thread.join(60)
    statuses = sorted(clear(response).status_code for response in answers)
    assert len(statuses) == len(threads) and set(statuses) <= {400, 503} and 503 in statuses
    healthy(http)


@pytest.mark.parametrize("method", ["GET", "body"])
def test_a_slow_query_does_not_hold_up_a_route_lookup(http: httpx.Client, server: str, method: str) -> None:
    assert http.get("/api/v1/routes", params=ROUTE).status_code == 200  # warm
    finished: dict[str, float] = {}

    def slow() -> None:
        with httpx.Client(base_url=server, timeout=30) as client:
            send(client, method, SLOW_TEXT)
        finished["slow"] = time.monotonic()

    threads = [threading.Thread(target=slow) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    route = http.get("/api/v1/routes", params=ROUTE)
    answered = time.monotonic()
    for thread in threads:
        thread.join(30)
    assert route.status_code == 200
    assert answered - started < 1.0, f"a route lookup took {answered - started:.2f} s while slow queries ran"
    assert answered < finished["slow"]


def test_after_all_this_the_pool_is_full_and_answers(http: httpx.Client) -> None:
    healthy(http)
