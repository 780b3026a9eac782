"""The SPARQL 1.1 Protocol endpoint at /sparql: queries only, content negotiation, protective limits."""

from __future__ import annotations

import re

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from certbridge.graph.query import keep_carriage_returns
from certbridge.ontology import GRAPH

from .negotiation import GRAPHS, HTML, NAMES, RESULTS, VARY, choose, media_type, negotiate, not_acceptable
from .problems import Problem, problem
from .query_page import page
from .query_worker import Job
from .settings import SPARQL_MAX_ROWS_ENV
from .sparql_guard import absolute, check, form_fields, read_body
from .state import pinned, pool_of, settings_of
from .void import service_description

router = APIRouter(tags=["sparql"])

#: ``?accept=csv`` and the like, for download links that cannot set an Accept header
_FORMAT_PARAMETER = {name: media_type(fmt) for fmt, name in NAMES.items()}
#: the SPARQL 1.1 Protocol's parameters of a query request; any of them without ``query`` is a malformed request
_PROTOCOL_PARAMETERS = (
    "query",
    "update",
    "default-graph-uri",
    "named-graph-uri",
    "using-graph-uri",
    "using-named-graph-uri",
)
#: what GET /sparql without a query offers: its service description in RDF, or the query page for browsers
DESCRIPTION_TYPES: tuple[ox.RdfFormat | str, ...] = (*GRAPHS, HTML)


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
] + [
    {
        "name": "release",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "query this data release (its tag: GET /api/v1/releases, e.g. 2026-12) rather than the "
        "current data; 404 for a release not kept",
    }
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
    if not any(name in params for name in _PROTOCOL_PARAMETERS):
        chosen = choose(request.headers.get("accept"), DESCRIPTION_TYPES)
        if chosen == HTML:
            return HTMLResponse(page(), headers=VARY)
        assert isinstance(chosen, ox.RdfFormat)
        return Response(service_description(request, chosen), media_type=media_type(chosen), headers=VARY)
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
    result_format, graph_format = negotiate(accept, RESULTS), negotiate(accept, GRAPHS)
    releases = request.query_params.getlist("release")
    version = pinned(request, _one(releases, "release")) if releases else None
    job = Job(
        text,
        absolute(defaults, "default-graph-uri"),
        absolute(named, "named-graph-uri"),
        None if result_format is None else NAMES[result_format],
        None if graph_format is None else NAMES[graph_format],
        settings.sparql_max_rows,
        version=None if version is None else version.name,
    )
    outcome = pool_of(request).run(job, timeout=settings.sparql_timeout_s)
    if outcome.retry_after is not None:
        response = problem(outcome.status or 503, outcome.detail or "try again")
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome.status == 406:
        raise not_acceptable(GRAPHS if outcome.kind == "graph" else RESULTS)
    if outcome.status == 413:
        raise Problem(
            400,
            f"the query returns more than {settings.sparql_max_rows:,} rows; the limit is the setting "
            f"{SPARQL_MAX_ROWS_ENV} (add LIMIT to the query)",
        )
    if outcome.status is not None:
        raise Problem(outcome.status, outcome.detail or "the query failed")
    chosen = graph_format if outcome.kind == "graph" else result_format
    assert chosen is not None  # the worker answered 406 otherwise
    return Response(keep_carriage_returns(outcome.body, chosen), media_type=media_type(chosen), headers=VARY)
