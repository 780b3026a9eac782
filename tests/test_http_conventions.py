"""HTTP conventions over a real server on loopback: content negotiation, HEAD, OPTIONS, Allow, Vary, validators
and caching, the Graph Store reads at /store and the VoID description at /.well-known/void."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.responses import FileResponse
from helpers.data import MINI_DATA
from helpers.serving import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, Namespace, URIRef

from certbridge.api.app import create_app
from certbridge.api.conventions import DATA_VERSION, built_at
from certbridge.api.negotiation import GRAPHS, HTML, RESULTS, Offer, media_type, negotiate
from certbridge.api.settings import Settings
from certbridge.graph.build import build
from certbridge.graph.store import store_at
from certbridge.ontology import GRAPH

MAX_AGE = 123
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?o a cb:Occupation }"
CONSTRUCT = "CONSTRUCT { ?r a cb:Region } WHERE { ?r a cb:Region }"
OCCUPATION = "/id/occupation/6-04-02-01"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
OCCUPATIONS_GRAPH = f"{GRAPH}data/occupations"
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
#: rdflib's parser name for each RDF media type the server offers
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def base_url(mini_store: Path) -> Iterator[str]:
    with serving(Settings(mini_store, cache_max_age_s=MAX_AGE)) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def count(http: httpx.Client, query: str) -> int:
    response = http.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def graph_counts(http: httpx.Client) -> dict[str, int]:
    response = http.get(
        "/sparql", params={"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"}
    )
    return {row["g"]["value"]: int(row["n"]["value"]) for row in response.json()["results"]["bindings"]}


# --- content negotiation, as the issue lists its failures ---


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (CONSTRUCT, "text/turtle;q=0, */*", "application/n-triples"),  # q=0 refuses Turtle, even beside */*
        (COUNT, "text/*;q=0.5, text/csv;q=0", "text/tab-separated-values"),  # and CSV beside text/*
        (COUNT, "application/json", "application/sparql-results+json"),  # the aliases, as Oxigraph maps them
        (CONSTRUCT, "application/json", "application/ld+json"),
        (COUNT, "application/xml", "application/sparql-results+xml"),
        (CONSTRUCT, "application/xml", "application/rdf+xml"),
        (COUNT, "text/plain", "text/csv"),
        (CONSTRUCT, "text/plain", "application/n-triples"),
        (COUNT, "*/*", "application/sparql-results+json"),  # the default is the first offered
        (CONSTRUCT, "application/*", "application/n-triples"),
        (COUNT, "text/csv;q=0.4, application/sparql-results+xml;q=0.5", "application/sparql-results+xml"),
        (CONSTRUCT, "application/ld+json;q=0.9, text/turtle", "text/turtle"),
    ],
)
def test_sparql_negotiation_honours_q_wildcards_and_aliases(
    http: httpx.Client, query: str, accept: str, expected: str
) -> None:
    response = http.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert media(response) == expected
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize(
    ("query", "accept"), [(COUNT, "text/turtle"), (CONSTRUCT, "text/csv"), (COUNT, "text/*;q=0, application/*;q=0")]
)
def test_406_when_nothing_offered_is_acceptable(http: httpx.Client, query: str, accept: str) -> None:
    response = http.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 406 and media(response) == "application/problem+json"
    assert "offered" in response.json()["detail"]
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("path", [OCCUPATION, "/sparql"])
def test_an_rdf_client_gets_rdf_even_when_it_lists_html_lower(http: httpx.Client, path: str) -> None:
    response = http.get(path, headers={"Accept": "text/turtle, text/html;q=0.2"})
    assert response.status_code == 200 and media(response) == "text/turtle"
    assert len(Graph().parse(data=response.text, format="turtle")) > 0
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("path", [OCCUPATION, "/sparql"])
def test_a_browser_gets_html(http: httpx.Client, path: str) -> None:
    response = http.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200 and media(response) == "text/html"
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("path", ["/problems", "/problems/not-found"])
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER, "text/html"),
        ("text/html;q=0, application/json", "application/json"),  # q=0 refuses HTML even when it is named first
        ("application/json;q=0.1, text/html;q=0.5", "text/html"),
        ("*/*", "application/json"),
        (None, "application/json"),
    ],
)
def test_problem_pages_are_negotiated_with_q_values(http: httpx.Client, path: str, accept, expected: str) -> None:
    response = http.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and media(response) == expected
    assert "Accept" in response.headers["vary"]


def test_dereferencing_refuses_what_q_zero_excludes(http: httpx.Client) -> None:
    assert http.get(OCCUPATION, headers={"Accept": "text/turtle;q=0, text/html;q=0"}).status_code == 406
    assert media(http.get(OCCUPATION, headers={"Accept": "text/html;q=0, */*"})) == "text/turtle"


# --- the property: the chosen type has the highest q, never q=0, and nothing exactly when none is acceptable ---

#: the aliases a client may send for each format (the test's own table, after Oxigraph's from_media_type)
ALIASES: dict[Offer, tuple[str, ...]] = {
    ox.QueryResultsFormat.JSON: ("application/sparql-results+json", "application/json"),
    ox.QueryResultsFormat.XML: ("application/sparql-results+xml", "application/xml"),
    ox.QueryResultsFormat.CSV: ("text/csv", "text/plain"),
    ox.QueryResultsFormat.TSV: ("text/tab-separated-values", "text/tsv"),
    ox.RdfFormat.TURTLE: ("text/turtle", "application/x-turtle"),
    ox.RdfFormat.N_TRIPLES: ("application/n-triples", "text/plain"),
    ox.RdfFormat.JSON_LD: ("application/ld+json", "application/json"),
    ox.RdfFormat.RDF_XML: ("application/rdf+xml", "application/xml"),
    HTML: ("text/html",),
}
OFFERS = st.sampled_from([RESULTS, (*GRAPHS, HTML), GRAPHS])
QS = st.one_of(st.none(), st.sampled_from([0, 0.001, 0.1, 0.2, 0.5, 0.8, 0.9, 1]))
OTHERS = ("image/png", "application/pdf", "text/x-unknown")


def _q(text: str | None) -> str:
    return "" if text is None else f";q={text}"


@st.composite
def accept_headers(draw: st.DrawFn, offered: tuple[Offer, ...]) -> tuple[str, dict[Offer, float]]:
    """An Accept header over the offered types (each named once, by its type or an alias), wildcards and others,
    and the q the RFC gives each offered type: that of the range naming it, else of its type/*, else of */*
    (an empty header accepts anything)."""
    named = draw(st.lists(st.sampled_from(offered), unique=True))
    wildcards = draw(st.lists(st.sampled_from(["*/*", "text/*", "application/*"]), unique=True))
    others = draw(st.lists(st.sampled_from(OTHERS), unique=True, max_size=2))
    ranges: list[tuple[str, float]] = []
    for offer in named:
        aliases = [a for a in ALIASES[offer] if sum(a in ALIASES[o] for o in offered) == 1]
        ranges.append((draw(st.sampled_from(aliases)), draw(QS)))
    ranges += [(wildcard, draw(QS)) for wildcard in wildcards]
    ranges += [(other, draw(QS)) for other in others]
    ranges = draw(st.permutations(ranges))
    header = ", ".join(f"{text}{_q(q)}" for text, q in ranges)
    given_q = {text: 1.0 if q is None else float(q) for text, q in ranges} or {"*/*": 1.0}  # no ranges: anything
    expected: dict[Offer, float] = {}
    for offer in offered:
        kind = media_type(offer).split("/")[0]
        exact = [given_q[alias] for alias in ALIASES[offer] if alias in given_q]
        expected[offer] = (exact or [given_q.get(f"{kind}/*", given_q.get("*/*", 0.0))])[0]
    return header, expected


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_negotiation_picks_a_highest_q_type_and_never_a_refused_one(data: st.DataObject) -> None:
    offered = data.draw(OFFERS)
    header, expected = data.draw(accept_headers(offered))
    chosen = negotiate(header, offered)
    best = max(expected.values())
    if best == 0:
        assert chosen is None, (header, chosen)
    else:
        assert chosen is not None and expected[chosen] == best, (header, chosen, expected)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255)), OFFERS)
def test_any_accept_header_is_read_without_error(header: str, offered: tuple[Offer, ...]) -> None:
    """Whatever a client sends, negotiation answers an offered format or nothing (a 406), never an exception."""
    assert negotiate(header, offered) in (None, *offered)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_endpoint_answers_406_exactly_when_nothing_is_acceptable(http: httpx.Client, data: st.DataObject) -> None:
    header, expected = data.draw(accept_headers(RESULTS))
    response = http.get("/sparql", params={"query": COUNT}, headers={"Accept": header})
    best = max(expected.values())
    if best == 0:
        assert response.status_code == 406, header
    else:
        assert response.status_code == 200, (header, response.text)
        chosen = next(offer for offer in RESULTS if media_type(offer) == media(response))
        assert expected[chosen] == best, header


# --- HEAD, OPTIONS, Allow ---


def _get_routes(http: httpx.Client) -> list[str]:
    """A URL for every GET route of the app: the documented ones (path parameters and query from their
    examples) and the undocumented ones of app.routes (the docs pages)."""
    urls = []
    for path, operations in http.get("/openapi.json").json()["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        values = {p["name"]: (p["in"], _example(p)) for p in parameters}
        url = path.format(**{name: value for name, (where, value) in values.items() if where == "path"})
        query = [(name, value) for name, (where, value) in values.items() if where == "query" and value is not None]
        urls.append(
            str(httpx.URL(url, params=[(n, v) for n, vs in query for v in (vs if isinstance(vs, list) else [vs])]))
        )
    app = create_app(Settings(Path("unused")))
    urls += [route.path for route in app.routes if "GET" in (getattr(route, "methods", None) or ())]
    return urls


def _example(parameter: dict) -> object:
    for holder in (parameter, parameter.get("schema", {})):
        if "example" in holder:
            return holder["example"]
        if holder.get("examples"):
            examples = holder["examples"]
            return examples[0] if isinstance(examples, list) else next(iter(examples.values()))["value"]
    return None


def test_head_equals_get_without_a_body_on_every_get_route(http: httpx.Client) -> None:
    urls = _get_routes(http)
    assert {"/sparql", "/store", "/.well-known/void", "/docs", "/openapi.json"} <= {u.split("?")[0] for u in urls}
    unanswered = []
    for url in urls:
        get, head = http.get(url), http.head(url)
        assert head.status_code == get.status_code, url
        assert head.content == b"", url
        assert {k: v for k, v in head.headers.items() if k != "date"} == {
            k: v for k, v in get.headers.items() if k != "date"
        }, url
        if get.status_code != 200:
            unanswered.append(url)
    assert unanswered == []  # each route's examples get a real answer, so its headers are compared too


def test_options_answers_allow(http: httpx.Client) -> None:
    response = http.options("/sparql")
    assert response.status_code == 204 and response.content == b""
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert http.options("/api/v1/agreements").headers["allow"] == "OPTIONS, POST"
    assert http.options("/no/such/page").status_code == 404


def test_cors_preflight_still_works(http: httpx.Client) -> None:
    response = http.options(
        "/sparql",
        headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    exposed = http.get("/api/v1/health", headers={"Origin": "https://yasgui.example"})
    assert "ETag" in exposed.headers["access-control-expose-headers"]


def test_every_405_carries_allow(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    checked = 0
    for path, operations in paths.items():
        url = re.sub(r"\{[^}]+\}", "x", path)
        methods = {m.upper() for m in operations}
        for method in {"GET", "POST", "PUT", "DELETE", "PATCH"} - methods:
            response = http.request(method, url)
            if response.status_code != 405:
                continue  # another route of the same shape answers (/api/v1/{kind}/{key} beside /api/v1/x/y)
            allowed = set(response.headers["allow"].split(", "))
            assert methods <= allowed and "OPTIONS" in allowed, (method, url, allowed)
            assert ("HEAD" in allowed) == ("GET" in allowed)
            checked += 1
    assert checked > 20


# --- validators and caching ---


def test_reads_carry_validators_and_revalidate(http: httpx.Client, mini_store: Path) -> None:
    version = store_at(mini_store).current_version()
    assert version is not None
    for url in (
        "/sparql?query=ASK%7B%7D",
        OCCUPATION,
        "/api/v1/search?q=spinner",
        "/api/v1/download/graph.ttl",
        "/query",
    ):
        response = http.get(url)
        assert response.status_code == 200, url
        etag, modified = response.headers["etag"], response.headers["last-modified"]
        assert version.name in etag and response.headers[DATA_VERSION] == version.name
        assert parsedate_to_datetime(modified) == built_at(version).replace(microsecond=0)
        assert response.headers["cache-control"] == f"public, max-age={MAX_AGE}"
        again = http.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, url
        assert http.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
        assert http.get(url, headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
        assert http.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert http.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
        # If-None-Match decides when both are sent
        both = {"If-None-Match": 'W/"other"', "If-Modified-Since": modified}
        assert http.get(url, headers=both).status_code == 200


def test_the_sources_page_is_a_page_for_people_validated_by_its_own_text(http: httpx.Client) -> None:
    """/sources answers in the language a cookie remembers, so it is private and revalidated by its own text (the
    shell's rule for pages for people), not by the store version both languages share."""
    chinese, english = (http.get("/sources", params={"lang": lang}) for lang in ("zh", "en"))
    assert chinese.headers["cache-control"] == english.headers["cache-control"] == "private, no-cache"
    assert chinese.headers["etag"] != english.headers["etag"]
    again = http.get("/sources", params={"lang": "en"}, headers={"If-None-Match": english.headers["etag"]})
    assert again.status_code == 304


def test_health_is_never_reused_by_a_cache(http: httpx.Client) -> None:
    """Health reports the query workers' live state: a cache or a 304 would hide a dead pool."""
    response = http.get("/api/v1/health")
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers
    assert http.get("/api/v1/health", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    assert http.get("/api/v1/health", headers={"If-None-Match": "*"}).status_code == 200
    assert response.headers[DATA_VERSION]  # the data version is still named


def test_each_representation_has_its_own_etag(http: httpx.Client) -> None:
    json_answer = http.get("/sparql", params={"query": COUNT})
    csv_answer = http.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert json_answer.headers["etag"] != csv_answer.headers["etag"]
    assert (
        http.get(
            "/sparql",
            params={"query": COUNT},
            headers={"Accept": "text/csv", "If-None-Match": json_answer.headers["etag"]},
        ).status_code
        == 200
    )


def test_errors_are_not_validated_but_name_the_version(http: httpx.Client, mini_store: Path) -> None:
    response = http.get("/sparql", params={"query": "SELEC"})
    assert response.status_code == 400 and "etag" not in response.headers
    assert response.headers[DATA_VERSION] == store_at(mini_store).current_version().name
    posted = http.post("/sparql", data={"query": COUNT})
    assert posted.status_code == 200 and "etag" not in posted.headers and DATA_VERSION in posted.headers


def test_a_new_store_version_changes_the_etag(tmp_path: Path) -> None:
    location = tmp_path / "store"
    build(MINI_DATA, location)
    with serving(Settings(location)) as url, httpx.Client(base_url=url, timeout=30) as client:
        first = client.get("/api/v1/search?q=spinner")
        build(MINI_DATA, location)
        second = client.get("/api/v1/search?q=spinner", headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 200
        assert second.headers[DATA_VERSION] != first.headers[DATA_VERSION]
        assert second.headers["etag"] != first.headers["etag"]


# --- the Graph Store Protocol, read side ---


@pytest.mark.parametrize("accept", list(RDFLIB_FORMAT))
def test_a_named_graph_in_each_format_has_the_triples_sparql_counts(http: httpx.Client, accept: str) -> None:
    response = http.get("/store", params={"graph": OCCUPATIONS_GRAPH}, headers={"Accept": accept})
    assert response.status_code == 200 and media(response) == accept
    assert "Accept" in response.headers["vary"]
    parsed = Graph().parse(data=response.content, format=RDFLIB_FORMAT[accept])
    assert len(parsed) == count(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{OCCUPATIONS_GRAPH}> {{ ?s ?p ?o }} }}")


def test_every_named_graph_reads_back_whole(http: httpx.Client) -> None:
    counts = graph_counts(http)
    assert len(counts) > 5
    for graph, n in counts.items():
        response = http.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
        assert len(Graph().parse(data=response.content, format="nt")) == n, graph


@pytest.mark.parametrize("accept", list(RDFLIB_FORMAT))
def test_the_default_graph_is_the_union(http: httpx.Client, accept: str) -> None:
    response = http.get("/store?default", headers={"Accept": accept})
    assert response.status_code == 200 and media(response) == accept
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    assert len(Graph().parse(data=response.content, format=RDFLIB_FORMAT[accept])) == count(http, distinct)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ("", 400),
        (f"?graph={OCCUPATIONS_GRAPH}&default", 400),
        (f"?graph={OCCUPATIONS_GRAPH}&graph={OCCUPATIONS_GRAPH}", 400),
        ("?graph=not-an-iri", 400),
        ("?graph=https://example.org/no-such-graph", 404),
    ],
)
def test_graph_store_refusals(http: httpx.Client, params: str, status: int) -> None:
    for response in (http.get(f"/store{params}"), http.head(f"/store{params}")):
        assert response.status_code == status
    assert media(http.get(f"/store{params}")) == "application/problem+json"


def test_graph_store_negotiates(http: httpx.Client) -> None:
    assert http.get("/store?default", headers={"Accept": "text/csv"}).status_code == 406
    assert media(http.get("/store?default")) == "text/turtle"
    assert media(http.get("/store?default", headers={"Accept": "application/json"})) == "application/ld+json"


# --- the descriptions ---


@pytest.mark.parametrize("accept", list(RDFLIB_FORMAT))
def test_void_has_the_triples_of_each_graph(http: httpx.Client, mini_store: Path, accept: str) -> None:
    response = http.get("/.well-known/void", headers={"Accept": accept})
    assert response.status_code == 200 and media(response) == accept
    assert "Accept" in response.headers["vary"]
    void = Graph().parse(data=response.content, format=RDFLIB_FORMAT[accept])
    rows = void.query(
        "SELECT ?g ?n WHERE { ?d void:subset ?s . ?s void:triples ?n . ?named sd:graph ?s ; sd:name ?g }",
        initNs={"void": VOID, "sd": SD},
    )
    assert {str(row.g): int(row.n) for row in rows} == graph_counts(http)
    dataset = next(void.subjects(VOID.subset, None))
    version = store_at(mini_store).current_version()
    assert version is not None
    (modified,) = void.objects(dataset, DCTERMS.modified)
    assert isinstance(modified, Literal) and modified.toPython() == built_at(version)
    (licence,) = void.objects(dataset, DCTERMS.license)
    terms = http.get(str(licence))
    assert terms.status_code == 200 and "Licences" in terms.text
    dumps = set(void.objects(dataset, VOID.dataDump))
    assert {str(d).rsplit(".", 1)[-1] for d in dumps} == {"ttl", "nt", "jsonld", "trig", "nq"}
    for dump in sorted(dumps):
        assert http.head(str(dump)).status_code == 200, dump
    graph_dumps = {str(o) for s in void.objects(dataset, VOID.subset) for o in void.objects(s, VOID.dataDump)}
    assert all(http.head(dump).status_code == 200 for dump in sorted(graph_dumps)[:3])


@pytest.mark.parametrize("accept", list(RDFLIB_FORMAT))
def test_the_service_description_in_each_rdf_format(http: httpx.Client, base_url: str, accept: str) -> None:
    response = http.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and media(response) == accept
    assert "Accept" in response.headers["vary"]
    description = Graph().parse(data=response.content, format=RDFLIB_FORMAT[accept])
    service = URIRef(f"{base_url}/sparql")
    assert (service, SD.endpoint, service) in description
    formats = set(description.objects(service, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV") in formats
    assert URIRef("http://www.w3.org/ns/formats/JSON-LD") in formats
    (dataset,) = description.objects(service, SD.defaultDataset)
    assert (dataset, VOID.triples, None) in description  # the same VoID dataset as /.well-known/void


def test_a_route_that_sets_its_own_validators_keeps_them(mini_store: Path, tmp_path: Path) -> None:
    """A file answered with its own ETag and Last-Modified (as a static asset is) is revalidated by those."""
    asset = tmp_path / "asset.js"
    asset.write_text("console.log('certbridge');\n")
    settings = Settings(mini_store)
    app = create_app(settings)
    app.add_api_route("/test-asset", lambda: FileResponse(asset, media_type="text/javascript"), methods=["GET"])
    with serving(settings, app=app) as url, httpx.Client(base_url=url, timeout=30) as client:
        first = client.get("/test-asset")
        own = FileResponse(asset, stat_result=asset.stat())  # the validators Starlette gives the file
        assert first.headers["etag"] == own.headers["etag"]
        assert first.headers["last-modified"] == own.headers["last-modified"]
        assert client.get("/test-asset", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        assert (
            client.get("/test-asset", headers={"If-Modified-Since": first.headers["last-modified"]}).status_code == 304
        )
        assert DATA_VERSION in first.headers
