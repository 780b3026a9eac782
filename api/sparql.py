"""The SPARQL 1.1 Protocol endpoint at /sparql: queries only, content negotiation, protective limits."""

from __future__ import annotations

import re

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from certbridge.graph.query import GRAPH_FORMATS, RESULT_FORMATS
from certbridge.ontology import PREFIXES

from .problems import Problem
from .settings import SPARQL_MAX_ROWS_ENV
from .state import settings_of, store_of

router = APIRouter(tags=["sparql"])

#: media type -> result format, for SELECT/ASK and for CONSTRUCT/DESCRIBE; the first is the default.
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
_STRINGS_AND_IRIS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*'
)
_SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


def negotiate(accept: str | None, offered: dict[str, str]) -> str | None:
    """The offered media type the Accept header prefers (q-values honoured); None when nothing fits."""
    if not accept or not accept.strip():
        return next(iter(offered))
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        media = media.lower()
        for candidate in offered:
            kind = candidate.partition("/")[0]
            if media in (candidate, "*/*", f"{kind}/*") and q > 0:
                rank = (q, -position, candidate)
                if best is None or rank[:2] > best[:2]:
                    best = rank
                break
    return best[2] if best else None


def _one(values: list[str], name: str) -> str:
    if len(values) != 1:
        raise Problem(400, f"expected exactly one '{name}' parameter, got {len(values)}")
    return values[0]


def _check(text: str) -> None:
    if _SERVICE.search(_STRINGS_AND_IRIS.sub(" ", text)):
        raise Problem(400, "federated queries (SERVICE) are refused: this public endpoint does not fetch other URLs")


@router.get("/sparql", summary="SPARQL 1.1 query (GET ?query=); without a query, the service description")
def sparql_get(request: Request) -> Response:
    params = request.query_params
    if not any(name in params for name in ("query", "update")):
        return _description(request)
    return _answer(
        request,
        params.getlist("query"),
        params.getlist("update"),
        params.getlist("default-graph-uri"),
        params.getlist("named-graph-uri"),
    )


@router.post("/sparql", summary="SPARQL 1.1 query (POST form or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = request.query_params
    if content_type == "application/x-www-form-urlencoded":
        form = await request.form()
        queries = [str(v) for v in form.getlist("query")]
        updates = [str(v) for v in form.getlist("update")]
        defaults = [str(v) for v in form.getlist("default-graph-uri")] + params.getlist("default-graph-uri")
        named = [str(v) for v in form.getlist("named-graph-uri")] + params.getlist("named-graph-uri")
    elif content_type == "application/sparql-query":
        queries = [(await request.body()).decode("utf-8"), *params.getlist("query")]
        updates, defaults, named = (
            params.getlist("update"),
            params.getlist("default-graph-uri"),
            params.getlist("named-graph-uri"),
        )
    elif content_type == "application/sparql-update":
        raise Problem(400, "SPARQL Update is refused: this endpoint is read-only")
    else:
        raise Problem(415, f"unsupported content type {content_type!r}; use a form or application/sparql-query")
    return _answer(request, queries, updates, defaults, named)


def _answer(
    request: Request, queries: list[str], updates: list[str], defaults: list[str], named: list[str]
) -> Response:
    if updates:
        raise Problem(400, "SPARQL Update is refused: this endpoint is read-only")
    text = _one(queries, "query")
    _check(text)
    store = store_of(request)
    options: dict = {"prefixes": PREFIXES}
    if defaults:
        options["default_graph"] = [ox.NamedNode(iri) for iri in defaults]
    else:
        options["use_default_graph_as_union"] = True
    if named:
        options["named_graphs"] = [ox.NamedNode(iri) for iri in named]
    outcome = _serialise(store, text, options, request.headers.get("accept"), settings_of(request).sparql_max_rows)
    if isinstance(outcome, Problem):
        raise outcome
    media, body = outcome
    return Response(body, media_type=media)


def _serialise(
    store: ox.Store, text: str, options: dict, accept: str | None, limit: int
) -> tuple[str, bytes] | Problem:
    """Run the query and serialise its answer, or return (not raise) the Problem.

    pyoxigraph's result objects must be dropped on the thread that made them: returning instead of
    raising keeps them out of a traceback that the event loop's thread would drop.
    """
    try:
        answer = store.query(text, **options)
    except SyntaxError as exc:
        return Problem(400, f"SPARQL syntax error: {exc}")
    except (OSError, ValueError) as exc:
        return Problem(400, f"the query failed: {exc}")
    if isinstance(answer, ox.QueryTriples):
        media = negotiate(accept, GRAPH_TYPES)
        if media is None:
            return Problem(406, f"cannot answer a graph query as {accept!r}; offered: {', '.join(GRAPH_TYPES)}")
        return media, answer.serialize(format=GRAPH_FORMATS[GRAPH_TYPES[media]])
    media = negotiate(accept, RESULT_TYPES)
    if media is None:
        return Problem(406, f"cannot answer a SELECT or ASK query as {accept!r}; offered: {', '.join(RESULT_TYPES)}")
    if isinstance(answer, ox.QuerySolutions):
        if sum(1 for _ in zip(range(limit + 1), answer, strict=False)) > limit:
            return Problem(
                400,
                f"the query returns more than {limit:,} rows; the limit is the setting "
                f"{SPARQL_MAX_ROWS_ENV} (add LIMIT to the query)",
            )
        answer = store.query(text, **options)  # the first run was consumed by counting
    return media, answer.serialize(format=RESULT_FORMATS[RESULT_TYPES[media]])


def _description(request: Request) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, with a VoID description of its dataset."""
    store = store_of(request)
    endpoint = str(request.url.replace(query=""))
    counts = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    graphs = "".join(
        f"  sd:namedGraph [ sd:name <{row['g'].value}> ; sd:graph [ a sd:Graph ; void:triples {row['n'].value} ] ] ;\n"
        for row in counts
    )
    turtle = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<{endpoint}> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
    <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
    <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,
    <http://www.w3.org/ns/formats/RDF_XML>, <http://www.w3.org/ns/formats/JSON-LD> ;
  sd:feature sd:UnionDefaultGraph ;
  sd:defaultDataset <{endpoint}#dataset> .
<{endpoint}#dataset> a sd:Dataset, void:Dataset ;
  dcterms:title "certbridge: vocational skill certificates and their recognition"@en ;
  void:sparqlEndpoint <{endpoint}> ;
  void:vocabulary <https://w3id.org/certbridge/ontology#> ;
  void:uriSpace "https://w3id.org/certbridge/id/" ;
{graphs}  sd:defaultGraph [ a sd:Graph ; dcterms:description "the union of all named graphs"@en ] .
"""
    return Response(turtle.encode(), media_type="text/turtle")
