"""The SPARQL 1.1 Protocol endpoint at /sparql: queries only, content negotiation, protective limits."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from certbridge.ontology import GRAPH

from .problems import Problem, problem
from .query_page import page
from .query_worker import Job
from .settings import SPARQL_MAX_ROWS_ENV
from .sparql_guard import absolute, check, form_fields, read_body
from .state import pool_of, settings_of, store_of

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
#: ``?accept=csv`` and the like, for download links that cannot set an Accept header
_FORMAT_PARAMETER = {name: media for media, name in {**RESULT_TYPES, **GRAPH_TYPES}.items()}


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


EXAMPLE_QUERY = "SELECT ?occupation ?label WHERE { ?occupation a cb:Occupation ; rdfs:label ?label } LIMIT 5"
_GRAPH_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "description": description,
        "example": [example],
    }
    for name, description, example in (
        (
            "default-graph-uri",
            "the default graph (repeatable); without it, the union of all graphs",
            f"{GRAPH}data/occupations",
        ),
        ("named-graph-uri", "a named graph GRAPH may use (repeatable)", f"{GRAPH}inferred"),
    )
]


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query (GET ?query=); without a query, the service description",
    openapi_extra={
        "parameters": [
            {
                "name": "query",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "a SPARQL 1.1 query; the cb:, skos:, rdfs:, … prefixes are predeclared",
                "example": EXAMPLE_QUERY,
            },
            *_GRAPH_PARAMETERS,
        ]
    },
)
def sparql_get(request: Request) -> Response:
    params = request.query_params
    if not any(name in params for name in ("query", "update")):
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(page())
        return _description(request)
    return _answer(
        request,
        params.getlist("query"),
        params.getlist("update"),
        params.getlist("default-graph-uri"),
        params.getlist("named-graph-uri"),
    )


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query (POST form or application/sparql-query)",
    openapi_extra={
        "parameters": _GRAPH_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": {"type": "string"}, "example": EXAMPLE_QUERY},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": {"query": {"type": "string"}}},
                    "example": {"query": EXAMPLE_QUERY},
                },
            },
        },
    },
)
async def sparql_post(request: Request) -> Response:
    header = request.headers.get("content-type", "")
    content_type = header.split(";")[0].strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", header, re.IGNORECASE)
    if charset and charset[1].lower() not in ("utf-8", "utf8"):
        raise Problem(415, f"charset {charset[1]} is not supported: the SPARQL 1.1 Protocol sends UTF-8")
    params = request.query_params
    limit = settings_of(request).sparql_max_query_bytes
    if content_type == "application/x-www-form-urlencoded":
        form = form_fields(await read_body(request, 3 * limit + 4096))  # percent-encoding triples a character's bytes
        queries = form.get("query", [])
        updates = form.get("update", [])
        defaults = form.get("default-graph-uri", []) + params.getlist("default-graph-uri")
        named = form.get("named-graph-uri", []) + params.getlist("named-graph-uri")
    elif content_type == "application/sparql-query":
        try:
            body = (await read_body(request, limit)).decode("utf-8")
        except UnicodeDecodeError:
            raise Problem(400, "the query is not UTF-8, as the SPARQL 1.1 Protocol requires") from None
        queries = [body, *params.getlist("query")]
        updates, defaults, named = (
            params.getlist("update"),
            params.getlist("default-graph-uri"),
            params.getlist("named-graph-uri"),
        )
    elif content_type == "application/sparql-update":
        raise Problem(400, "SPARQL Update is refused: this endpoint is read-only")
    else:
        raise Problem(415, f"unsupported content type {content_type!r}; use a form or application/sparql-query")
    return await run_in_threadpool(_answer, request, queries, updates, defaults, named)


def _answer(
    request: Request, queries: list[str], updates: list[str], defaults: list[str], named: list[str]
) -> Response:
    if updates:
        raise Problem(400, "SPARQL Update is refused: this endpoint is read-only")
    text = _one(queries, "query")
    settings = settings_of(request)
    check(text, settings)
    accept = _FORMAT_PARAMETER.get(request.query_params.get("accept", ""), request.headers.get("accept"))
    result_media, graph_media = negotiate(accept, RESULT_TYPES), negotiate(accept, GRAPH_TYPES)
    job = Job(
        text,
        absolute(defaults, "default-graph-uri"),
        absolute(named, "named-graph-uri"),
        result_media and RESULT_TYPES[result_media],
        graph_media and GRAPH_TYPES[graph_media],
        settings.sparql_max_rows,
    )
    outcome = pool_of(request).run(job, timeout=settings.sparql_timeout_s)
    if outcome.retry_after is not None:
        response = problem(outcome.status or 503, outcome.detail or "try again")
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    offered = GRAPH_TYPES if outcome.kind == "graph" else RESULT_TYPES
    if outcome.status == 406:
        raise Problem(406, f"cannot answer this query as {accept!r}; offered: {', '.join(offered)}")
    if outcome.status == 413:
        raise Problem(
            400,
            f"the query returns more than {settings.sparql_max_rows:,} rows; the limit is the setting "
            f"{SPARQL_MAX_ROWS_ENV} (add LIMIT to the query)",
        )
    if outcome.status is not None:
        raise Problem(outcome.status, outcome.detail or "the query failed")
    media, body = (graph_media if outcome.kind == "graph" else result_media), outcome.body
    return Response(body, media_type=media)


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
