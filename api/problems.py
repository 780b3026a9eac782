"""One error shape everywhere: RFC 9457 ``application/problem+json`` (FastAPI's validation errors included)."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from certbridge.graph.errors import Ambiguous, CertbridgeError, NotFound, QueryError, StoreError

PROBLEM = "application/problem+json"
STATUS_BY_ERROR: tuple[tuple[type[CertbridgeError], int], ...] = (
    (NotFound, 404),
    (Ambiguous, 409),
    (QueryError, 400),
    (StoreError, 503),
    (CertbridgeError, 400),
)


class Problem(Exception):
    """An HTTP error with a title and detail, rendered as problem+json."""

    def __init__(self, status: int, detail: str, *, extra: dict | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra or {}


def problem(status: int, detail: str, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem(exc.status, exc.detail, **exc.extra)

    @app.exception_handler(CertbridgeError)
    async def _domain(_: Request, exc: CertbridgeError) -> JSONResponse:
        status = next(code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls))
        extra = (
            {"candidates": [{"iri": i, "label": label} for i, label in exc.candidates]}
            if isinstance(exc, Ambiguous)
            else {}
        )
        return problem(status, exc.message, hint=exc.hint, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return problem(422, "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))
