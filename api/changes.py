"""GET /api/v1/changes: the changes log of the version served (who changed what, when and why, each row before
and after, and the version each change made), newest last; as JSON, or as an Atom 1.0 feed for feed readers
(``Accept: application/atom+xml``, or /api/v1/changes.atom).

``since`` takes a store version (the changes after it: what a client that last saw that version has missed; the
version is in every answer's ``Certbridge-Data-Version`` header) or a day.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from certbridge.graph.changes import ChangeKind, Changeset, read_log, since
from certbridge.graph.errors import InvalidValue
from certbridge.visualize.catalogue import Language, text

from .models import Day, answered
from .negotiation import VARY, choose
from .problems import Problem, responses
from .state import AppGraphStore

router = APIRouter(prefix="/api/v1", tags=["changes"])

ATOM = "application/atom+xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
#: the feed's own id (an Atom id is a permanent IRI; entries are named by their changeset's id under it)
FEED_ID = "https://w3id.org/certbridge/changes"
_EXAMPLE: dict[str, Any] = {
    "id": "CS-20261207T101500123456Z-3fa2",
    "kind": "correct",
    "table": "agreements",
    "rows": [
        {
            "key": "MR01",
            "before": {"id": "MR01", "valid_to": "", "status": "issued"},
            "after": {"id": "MR01", "valid_to": "2030-12-31", "status": "issued"},
        }
    ],
    "writer": "广东省人社厅",
    "note": "截止日期已公布 / end date published",
    "at": "2026-12-07T10:15:00+00:00",
    "based_on": "v-20261207T100000000000Z-4242",
    "version": "v-20261207T101500123999Z-4242",
}


class RowChangeOut(BaseModel):
    """One row a change touched: its key, the row before (null for a row added) and after."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(description="the row's key (its id; several key columns joined by ':')")
    before: dict[str, str] | None = Field(description="the row before the change (column -> value); null when added")
    after: dict[str, str] = Field(description="the row after the change")


class ChangesetOut(BaseModel):
    """One write, as logged (graph/changes.py)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: Literal["add", "correct", "retire"] = Field(
        description="add (new rows), correct (fields of rows rewritten) or retire (a row of the retirements table)"
    )
    table: str
    rows: list[RowChangeOut]
    writer: str
    note: str = Field(description="why, as the writer said")
    at: str = Field(description="when it was applied (UTC)")
    based_on: str | None = Field(description="the store version it was applied to")
    version: str | None = Field(description="the store version it made (null in logs from before versions were named)")


class ChangesOut(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"changes": [_EXAMPLE]}})
    changes: list[ChangesetOut]


#: a store version's name, as ``Certbridge-Data-Version`` gives it (graph/store/base.py ``new_version_name``)
VersionName = Annotated[str, StringConstraints(pattern=r"^v-\d{8}T\d{12}Z-\d+$")]
Since = Annotated[
    Day | VersionName | None,
    Query(
        description="only changes after this store version (as `Certbridge-Data-Version` names it), or applied on or "
        "after this day (YYYY-MM-DD)",
        examples=["2026-12-01"],
    ),
]
_ATOM_CONTENT = {ATOM: {"schema": {"type": "string"}}}


def _log(store: AppGraphStore, after: date | str | None) -> list[Changeset]:
    try:
        return since(read_log(store.tables()), after.isoformat() if isinstance(after, date) else after)
    except InvalidValue as exc:
        raise Problem(422, f"since: {exc.message}") from None


@router.get(
    "/changes",
    operation_id="listChanges",
    summary="The changes feed: every write since the store was built from its tables (JSON, or Atom)",
    response_model=ChangesOut,
    responses={**answered(ChangesOut, content=_ATOM_CONTENT), **responses(406, 422, 503)},
)
def changes(request: Request, store: AppGraphStore, since: Since = None) -> Response:
    """Same content as `certbridge changes --json`; `Accept: application/atom+xml` gives it as an Atom feed."""
    chosen = choose(request.headers.get("accept"), ("application/json", ATOM))
    log = _log(store, since)
    if chosen == ATOM:
        return Response(atom_feed(log, str(request.url)), media_type=ATOM, headers=VARY)
    body = ChangesOut.model_validate({"changes": [c.to_json() for c in log]})
    return JSONResponse(body.model_dump(), headers=VARY)


@router.get(
    "/changes.atom",
    operation_id="changesFeed",
    summary="The changes feed as Atom 1.0, for feed readers",
    response_class=Response,
    responses={
        200: {"content": _ATOM_CONTENT, "description": "An Atom 1.0 feed, one entry per change"},
        **responses(422, 503),
    },
)
def changes_atom(request: Request, store: AppGraphStore, since: Since = None) -> Response:
    """Each entry: the writer as author, the note as title and summary, the kind, and the rows before and after
    (as JSON, in the entry's content); newest first, as feed readers expect."""
    return Response(atom_feed(_log(store, since), str(request.url)), media_type=ATOM)


def atom_feed(log: list[Changeset], self_url: str) -> bytes:
    """The changesets of *log* as an Atom 1.0 feed (RFC 4287), newest entry first."""
    ET.register_namespace("", ATOM_NS)

    def add(parent: ET.Element, name: str, value: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
        if value is not None:
            element.text = value
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "zh")
    add(feed, "id", FEED_ID)
    add(feed, "title", f"{text('changes.feed.title', Language.ZH)} / {text('changes.feed.title', Language.EN)}")
    add(feed, "subtitle", f"{text('changes.feed.subtitle', Language.ZH)} {text('changes.feed.subtitle', Language.EN)}")
    add(feed, "link", rel="self", href=self_url)
    add(feed, "updated", log[-1].at if log else "1970-01-01T00:00:00+00:00")
    add(add(feed, "author"), "name", "certbridge")
    for changeset in reversed(log):
        entry = add(feed, "entry")
        add(entry, "id", f"{FEED_ID}/{changeset.id}")
        kind = f"{text(f'changes.kind.{changeset.kind}', Language.ZH)} / {changeset.kind}"
        table, keys = changeset.table, ", ".join(changeset.keys())
        if changeset.kind is ChangeKind.RETIRE:  # name the record retired, not the retirement's own row
            retired = [row.after for row in changeset.rows]
            table = ", ".join(sorted({row.get("record_table", "") for row in retired}))
            keys = ", ".join(row.get("record_id", "") for row in retired)
        title = text("changes.feed.entry", Language.ZH, kind=kind, table=table, keys=keys)
        add(entry, "title", f"{title}: {changeset.note}")
        add(entry, "updated", changeset.at)
        add(entry, "published", changeset.at)
        add(add(entry, "author"), "name", changeset.writer)
        add(entry, "category", term=str(changeset.kind), label=str(changeset.kind))
        add(entry, "summary", changeset.note)
        add(entry, "content", json.dumps(changeset.to_json(), ensure_ascii=False, indent=1), type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
