"""The pieces of the SPARQL-server client that need no server: query forms, boolean rewriting, locations."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbridge.api.settings import SERVER_ENV
from certbridge.graph.errors import QueryError, StoreError
from certbridge.graph.remote.client import TruncatedAnswer, canonical_booleans
from certbridge.graph.remote.location import derived_endpoints, parse_location
from certbridge.graph.remote.store import RemoteStore, project_graphs, query_form, substitute

BOOLEAN = '{ "type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "%s" }'
INTEGER = '{ "type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "%s" }'


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("PREFIX ask: <http://example.org/select#>\nASK { ?s ask:x 1 }", "ASK"),
        ('# SELECT in a comment\nCONSTRUCT { ?s ?p "SELECT" } WHERE { ?s ?p ?o }', "CONSTRUCT"),
        ("prefix x: <http://x/>\n describe <http://x/select>", "DESCRIBE"),
        ('SELECT ("""ASK\n""" AS ?x) {}', "SELECT"),
    ],
)
def test_the_query_form_is_read_past_prefixes_comments_strings_and_iris(text: str, form: str) -> None:
    assert query_form(text) == form


def _results(values: list[tuple[str, str]]) -> bytes:
    bindings = ", ".join('{ "v": %s }' % (BOOLEAN if kind == "b" else INTEGER) % value for kind, value in values)
    return ('{ "head": { "vars": ["v"] }, "results": { "bindings": [ ' + bindings + " ] } }").encode()


@given(
    values=st.lists(st.tuples(st.sampled_from("bi"), st.sampled_from(["0", "1"])), max_size=20),
    cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=60),
)
def test_virtuoso_booleans_are_made_canonical_however_the_stream_is_cut(values: list, cuts: list[int]) -> None:
    body = _results(values)
    chunks, position = [], 0
    for size in cuts:
        chunks.append(body[position : position + size])
        position += size
    chunks.append(body[position:])
    rewritten = b"".join(canonical_booleans(chunks))
    parsed = [row["v"] for row in ox.parse_query_results(rewritten, ox.QueryResultsFormat.JSON)]
    expected = [
        ox.Literal("true" if v == "1" else "false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
        if kind == "b"
        else ox.Literal(v, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        for kind, v in values
    ]
    assert parsed == expected


HOSTILE = ['a"} ; DROP ALL #', "x'\n} UNION { ?s ?p ?o", "?ns }", "<http://evil/> .", "\\u0022 }"]


@pytest.mark.parametrize("text", HOSTILE)
def test_substituted_terms_bind_like_pyoxigraph_substitutions_and_cannot_change_the_query(text: str) -> None:
    """The same answer as pyoxigraph's own substitutions, also for a FILTER that reads the bound variable."""
    memory = ox.Store()
    ex = "http://example.org/"
    memory.add(ox.Quad(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal(text), ox.DefaultGraph()))
    memory.add(ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "p"), ox.Literal("other"), ox.DefaultGraph()))
    query = "SELECT ?s ?x ?ns WHERE { ?s ?p ?o FILTER (?o = ?x && STRSTARTS(STR(?s), ?ns)) } ORDER BY ?x # ?x"
    bound = {ox.Variable("x"): ox.Literal(text), ox.Variable("ns"): ox.Literal(ex)}
    expected = sorted(str(row["s"]) for row in memory.query(query, substitutions=bound))
    spliced = substitute(query, bound)
    assert sorted(str(row["s"]) for row in memory.query(spliced)) == expected == [f"<{ex}a>"]
    assert all(row["x"] == ox.Literal(text) for row in memory.query(spliced))
    grouped = "SELECT ?x (COUNT(*) AS ?n) WHERE { ?s ?p ?x } GROUP BY ?x"
    assert [row["n"].value for row in memory.query(substitute(grouped, bound))] == ["1"]


def test_endpoints_are_derived_for_the_known_layouts(tmp_path: Path) -> None:
    assert derived_endpoints("http://h:8890/sparql") == (
        "http://h:8890/sparql-auth",
        "http://h:8890/sparql-graph-crud-auth",
    )
    assert derived_endpoints("http://h:7878/query") == ("http://h:7878/update", "http://h:7878/store")
    location = parse_location("sparql+http://h:7878/query", workdir_base=tmp_path, update_url="http://u/up")
    assert location.update_url == "http://u/up" and location.gsp_url == "http://h:7878/store"
    assert str(location) == "sparql+http://h:7878/query" and location.workdir.parent == tmp_path


# -- how server answers are read: Virtuoso's answers replayed through httpx's mock transport -------------------


def _store(tmp_path: Path, handler) -> RemoteStore:
    location = parse_location(
        "sparql+http://virtuoso.test/sparql",
        workdir_base=tmp_path,
        user="dba",
        password="pw",
        settings={"store": "CERTBRIDGE_STORE", **SERVER_ENV},  # the names the settings layer gives
    )
    return RemoteStore(location, transport=httpx.MockTransport(handler))


def test_an_ask_answered_as_a_one_row_select_is_a_boolean(tmp_path: Path) -> None:
    body = '{ "head": { "vars": ["__ask_retval"] }, "results": { "bindings": [ { "__ask_retval": %s } ] } }'
    for value, expected in (("1", True), ("0", False)):
        answer = _store(tmp_path, lambda _r, v=value: httpx.Response(200, text=body % (INTEGER % v))).query("ASK {}")
        assert isinstance(answer, ox.QueryBoolean) and bool(answer) is expected


def test_a_row_cap_header_refuses_the_answer(tmp_path: Path) -> None:
    capped = httpx.Response(200, headers={"X-SPARQL-MaxRows": "10000"}, content=_results([("i", "1")]))
    with pytest.raises(TruncatedAnswer) as raised:
        _store(tmp_path, lambda _r: capped).query("SELECT ?v {}")
    assert "10000 rows" in raised.value.message


def test_the_time_limit_answer_is_reported_as_a_time_limit(tmp_path: Path) -> None:
    text = "Virtuoso S1T00 Error SR171: Transaction timed out"
    with pytest.raises(QueryError) as raised:
        _store(tmp_path, lambda _r: httpx.Response(500, text=text)).query("SELECT * { ?s ?p ?o }")
    assert "time limit" in raised.value.message


def test_a_server_that_does_not_answer_in_time_names_the_setting(tmp_path: Path) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(QueryError) as raised:
        _store(tmp_path, slow).query("SELECT * { ?s ?p ?o }")
    assert "CERTBRIDGE_SERVER_TIMEOUT_S" in (raised.value.hint or "")


def test_refused_credentials_name_the_settings(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as raised:
        _store(tmp_path, lambda _r: httpx.Response(401, text="Unauthorized")).update("CLEAR ALL")
    assert "CERTBRIDGE_SERVER_USER" in (raised.value.hint or "") and "CERTBRIDGE_SERVER_PASSWORD" in raised.value.hint


CHALLENGE = 'Digest realm="SPARQL", nonce="n%d", qop="auth", algorithm="MD5"'


def _refusing_the_first_digest(seen: list[tuple[str, bool, bytes]], ok: int):
    """A server that refuses the first correct digest answer, then accepts (and answers a plain GET probe)."""

    def answer(request: httpx.Request) -> httpx.Response:
        authorised = "authorization" in request.headers
        seen.append((request.method, authorised, request.read()))  # as sent: httpx reuses the request object
        if request.method == "GET" and not request.url.path.endswith("-auth"):
            return httpx.Response(200, json={"boolean": True})  # the client asking which server this is
        if authorised and sum(a for _, a, _ in seen) >= 2:
            return httpx.Response(ok)
        return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE % len(seen)})

    return answer


def test_a_refused_digest_is_tried_once_more_with_a_new_challenge(tmp_path: Path) -> None:
    seen: list[tuple[str, bool, bytes]] = []
    _store(tmp_path, _refusing_the_first_digest(seen, 200)).update("CLEAR ALL")
    posts = [(authorised, body) for method, authorised, body in seen if method == "POST"]
    assert [authorised for authorised, _ in posts] == [False, True, False, True]
    assert all(b"CLEAR+ALL" in body for _, body in posts)  # the update itself, each time


def test_a_streamed_graph_is_sent_whole_after_a_refused_digest(tmp_path: Path) -> None:
    seen: list[tuple[str, bool, bytes]] = []
    body = tmp_path / "graph.nt"
    body.write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    with body.open("rb") as stream:
        _store(tmp_path, _refusing_the_first_digest(seen, 201)).put_graph("urn:g", stream, ox.RdfFormat.N_TRIPLES)
    assert seen[-1] == ("PUT", True, body.read_bytes())


def test_the_dataset_names_certbridge_graphs_only(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=_results([]))

    list(_store(tmp_path, answer).query("SELECT ?v { ?v ?p ?o }", use_default_graph_as_union=True))
    form = parse_qs(seen[-1].content.decode())
    assert form["default-graph-uri"] == form["named-graph-uri"] == project_graphs()
