"""A SPARQL 1.1 server seen through the part of ``pyoxigraph.Store``'s interface certbridge uses.

Answers come back as pyoxigraph's own types (``QuerySolutions``, ``QueryBoolean``, ``QueryTriples``,
``Quad``), parsed from the server's standard result formats, so everything above the store — routing
index, describe, neighbourhood, the SPARQL endpoint, the views — runs unchanged on either backend.

Datasets: the embedded store's ``use_default_graph_as_union`` is sent as the protocol's
``default-graph-uri`` and ``named-graph-uri`` listing certbridge's graphs. That also keeps out what a
server holds besides them (Virtuoso's default graph is the union of *every* graph, ~2,500 system
triples included).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, TypeAlias, TypeVar

import httpx
import pyoxigraph as ox

from ..convert import TABLES
from ..iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, named_graph
from .client import Body, SparqlClient, TruncatedAnswer
from .location import RemoteLocation

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"

GraphName = ox.NamedNode | ox.DefaultGraph
#: an RDF term as pyoxigraph's stubs spell it (they define no ``Term`` name)
Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
#: how many hex digits of MD5 a cut-off scan is split by, at most (16**4 parts)
MAX_PARTITION_DEPTH = 4
T = TypeVar("T")


def project_graphs() -> list[str]:
    """Every named graph a certbridge build writes."""
    return [str(ONTOLOGY_GRAPH), *(str(named_graph(t)) for t in TABLES), str(BUILD_GRAPH), str(INFERRED_GRAPH)]


_IGNORED = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'|<[^<>\"{}|^`\\\s]*>|#[^\n]*"
)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside strings, IRIs and comments."""
    found = _FORM.search(_IGNORED.sub(" ", text))
    return found.group(1).upper() if found else "SELECT"


_TOKEN = re.compile(_IGNORED.pattern + r"|(\{)|(\})|[?$]([A-Za-z_][A-Za-z0-9_]*)|\b(WHERE)\b", re.IGNORECASE)


def substitute(text: str, substitutions: Mapping[ox.Variable, Term]) -> str:
    """The query with each substituted variable bound as pyoxigraph's ``substitutions`` binds it.

    A server takes no bindings beside the query, and a trailing VALUES clause is not the same: it joins
    after the pattern is evaluated (a FILTER inside sees the variable unbound), and Virtuoso answers no
    rows when its variables do not occur in the pattern. So inside the WHERE group each variable is
    replaced by its term, and an inline VALUES at the start of that group keeps it bound for the
    projection, GROUP BY and ORDER BY. The terms are pyoxigraph terms, whose ``str`` is their N-Triples
    form (validated and escaped), never text from a request; strings, IRIs and comments are left alone.
    """
    terms = {variable.value: str(term) for variable, term in substitutions.items()}
    values = f" VALUES ({' '.join(f'?{name}' for name in terms)}) {{ ({' '.join(terms.values())}) }} "
    has_where = any(match.group(4) for match in _TOKEN.finditer(text))
    state = {"where": not has_where, "depth": 0, "done": False}

    def swap(match: re.Match[str]) -> str:
        opening, closing, variable, where = match.group(1, 2, 3, 4)
        inside = state["depth"] > 0 and not state["done"]
        if where:
            state["where"] = True
        elif opening and not state["done"] and state["where"]:
            state["depth"] += 1
            return "{" + values if state["depth"] == 1 else "{"
        elif closing and inside:
            state["depth"] -= 1
            state["done"] = state["depth"] == 0
        elif variable and inside and variable in terms:
            return terms[variable]
        return match.group(0)

    return _TOKEN.sub(swap, text)


def _graph_iri(graph: GraphName | str) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else str(graph)


class RemoteStore:
    """The store of a SPARQL server; it holds an HTTP connection pool (one per ``ServerStore``, graph/store/)."""

    def __init__(self, location: RemoteLocation, *, transport: httpx.BaseTransport | None = None) -> None:
        self.location = location
        self.client = SparqlClient(location, transport=transport)

    def close(self) -> None:
        self.client.close()

    def __del__(self) -> None:
        # a store opened by a one-off call (``open_store``) and dropped: its connections close with it
        client = getattr(self, "client", None)
        if client is not None:
            client.close()

    # -- queries -----------------------------------------------------------------------------------

    def query(
        self,
        query: str,
        *,
        prefixes: Mapping[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: GraphName | Sequence[GraphName] | None = None,
        named_graphs: Sequence[GraphName] | None = None,
        substitutions: Mapping[ox.Variable, Term] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        text = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in (prefixes or {}).items()) + query
        if substitutions:
            text = substitute(text, substitutions)
        dataset = self._dataset(use_default_graph_as_union, default_graph, named_graphs)
        form = query_form(query)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return _as_triples(self.client.query(text, N_TRIPLES, dataset))
        body = self.client.query(text, RESULTS_JSON, dataset)
        answer = _opened(body, lambda **where: ox.parse_query_results(format=ox.QueryResultsFormat.JSON, **where))
        if form == "ASK" and isinstance(answer, ox.QuerySolutions):
            return _ask_from_row(answer)
        return answer

    def _dataset(
        self,
        union: bool,
        default_graph: GraphName | Sequence[GraphName] | None,
        named_graphs: Sequence[GraphName] | None,
    ) -> list[tuple[str, str]]:
        dataset = []
        if union and default_graph is None:  # Virtuoso's own default graph is every graph, its system ones too
            dataset += [("default-graph-uri", g) for g in project_graphs()]
        elif default_graph is not None:
            defaults = default_graph if isinstance(default_graph, Sequence) else [default_graph]
            dataset += [("default-graph-uri", _graph_iri(g)) for g in defaults if isinstance(g, ox.NamedNode)]
        if named_graphs is not None:
            dataset += [("named-graph-uri", _graph_iri(g)) for g in named_graphs]
        elif dataset:  # a dataset with default graphs only would have no named graphs (protocol), unlike the embedded
            dataset += [("named-graph-uri", g) for g in project_graphs()]
        return dataset

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: Term | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern in certbridge's graphs, streamed from one SELECT.

        When the server cuts the answer at its row cap (Virtuoso cannot return more than 1,048,576 rows,
        whatever its settings), the pattern is asked again in 16 parts by the MD5 of a free variable,
        and a part that is still cut in 16 again: an index scan of national size never comes back short.
        """
        terms = ((subject, "s"), (predicate, "p"), (object, "o"))
        pattern = " ".join(str(term) if term is not None else f"?{name}" for term, name in terms)
        graph = str(graph_name) if isinstance(graph_name, ox.NamedNode) else "?g"
        free = next((f"?{name}" for term, name in (terms[0], terms[2], terms[1]) if term is None), None)
        named = None if graph_name is not None else [ox.NamedNode(g) for g in project_graphs()]
        for row in self._matching(f"GRAPH {graph} {{ {pattern} }}", named, free, ""):
            yield ox.Quad(
                subject or row["s"],
                predicate or row["p"],
                object if object is not None else row["o"],
                graph_name if graph_name is not None else row["g"],
            )

    def _matching(
        self, pattern: str, named: list[ox.NamedNode] | None, free: str | None, part: str
    ) -> Iterator[ox.QuerySolution]:
        """The solutions of *pattern* whose *free* variable's MD5 starts with *part* (all, for part "")."""
        where = pattern
        if part:
            # blank nodes have no portable STR (Virtuoso gives one, others an error): all of them in part 0…
            blank = f"isBlank({free})" if set(part) == {"0"} else "false"
            where += f' FILTER ({blank} || (!isBlank({free}) && STRSTARTS(MD5(STR({free})), "{part}")))'
        try:
            answer = self.query(f"SELECT * WHERE {{ {where} }}", named_graphs=named)
        except TruncatedAnswer:
            if free is None or len(part) >= MAX_PARTITION_DEPTH:
                raise
            digits = "0123456789abcdef"
            return itertools.chain.from_iterable(self._matching(pattern, named, free, part + d) for d in digits)
        assert isinstance(answer, ox.QuerySolutions)
        return iter(answer)

    # -- graphs --------------------------------------------------------------------------------------

    def count(self, graph: GraphName | str) -> int:
        answer = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_graph_iri(graph)}> {{ ?s ?p ?o }} }}")
        assert isinstance(answer, ox.QuerySolutions)
        return int(next(iter(answer))["n"].value)

    def contains_named_graph(self, graph: GraphName) -> bool:
        return self.count(graph) > 0

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """certbridge's graphs that hold anything (a server cannot list empty graphs portably)."""
        for graph in project_graphs():
            if self.count(graph):
                yield ox.NamedNode(graph)

    def remove_graph(self, graph: GraphName) -> None:
        self.update(f"DROP SILENT GRAPH <{_graph_iri(graph)}>")

    def update(self, update: str, *, prefixes: Mapping[str, str] | None = None) -> None:
        """Run a SPARQL update on the server.

        On Virtuoso it runs with row-by-row autocommit (``sql:log-enable 3``; the transaction log stays
        on): as one transaction, an update deriving 100,000 triples holds so many locks that Virtuoso
        crawls (over five minutes for the reasoning of N = 1,000 issuers, 16 s this way). certbridge's
        updates only derive what a build can derive again, and a build names its version last.
        """
        text = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in (prefixes or {}).items()) + update
        if self.client.is_virtuoso:
            text = "DEFINE sql:log-enable 3\n" + text
        self.client.update(text)

    def put_graph(self, graph: GraphName | str, body: IO[bytes] | bytes, format: ox.RdfFormat) -> None:
        self.client.put_graph(_graph_iri(graph), body, format.media_type)

    def dump(
        self,
        output: IO[bytes] | str,
        format: ox.RdfFormat,
        *,
        from_graph: GraphName | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """Write one graph, or (without *from_graph*) every graph as quads, graph by graph."""
        prefix_dict = dict(prefixes) if prefixes is not None else None  # pyoxigraph takes a dict, not any mapping
        if from_graph is not None:
            ox.serialize(self._triples_of(_graph_iri(from_graph)), output, format, prefixes=prefix_dict)
            return
        ox.serialize(self._quads(), output, format, prefixes=prefix_dict)

    def _triples_of(self, graph: str) -> Iterator[ox.Triple]:
        body = self.client.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", N_TRIPLES)
        for quad in _opened(body, lambda **where: ox.parse(format=ox.RdfFormat.N_TRIPLES, **where)):
            yield quad.triple

    def _quads(self) -> Iterator[ox.Quad]:
        for graph in self.named_graphs():
            for triple in self._triples_of(graph.value):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def _opened(body: Body, reader: Callable[..., T]) -> T:
    """Start reading an answer body; a temporary file is unlinked once the reader holds it open."""
    if isinstance(body, bytes):
        return reader(input=body)
    try:
        return reader(path=body)
    finally:
        body.unlink(missing_ok=True)


def _as_triples(body: Body) -> ox.QueryTriples:
    """N-Triples from the server as pyoxigraph's own graph answer (through a small in-memory store)."""
    memory = ox.Store()
    if isinstance(body, bytes):
        memory.bulk_load(body, ox.RdfFormat.N_TRIPLES)
    else:
        memory.bulk_load(path=body, format=ox.RdfFormat.N_TRIPLES)
        body.unlink(missing_ok=True)
    answer = memory.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(answer, ox.QueryTriples)
    return answer


def _ask_from_row(answer: ox.QuerySolutions) -> ox.QueryBoolean:
    """Virtuoso may answer ASK as a one-row SELECT (``__ask_retval`` = 1): turn it back into a boolean."""
    rows: Iterable[ox.QuerySolution] = list(answer)
    value = next((row[0].value for row in rows if row[0] is not None), "0")
    boolean = ox.parse_query_results(
        f'{{"head":{{}},"boolean":{"true" if value in ("1", "true") else "false"}}}', ox.QueryResultsFormat.JSON
    )
    assert isinstance(boolean, ox.QueryBoolean)  # a "boolean" member is parsed as a boolean answer
    return boolean
