"""GET /api/v1/sources and the page GET /sources: every source and policy document, and how many records of
each table rest on it."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from certbridge.graph.sources import COLUMNS, PRECISION_NAMES, TOTALS, SourceReport, SourceUsage, source_report

from .state import state_of

router = APIRouter(prefix="/api/v1", tags=["sources"])
page_router = APIRouter(tags=["sources"])

#: the page's own words (Chinese, English); the column names come from graph/sources.py, as the CLI's do
PAGE_TEXT: dict[str, tuple[str, str]] = {
    "title": ("certbridge 来源", "certbridge sources"),
    "intro": (
        "图中每条事实都注明来源。下表列出每个来源与政策文件：类型、地址、日期及其精度、可信度，以及各表有多少记录以之为据；"
        "来源一旦失效，便知哪些事实随之动摇。",
        "Every fact in the graph names its source. Below, every source and policy document: its kind, address, date "
        "with its precision, trust, and how many records of each table rest on it, so that you see which facts "
        "would fall with a source.",
    ),
    "sources": ("来源与政策文件", "Sources and policy documents"),
    "none": ("（无地址）", "(no address)"),
    "as_stated": ("原文", "as stated"),
    "also": ("同一内容的 JSON：", "The same as JSON: "),
    "provenance": ("各表的出处与许可：", "Where each table comes from, and its licence: "),
}


def _both(pair: tuple[str, str]) -> str:
    return f"{html.escape(pair[0])} / {html.escape(pair[1])}"


def _date(source: SourceUsage) -> str:
    shown = html.escape(source.date or "")
    if source.date_as_stated:
        shown += f" <small>{_both(PAGE_TEXT['as_stated'])}: {html.escape(source.date_as_stated)}</small>"
    return shown.strip()


def _row(source: SourceUsage) -> str:
    address = (
        f'<a href="{html.escape(source.url)}" rel="noopener noreferrer">{html.escape(source.url)}</a>'
        if source.url
        else _both(PAGE_TEXT["none"])
    )
    per_table = "<br>".join(f"{html.escape(table)} {n}" for table, n in source.by_table.items())
    cells = (
        f'<th scope="row" id="{html.escape(source.id)}">{html.escape(source.id)}</th>',
        f"<td>{html.escape(source.title or '')}</td>",
        f"<td>{html.escape(source.kind)}</td>",
        f"<td>{address}</td>",
        f"<td>{_date(source)}</td>",
        f"<td>{_both(PRECISION_NAMES[source.precision]) if source.precision else ''}</td>",
        f"<td>{html.escape(source.trust or '')}</td>",
        f"<td>{source.records}</td>",
        f"<td>{per_table}</td>",
    )
    return f"<tr>{''.join(cells)}</tr>"


def sources_page(report: SourceReport) -> str:
    """The sources page: bilingual (Chinese first), every source with its address as a link."""
    heads = ("id", "title", "kind", "url", "date", "precision", "trust", "records", "by_table")
    head = "".join(f'<th scope="col">{_both(COLUMNS[name])}</th>' for name in heads)
    rows = "".join(_row(source) for source in report.sources)
    totals = "".join(f"<tr><th scope='row'>{html.escape(t)}</th><td>{n}</td></tr>" for t, n in report.by_table.items())
    intro_zh, intro_en = PAGE_TEXT["intro"]
    return (
        '<!doctype html>\n<html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_both(PAGE_TEXT['title'])}</title><link rel='icon' href='data:,'>"
        "<style>body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}"
        "td:nth-child(4){word-break:break-all;max-width:28rem}</style></head><body>"
        f"<h1>{_both(PAGE_TEXT['title'])}</h1>"
        f'<p lang="zh">{html.escape(intro_zh)}</p><p lang="en">{html.escape(intro_en)}</p>'
        f"<p>{_both(PAGE_TEXT['also'])}<a href='/api/v1/sources'>/api/v1/sources</a> · "
        f"{_both(PAGE_TEXT['provenance'])}<a href='/api/v1/download/SOURCES.md'>SOURCES.md</a></p>"
        f"<h2>{_both(PAGE_TEXT['sources'])} ({len(report.sources)})</h2>"
        f"<table id='sources'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<h2>{_both(TOTALS)}</h2><table id='totals'><tbody>{totals}</tbody></table>"
        "</body></html>\n"
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
    """The same content as GET /api/v1/sources, as a page (Chinese first, then English)."""
    return HTMLResponse(sources_page(_report(request)))
