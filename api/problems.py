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
from certbridge.visualize.catalogue import Language, text

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
    status: int
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str


EXPLANATIONS: dict[ProblemType, Explanation] = {
    ProblemType.BAD_REQUEST: Explanation(
        status=400,
        title_zh="请求有误",
        title_en="Bad request",
        text_zh="请求的参数或正文无法处理；detail 说明原因。",
        text_en="A parameter or the body cannot be used as sent; detail says why.",
    ),
    ProblemType.INVALID_QUERY: Explanation(
        status=400,
        title_zh="SPARQL 查询无效",
        title_en="Invalid SPARQL query",
        text_zh="查询无法解析或无法执行（例如超出行数上限）；detail 给出解析器的位置，hint 说明可调整的设置。",
        text_en="The query does not parse or cannot run (e.g. over the row cap); detail gives the parser's "
        "position and hint the setting that limits it.",
    ),
    ProblemType.INVALID_ROWS: Explanation(
        status=422,
        title_zh="上传的表格有误",
        title_en="Defects in the uploaded table",
        text_zh="上传的 CSV 有缺陷；errors 按 文件:行 列出每一处（文件名即请求中的名称）。",
        text_en="The uploaded CSV has defects; errors lists every one as FILE:line (the file named as sent).",
    ),
    ProblemType.UNAUTHORISED: Explanation(
        status=401,
        title_zh="需要令牌",
        title_en="Token needed",
        text_zh="写入需要请求头 Authorization: Bearer <令牌>，令牌须与服务器配置的一致。",
        text_en="A write needs the header 'Authorization: Bearer <token>' with the token this server is set up with.",
    ),
    ProblemType.FORBIDDEN: Explanation(
        status=403,
        title_zh="已禁用",
        title_en="Disabled",
        text_zh="此服务器未开启该操作（例如未设置写入令牌）。",
        text_en="This server does not allow the operation (e.g. no write token is configured).",
    ),
    ProblemType.NOT_FOUND: Explanation(
        status=404,
        title_zh="未找到",
        title_en="Not found",
        text_zh="没有与名称、编号或 IRI 对应的条目，或路径不存在；可先用 /api/v1/search 查找。",
        text_en="No entry matches the name, id or IRI, or the path does not exist; /api/v1/search finds entries.",
    ),
    ProblemType.METHOD_NOT_ALLOWED: Explanation(
        status=405,
        title_zh="方法不允许",
        title_en="Method not allowed",
        text_zh="该地址不接受此 HTTP 方法；响应头 Allow 列出可用的方法。",
        text_en="This address does not take that HTTP method; the Allow header lists those it takes.",
    ),
    ProblemType.NOT_ACCEPTABLE: Explanation(
        status=406,
        title_zh="无法提供所需格式",
        title_en="Not acceptable",
        text_zh="Accept 请求头要求的格式都无法提供；detail 列出可提供的格式。",
        text_en="None of the formats the Accept header asks for can be given; detail lists those offered.",
    ),
    ProblemType.AMBIGUOUS: Explanation(
        status=409,
        title_zh="名称有歧义",
        title_en="Ambiguous name",
        text_zh="名称匹配多个条目；candidates 列出它们，请改用其中的编号或 IRI。",
        text_en="The name matches several entries; candidates lists them: give one's id or IRI instead.",
    ),
    ProblemType.PAYLOAD_TOO_LARGE: Explanation(
        status=413,
        title_zh="请求正文过大",
        title_en="Payload too large",
        text_zh="请求正文超过服务器的上限。",
        text_en="The body is larger than this server accepts.",
    ),
    ProblemType.UNSUPPORTED_MEDIA_TYPE: Explanation(
        status=415,
        title_zh="不支持的内容类型",
        title_en="Unsupported media type",
        text_zh="请求正文的 Content-Type 不被接受；detail 列出可用的类型。",
        text_en="The body's Content-Type is not taken here; detail lists those that are.",
    ),
    ProblemType.INVALID_PARAMETERS: Explanation(
        status=422,
        title_zh="参数无效",
        title_en="Invalid parameters",
        text_zh="参数不符合接口定义（缺失、类型错误、超出范围或不在允许值中）；errors 逐项列出字段和原因。",
        text_en="Parameters do not fit the documented contract (missing, wrong type, out of range or not one of the "
        "allowed values); errors lists each field and why.",
    ),
    ProblemType.REJECTED_WRITE: Explanation(
        status=422,
        title_zh="写入被拒绝",
        title_en="Write rejected",
        text_zh="新数据与已存储的数据或 SHACL 约束不符，整批未写入；errors 或 report 列出每一处缺陷。",
        text_en="The new rows do not fit what is stored or the SHACL shapes, so nothing was written; errors (or "
        "report) lists every defect.",
    ),
    ProblemType.CONFLICT: Explanation(
        status=409,
        title_zh="与已存储的数据冲突",
        title_en="Conflict with what is stored",
        text_zh="该更改与已存储的数据相矛盾（例如退出一条已退出的记录）；未写入任何内容。",
        text_en="The change contradicts what is stored (e.g. retiring a record already retired); nothing was written.",
    ),
    ProblemType.PRECONDITION_FAILED: Explanation(
        status=412,
        title_zh="数据版本已变化",
        title_en="The store moved on",
        text_zh="If-Match 指定的存储版本已不是当前版本（其间有其他写入）；未写入任何内容。请重新读取后再提交。",
        text_en="The store version If-Match names is no longer current (another write came first); nothing was "
        "written. Read again and resend.",
    ),
    ProblemType.TOO_MANY_REQUESTS: Explanation(
        status=429,
        title_zh="请求过多",
        title_en="Too many requests",
        text_zh="请求过于频繁；请稍后再试（见 Retry-After）。",
        text_en="Too many requests at once; try again later (see Retry-After).",
    ),
    ProblemType.SERVER_ERROR: Explanation(
        status=500,
        title_zh="服务器内部错误",
        title_en="Internal server error",
        text_zh="服务器出现意外错误，已记录；请报告所用的请求。",
        text_en="The server failed unexpectedly and logged it; please report the request that caused it.",
    ),
    ProblemType.STORE_UNAVAILABLE: Explanation(
        status=503,
        title_zh="数据存储不可用",
        title_en="Store unavailable",
        text_zh="数据存储缺失、被锁定或暂时无法读取，或查询工作进程意外停止；请稍后再试。",
        text_en="The store is missing, locked or unreadable, or a query worker stopped; try again later.",
    ),
    ProblemType.QUERY_TIMEOUT: Explanation(
        status=503,
        title_zh="查询超时",
        title_en="Query timed out",
        text_zh="查询超过了时间上限而被停止；hint 说明可调整的设置。",
        text_en="The query ran past the time limit and was stopped; hint names the setting.",
    ),
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
