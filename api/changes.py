"""GET /api/v1/changes: the changes log of the version served (who changed what, when and why), newest last."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from certbridge.graph.changes import read_log

from .models import Day, answered
from .problems import responses
from .state import AppGraphStore

router = APIRouter(prefix="/api/v1", tags=["changes"])


class ChangesetOut(BaseModel):
    """One write, as logged (graph/changes.py)."""

    id: str
    kind: str = Field(description="add (corrections and retirements are to come)")
    table: str
    rows: list[dict[str, str]] = Field(description="the rows as written (column -> value)")
    writer: str
    note: str = Field(description="why, as the writer said")
    at: str = Field(description="when it was applied (UTC)")
    based_on: str | None = Field(description="the store version it was applied to")


class ChangesOut(BaseModel):
    changes: list[ChangesetOut]


@router.get(
    "/changes",
    operation_id="listChanges",
    summary="The changes log: every write since the store was built from its tables",
    response_model=ChangesOut,
    responses={
        **answered(ChangesOut),
        **responses(422, 503),
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "changes": [
                            {
                                "id": "CS-20261207T101500123456Z-3fa2",
                                "kind": "add",
                                "table": "agreements",
                                "rows": [{"id": "MR99", "name_zh": "示例互认协议", "direction": "mutual"}],
                                "writer": "广东省人社厅",
                                "note": "协议已签署 / signed in May",
                                "at": "2026-12-07T10:15:00+00:00",
                                "based_on": "v-20261207T100000000000Z-4242",
                            }
                        ]
                    }
                }
            }
        },
    },
)
def changes(
    store: AppGraphStore,
    since: Annotated[Day | None, Query(description="only changes applied on or after this day")] = None,
) -> ChangesOut:
    """Same content as `certbridge changes --json`."""
    log = read_log(store.tables())
    if since is not None:
        log = [c for c in log if date.fromisoformat(c.at[:10]) >= since]
    return ChangesOut.model_validate({"changes": [c.to_json() for c in log]})
