"""The SPARQL lexer: it reads every query the project ships, and no SERVICE gets past it by any lexical trick.

SERVICE smuggling is tested against the engine itself: a query the lexer lets through is run by Oxigraph in this
(not isolated) process while a loopback listener records connections, so a trick the lexer misses shows up as a
connection; the same queries sent to a real server on loopback are refused or answered, never fetched.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from helpers.network import listener
from helpers.serving import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.settings import Settings
from certbridge.graph.sparql_lexer import Kind, LexError, analyse, tokenize, unescape_codepoints
from certbridge.graph.store import open_store
from certbridge.ontology import PREFIXES

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted([*(ROOT / "examples").glob("*.rq"), *(ROOT / "ontology" / "checks").glob("*.rq")])
EX = "http://example.org/"
QUERY_START = re.compile(r"\s*(#[^\n]*\n\s*)*(PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def queries_in_tests() -> list[str]:
    """The literal SPARQL queries in the test modules (string constants that Oxigraph parses as queries)."""
    found = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and QUERY_START.match(node.value):
                with contextlib.suppress(SyntaxError, OSError, ValueError):
                    ox.Store().query(node.value, prefixes=PREFIXES)
                    found.add(node.value)
    return sorted(found)


TEST_QUERIES = queries_in_tests()


def rejoined(text: str) -> str:
    """The tokens joined by single spaces, but for a function name and its "(": Oxigraph 0.5 refuses a space
    after some (``COALESCE (`` is a syntax error there, as are CONCAT, IF, IN and a few more)."""
    tokens = tokenize(text)
    parts = [tokens[0].text] if tokens else []
    for before, token in pairwise(tokens):
        glued = before.kind is Kind.WORD and token.kind in (Kind.NIL, Kind.PUNCTUATION) and token.text[0] == "("
        parts.append(("" if glued else " ") + token.text)
    return "".join(parts)


def results(store: ox.Store, text: str) -> object:
    """A comparable form of a query's answer (blank node labels blanked, unordered rows sorted)."""
    answer = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
    if isinstance(answer, ox.QueryBoolean):
        return bool(answer)
    if isinstance(answer, ox.QueryTriples):
        return sorted(re.sub(r"_:\w+", "_:b", str(triple)) for triple in answer)
    rows = [tuple(re.sub(r"_:\w+", "_:b", str(row[v])) for v in answer.variables) for row in answer]
    return rows if re.search(r"ORDER\s+BY", text, re.IGNORECASE) else sorted(rows)


def test_the_project_has_queries_in_its_tests() -> None:
    assert len(TEST_QUERIES) >= 10 and len(SHIPPED) >= 20


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_query_reads_and_its_tokens_rejoined_answer_the_same(path: Path, mini_store: Path) -> None:
    text = path.read_text(encoding="utf-8")
    analysis = analyse(text)
    assert not analysis.service and 1 <= analysis.depth <= Settings(ROOT).sparql_max_depth
    store = open_store(mini_store)
    assert results(store, rejoined(text)) == results(store, text)


def test_every_query_in_the_tests_reads_and_its_tokens_rejoined_answer_the_same(mini_store: Path) -> None:
    store = open_store(mini_store)
    for text in TEST_QUERIES:
        analysis = analyse(text)
        if "SERVICE <" in text:  # the test of the refusal
            assert analysis.service, text
            continue
        assert not analysis.service, text
        on = ox.Store() if "?g ?h ?i" in text else store  # the deliberately endless query of the time-limit tests
        assert results(on, rejoined(text)) == results(on, text), text


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (r"ex:a\#b", [Kind.PNAME_LN]),
        (r"cb:a\'", [Kind.PNAME_LN]),
        ("ex:a%20b.c", [Kind.PNAME_LN]),
        ("ex:a.", [Kind.PNAME_LN, Kind.PUNCTUATION]),
        ("ex:", [Kind.PNAME_NS]),
        ("'''it''s'''", [Kind.STRING]),
        ('"a\\"b"', [Kind.STRING]),
        ('"""x\ny"""', [Kind.STRING]),
        ("'a' 'b'", [Kind.STRING, Kind.STRING]),
        ('"x"@zh-Hans', [Kind.STRING, Kind.LANGTAG]),
        ("?x $y", [Kind.VAR, Kind.VAR]),
        ("1 1.5 .5 1e3 1.e3 -2.5 +1", [Kind.NUMBER] * 7),
        ("?a - 1", [Kind.VAR, Kind.PUNCTUATION, Kind.NUMBER]),
        ("( ) [ ]", [Kind.NIL, Kind.ANON]),
        ("_:b0", [Kind.BLANK_NODE]),
        ("<http://x/a#b>", [Kind.IRI]),
        ("?a<?b&&?c>", [Kind.VAR, Kind.IRI]),  # the grammar's longest match; Oxigraph reads comparisons (see below)
        ("?a < ?b", [Kind.VAR, Kind.PUNCTUATION, Kind.VAR]),
        ("a # SERVICE\nb", [Kind.WORD, Kind.WORD]),
        ("^^ && || != <= >=", [Kind.PUNCTUATION] * 6),
    ],
)
def test_terminals(text: str, kinds: list[Kind]) -> None:
    assert [token.kind for token in tokenize(text)] == kinds


@pytest.mark.parametrize("text", ['"open', "'''open", "@1", "\x01", "ex:a\\z", "$", "SELECT ` ", "\\u0041", "'a\nb'"])
def test_unreadable_text_fails_closed(text: str) -> None:
    with pytest.raises(LexError, match="cannot be read"):
        tokenize(text)


def test_codepoint_escapes_are_replaced_once() -> None:
    assert unescape_codepoints(r"\u0053ERVICE \U0001F600 \u005Cu0041 \uD800") == "SERVICE \U0001f600 \\u0041 \\uD800"


def test_depth_counts_braces_parentheses_and_brackets_not_nil_or_anon() -> None:
    assert analyse("SELECT * { { ?s ?p [ ?q ( ?o ) ] } FILTER(1) } ").depth == 4
    assert analyse("SELECT * { ?s ?p ( ) , [ ] }").depth == 1


# --- SERVICE, however it is spelled ----------------------------------------------------------------------------

SEPARATORS = st.sampled_from(["", " ", "\t", "\n", " # SERVICE <x> {\n", "#\n", "\r\n  "])
DECOYS = st.sampled_from(
    [
        "",
        "OPTIONAL { ?s ex:a\\#b ?o }",
        "OPTIONAL { ?s ex:a\\' ?o }",
        'OPTIONAL { ?s ex:a\\" ?o }',
        "BIND('it\\'s SERVICE' AS ?d1)",
        'BIND("a \\" SERVICE <x> {" AS ?d2)',
        "BIND('''it's '' SERVICE''' AS ?d3)",
        'BIND("""a "" SERVICE\n""" AS ?d4)',
        "BIND('\\u0027' AS ?d5)",
        "# SERVICE <http://example.org/> { }\n",
        "VALUES ?d6 { <http://example.org/service> }",
    ]
)


@st.composite
def keyword(draw: st.DrawFn) -> str:
    """SERVICE in any letter case, some letters as \\u or \\U codepoint escapes."""
    letters = []
    for letter in "service":
        letter = letter.upper() if draw(st.booleans()) else letter
        escape = draw(st.sampled_from(["", "", "", "u", "U"]))
        if escape == "u":
            letter = f"\\u{ord(letter):04{draw(st.sampled_from('xX'))}}"
        elif escape == "U":
            letter = f"\\U{ord(letter):08X}"
        letters.append(letter)
    return "".join(letters)


@st.composite
def smuggled(draw: st.DrawFn, port: int) -> str:
    """A query with SERVICE to the listener hidden by one of the lexical tricks SPARQL (or Oxigraph) allows."""
    word, gap, decoy = draw(keyword()), draw(SEPARATORS), draw(DECOYS)
    prefixes = f"PREFIX ex: <{EX}> PREFIX lo: <http://127.0.0.1:{port}/> PREFIX : <http://127.0.0.1:{port}/> "
    target = draw(
        st.sampled_from([f"<http://127.0.0.1:{port}/sparql>", "lo:sparql", f"<http://127.0.0.1:{port}/\\u0073parql>"])
    )
    inner = "{ ?x ?y ?z }"
    trick = draw(st.sampled_from(["plain", "comparison", "dots", "boolean", "glued", "empty-prefix"]))
    body = {
        "plain": f"{decoy} {word}{gap}{target}{gap}{inner}",
        "comparison": f"VALUES (?s ?o) {{ (1 2) }} FILTER(?s<?o){word}#>\n{target}{inner}",
        "dots": f"ex:s ex:p ex:b.c.{word}{gap}{target}{inner}",
        "boolean": f"ex:s ex:p true{word}{gap}{target}{inner}",
        "glued": f"{decoy} {word}lo:sparql{gap}{inner}",
        "empty-prefix": f"{decoy} {word}:{gap}{inner}",
    }[trick]
    return f"{prefixes}SELECT * WHERE {{ {body} }}"


@pytest.fixture(scope="module")
def engine() -> ox.Store:
    """An in-memory store with the triples the tricks need to reach their SERVICE (a join must not be empty)."""
    store = ox.Store()
    s, p = ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p")
    store.add(ox.Quad(s, p, ox.Literal(True)))
    store.add(ox.Quad(s, p, ox.NamedNode(f"{EX}b.c")))
    return store


def refused(text: str) -> bool:
    try:
        return analyse(text).service
    except LexError:
        return True


def connects(store: ox.Store, text: str, seen: list[object]) -> bool:
    """Whether Oxigraph, run here with the network, connects to the listener for *text*."""
    before = len(seen)
    with contextlib.suppress(SyntaxError, OSError, ValueError, RuntimeError):
        answer = store.query(text)
        if isinstance(answer, ox.QuerySolutions):
            list(answer)  # solutions are lazy: SERVICE runs as they are read
    return len(seen) > before  # the listener records a connection before it closes it


@pytest.mark.parametrize(
    "body",
    [
        "OPTIONAL { ?s ex:a\\#b ?o } SERVICE <{url}> { ?x ?y ?z }",  # the outside client's report
        "OPTIONAL { ?s ex:a\\' ?o } SERVICE <{url}> { ?x ?y ?z }",
        "service <{url}> { ?x ?y ?z }",
        "SERVICElo:x { ?x ?y ?z }",
        "SERVICE: { ?x ?y ?z }",
        "VALUES (?s ?o) { (1 2) } FILTER(?s<?o)SERVICE#>\n<{url}>{ ?x ?y ?z }",
        "ex:s ex:p ex:b.c.SERVICE <{url}> { ?x ?y ?z }",
        "ex:s ex:p trueSERVICE <{url}> { ?x ?y ?z }",
    ],
)
def test_each_known_trick_fetches_in_the_engine_and_is_refused_by_the_lexer(engine: ox.Store, body: str) -> None:
    with listener() as (port, seen):
        url = f"http://127.0.0.1:{port}/sparql"
        text = (
            f"PREFIX ex: <{EX}> PREFIX lo: <http://127.0.0.1:{port}/> PREFIX : <{url}> SELECT * WHERE {{ "
            + body.replace("{url}", url)
            + " }"
        )
        assert connects(engine, text, seen), "not a real smuggle: the engine does not fetch it"
        assert refused(text)


@pytest.fixture(scope="module")
def endpoint(mini_store: Path) -> Iterator[str]:
    with serving(Settings(mini_store, sparql_workers=1)) as url:
        yield url


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_service_reaches_the_network(engine: ox.Store, endpoint: str, data: st.DataObject) -> None:
    """Whatever the engine would fetch, the lexer refused; and the endpoint never connects, whatever it answers."""
    with listener() as (port, seen), httpx.Client(base_url=endpoint, timeout=30) as client:
        text = data.draw(smuggled(port))
        lexer_refuses = refused(text)
        if not lexer_refuses:
            assert not connects(engine, text, seen), f"the lexer let a fetching query through: {text!r}"
        if data.draw(st.booleans()):
            response = client.get("/sparql", params={"query": text})
        else:
            response = client.post(
                "/sparql", content=text.encode(), headers={"Content-Type": "application/sparql-query"}
            )
        assert response.status_code in (200, 400), response.text
        if lexer_refuses:
            assert response.status_code == 400
        assert seen == [], f"the endpoint connected for {text!r}"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.sampled_from("ab'\"\\ntSERVICE #<{}\n"), max_size=12).map(
                lambda s: "'''" + s.replace("\\", "\\\\").replace("'", "\\'") + "'''"
            ),
            st.text(st.sampled_from("ab'\"\\ SERVICE#<{"), max_size=12).map(
                lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
            ),
            st.text(st.sampled_from("ab'\" SERVICE#<{"), max_size=12).map(
                lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
            ),
            st.lists(st.sampled_from(["a", "b", "1", "\\#", "\\'", "%2F", "-", ".", ":", "\\.", "_"]), max_size=6).map(
                lambda parts: "ex:" + "".join(parts)
            ),
            st.sampled_from(["1", "-2.5", "+.5e3", "true", '"x"@zh-Hans', '"1"^^xsd:integer', "<http://x/#a>"]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([" ", "\n", " # SERVICE\n", "\t"]),
)
def test_tokens_rejoined_answer_the_same(terms: list[str], gap: str) -> None:
    """Open-ended terms (escapes in local names, the string forms, comments between tokens) lex to tokens that,
    re-joined, are the same query (for every query the engine accepts)."""
    text = f"PREFIX ex: <{EX}> SELECT ?x WHERE {{{gap}VALUES ?x {{{gap}{gap.join(terms)}{gap}}}{gap}}}"
    store = ox.Store()
    try:
        expected = results(store, text)
    except SyntaxError:
        return
    analysis = analyse(text)
    assert not analysis.service
    assert results(store, rejoined(text)) == expected


def test_from_and_from_named_fetch_nothing(engine: ox.Store) -> None:
    """The dataset clauses name graphs of the store: Oxigraph does not load them from the web (so they may pass)."""
    with listener() as (port, seen):
        url = f"http://127.0.0.1:{port}/graph"
        for text in (
            f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"ASK FROM <{url}> FROM NAMED <{url}> {{ }}",
        ):
            assert not refused(text)
            assert not connects(engine, text, seen)
        # and the listener does record what the engine fetches
        assert connects(engine, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", seen)
