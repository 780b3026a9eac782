"""GET /api/v1/releases: the data releases a store keeps (tag, version, date, note, writer), and those let go.

A release is made with `certbridge release TAG --note …` (graph/store/releases.py); any read that takes
``?release=TAG`` (``state.pinned``) answers from its version.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from certbridge.graph.store.releases import releases as releases_of

from .models import answered
from .problems import responses
from .state import AppGraphStore

router = APIRouter(prefix="/api/v1", tags=["releases"])

_EXAMPLE: dict[str, Any] = {
    "tag": "2026-12",
    "version": "v-20261207T100000000000Z-4242",
    "at": "2026-12-07T10:15:00+00:00",
    "writer": "广东省人社厅",
    "note": "十二月数据发布 / December data release",
    "let_go_at": None,
    "let_go_reason": None,
}


class ReleaseOut(BaseModel):
    """One release (graph/store/releases.py ``Release``)."""

    model_config = ConfigDict(extra="forbid")

    tag: str
    version: str = Field(description="the store version it names (its ETag when a read is pinned to it)")
    at: str = Field(description="when it was made (UTC, ISO 8601)")
    writer: str
    note: str
    let_go_at: str | None = Field(description="when the retention setting let it go; null while it is kept")
    let_go_reason: str | None


class ReleasesOut(BaseModel):
    """The releases kept, oldest first, and those let go (their versions may be pruned since)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"releases": [_EXAMPLE], "let_go": [], "current": None}}
    )

    releases: list[ReleaseOut]
    let_go: list[ReleaseOut]
    current: str | None = Field(description="the version current reads answer from")


@router.get(
    "/releases",
    operation_id="listReleases",
    summary="The data releases kept (a read pinned with ?release=TAG answers from one)",
    response_model=ReleasesOut,
    responses={**answered(ReleasesOut), **responses(503)},
)
def list_releases(store: AppGraphStore) -> ReleasesOut:
    """Same content as `certbridge releases --json`; a SPARQL server store keeps none."""
    made = releases_of(store)
    current = store.current_version()
    return ReleasesOut.model_validate(
        {
            "releases": [r.to_json() for r in made if r.kept],
            "let_go": [r.to_json() for r in made if not r.kept],
            "current": current.name if current is not None else None,
        }
    )
