"""The W3C SPARQL 1.1 Protocol tests (w3c/rdf-tests, sparql/sparql11/protocol) that apply to a read-only endpoint.

One test per manifest entry, named after it. The endpoint is a real uvicorn server over a store holding
the graphs the tests name (``http://kasei.us/2009/09/sparql/data/dataN.rdf``, each describing itself as
a document, which is what the tests ask of them). The positive ``update_*`` entries do not apply: the
public endpoint is read-only, so every update is refused (the ``bad_update_*`` entries check that it is
refused with a 4xx and that nothing changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest
from helpers.serving import serving
from rdflib import Graph

from certbridge.api.settings import Settings
from certbridge.graph.store import EmbeddedStore

DATA = "http://kasei.us/2009/09/sparql/data/"
FOAF_DOCUMENT = ox.NamedNode("http://xmlns.com/foaf/0.1/Document")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
ASK_BOTH_NAMED = f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
SPARQL_QUERY = {"Content-Type": "application/sparql-query"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")
#: a literal holding a carriage return, which an XML answer must carry as ``&#13;`` to read back unchanged
TEXT_GRAPH = ox.NamedNode("http://example.org/text")
NOTE = ox.NamedNode("http://example.org/note")
CR_TEXT = "line one\r\nline two"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("protocol") / "store"
    with EmbeddedStore(location).writable_version() as store:
        for n in (1, 2, 3):
            graph = ox.NamedNode(f"{DATA}data{n}.rdf")
            store.add(ox.Quad(graph, RDF_TYPE, FOAF_DOCUMENT, graph))
        store.add(ox.Quad(ox.NamedNode("http://example.org/noted"), NOTE, ox.Literal(CR_TEXT), TEXT_GRAPH))
    with serving(Settings(location)) as url:
        yield f"{url}/sparql"


@pytest.fixture
def http(endpoint: str) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def boolean(response: httpx.Response) -> bool:
    assert 200 <= response.status_code < 400, response.text
    media = response.headers["content-type"].split(";")[0]
    assert media in BOOLEAN_TYPES
    if media.endswith("json"):
        return response.json()["boolean"]
    return "<boolean>true</boolean>" in response.text


def refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_query_post_form(http: httpx.Client, endpoint: str) -> None:
    response = http.post(
        endpoint, params={"default-graph-uri": f"{DATA}data0.rdf"}, content="query=ASK%20%7B%7D", headers=FORM
    )
    assert boolean(response) is True


def test_query_dataset_default_graphs_get(http: httpx.Client, endpoint: str) -> None:
    query = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
    params = [("query", query), ("default-graph-uri", f"{DATA}data1.rdf"), ("default-graph-uri", f"{DATA}data2.rdf")]
    assert boolean(http.get(endpoint, params=params)) is True
    # and the protocol's dataset really is the one used: with only data1 as default graph, data2 is not seen
    assert boolean(http.get(endpoint, params=params[:2])) is False


def test_query_dataset_default_graphs_post(http: httpx.Client, endpoint: str) -> None:
    query = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
    params = [("default-graph-uri", f"{DATA}data1.rdf"), ("default-graph-uri", f"{DATA}data2.rdf")]
    assert boolean(http.post(endpoint, params=params, content=query, headers=SPARQL_QUERY)) is True


def test_query_dataset_named_graphs_post(http: httpx.Client, endpoint: str) -> None:
    params = [("named-graph-uri", f"{DATA}data1.rdf"), ("named-graph-uri", f"{DATA}data2.rdf")]
    assert boolean(http.post(endpoint, params=params, content=ASK_BOTH_NAMED, headers=SPARQL_QUERY)) is True
    assert boolean(http.post(endpoint, params=params[:1], content=ASK_BOTH_NAMED, headers=SPARQL_QUERY)) is False


def test_query_dataset_named_graphs_get(http: httpx.Client, endpoint: str) -> None:
    params = [
        ("query", ASK_BOTH_NAMED),
        ("named-graph-uri", f"{DATA}data1.rdf"),
        ("named-graph-uri", f"{DATA}data2.rdf"),
    ]
    assert boolean(http.get(endpoint, params=params)) is True


def test_query_dataset_full(http: httpx.Client, endpoint: str) -> None:
    query = (
        f"ASK {{ <{DATA}data3.rdf> a ?type GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} "
        f"GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
    )
    params = [
        ("default-graph-uri", f"{DATA}data3.rdf"),
        ("named-graph-uri", f"{DATA}data1.rdf"),
        ("named-graph-uri", f"{DATA}data2.rdf"),
    ]
    assert boolean(http.post(endpoint, params=params, content=query, headers=SPARQL_QUERY)) is True


def test_query_multiple_dataset(http: httpx.Client, endpoint: str) -> None:
    """The protocol's dataset overrides the query's FROM (the manifest's URL glues its two parameters into one
    by an encoding slip; this test sends the two named graphs it means)."""
    query = f"ASK FROM <{DATA}data3.rdf> " + ASK_BOTH_NAMED.removeprefix("ASK ")
    params = [("named-graph-uri", f"{DATA}data1.rdf"), ("named-graph-uri", f"{DATA}data2.rdf")]
    assert boolean(http.post(endpoint, params=params, content=query, headers=SPARQL_QUERY)) is True


def test_query_get(http: httpx.Client, endpoint: str) -> None:
    params = {"query": "ASK {}", "default-graph-uri": f"{DATA}data0.rdf"}
    assert boolean(http.get(endpoint, params=params)) is True


def test_query_content_type_select(http: httpx.Client, endpoint: str) -> None:
    response = http.post(endpoint, content="SELECT (1 AS ?value) {}", headers=SPARQL_QUERY)
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] in TABULAR_TYPES


def test_query_content_type_ask(http: httpx.Client, endpoint: str) -> None:
    assert boolean(http.post(endpoint, content="ASK {}", headers=SPARQL_QUERY)) is True


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("query_content_type_describe", "DESCRIBE <http://example.org/>"),
        ("query_content_type_construct", "CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}"),
    ],
)
def test_query_content_type_rdf(http: httpx.Client, endpoint: str, name: str, query: str) -> None:
    response = http.post(endpoint, content=query, headers=SPARQL_QUERY)
    media = response.headers["content-type"].split(";")[0]
    assert response.status_code == 200 and media in RDF_TYPES, name
    graph = Graph().parse(data=response.text, format={"text/turtle": "turtle"}.get(media, media))
    assert len(graph) == (1 if "construct" in name else 0)


def test_query_post_direct(http: httpx.Client, endpoint: str) -> None:
    assert boolean(http.post(endpoint, content="ASK {}", headers=SPARQL_QUERY)) is True


def test_bad_query_method(http: httpx.Client, endpoint: str) -> None:
    response = http.put(endpoint, params={"query": "ASK {}"}, headers=FORM)
    refused(response)


def test_bad_multiple_queries(http: httpx.Client, endpoint: str) -> None:
    refused(http.get(endpoint, params=[("query", "ASK {}"), ("query", "SELECT * {}")]))


def test_bad_query_wrong_media_type(http: httpx.Client, endpoint: str) -> None:
    refused(http.post(endpoint, content="ASK {}", headers={"Content-Type": "text/plain"}))


def test_bad_query_missing_form_type(http: httpx.Client, endpoint: str) -> None:
    refused(http.post(endpoint, content="query=ASK%20%7B%7D"))


def test_bad_query_missing_direct_type(http: httpx.Client, endpoint: str) -> None:
    refused(http.post(endpoint, content="ASK {}"))


def test_bad_query_non_utf8(http: httpx.Client, endpoint: str) -> None:
    body = "ASK {}".encode("utf-16")
    refused(http.post(endpoint, content=body, headers={"Content-Type": "application/sparql-query; charset=UTF-16"}))


def test_bad_query_syntax(http: httpx.Client, endpoint: str) -> None:
    response = http.get(endpoint, params={"query": "ASK {"})
    refused(response)
    assert response.status_code == 400


def test_a_protocol_parameter_without_a_query_is_400(http: httpx.Client, endpoint: str) -> None:
    """Not the service description: a request that names a dataset but no query is malformed, by GET as by POST."""
    for params in ({"default-graph-uri": f"{DATA}data1.rdf"}, {"named-graph-uri": f"{DATA}data1.rdf"}):
        response = http.get(endpoint, params=params)
        refused(response)
        assert response.status_code == 400 and "query" in response.json()["detail"]
        form = http.post(endpoint, content=f"default-graph-uri={DATA}data1.rdf", headers=FORM)
        assert form.status_code == 400


def test_xml_results_keep_a_carriage_return(http: httpx.Client, endpoint: str) -> None:
    """An XML parser reads a raw CR as LF; the endpoint writes it as &#13;, so the value reads back unchanged."""
    query = f"SELECT ?text WHERE {{ GRAPH <{TEXT_GRAPH.value}> {{ ?s <{NOTE.value}> ?text }} }}"
    response = http.get(endpoint, params={"query": query}, headers={"Accept": "application/sparql-results+xml"})
    assert response.status_code == 200 and b"\r" not in response.content
    literal = ElementTree.fromstring(response.content).find(".//{http://www.w3.org/2005/sparql-results#}literal")
    assert literal is not None and literal.text == CR_TEXT
    json_value = http.get(endpoint, params={"query": query}).json()["results"]["bindings"][0]["text"]["value"]
    assert json_value == CR_TEXT


def test_rdf_xml_keeps_a_carriage_return(http: httpx.Client, endpoint: str) -> None:
    query = (
        f"CONSTRUCT {{ ?s <{NOTE.value}> ?text }} WHERE {{ GRAPH <{TEXT_GRAPH.value}> {{ ?s <{NOTE.value}> ?text }} }}"
    )
    response = http.get(endpoint, params={"query": query}, headers={"Accept": "application/rdf+xml"})
    assert response.headers["content-type"].startswith("application/rdf+xml")
    assert [str(o) for o in Graph().parse(data=response.content, format="xml").objects()] == [CR_TEXT]


UPDATE = f"CLEAR GRAPH <{DATA}data1.rdf>"


def data1_still_there(http: httpx.Client, endpoint: str) -> bool:
    return boolean(http.get(endpoint, params={"query": f"ASK {{ GRAPH <{DATA}data1.rdf> {{ ?s ?p ?o }} }}"}))


@pytest.mark.parametrize(
    ("name", "request_args"),
    [
        ("bad_update_get", {"method": "GET", "params": {"update": UPDATE}}),
        ("bad_multiple_updates", {"method": "POST", "content": f"update={UPDATE}&update={UPDATE}", "headers": FORM}),
        (
            "bad_update_wrong_media_type",
            {"method": "POST", "content": UPDATE, "headers": {"Content-Type": "text/plain"}},
        ),
        ("bad_update_missing_form_type", {"method": "POST", "content": f"update={UPDATE}"}),
        (
            "bad_update_non_utf8",
            {
                "method": "POST",
                "content": UPDATE.encode("utf-16"),
                "headers": {"Content-Type": "application/sparql-update; charset=UTF-16"},
            },
        ),
        (
            "bad_update_syntax",
            {"method": "POST", "content": "INSERT DATA {", "headers": {"Content-Type": "application/sparql-update"}},
        ),
        (
            "bad_update_dataset_conflict",
            {
                "method": "POST",
                "params": {"using-graph-uri": f"{DATA}data1.rdf"},
                "content": f"WITH <{DATA}data1.rdf> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
                "headers": {"Content-Type": "application/sparql-update"},
            },
        ),
        # the positive update entries, refused by a read-only endpoint
        ("update_post_form", {"method": "POST", "content": "update=CLEAR+ALL", "headers": FORM}),
        (
            "update_post_direct",
            {"method": "POST", "content": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
        ),
    ],
)
def test_updates_are_refused_and_change_nothing(
    http: httpx.Client, endpoint: str, name: str, request_args: dict
) -> None:
    method = request_args.pop("method")
    refused(http.request(method, endpoint, **request_args))
    assert data1_still_there(http, endpoint), name


def test_sparqlwrapper_as_a_client(endpoint: str) -> None:
    from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g a <{FOAF_DOCUMENT.value}> }} }} ORDER BY ?g")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert [row["g"]["value"] for row in rows] == [f"{DATA}data{n}.rdf" for n in (1, 2, 3)]
    client.setReturnFormat(XML)
    client.setQuery("ASK { ?s ?p ?o }")
    assert "<boolean>true</boolean>" in client.queryAndConvert().toxml()
    client.setMethod("POST")
    client.setReturnFormat(TURTLE)
    client.setQuery(f"CONSTRUCT {{ ?s a ?t }} WHERE {{ GRAPH <{DATA}data2.rdf> {{ ?s a ?t }} }}")
    graph = Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(graph) == 1


def test_rdflib_sparqlstore_as_a_client(endpoint: str) -> None:
    """rdflib's SPARQLStore sends one Accept header for results and graphs together; both kinds must work."""
    from rdflib import ConjunctiveGraph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint)
    graph = ConjunctiveGraph(store=store)
    rows = list(graph.query(f"SELECT ?s WHERE {{ GRAPH <{DATA}data3.rdf> {{ ?s ?p ?o }} }}"))
    assert [str(row[0]) for row in rows] == [f"{DATA}data3.rdf"]
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    constructed = graph.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{DATA}data1.rdf> {{ ?s ?p ?o }} }}").graph
    assert (URIRef(f"{DATA}data1.rdf"), None, None) in constructed
    assert len(list(store.triples((None, URIRef(RDF_TYPE.value), None)))) == 3


SELECT_GRAPHS = f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g a <{FOAF_DOCUMENT.value}> }} }} ORDER BY ?g"
ALL_GRAPHS = [f"{DATA}data{n}.rdf" for n in (1, 2, 3)]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper_select_and_ask_in_each_result_format(endpoint: str, return_format: str, method: str) -> None:
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(endpoint, returnFormat=return_format)
    client.setMethod(method)
    client.setQuery(SELECT_GRAPHS)
    answer = client.query()
    assert (
        answer.response.headers["content-type"].split(";")[0]
        == {
            "json": "application/sparql-results+json",
            "xml": "application/sparql-results+xml",
            "csv": "text/csv",
            "tsv": "text/tab-separated-values",
        }[return_format]
    )
    converted = answer.convert()
    if return_format == "json":
        assert [row["g"]["value"] for row in converted["results"]["bindings"]] == ALL_GRAPHS
    elif return_format == "xml":
        uris = converted.getElementsByTagName("uri")
        assert [node.firstChild.data for node in uris] == ALL_GRAPHS
    else:
        separator = "," if return_format == "csv" else "\t"
        lines = converted.decode().splitlines()
        assert [line.split(separator)[0].strip("<>") for line in lines[1:]] == ALL_GRAPHS
    for query, expected in (("ASK { GRAPH ?g { ?s ?p ?o } }", True), ("ASK { ?s a <http://example.org/None> }", False)):
        client.setQuery(query)
        result = client.queryAndConvert()
        if return_format == "json":
            assert result["boolean"] is expected
        elif return_format == "xml":
            assert result.getElementsByTagName("boolean")[0].firstChild.data == str(expected).lower()
        else:  # Oxigraph writes a boolean as the bare word in CSV and TSV
            assert result.strip() == str(expected).lower().encode()


@pytest.mark.parametrize(
    ("return_format", "rdflib_format"), [("turtle", "turtle"), ("xml", "xml"), ("json-ld", "json-ld")]
)
def test_sparqlwrapper_construct_and_describe_in_each_rdf_format(
    endpoint: str, return_format: str, rdflib_format: str
) -> None:
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(endpoint, returnFormat=return_format)
    client.setQuery("CONSTRUCT { ?s a ?t } WHERE { GRAPH ?g { ?s a ?t } }")
    answer = client.query()
    body = answer.response.read()
    graph = Graph().parse(data=body, format=rdflib_format)
    assert {str(s) for s in graph.subjects()} == set(ALL_GRAPHS)
    client.setQuery(f"DESCRIBE <{DATA}data2.rdf>")
    described = Graph().parse(data=client.query().response.read(), format=rdflib_format)
    assert len(described) == 1


@pytest.mark.parametrize("return_format", ["xml", "json", "csv", "tsv"])
def test_rdflib_sparqlstore_in_each_result_format(endpoint: str, return_format: str) -> None:
    from rdflib import URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint, returnFormat=return_format)
    rows = list(store.query(SELECT_GRAPHS, initNs={}, initBindings={}, queryGraph="__UNION__", DEBUG=False))
    assert [str(row[0]) for row in rows] == ALL_GRAPHS
    if return_format in ("xml", "json"):  # rdflib reads a boolean answer from these two only
        assert store.query("ASK { ?s ?p ?o }", initNs={}, initBindings={}, queryGraph="__UNION__", DEBUG=False)
    if return_format != "xml":
        return  # rdflib then accepts only tabular answers, which a CONSTRUCT cannot have (the endpoint says 406)
    constructed = store.query(
        "CONSTRUCT { ?s a ?t } WHERE { GRAPH ?g { ?s a ?t } }",
        initNs={},
        initBindings={},
        queryGraph="__UNION__",
        DEBUG=False,
    ).graph
    assert {str(s) for s in constructed.subjects()} == set(ALL_GRAPHS)
    assert (URIRef(ALL_GRAPHS[0]), None, None) in constructed
