"""The API's documentation: /openapi.json with readable operation ids and every error as a Problem, and /docs
(Swagger UI) and /redoc (ReDoc) served from assets vendored in api/static, so both work offline.

Vendored: npm ``swagger-ui-dist`` (swagger-ui-bundle.js, swagger-ui.css) and ``redoc`` (bundles/redoc.standalone.js);
their versions and licences sit beside them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from .downloads import CSV
from .downloads import MEDIA as DOWNLOAD_TYPES
from .models import ProblemOut
from .negotiation import GRAPHS, HTML, RESULTS, media_type
from .problems import PROBLEM, problem_response

STATIC = Path(__file__).parent / "static"
ASSETS = "/assets/api"
OPENAPI_URL = "/openapi.json"

#: operation ids of the routes that set none themselves (function name -> id); others get the camelCased name
OPERATION_IDS = {
    "sparql_get": "querySparql",
    "sparql_post": "querySparqlByPost",
    "graph": "downloadGraph",
    "certificate_types": "downloadCertificateTypes",
    "query_page": "showQueryPage",
    "example_queries": "listExampleQueries",
    "dereference": "dereferenceIri",
    "index_page": "showViews",
    "route_page": "showRouteView",
    "node_page": "showNeighbourhoodView",
    "agreements_page": "showAgreementMap",
    "coverage_page": "showCoverageView",
    "coverage_cell": "showCoverageCell",
    "what_if_form": "showWhatIfForm",
    "what_if_page": "showWhatIfChange",
    "sources": "downloadSources",
    "graph_store": "getGraph",
    "void": "describeDataset",
}


#: the query parameter that pins a read to a release (api/state.py ``pinned``): every operation taking it may 404
PINNING = "release"
#: the error statuses of operations whose routes (in modules of other concerns) document none themselves
ERRORS_BY_OPERATION: dict[str, tuple[int, ...]] = {
    "querySparql": (400, 406, 413, 415, 503),
    "querySparqlByPost": (400, 406, 413, 415, 503),
    "downloadGraph": (404, 503),
    "downloadCertificateTypes": (503,),
    "dereferenceIri": (404, 406, 503),
    "getGraph": (400, 404, 406, 503),
    "describeDataset": (406, 503),
}


#: the media types of the 200 answers of operations whose routes document none (negotiated bodies)
_ANY_TEXT = {"schema": {"type": "string"}}
_BODY_SCHEMAS: dict[str, dict[str, Any]] = {
    "application/sparql-results+json": {"schema": {"type": "object", "required": ["head"]}},
    "application/ld+json": {"schema": {"type": ["object", "array"]}},
}
RESULT_TYPES = tuple(media_type(fmt) for fmt in RESULTS)
GRAPH_TYPES = tuple(media_type(fmt) for fmt in GRAPHS)
CONTENT_BY_OPERATION: dict[str, tuple[str, ...]] = {
    "querySparql": (*RESULT_TYPES, *GRAPH_TYPES, HTML),
    "querySparqlByPost": (*RESULT_TYPES, *GRAPH_TYPES),
    "downloadGraph": tuple(DOWNLOAD_TYPES.values()),
    "downloadCertificateTypes": (CSV,),
    "dereferenceIri": (HTML, *GRAPH_TYPES),
}


def operation_id(route: APIRoute) -> str:
    """FastAPI's ``generate_unique_id_function``: readable ids (``findRoutes``), not ``routes_api_v1_routes_get``."""
    if route.name in OPERATION_IDS:
        return OPERATION_IDS[route.name]
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def install(app: FastAPI) -> None:
    """Serve /openapi.json, /docs and /redoc (create the app with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="api-assets")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title}: REST API",
            swagger_js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # else the badge asks validator.swagger.io
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title}: REST API",
            redoc_js_url=f"{ASSETS}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every 4xx/5xx answer described as a ProblemOut in application/problem+json."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["ProblemOut"] = problem
    components["securitySchemes"] = {
        "bearerToken": {"type": "http", "scheme": "bearer", "description": "the token set by CERTBRIDGE_WRITE_TOKEN"}
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            name = operation.get("operationId", "")
            for status in ERRORS_BY_OPERATION.get(name, ()):
                operation.setdefault("responses", {}).setdefault(str(status), problem_response(status))
            if any(p.get("name") == PINNING for p in operation.get("parameters", ())):  # a release not kept: 404
                operation.setdefault("responses", {}).setdefault("404", problem_response(404))
            if name in CONTENT_BY_OPERATION:
                ok = operation.setdefault("responses", {}).setdefault("200", {"description": "Successful Response"})
                content = ok.setdefault("content", {})
                content.pop("application/json", None)  # FastAPI's default, for a route that documents no content
                for media in CONTENT_BY_OPERATION[name]:
                    content.setdefault(media, _BODY_SCHEMAS.get(media, _ANY_TEXT))
            for status, response in operation.get("responses", {}).items():
                if re.fullmatch(r"[45]\d\d", status) and PROBLEM not in response.get("content", {}):
                    documented = problem_response(int(status))
                    # a page for people documents its errors as pages: kept beside the problem+json
                    pages = {media: body for media, body in response.get("content", {}).items() if media == HTML}
                    response["content"] = {**pages, **documented["content"]}
                    if response.get("description") in (None, "", "Validation Error"):
                        response["description"] = documented["description"]
    text = str(schema["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if f"/{name}'" not in text:
            schemas.pop(name, None)
    return schema
