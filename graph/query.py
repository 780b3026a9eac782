"""SPARQL 1.1 queries over the store, with the project's prefixes predeclared.

The default graph of a query is the union of all named graphs (ontology, one graph per table, the
build record), so plain queries see everything; ``GRAPH ?g { ... }`` tells asserted sources apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from certbridge.ontology import PREFIXES

from .errors import QueryError
from .store import AnyStore

#: The formats answers are written in, by the short names of the CLI and the ``?accept=`` parameter; pyoxigraph's
#: formats carry their media types (``.media_type``) and IRIs (``.iri``), so this is the one table of them.
#: The first of each is the default.
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
#: Oxigraph's XML writers leave a carriage return in a literal raw, and an XML parser reads it back as a line feed
_XML_FORMATS = frozenset({ox.QueryResultsFormat.XML, ox.RdfFormat.RDF_XML})


def keep_carriage_returns(data: bytes, format: ox.QueryResultsFormat | ox.RdfFormat) -> bytes:
    """*data* with each raw CR written ``&#13;`` when *format* is XML, so that the value reads back unchanged.

    These writers put no CR outside literal values (they indent with LF and tabs), so every CR is inside one.

    >>> keep_carriage_returns(b"<literal>a\\r\\nb</literal>", ox.QueryResultsFormat.XML)
    b'<literal>a&#13;\\nb</literal>'
    """
    return data.replace(b"\r", b"&#13;") if format in _XML_FORMATS else data


#: an absolute IRI without the characters that would let it escape ``<...>`` when written into a query
SAFE_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def named_node(iri: str) -> ox.NamedNode | None:
    """*iri* as a term to bind into a query, or None when it is not a plain http(s) IRI."""
    if not SAFE_IRI.fullmatch(iri):
        return None
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")

QueryAnswer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


def prologue() -> str:
    """The PREFIX lines every query gets, for display and for researchers' editors."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


def run_query(store: AnyStore, text: str) -> QueryAnswer:
    """Run a SPARQL query; raise QueryError carrying the parser's message when it does not parse."""
    try:
        return store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise QueryError(f"the query failed: {exc}") from exc


def compact(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A short readable form: prefixed names for known IRIs, the lexical form for literals."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for name, iri in _LONGEST_FIRST:
            local = term.value[len(iri) :]
            if term.value.startswith(iri) and _LOCAL_NAME.fullmatch(local):
                return f"{name}:{local}"
        return term.value
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return str(term)


@dataclass(frozen=True, slots=True)
class Table:
    """A SELECT answer as plain strings, for terminal tables."""

    columns: list[str]
    rows: list[list[str]]


def as_table(solutions: ox.QuerySolutions) -> Table:
    columns = [variable.value for variable in solutions.variables]
    rows = [[compact(solution[name]) for name in columns] for solution in solutions]
    return Table(columns, rows)


def serialize(answer: QueryAnswer, format_name: str) -> bytes:
    """Serialise an answer in a named format: json/xml/csv/tsv for SELECT and ASK, ttl/nt/jsonld/rdfxml for graphs."""
    if isinstance(answer, ox.QueryTriples):
        if format_name not in GRAPH_FORMATS:
            raise QueryError(
                f"a graph answer cannot be written as {format_name!r}; use one of {', '.join(GRAPH_FORMATS)}"
            )
        graph_data = answer.serialize(format=GRAPH_FORMATS[format_name])
        assert graph_data is not None  # without an output, serialize returns the bytes (its stub says bytes | None)
        return keep_carriage_returns(graph_data, GRAPH_FORMATS[format_name])
    if format_name not in RESULT_FORMATS:
        raise QueryError(
            f"a SELECT or ASK answer cannot be written as {format_name!r}; use one of {', '.join(RESULT_FORMATS)}"
        )
    data = answer.serialize(format=RESULT_FORMATS[format_name])
    assert data is not None  # (as above)
    return keep_carriage_returns(data, RESULT_FORMATS[format_name])


#: How each result format looks when a SELECT has no rows.
_EMPTY_SELECT = {
    "json": lambda data: b'"bindings":[]' in data.replace(b" ", b""),
    "xml": lambda data: b"<result>" not in data,
    "csv": lambda data: len(data.strip().splitlines()) <= 1,
    "tsv": lambda data: len(data.strip().splitlines()) <= 1,
}


def is_negative(answer: QueryAnswer, data: bytes, format_name: str) -> bool:
    """True when a serialised answer says no: ASK false, a SELECT with no rows, or an empty graph."""
    if isinstance(answer, ox.QueryBoolean):
        return not bool(answer)
    if isinstance(answer, ox.QuerySolutions):
        return _EMPTY_SELECT[format_name](data)
    return not data.strip()


def as_solutions(answer: QueryAnswer) -> ox.QuerySolutions:
    """The answer of a SELECT, typed as such (QueryError for any other form)."""
    if not isinstance(answer, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    return answer


def as_triples(answer: QueryAnswer) -> ox.QueryTriples:
    """The answer of a CONSTRUCT or DESCRIBE, typed as such (QueryError for any other form)."""
    if not isinstance(answer, ox.QueryTriples):
        raise QueryError("expected a CONSTRUCT or DESCRIBE query")
    return answer


def select(store: AnyStore, text: str) -> Iterator[dict[str, str]]:
    """Rows of a SELECT as dicts of compact strings (for counts and reports)."""
    answer = run_query(store, text)
    if not isinstance(answer, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    columns = [variable.value for variable in answer.variables]
    for solution in answer:
        yield {name: compact(solution[name]) for name in columns}
