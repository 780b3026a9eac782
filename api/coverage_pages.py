"""The coverage page and the what-if page for policy staff, at /viz/coverage and /viz/what-if: pages for people in
the shared shell and the request's language (the API's figures are /api/v1/coverage and /api/v1/what-if). The
shell's banner shows whenever the figures rest on illustrative or synthetic records; the what-if form takes a
typed or uploaded CSV of hypothetical agreements and shows the change, never writing them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from certbridge.graph.choices import GROUPINGS
from certbridge.graph.describe import labels_of
from certbridge.graph.errors import CertbridgeError, DataError
from certbridge.graph.routing.coverage import (
    Cell,
    Coverage,
    Grouping,
    cell_pairs,
    group_iris,
    read_hypothetical,
    what_if,
)
from certbridge.graph.routing.coverage import coverage as coverage_of
from certbridge.graph.routing.records import RoutingIndex
from certbridge.visualize.catalogue import Language, text
from certbridge.visualize.coverage_pages import (
    WHAT_IF_EXAMPLE,
    CellPair,
    GroupNames,
    WhatIfResult,
    cell_body,
    coverage_body,
    what_if_body,
)
from certbridge.visualize.model import marked_label
from certbridge.visualize.pagestyle import page_head

from .entity_pages import version_name
from .models import Day
from .negotiation import wants_html
from .pages import language_of, page
from .problems import Problem, ProblemType, responses
from .rest import WHAT_IF_NAME
from .state import Index, index_of, store_of

router = APIRouter(prefix="/viz", tags=["views"], default_response_class=HTMLResponse)

_PAGE = {
    200: {"content": {"text/html": {"example": "<!doctype html>… 互认覆盖率 …"}}},
    **responses(413, 422, 503),
}
#: the largest what-if table the form takes (the REST endpoint's callers send theirs as the body)
MAX_UPLOAD = 1_000_000
#: the fields of the what-if form (typed as text, or uploaded as a file); no others (the form parser takes at most
#: ten fields and answers 400 beyond them)
WHAT_IF_FIELDS: dict[str, dict[str, object]] = {
    "csv": {"type": "string", "description": "the hypothetical agreements, typed"},
    "upload": {"type": "string", "format": "binary", "description": "the same, as a file (wins when given)"},
    "by": {"type": "string", "enum": list(GROUPINGS)},
    "as_of": {"type": "string", "pattern": r"^(\d{4}-\d{2}-\d{2})?$", "description": "YYYY-MM-DD; empty: today"},
}
WHAT_IF_FORM = {"type": "object", "additionalProperties": False, "properties": WHAT_IF_FIELDS}
#: how many newly connected pairs the page lists
LISTED = 100


def group_names(request: Request, index: RoutingIndex, *tables: Coverage) -> GroupNames:
    """The names in the data of every group of *tables*, by key: regions from the routing index, the other groups
    (occupation major groups, issuer kinds' classes) from the store's labels."""
    iris = {key: iri for table in tables for key, iri in group_iris(index, table).items()}
    try:
        labels = labels_of(store_of(request), {iri for iri in iris.values() if iri not in index.region_labels})
    except CertbridgeError:  # no store to read names from (an index given by a test): the keys are shown
        labels = {}
    labels |= {iri: index.region_labels[iri] for iri in iris.values() if iri in index.region_labels}
    return {key: labels.get(iri, (None, None)) for key, iri in iris.items()}


@router.get(
    "/coverage", summary="Coverage heat map for people; each cell links to the pairs behind it", responses=_PAGE
)
def coverage_page(
    request: Request,
    index: Index,
    by: Annotated[Grouping, Query(examples=["region"])] = Grouping.REGION,
    as_of: Annotated[Day | None, Query(examples=["2025-01-01"])] = None,
    sample: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    try:
        table = coverage_of(index, by=by, as_of=as_of, max_occupations=sample)
    except ValueError as error:
        raise Problem(400, str(error)) from None
    language = language_of(request)
    return page(
        request,
        title=f"{text('coverage.title', language)} {text(f'coverage.by.{table.by}', language)}",
        body=coverage_body(table, group_names(request, index, table), language),
        illustrative=table.illustrative,
        version=version_name(request),
        head=page_head(),
    )


@router.get(
    "/coverage/cell",
    summary="The certificate pairs behind one coverage cell, each linking to its route view",
    responses=_PAGE,
)
def coverage_cell(
    request: Request,
    index: Index,
    by: Annotated[Grouping, Query(examples=["region"])],
    source: Annotated[str, Query(alias="from", examples=["Shandong"])],
    target: Annotated[str, Query(alias="to", examples=["Jiangsu"])],
    as_of: Annotated[Day | None, Query(examples=["2025-01-01"])] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> HTMLResponse:
    language = language_of(request)
    day = as_of or date.today()
    try:
        found = cell_pairs(index, by=by, row=source, column=target, as_of=day, limit=limit)
    except ValueError as error:
        raise Problem(400, str(error)) from None
    pairs = [
        CellPair(
            held=_label(index, a, language, marked=True),
            required=_label(index, b, language, marked=True),
            covered=covered,
            flagged=any(_flagged(index, iri) for iri in (a, b)),
            route_href=_route(a, b, day, language),
        )
        for a, b, covered in found
    ]
    table = Coverage(by, day.isoformat(), cells={(source, target): Cell()})
    body = cell_body(
        by=by.value,
        row=source,
        column=target,
        as_of=day.isoformat(),
        pairs=pairs,
        names=group_names(request, index, table),
        language=language,
    )
    return page(
        request,
        title=text("coverage.title", language),
        body=body,
        illustrative=any(pair.flagged for pair in pairs),
        version=version_name(request),
        head=page_head(),
    )


def _flagged(index: RoutingIndex, iri: str) -> bool:
    cert = index.certificates[iri]
    issuer = index.issuers.get(cert.issuer)
    return cert.illustrative or cert.synthetic or (issuer is not None and (issuer.illustrative or issuer.synthetic))


@router.get("/what-if", summary="The what-if form: try hypothetical agreements on coverage", responses=_PAGE)
def what_if_form(
    request: Request,
    by: Annotated[Grouping, Query(examples=["region"])] = Grouping.REGION,
    as_of: Annotated[Day | None, Query(examples=["2025-01-01"])] = None,
) -> HTMLResponse:
    language = language_of(request)
    body = what_if_body(language=language, by=by.value, as_of=(as_of or date.today()).isoformat(), csv=WHAT_IF_EXAMPLE)
    return page(
        request, title=text("whatif.title", language), body=body, head=page_head(), version=version_name(request)
    )


async def _table_sent(request: Request) -> tuple[str, dict[str, str]]:
    """The CSV the form sent (an uploaded file wins over the text box) and the form's other fields."""
    async with request.form(max_files=1, max_fields=10) as form:  # the upload's temporary file closed on leaving
        unknown = sorted(set(form.keys()) - set(WHAT_IF_FIELDS))
        if unknown:  # the form documents its fields and no others
            named = ", ".join(repr(name) for name in unknown[:5])
            raise Problem(400, f"the what-if form has no field {named}; its fields: {', '.join(WHAT_IF_FIELDS)}")
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        upload = form.get("upload")
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(MAX_UPLOAD + 1)
            if len(content) > MAX_UPLOAD:
                raise Problem(413, f"the table is larger than {MAX_UPLOAD:,} bytes")
            if content.strip():
                return content.decode("utf-8", errors="replace"), fields
    typed = fields.get("csv", "")
    if len(typed.encode()) > MAX_UPLOAD:
        raise Problem(413, f"the table is larger than {MAX_UPLOAD:,} bytes")
    return typed, fields


@router.post(
    "/what-if",
    summary="The change hypothetical agreements would make to coverage, as a page (nothing is stored)",
    responses={**_PAGE, **responses(400)},  # 400: a form body that does not parse
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": WHAT_IF_FORM,
                    "example": {"csv": WHAT_IF_EXAMPLE, "by": "region", "as_of": "2025-01-01"},
                },
                "multipart/form-data": {"schema": WHAT_IF_FORM},
            },
        }
    },
)
async def what_if_page(request: Request) -> HTMLResponse:
    language = language_of(request)
    csv, fields = await _table_sent(request)
    by = fields.get("by") or Grouping.REGION.value
    defects: list[str] = []
    if by not in GROUPINGS:
        defects.append(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
        by = Grouping.REGION.value
    day = date.today()
    try:
        sent = fields.get("as_of") or ""
        if sent and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", sent):
            raise ValueError(sent)
        day = date.fromisoformat(sent) if sent else day
    except ValueError:
        defects.append(f"as_of: {fields['as_of']!r} — {text('error.next.date', language)}")

    def compute() -> tuple[WhatIfResult | None, list[str], GroupNames]:
        index = index_of(request)
        try:
            hypothetical = read_hypothetical(Path(WHAT_IF_NAME), index, content=csv.encode())
        except DataError as error:
            if not for_people:
                raise  # a program gets the problem, every defect in its errors
            return None, [f"{e.path.name}:{e.line}: {e.column}: {e.message}" for e in error.errors], {}
        before, after = what_if(index, hypothetical, by=by, as_of=day, list_limit=LISTED)
        connected = [
            (_label(index, a, language), _label(index, b, language), _route(a, b, day, language))
            for a, b in after.newly_connected
        ]
        return (
            WhatIfResult(before=before, after=after, connected=connected),
            [],
            group_names(request, index, before, after),
        )

    for_people = wants_html(request.headers.get("accept"))
    if defects and not for_people:
        raise Problem(422, "; ".join(defects), kind=ProblemType.INVALID_PARAMETERS)
    result, more, names = (None, [], {}) if defects else await run_in_threadpool(compute)
    defects += more
    body = what_if_body(
        language=language, by=by, as_of=day.isoformat(), csv=csv, result=result, names=names, defects=defects
    )
    return page(
        request,
        title=text("whatif.title", language),
        body=body,
        illustrative=result is not None,  # the figures after rest on hypothetical (illustrative) agreements
        version=version_name(request),
        head=page_head(),
        status_code=422 if defects else 200,
    )


def _label(index: RoutingIndex, iri: str, language: Language, *, marked: bool = False) -> str:
    """A certificate type's name in *language*; *marked*: with its illustrative or synthetic badge."""
    cert = index.certificates[iri]
    first, second = (cert.label_zh, cert.label_en) if language is Language.ZH else (cert.label_en, cert.label_zh)
    name = first or second or iri.rsplit("/", 1)[-1]
    return marked_label(name, cert.illustrative, cert.synthetic, language.value) if marked else name


def _route(a: str, b: str, day: date, language: Language) -> str:
    query = {"from": a.rsplit("/", 1)[-1], "to": b.rsplit("/", 1)[-1], "as_of": day.isoformat(), "lang": language.value}
    return "/viz/route?" + urlencode(query)
