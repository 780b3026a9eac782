"""GET /api/v1/sources and the page GET /sources: every source and policy document, and how many records of
each table rest on it."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from certbridge.graph.sources import SourceReport, SourceUsage, source_report
from certbridge.graph.vocabulary import concept_names
from certbridge.visualize.catalogue import Language, text

from .entity_pages import version_name
from .pages import language_of, page
from .state import state_of

router = APIRouter(prefix="/api/v1", tags=["sources"])
page_router = APIRouter(tags=["sources"])


def _date(source: SourceUsage, language: Language) -> str:
    shown = html.escape(source.date or "")
    if source.date_as_stated:
        stated = html.escape(text("sources.as_stated", language))
        shown += f" <small>{stated}: {html.escape(source.date_as_stated)}</small>"
    return shown.strip()


def _row(source: SourceUsage, language: Language, trust: dict[str, tuple[str, str]]) -> str:
    side = 0 if language is Language.ZH else 1
    address = (
        f'<a href="{html.escape(source.url)}" rel="noopener noreferrer">{html.escape(source.url)}</a>'
        if source.url
        else html.escape(text("sources.none", language))
    )
    # tables by their files' names (data/<table>.csv), which are the same in both languages
    per_table = "<br>".join(f"<code>{html.escape(table)}.csv</code> {n}" for table, n in source.by_table.items())
    trusted = trust.get(source.trust or "", (source.trust or "",) * 2)[side]
    cells = (
        f'<th scope="row" id="{html.escape(source.id)}">{html.escape(source.id)}</th>',
        f"<td>{html.escape(source.title or '')}</td>",
        f"<td>{html.escape(source.kind)}</td>",
        f'<td class="address">{address}</td>',
        f"<td>{_date(source, language)}</td>",
        f"<td>{html.escape(text(f'sources.precision.{source.precision}', language)) if source.precision else ''}</td>",
        f"<td>{html.escape(trusted)}</td>",
        f"<td>{source.records}</td>",
        f"<td>{per_table}</td>",
    )
    return f"<tr>{''.join(cells)}</tr>"


def sources_page(report: SourceReport, language: Language) -> str:
    """The sources page's body in *language*: every source with its address as a link (the column names are the
    CLI's, from the catalogue; a source's trust by the ontology's name of it; titles and kinds as the data has
    them)."""
    heads = ("id", "title", "kind", "url", "date", "precision", "trust", "records", "by_table")
    head = "".join(f'<th scope="col">{html.escape(text(f"sources.column.{name}", language))}</th>' for name in heads)
    trust = concept_names("trust")
    rows = "".join(_row(source, language, trust) for source in report.sources)
    totals = "".join(
        f"<tr><th scope='row'><code>{html.escape(table)}.csv</code></th><td>{n}</td></tr>"
        for table, n in report.by_table.items()
    )
    say = {key: html.escape(text(f"sources.{key}", language)) for key in ("title", "intro", "also", "provenance")}
    return (
        f"<h1>{say['title']}</h1><p>{say['intro']}</p>"
        f"<p>{say['also']}<a href='/api/v1/sources'>/api/v1/sources</a> · "
        f"{say['provenance']}<a href='/api/v1/download/SOURCES.md'>SOURCES.md</a></p>"
        f"<h2>{html.escape(text('sources.heading', language, count=len(report.sources)))}</h2>"
        f"<div class='table-scroll' role='region' tabindex='0' aria-label='{say['title']}'>"
        f"<table id='sources'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        f"<h2>{html.escape(text('sources.totals', language))}</h2><table id='totals'><tbody>{totals}</tbody></table>"
    )


_EXAMPLE = {
    "sources": [
        {
            "id": "SRC-FJ-ZZGOV2022",
            "iri": "https://w3id.org/certbridge/id/source/SRC-FJ-ZZGOV2022",
            "kind": "official page",
            "title": "Zhangzhou municipal government site: text of 闽人社文〔2021〕71号",
            "url": "http://www.zhangzhou.gov.cn/cms/html/zzsrmzf/2022-03-31/1947464673.html",
            "date": "2022-03-31",
            "precision": "day",
            "date_as_stated": None,
            "trust": "high",
            "records": 3,
            "by_table": {"agreements": 1, "documents": 1, "organisations": 1},
        }
    ],
    "by_table": {"agreements": 21, "occupations": 2176},
}


class SourceOut(BaseModel):
    """One source (sources.csv) or policy document (documents.csv)."""

    id: str
    iri: str
    kind: str = Field(description="kind as recorded, or 'policy document'")
    title: str | None
    url: str | None = Field(description="address; null when none is known (the source's note says why)")
    date: str | None = Field(description="as precise as the source gives it")
    precision: str | None = Field(description="year, month or day (of the typed date); null without one")
    date_as_stated: str | None
    trust: str | None
    records: int = Field(description="records citing it, over all tables")
    by_table: dict[str, int] = Field(description="records citing it, per table")


class SourcesOut(BaseModel):
    sources: list[SourceOut]
    by_table: dict[str, int] = Field(description="per table: records citing at least one source")


def _report(request: Request) -> SourceReport:
    """The source report of the version served, made once per version (a scan of every dcterms:source)."""
    return state_of(request.app).per_version("source-report", source_report)


@router.get(
    "/sources",
    summary="Every source and policy document, with kind, address, date, trust and the records resting on it",
    response_model=SourcesOut,
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
    name="source_list",  # "sources" names the page of data/SOURCES.md (downloads), which VoID links to
    operation_id="listSources",
)
def source_list(request: Request) -> SourcesOut:
    """Same content as `certbridge sources --json`, for the version served."""
    return SourcesOut.model_validate(_report(request).to_json())


@page_router.get(
    "/sources",
    response_class=HTMLResponse,
    summary="The sources page: every source with kind, address, date, precision, trust and the records resting on it",
    responses={200: {"content": {"text/html": {"example": "<!doctype html><html lang='zh'>… certbridge 来源 …"}}}},
    name="source_page",
    operation_id="sourcesPage",
)
def source_page(request: Request) -> HTMLResponse:
    """The same content as GET /api/v1/sources, as a page for people in the shell (the request's language)."""
    language = language_of(request)
    body = sources_page(_report(request), language)
    return page(request, title=text("sources.title", language), body=body, version=version_name(request))
