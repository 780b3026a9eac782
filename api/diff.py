"""GET /api/v1/diff?from=&to=: the route diff between two versions or releases (graph/diff.py).

The records added, corrected and retired between them, and the pairs of certificate types whose best route
appeared, disappeared or changed strength, each with the changes (changeset, writer, note) that caused it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from certbridge.graph.diff import RecordChangeKind, RouteChangeKind, diff

from .models import Day, EndpointOut, answered
from .problems import responses
from .state import AppGraphStore, AppSettings, state_of

router = APIRouter(prefix="/api/v1", tags=["releases"])

_CLOSED = ConfigDict(extra="forbid")
_CAUSE: dict[str, Any] = {
    "changeset": "CS-20261207T101500123456Z-3fa2",
    "kind": "retire",
    "writer": "广东省人社厅",
    "note": "协议终止 / the agreement was terminated",
    "at": "2026-12-07T10:15:00+00:00",
}
_ENDPOINT: dict[str, Any] = {
    "iri": "https://w3id.org/certbridge/id/certificate-type/IL-CT-hengfeng-spinner-senior-technician",
    "label_zh": "示例：恒丰 细纱值车工 高级技师",
    "label_en": None,
    "node_type": "certificate-type",
    "illustrative": True,
    "synthetic": False,
}
_EXAMPLE: dict[str, Any] = {
    "from": {"version": "v-20261207T100000000000Z-4242", "release": "2026-12"},
    "to": {"version": "v-20261207T101500000000Z-4242", "release": None},
    "proposed": False,
    "as_of": "2026-12-07",
    "changes": [_CAUSE],
    "records": [
        {
            "kind": "retired",
            "table": "agreements",
            "key": "IL-AG01",
            "iri": "https://w3id.org/certbridge/id/agreement/IL-AG01",
            "before": {"id": "IL-AG01"},
            "after": {"id": "IL-AG01"},
            "columns": [],
            "retirement": {"id": "RT-0001", "record_table": "agreements", "record_id": "IL-AG01"},
            "causes": [_CAUSE],
        }
    ],
    "routes": [
        {
            "kind": "disappeared",
            "source": _ENDPOINT,
            "target": {**_ENDPOINT, "iri": _ENDPOINT["iri"].replace("hengfeng", "js-hrss")},
            "before": {
                "strength": "formal-recognition",
                "hops": 1,
                "evidence": ["https://w3id.org/certbridge/id/agreement/IL-AG01"],
                "illustrative": True,
                "synthetic": False,
            },
            "after": None,
            "records": ["https://w3id.org/certbridge/id/agreement/IL-AG01"],
            "causes": [_CAUSE],
            "illustrative": True,
            "synthetic": False,
        }
    ],
    "touched_certificate_types": 4,
    "pairs_compared": 56,
    "max_pairs": 20000,
    "complete": True,
    "illustrative": True,
    "synthetic": False,
    "notes": [],
}


class CauseOut(BaseModel):
    """A changeset as the diff cites it."""

    model_config = _CLOSED
    changeset: str
    kind: str = Field(description="add, correct or retire")
    writer: str
    note: str
    at: str


class RecordChangeOut(BaseModel):
    """A row added, corrected, retired (or, diffing backwards, removed), with the row before and after."""

    model_config = _CLOSED
    kind: RecordChangeKind
    table: str
    key: str
    iri: str | None = Field(description="the record routing knows it as (an issuer's fact: the issuer)")
    before: dict[str, str] | None
    after: dict[str, str] | None
    columns: list[str] = Field(description="the columns a correction changed")
    retirement: dict[str, str] | None = Field(description="the retirements row that retired it")
    causes: list[CauseOut]


class BestRouteOut(BaseModel):
    """The best route of a pair in one of the two versions."""

    model_config = _CLOSED
    strength: str
    hops: int
    evidence: list[str]
    illustrative: bool
    synthetic: bool


class RouteChangeOut(BaseModel):
    """A pair whose best route appeared, disappeared or changed strength, and why."""

    model_config = _CLOSED
    kind: RouteChangeKind
    source: EndpointOut
    target: EndpointOut
    before: BestRouteOut | None
    after: BestRouteOut | None
    records: list[str] = Field(description="the changed records the change rests on (IRIs)")
    causes: list[CauseOut]
    illustrative: bool
    synthetic: bool


class VersionOut(BaseModel):
    model_config = _CLOSED
    version: str
    release: str | None


class DiffOut(BaseModel):
    """What changed between two versions, and what it did to the routes (graph/diff.py)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"example": _EXAMPLE})
    from_: VersionOut = Field(alias="from")
    to: VersionOut
    proposed: bool = Field(description="a what-if of a proposed change: nothing was written; 'to' names no version")
    as_of: str
    changes: list[CauseOut]
    records: list[RecordChangeOut]
    routes: list[RouteChangeOut]
    touched_certificate_types: int
    pairs_compared: int
    max_pairs: int
    complete: bool = Field(description="false when max_pairs was reached before every pair was compared")
    illustrative: bool = Field(description="some route change rests on illustrative records")
    synthetic: bool
    notes: list[str]


_VERSION = "current, a release's tag (GET /api/v1/releases), or a version kept (v-…)"


@router.get(
    "/diff",
    operation_id="diffVersions",
    summary="What changed between two versions or releases, and which routes it changed",
    response_model=None,
    responses={**answered(DiffOut), **responses(404, 422, 503)},
)
async def diff_endpoint(
    request: Request,
    store: AppGraphStore,
    settings: AppSettings,
    source: Annotated[
        str,
        Query(alias="from", min_length=1, max_length=200, description=f"the older: {_VERSION}", examples=["current"]),
    ],
    target: Annotated[
        str, Query(alias="to", min_length=1, max_length=200, description=f"the newer: {_VERSION}", examples=["current"])
    ] = "current",
    as_of: Annotated[
        Day | None, Query(description="the day both versions' routes are found for; today if absent")
    ] = None,
    max_pairs: Annotated[
        int | None,
        Query(ge=1, le=1_000_000, description="compare at most this many pairs (default: CERTBRIDGE_DIFF_MAX_PAIRS)"),
    ] = None,
) -> dict[str, Any]:
    """Same content as `certbridge diff A B --json`."""
    limit = min(max_pairs or settings.diff_max_pairs, settings.diff_max_pairs)
    state = state_of(request.app)  # its indexes, kept per version for the next request
    found = await run_in_threadpool(diff, store, source, target, as_of=as_of, max_pairs=limit, index_of=state.index_at)
    return found.to_json()
