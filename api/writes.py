"""Writes under /api/v1: new agreements, issuers and sanctions, with a bearer token from a setting.

A write is the offline `certbridge import` behind HTTP: validated against everything stored, applied
by building the next store version (so what depends on it is re-derived), or rejected whole with
every defect listed. Without a configured token every write is refused.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from certbridge.graph import writes
from certbridge.graph.errors import DataError, ShapeViolations

from .problems import Problem
from .settings import WRITE_TOKEN_ENV
from .state import settings_of

router = APIRouter(prefix="/api/v1", tags=["writes"])

#: endpoint name -> table, with one example row each (for /docs)
WRITABLE: dict[str, tuple[str, dict[str, str]]] = {
    "agreements": (
        "agreements",
        {
            "id": "MR99",
            "name_zh": "示例互认协议",
            "name_en": "Example mutual-recognition agreement",
            "date": "2026-01-01",
            "date_precision": "day",
            "party_refs": "org:gd-hrss;org:mo-dsal",
            "direction": "mutual",
            "mechanism": "equivalence",
            "recognises_certificates": "yes",
            "valid_from": "2026-01-01",
            "status": "issued",
            "source_ids": "SRC-ILLUSTRATIVE",
            "trust": "low",
            "illustrative": "yes",
        },
    ),
    "issuers": (
        "organisations",
        {
            "id": "il-example-centre",
            "kind": "social-training-evaluation-organisation",
            "name_zh": "示例评价中心（示意）",
            "name_en": "Example evaluation centre (illustrative)",
            "region_code": "440000",
            "illustrative": "yes",
            "source_ids": "SRC-ILLUSTRATIVE",
        },
    ),
    "sanctions": (
        "sanctions",
        {
            "id": "SA-il-example",
            "issuer_id": "il-example-centre",
            "date": "2026-03-01",
            "reason": "excessive-issuance",
            "resulting_status": "suspended",
            "description": "ILLUSTRATIVE: suspended for issuing beyond its filed capacity",
            "illustrative": "yes",
            "source_ids": "SRC-ILLUSTRATIVE",
        },
    ),
}

CSV_TYPES = ("text/csv", "application/csv")


def _authorise(request: Request) -> None:
    token = settings_of(request).write_token
    if token is None:
        raise Problem(403, f"writes are disabled on this server: set {WRITE_TOKEN_ENV} to enable them")
    given = request.headers.get("authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(credentials.strip().encode(), token.encode()):
        raise Problem(401, "a write needs the header 'Authorization: Bearer <token>' with the configured token")


def _rows(body: bytes, media_type: str) -> list[dict[str, str]]:
    """The body as rows: a JSON object or array of objects (column -> value), or CSV with a header."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(400, "the body is not UTF-8") from None
    if media_type in CSV_TYPES:
        try:
            return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""), strict=True)]
        except csv.Error as exc:
            raise Problem(400, f"malformed CSV body: {exc}") from None
    if media_type != "application/json":
        raise Problem(415, f"send application/json or text/csv, not {media_type or 'no content type'}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Problem(400, f"malformed JSON body: {exc}") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise Problem(400, "the body must be a JSON object or a non-empty array of objects (column -> value)")
    return [{str(k): _cell(v) for k, v in item.items()} for item in items]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def _add(request: Request, table: str, body: bytes) -> dict:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    rows = _rows(body, media_type)
    if not rows:
        raise Problem(400, "the body holds no rows")
    csv_body = media_type in CSV_TYPES
    origin = Path("body.csv" if csv_body else "body")
    # CSV rows are numbered by their line (header is line 1, assuming one line per row); JSON items from 0
    lines = list(range(2, len(rows) + 2)) if csv_body else list(range(len(rows)))
    try:
        result = writes.add_rows(settings_of(request).store, writes.NewRows(table, rows, origin, lines))
    except DataError as exc:
        errors = [
            {
                "item" if error.path == origin and not csv_body else "line": error.line,
                "field": error.column,
                "message": error.message,
                **({} if error.path == origin else {"table": error.path.name}),
            }
            for error in exc.errors
        ]
        raise Problem(422, f"{len(errors)} defect(s); nothing was written", extra={"errors": errors}) from None
    except ShapeViolations as exc:
        detail = f"{exc.count} SHACL violation(s); nothing was written"
        raise Problem(422, detail, extra={"report": exc.report}) from None
    return {"table": table, "added": len(rows), "version": result.version.name, "triples": result.triples}


def _endpoint(name: str, table: str, example: dict[str, str]):
    async def add(request: Request) -> dict:
        _authorise(request)
        body = await request.body()
        return await run_in_threadpool(_add, request, table, body)

    add.__name__ = f"add_{name}"
    add.__doc__ = (
        f"Add {name} (rows of the `{table}` table: JSON objects keyed by column, or CSV with a header). "
        "Validated with everything stored and the SHACL shapes, then applied atomically by building the next "
        "store version (inferred recognition and the routing index re-derived); or rejected whole with every defect."
    )
    router.add_api_route(
        f"/{name}",
        add,
        methods=["POST"],
        status_code=201,
        summary=f"Add {name} (bearer token)",
        responses={
            201: {"description": "Written; the new store version is served from the next request on."},
            401: {"description": "Missing or wrong bearer token."},
            403: {"description": f"Writes disabled ({WRITE_TOKEN_ENV} not set)."},
            422: {"description": "Rejected whole; `errors` lists every defect by item (JSON) or line (CSV) and field."},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"type": "object"}},
                        "example": [example],
                    },
                    "text/csv": {
                        "schema": {"type": "string"},
                        "example": ",".join(example) + "\n" + ",".join(example.values()) + "\n",
                    },
                },
            }
        },
    )


for _name, (_table, _example) in WRITABLE.items():
    _endpoint(_name, _table, _example)
