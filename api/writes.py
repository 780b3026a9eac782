"""Writes under /api/v1: new agreements, issuers and sanctions, with a bearer token from a setting.

A write is the offline `certbridge import` behind HTTP: validated against everything stored, applied
to the next store version (patched from the change's rows, or rebuilt: graph/writes.py; either way what
depends on it is re-derived), or rejected whole with every defect listed. Without a configured token every
write is refused.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi import Path as PathParameter
from fastapi.concurrency import run_in_threadpool

from certbridge.graph import writes
from certbridge.graph.convert import TABLES
from certbridge.graph.errors import DataError, InvalidOption, ShapeViolations

from .conventions import version_named_by
from .models import ChangeOut, RetireIn, WriteOut, answered
from .problems import Problem, ProblemType, problem_response, responses
from .settings import WRITE_TOKEN_ENV, WRITERS_ENV
from .state import settings_of, state_of
from .write_worker import WriteJob

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
#: the name a CSV body is given in its defects (``body.csv:3: ...``)
CSV_BODY = Path("body.csv")
JSON_BODY = Path("body")

#: one row as JSON: column -> value (lists are joined with ';', booleans written yes/no)
ROW_SCHEMA: dict[str, object] = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"type": "string"}},
        ]
    },
}


#: an If-Match header: the ETag of a read (any representation), naming the store version the change is based on
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="the ETag of a read the change was prepared from: refused with 412 when the store has moved on "
        "since (another write came first); without it the change is applied to the version current at its turn",
    ),
]
Note = Annotated[
    str, Query(min_length=1, max_length=2000, description="why the change is made: logged with the change")
]
TableName = Annotated[str, PathParameter(min_length=1, max_length=64, examples=["agreements"])]
RowKey = Annotated[str, PathParameter(min_length=1, max_length=200, examples=["IL-AG01"])]
#: one row's fields as JSON: column -> value (a list is joined with ';', a boolean written yes/no)
Fields = dict[str, str | int | float | bool | list[str] | None]


def based_on(if_match: str | None) -> str | None:
    """The version a write is based on, from its If-Match header (None: none given, or ``*``); a header naming no
    version of this store is a 412 at once (it cannot match)."""
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    version = version_named_by(if_match)
    if version is None:
        raise Problem(412, "If-Match names no store version: send the ETag of a read of this service")
    return version


def _authorise(request: Request) -> str:
    """The name of the writer whose token the request presents (every token compared, in constant time)."""
    tokens = settings_of(request).tokens()
    if not tokens:
        raise Problem(403, f"writes are disabled on this server: set {WRITERS_ENV} or {WRITE_TOKEN_ENV} to enable them")
    given = request.headers.get("authorization", "")
    scheme, _, credentials = given.partition(" ")
    presented = credentials.strip().encode()
    matches = [name for name, token in tokens if secrets.compare_digest(presented, token.encode())]
    if scheme.lower() != "bearer" or not matches:
        raise Problem(401, "a write needs the header 'Authorization: Bearer <token>' with a configured token")
    return matches[0]


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _rows(table: str, body: bytes, media_type: str) -> writes.NewRows:
    """The body as new rows: a JSON object or array of objects (column -> value), or CSV with a header.

    CSV is read by the same code as ``certbridge import`` (every ragged row reported by its line); JSON items
    are numbered from 0.
    """
    if media_type in CSV_TYPES:
        return writes.read_rows(CSV_BODY, table, content=body)
    if media_type != "application/json":
        raise Problem(415, f"send application/json or text/csv, not {media_type or 'no content type'}")
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Problem(400, "the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise Problem(400, f"malformed JSON body: {exc}") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise Problem(400, "the body must be a JSON object or a non-empty array of objects (column -> value)")
    unfit = [
        {"item": number, "field": column, "message": "a value is a string, number, boolean, null or list of strings"}
        for number, item in enumerate(items)
        for column, value in item.items()
        if not _fits_a_cell(value)
    ]
    if unfit:  # what ROW_SCHEMA documents; checked before anything else about the write (If-Match included)
        shown = "; ".join(f"item {e['item']} {e['field']}: {e['message']}" for e in unfit[:5])
        detail = f"{len(unfit)} defect(s); nothing was written: {shown}"
        raise Problem(422, detail, extra={"errors": unfit}, kind=ProblemType.REJECTED_WRITE)
    rows = [{str(k): cell(v) for k, v in item.items()} for item in items]
    return writes.NewRows(table, rows, JSON_BODY, list(range(len(rows))))


def _fits_a_cell(value: object) -> bool:
    """A JSON value ROW_SCHEMA allows for one field: a scalar, or a list of strings."""
    if isinstance(value, list):
        return all(isinstance(part, str) for part in value)
    return value is None or isinstance(value, str | int | float | bool)


def cell(value: object) -> str:
    """A JSON field's value as the tables write it (also for the what-ifs of proposed changes)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def _add(request: Request, table: str, body: bytes, writer: str, note: str, if_match: str | None) -> dict[str, object]:
    try:
        new = _rows(table, body, _media_type(request))
        job = WriteJob(function=writes.add_rows, change=new, writer=writer, note=note, based_on=based_on(if_match))
        written = state_of(request.app).write(job)
    except DataError as exc:
        errors = [
            {
                "item" if error.path == JSON_BODY else "line": error.line,
                "field": error.column,
                "message": error.message,
                **({} if error.path in (JSON_BODY, CSV_BODY) else {"table": error.path.name}),
            }
            for error in exc.errors
        ]
        shown = "; ".join(str(error) for error in exc.errors[:5]) + ("; …" if len(exc.errors) > 5 else "")
        detail = f"{len(errors)} defect(s); nothing was written: {shown}"
        raise Problem(422, detail, extra={"errors": errors}, kind=ProblemType.REJECTED_WRITE) from None
    except ShapeViolations as exc:
        detail = f"{exc.count} SHACL violation(s); nothing was written"
        raise Problem(422, detail, extra={"report": exc.report}, kind=ProblemType.REJECTED_WRITE) from None
    return {
        "table": table,
        "added": len(new.rows),
        "version": written.version.name,
        "triples": written.triples,
        "applied": str(written.applied),
        "changeset": written.changeset.id,
        "writer": writer,
    }


def _endpoint(name: str, table: str, example: dict[str, str]) -> None:
    async def add(
        request: Request,
        note: Annotated[
            str,
            Query(min_length=1, max_length=2000, description="why the rows are added: logged with the change"),
        ],
        if_match: IfMatch = None,
    ) -> dict[str, object]:
        writer = _authorise(request)
        if not note.strip():
            raise Problem(422, "note: say why the rows are added (it is logged with the change)")
        body = await request.body()
        return await run_in_threadpool(_add, request, table, body, writer, note, if_match)

    add.__name__ = f"add_{name}"
    add.__doc__ = (
        f"Add {name} (rows of the `{table}` table: JSON objects keyed by column, or CSV with a header). "
        "Validated with everything stored and the SHACL shapes, then applied atomically to the next store version "
        "(patched from the rows, or rebuilt from the tables; inferred recognition and the routing index re-derived); "
        "or rejected whole with every defect."
    )
    router.add_api_route(
        f"/{name}",
        add,
        methods=["POST"],
        status_code=201,
        operation_id=f"add{name.capitalize()}",
        summary=f"Add {name} (bearer token)",
        response_model=WriteOut,
        responses={
            **answered(WriteOut, 201, description="Written; the new store version is served from the next request on."),
            **responses(400, 401, 403, 412, 415, 503),
            422: {
                **problem_response(422),
                "description": "Rejected whole; `errors` lists every defect by item (JSON) or line (CSV) and field, "
                "or `report` the SHACL violations ([rejected-write](/problems/rejected-write)).",
            },
        },
        openapi_extra={
            "security": [{"bearerToken": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"oneOf": [ROW_SCHEMA, {"type": "array", "minItems": 1, "items": ROW_SCHEMA}]},
                        "example": [example],
                    },
                    "text/csv": {
                        "schema": {"type": "string"},
                        "example": ",".join(example) + "\n" + ",".join(example.values()) + "\n",
                    },
                },
            },
        },
    )


for _name, (_table, _example) in WRITABLE.items():
    _endpoint(_name, _table, _example)


def _written(written: writes.Written, writer: str) -> dict[str, object]:
    changeset = written.changeset
    return {
        "kind": str(changeset.kind),
        "table": changeset.table,
        "keys": changeset.keys(),
        "version": written.version.name,
        "triples": written.triples,
        "applied": str(written.applied),
        "changeset": changeset.id,
        "writer": writer,
    }


def _rejected(exc: DataError | ShapeViolations, body: Path) -> Problem:
    """A 422 listing every defect of a rejected change: those of the request's own fields by field."""
    if isinstance(exc, ShapeViolations):
        detail = f"{exc.count} SHACL violation(s); nothing was written"
        return Problem(422, detail, extra={"report": exc.report}, kind=ProblemType.REJECTED_WRITE)
    errors = [
        {"field": error.column, "message": error.message, **({} if error.path == body else {"table": error.path.name})}
        for error in exc.errors
    ]
    shown = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) + ("; …" if len(errors) > 5 else "")
    return Problem(
        422,
        f"{len(errors)} defect(s); nothing was written: {shown}",
        extra={"errors": errors},
        kind=ProblemType.REJECTED_WRITE,
    )


_CHANGE_RESPONSES = {
    **answered(ChangeOut, 201, description="Written; the new store version is served from the next request on."),
    **responses(400, 401, 403, 404, 409, 412, 503),
    422: {
        **problem_response(422),
        "description": "Rejected whole; `errors` lists every defect by field (and `table` for a defect the change "
        "brings to another row), or `report` the SHACL violations ([rejected-write](/problems/rejected-write)).",
    },
}


@router.post(
    "/tables/{table}/rows/{key}",
    operation_id="correctRow",
    summary="Correct fields of a row, found by its key (bearer token)",
    status_code=201,
    response_model=ChangeOut,
    responses=_CHANGE_RESPONSES,
    openapi_extra={"security": [{"bearerToken": []}]},
)
async def correct_row(
    request: Request,
    table: TableName,
    key: RowKey,
    fields: Annotated[
        Fields,
        Body(examples=[{"valid_to": "2030-12-31", "notes": "end date published"}], description="column -> new value"),
    ],
    note: Note,
    if_match: IfMatch = None,
) -> dict[str, object]:
    """The row of `table` whose key (its id; key columns joined by ':') is `key` gets the fields given; the next
    store version is built from the tables so corrected and validated whole (a key column never changes), or
    nothing changes. The changes log keeps the row before and after."""
    writer = _authorise(request)
    version = based_on(if_match)
    if table not in TABLES:
        raise Problem(404, f"no table {table!r}; tables: {', '.join(TABLES)}")
    if not fields:
        raise Problem(422, "the body names no field to correct", kind=ProblemType.REJECTED_WRITE)
    corrections = writes.Corrections(table, [(key, {c: cell(v) for c, v in fields.items()})], JSON_BODY, [0])

    def run() -> writes.Written:
        job = WriteJob(function=writes.correct_rows, change=corrections, writer=writer, note=note, based_on=version)
        try:
            return state_of(request.app).write(job)
        except (DataError, ShapeViolations) as exc:
            raise _rejected(exc, JSON_BODY) from None

    return _written(await run_in_threadpool(run), writer)


@router.post(
    "/tables/{table}/rows/{key}/retire",
    operation_id="retireRecord",
    summary="Retire a record from a day, with the reason and its source (bearer token); nothing is deleted",
    status_code=201,
    response_model=ChangeOut,
    responses=_CHANGE_RESPONSES,
    openapi_extra={"security": [{"bearerToken": []}]},
)
async def retire_record(
    request: Request,
    table: TableName,
    key: RowKey,
    retirement: RetireIn,
    note: Note,
    if_match: IfMatch = None,
) -> dict[str, object]:
    """A row of the retirements table: route lookups as of `retired_on` or later no longer use the record (as of an
    earlier day they still do), and every answer about it says it is retired, when and why. 404 when no record of
    `table` has the id `key`, 409 when it is already retired."""
    writer = _authorise(request)
    version = based_on(if_match)
    sources = retirement.source_ids
    record = writes.Retirement(
        table=table,
        key=key,
        retired_on=retirement.retired_on,
        reason=retirement.reason,
        source_ids=";".join(sources) if isinstance(sources, list) else sources,
        date_precision=retirement.date_precision,
        illustrative=retirement.illustrative,
        note=retirement.note,
        origin=JSON_BODY,
        line=0,
    )

    def run() -> writes.Written:
        job = WriteJob(function=writes.retire, change=record, writer=writer, note=note, based_on=version)
        try:
            return state_of(request.app).write(job)
        except (DataError, ShapeViolations) as exc:
            raise _rejected(exc, JSON_BODY) from None
        except InvalidOption as exc:
            raise Problem(404, exc.message) from None

    return _written(await run_in_threadpool(run), writer)
