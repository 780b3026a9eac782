"""One error shape everywhere: RFC 9457 ``application/problem+json`` (FastAPI's validation errors included).

Each problem's ``type`` is a URI reference, ``/problems/{slug}``, that resolves on this server to a page
(HTML for browsers, JSON otherwise) explaining the error in Chinese and English and what to do about it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParameter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from certbridge.graph.errors import (
    Ambiguous,
    CertbridgeError,
    Conflict,
    DataError,
    NotFound,
    QueryError,
    StoreError,
    VersionMoved,
)
from certbridge.visualize.catalogue import Language, message, text

from .models import ProblemTypeOut, answered
from .pages import language_of, page

PROBLEM = "application/problem+json"
PROBLEMS_PATH = "/problems"


class ProblemType(StrEnum):
    """The kinds of problem this service reports; the value is the slug of the page explaining it."""

    BAD_REQUEST = "bad-request"
    INVALID_QUERY = "invalid-query"
    INVALID_ROWS = "invalid-rows"
    UNAUTHORISED = "unauthorised"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    NOT_ACCEPTABLE = "not-acceptable"
    AMBIGUOUS = "ambiguous"
    PAYLOAD_TOO_LARGE = "payload-too-large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
    INVALID_PARAMETERS = "invalid-parameters"
    REJECTED_WRITE = "rejected-write"
    CONFLICT = "conflict"
    PRECONDITION_FAILED = "precondition-failed"
    TOO_MANY_REQUESTS = "too-many-requests"
    SERVER_ERROR = "server-error"
    STORE_UNAVAILABLE = "store-unavailable"
    QUERY_TIMEOUT = "query-timeout"

    @property
    def uri(self) -> str:
        return f"{PROBLEMS_PATH}/{self.value}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """A problem type: its status, and its title and explanation in both languages from the catalogue."""

    kind: ProblemType
    status: int

    @property
    def title_zh(self) -> str:
        return message(f"problem.{self.kind.value}.title").zh

    @property
    def title_en(self) -> str:
        return message(f"problem.{self.kind.value}.title").en

    @property
    def text_zh(self) -> str:
        return message(f"problem.{self.kind.value}.text").zh

    @property
    def text_en(self) -> str:
        return message(f"problem.{self.kind.value}.text").en


#: each problem type's status; its title and explanation are in the catalogue (visualize/messages/problems.yaml)
_STATUS: dict[ProblemType, int] = {
    ProblemType.BAD_REQUEST: 400,
    ProblemType.INVALID_QUERY: 400,
    ProblemType.INVALID_ROWS: 422,
    ProblemType.UNAUTHORISED: 401,
    ProblemType.FORBIDDEN: 403,
    ProblemType.NOT_FOUND: 404,
    ProblemType.METHOD_NOT_ALLOWED: 405,
    ProblemType.NOT_ACCEPTABLE: 406,
    ProblemType.AMBIGUOUS: 409,
    ProblemType.PAYLOAD_TOO_LARGE: 413,
    ProblemType.UNSUPPORTED_MEDIA_TYPE: 415,
    ProblemType.INVALID_PARAMETERS: 422,
    ProblemType.REJECTED_WRITE: 422,
    ProblemType.CONFLICT: 409,
    ProblemType.PRECONDITION_FAILED: 412,
    ProblemType.TOO_MANY_REQUESTS: 429,
    ProblemType.SERVER_ERROR: 500,
    ProblemType.STORE_UNAVAILABLE: 503,
    ProblemType.QUERY_TIMEOUT: 503,
}
EXPLANATIONS: dict[ProblemType, Explanation] = {
    kind: Explanation(kind=kind, status=status) for kind, status in _STATUS.items()
}

#: the problem type of a status when the raiser names none
_BY_STATUS: dict[int, ProblemType] = {
    400: ProblemType.BAD_REQUEST,
    401: ProblemType.UNAUTHORISED,
    403: ProblemType.FORBIDDEN,
    404: ProblemType.NOT_FOUND,
    405: ProblemType.METHOD_NOT_ALLOWED,
    406: ProblemType.NOT_ACCEPTABLE,
    409: ProblemType.AMBIGUOUS,
    413: ProblemType.PAYLOAD_TOO_LARGE,
    412: ProblemType.PRECONDITION_FAILED,
    415: ProblemType.UNSUPPORTED_MEDIA_TYPE,
    422: ProblemType.INVALID_PARAMETERS,
    429: ProblemType.TOO_MANY_REQUESTS,
    500: ProblemType.SERVER_ERROR,
    503: ProblemType.STORE_UNAVAILABLE,
}

STATUS_BY_ERROR: tuple[tuple[type[CertbridgeError], int, ProblemType], ...] = (
    (NotFound, 404, ProblemType.NOT_FOUND),
    (Conflict, 409, ProblemType.CONFLICT),
    (VersionMoved, 412, ProblemType.PRECONDITION_FAILED),
    (Ambiguous, 409, ProblemType.AMBIGUOUS),
    (QueryError, 400, ProblemType.INVALID_QUERY),
    (StoreError, 503, ProblemType.STORE_UNAVAILABLE),
    (DataError, 422, ProblemType.INVALID_ROWS),
    (CertbridgeError, 400, ProblemType.BAD_REQUEST),
)


def type_of(status: int) -> ProblemType:
    """The problem type of *status*: the first one listed for it, else the generic client or server error."""
    return _BY_STATUS.get(status, ProblemType.SERVER_ERROR if status >= 500 else ProblemType.BAD_REQUEST)


class Problem(Exception):
    """An HTTP error with a title and detail, rendered as problem+json."""

    def __init__(
        self, status: int, detail: str, *, extra: dict[str, object] | None = None, kind: ProblemType | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra or {}
        self.kind = kind or type_of(status)


def problem(
    status: int,
    detail: str,
    *,
    kind: ProblemType | None = None,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    return _problem_response(status, detail, kind, headers, extra)


def _problem_response(
    status: int, detail: str, kind: ProblemType | None, headers: dict[str, str] | None, extra: Mapping[str, object]
) -> JSONResponse:
    """:func:`problem` with its extra members as one mapping (so none of them can be taken for *headers*)."""
    kind = kind or type_of(status)
    body = {"type": kind.uri, "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for these error statuses: the Problem model as application/problem+json."""
    return {status: problem_response(status) for status in statuses}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of an error *status* (the ProblemOut schema is added by ``api.docs``)."""
    kind = type_of(status)
    example = {"type": kind.uri, "title": HTTPStatus(status).phrase, "status": status, "detail": "…"}
    return {
        "description": _described(status),
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/ProblemOut"}, "example": example}},
    }


def _described(status: int) -> str:
    kinds = [kind for kind, explanation in EXPLANATIONS.items() if explanation.status == status]
    pages = ", ".join(f"[{kind.value}]({kind.uri})" for kind in kinds)
    return f"{HTTPStatus(status).phrase} (problem+json){': ' + pages if pages else ''}"


def answer(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: ProblemType | None = None,
    headers: dict[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    """The answer to a failed request: problem+json for programs, or, when the Accept header prefers HTML (a
    browser), the error page for people with the same status (api/error_pages.py)."""
    if not _wants_html(request):
        return _problem_response(status, detail, kind, headers, extra or {})
    from .error_pages import error_page  # pages import the shell; a problem alone needs none of it

    kind = kind or type_of(status)
    return error_page(
        request,
        status=status,
        detail=detail,
        slug=kind.value,
        explained_href=kind.uri,
        extra=extra or {},
        headers=headers,
    )


def install(app: FastAPI) -> None:
    """The handlers that render every error as a problem, or as a page for a browser (the /problems pages are
    ``router``)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return answer(request, exc.status, exc.detail, kind=exc.kind, extra=exc.extra)

    @app.exception_handler(CertbridgeError)
    async def _domain(request: Request, exc: CertbridgeError) -> Response:
        status, kind = next((code, kind) for cls, code, kind in STATUS_BY_ERROR if isinstance(exc, cls))
        extra: dict[str, object] = {}
        if isinstance(exc, Ambiguous):
            extra["candidates"] = [{"iri": i, "label": label} for i, label in exc.candidates]
        if isinstance(exc, DataError):
            extra["errors"] = [
                {"file": e.path.name, "line": e.line, "field": e.column, "message": e.message} for e in exc.errors
            ]
        return answer(request, status, exc.message, kind=kind, extra={"hint": exc.hint, **extra})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return answer(request, 422, detail, kind=ProblemType.INVALID_PARAMETERS, extra={"errors": errors})

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names the methods of the first route of the path only
            headers["Allow"] = ", ".join(_allowed(request))
        return answer(request, exc.status_code, str(exc.detail), headers=headers or None)


router = APIRouter(prefix=PROBLEMS_PATH, tags=["problems"])
_ALSO_HTML = {"text/html": {"schema": {"type": "string"}}}
#: the problem pages are negotiated (HTML or JSON), so caches keep one copy per Accept
_VARY = {"Vary": "Accept"}


def _out(kind: ProblemType) -> ProblemTypeOut:
    explanation = EXPLANATIONS[kind]
    return ProblemTypeOut(
        type=kind.uri,
        slug=kind.value,
        status=explanation.status,
        title_zh=explanation.title_zh,
        title_en=explanation.title_en,
        explanation_zh=explanation.text_zh,
        explanation_en=explanation.text_en,
    )


@router.get(
    "",
    operation_id="listProblemTypes",
    summary="Every problem type this service reports, with what it means",
    response_model=list[ProblemTypeOut],
    responses={
        200: {
            "content": {
                "application/json": {"example": [ProblemTypeOut.model_config["json_schema_extra"]["example"]]},  # type: ignore[index]
                "text/html": {"schema": {"type": "string"}},
            }
        }
    },
)
def problem_types(request: Request) -> Response:
    found = [_out(kind) for kind in ProblemType]
    if _wants_html(request):
        return _problem_list_page(request, found)
    return JSONResponse([out.model_dump() for out in found], headers=_VARY)


@router.get(
    "/{slug}",
    operation_id="describeProblemType",
    summary="What one problem type means and what to do about it (HTML for browsers, else JSON)",
    response_model=ProblemTypeOut,
    responses={**answered(ProblemTypeOut, content=_ALSO_HTML), **responses(404, 422)},
)
def problem_type(request: Request, slug: Annotated[ProblemType, PathParameter(examples=["not-found"])]) -> Response:
    out = _out(slug)
    if _wants_html(request):
        return _problem_page(request, out)
    return JSONResponse(out.model_dump(), headers=_VARY)


def _problem_list_page(request: Request, found: list[ProblemTypeOut]) -> Response:
    """Every problem type as a page for people, in the shell and the request's language."""
    language = language_of(request)
    zh = language is Language.ZH
    heads = "".join(
        f'<th scope="col">{html.escape(text(f"problems.column.{name}", language))}</th>'
        for name in ("type", "status", "title")
    )
    rows = "".join(
        f"<tr><td><a href='{html.escape(out.type)}?lang={language.value}'>{html.escape(out.slug)}</a></td>"
        f"<td>{out.status}</td><td>{html.escape(out.title_zh if zh else out.title_en)}</td></tr>"
        for out in found
    )
    body = (
        f"<h1>{html.escape(text('problems.title', language))}</h1>"
        f"<p>{html.escape(text('problems.intro', language))}</p>"
        f"<div class='table-scroll'><table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table></div>"
    )
    response = page(request, title=text("problems.title", language), body=body)
    response.headers["Vary"] = "Accept, Cookie"
    return response


def _problem_page(request: Request, out: ProblemTypeOut) -> Response:
    """What one problem type means, as a page for people in the shell and the request's language."""
    language = language_of(request)
    zh = language is Language.ZH
    title = out.title_zh if zh else out.title_en
    body = (
        f"<h1>{html.escape(title)}</h1><p>HTTP {out.status} · <code>{html.escape(out.slug)}</code></p>"
        f"<p>{html.escape(out.explanation_zh if zh else out.explanation_en)}</p>"
        f"<p><a href='{PROBLEMS_PATH}?lang={language.value}'>{html.escape(text('problems.all', language))}</a></p>"
    )
    response = page(request, title=title, body=body)
    response.headers["Vary"] = "Accept, Cookie"
    return response


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed(request: Request) -> list[str]:
    """Every method some route of the request's path takes fully (asked of the router, whatever its nesting)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]


def _wants_html(request: Request) -> bool:
    """HTML when the Accept header prefers it to JSON (the one decision: :func:`api.negotiation.wants_html`)."""
    from .negotiation import wants_html  # negotiation raises this module's Problem

    return wants_html(request.headers.get("accept"))
