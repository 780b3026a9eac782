"""POST /api/v1/what-if/retirement and /api/v1/what-if/correction: the route diff of a proposed change.

The change is applied as the writes apply it (graph/writes.py), to a scratch copy of the store, and compared as
GET /api/v1/diff compares two versions (graph/proposed.py): the same answer as the diff after making it. Nothing
is stored, so no token is needed; each request builds a version, so one runs at a time and the others are told
to retry (503 with Retry-After), and an anonymous client cannot make the server build many at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from certbridge.graph import writes
from certbridge.graph.changes import Changeset
from certbridge.graph.convert import TABLES
from certbridge.graph.convert.retirements import RETIRABLE
from certbridge.graph.errors import DataError, ShapeViolations
from certbridge.graph.proposed import what_if_change
from certbridge.graph.store import GraphStore

from .diff import DiffOut
from .models import Day, answered
from .problems import Problem, problem, responses
from .state import state_of

router = APIRouter(prefix="/api/v1/what-if", tags=["routes"])

#: what a proposed change's defects are named by (``body:1: retired_on: …``), never a path of the server
BODY = Path("body")
#: who and why, as the scratch write logs them (never stored)
WRITER, NOTE = "what-if", "a proposed change (what-if): nothing is stored"
RETRY_AFTER_S = 5


RETIREMENT_EXAMPLE: dict[str, Any] = {
    "table": "agreements",
    "id": "IL-AG01",
    "retired_on": "2026-12-01",
    "reason": "协议已由双方终止 / terminated by the parties",
    "source_ids": "SRC-ILLUSTRATIVE",
    "illustrative": True,
}


class RetirementIn(BaseModel):
    """A proposed retirement: the record, the day it would stop counting, why, and the source saying so."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": RETIREMENT_EXAMPLE})
    table: str = Field(min_length=1, max_length=64, description=f"one of {', '.join(RETIRABLE)}")
    id: str = Field(min_length=1, max_length=200)
    retired_on: str = Field(min_length=1, max_length=32, description="YYYY[-MM[-DD]]")
    reason: str = Field(min_length=1, max_length=2000)
    source_ids: str = Field(min_length=1, max_length=2000, description="the sources reporting it, ';'-separated")
    date_precision: str = Field(default="", max_length=200)
    illustrative: bool = False


#: a row's fields as JSON: column -> value (a list is joined with ';', a boolean written yes/no)
Fields = dict[str, str | int | float | bool | list[str] | None]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return str(value)


def _proposed(
    request: Request, apply: Callable[[GraphStore], Changeset], as_of: Any, max_pairs: int | None
) -> dict[str, Any] | Response:
    """Run one what-if of a proposed change (another at the same time is told to retry: 503)."""
    state = state_of(request.app)
    settings = state.settings
    if not state.proposing.acquire(blocking=False):
        detail = "another what-if of a proposed change is running; try again"
        return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER_S)})
    try:
        limit = min(max_pairs or settings.diff_max_pairs, settings.diff_max_pairs)
        found = what_if_change(state.store, apply, as_of=as_of, max_pairs=limit, index_of=state.index_at)
    except DataError as exc:  # named by file name only: the scratch copy's folder is the server's business
        errors = [{"file": e.path.name, "line": e.line, "field": e.column, "message": e.message} for e in exc.errors]
        shown = "; ".join(f"{e['file']}:{e['line']}: {e['field']}: {e['message']}" for e in errors[:5])
        raise Problem(
            422, f"{len(errors)} defect(s) in the proposed change: {shown}", extra={"errors": errors}
        ) from None
    except ShapeViolations as exc:
        raise Problem(422, f"the change would break {exc.count} SHACL shape(s)", extra={"report": exc.report}) from None
    finally:
        state.proposing.release()
    return found.to_json()


AsOf = Annotated[Day | None, Query(description="the day both versions' routes are found for; today if absent")]
MaxPairs = Annotated[
    int | None, Query(ge=1, le=1_000_000, description="compare at most this many pairs (CERTBRIDGE_DIFF_MAX_PAIRS)")
]
_RESPONSES = {**answered(DiffOut), **responses(400, 404, 409, 422, 503)}


@router.post(
    "/retirement",
    operation_id="whatIfRetirement",
    summary="The route diff a proposed retirement would make (never stored)",
    response_model=None,
    responses=_RESPONSES,
    openapi_extra={"requestBody": {"content": {"application/json": {"example": RETIREMENT_EXAMPLE}}}},
)
async def what_if_retirement(
    request: Request, retirement: Annotated[RetirementIn, Body()], as_of: AsOf = None, max_pairs: MaxPairs = None
) -> dict[str, Any] | Response:
    """Same answer as `certbridge what-if --retire TABLE:ID …`, and as GET /api/v1/diff after retiring it."""
    if retirement.table not in RETIRABLE:
        raise Problem(404, f"records of {retirement.table!r} are not retired; retire those of {', '.join(RETIRABLE)}")
    proposed = writes.Retirement(
        table=retirement.table,
        key=retirement.id,
        retired_on=retirement.retired_on,
        reason=retirement.reason,
        source_ids=retirement.source_ids,
        date_precision=retirement.date_precision,
        illustrative=retirement.illustrative,
        origin=BODY,
    )

    def apply(scratch: GraphStore) -> Changeset:
        return writes.retire(scratch, proposed, writer=WRITER, note=NOTE).changeset

    return await run_in_threadpool(_proposed, request, apply, as_of, max_pairs)


@router.post(
    "/correction/{table}/{key}",
    operation_id="whatIfCorrection",
    summary="The route diff a proposed correction of a row would make (never stored)",
    response_model=None,
    responses=_RESPONSES,
    openapi_extra={"requestBody": {"content": {"application/json": {"example": {"valid_to": "2026-12-31"}}}}},
)
async def what_if_correction(
    request: Request,
    table: Annotated[str, PathParameter(max_length=64, examples=["agreements"])],
    key: Annotated[str, PathParameter(max_length=200, examples=["IL-AG01"], description="key columns joined by ':'")],
    fields: Annotated[
        Fields,
        Body(examples=[{"valid_to": "2026-12-31"}], description="column -> corrected value"),
    ],
    as_of: AsOf = None,
    max_pairs: MaxPairs = None,
) -> dict[str, Any] | Response:
    """Same answer as `certbridge what-if --correct TABLE:KEY --set C=V`, and as the diff after correcting it."""
    if table not in TABLES:
        raise Problem(404, f"no table {table!r}; tables: {', '.join(TABLES)}")
    if not fields:
        raise Problem(422, "the body names no field to correct")
    corrections = writes.Corrections(table, [(key, {c: _cell(v) for c, v in fields.items()})], BODY, [1])

    def apply(scratch: GraphStore) -> Changeset:
        return writes.correct_rows(scratch, corrections, writer=WRITER, note=NOTE).changeset

    return await run_in_threadpool(_proposed, request, apply, as_of, max_pairs)
