"""The landing page at /: the one question certbridge answers, where to go next, and the dataset described in
schema.org's terms for search engines. Small on purpose; every word of it is in :data:`TEXT`, Chinese first."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from certbridge.graph.formats import schemaorg

from .void import dataset_facts

router = APIRouter(tags=["views"])

#: the page's words: (Chinese, English)
TEXT: dict[str, tuple[str, str]] = {
    "title": ("certbridge：职业技能证书互认", "certbridge: recognition between vocational skill certificates"),
    "question": (
        "在要求证书 B 的地方，证书 A 是否被接受？",
        "Is certificate A accepted where certificate B is required?",
    ),
    "held": ("证书 A（持有）", "Certificate A (held)"),
    "required": ("证书 B（要求）", "Certificate B (required)"),
    "ask": ("查询路径", "Find the routes"),
    "hint": ("可输入中文、英文、拼音或编号。", "Chinese, English, pinyin or an id."),
    "more": ("更多", "More"),
    "/query": ("SPARQL 查询", "SPARQL queries"),
    "/docs": ("REST 接口文档", "REST API documentation"),
    "/viz/agreements": ("互认协议地图", "Agreement map"),
    "/viz/coverage": ("覆盖率热图", "Coverage heat map"),
    "/api/v1/sources": ("数据来源", "Sources of the data"),
}
LINKS = ("/query", "/docs", "/viz/agreements", "/viz/coverage", "/api/v1/sources")


def both(key: str) -> str:
    """A text in Chinese, then English, escaped for HTML."""
    zh, en = TEXT[key]
    return f"{html.escape(zh)} / <span lang='en'>{html.escape(en)}</span>"


def json_ld_script(document: dict[str, Any]) -> str:
    """A ``<script type="application/ld+json">`` element; ``</`` is escaped so the JSON cannot end the element."""
    body = json.dumps(document, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{body}\n</script>'


@router.get(
    "/",
    name="landing",
    operation_id="showLandingPage",
    response_class=HTMLResponse,
    summary="The landing page: the question certbridge answers, links onward, the dataset as schema.org JSON-LD",
    responses={200: {"content": {"text/html": {"example": "<!doctype html>… certbridge …"}}}},
)
def landing(request: Request) -> HTMLResponse:
    described = schemaorg.dataset(dataset_facts(request))
    links = "".join(f"<li><a href='{href}'>{both(href)}</a></li>" for href in LINKS)
    return HTMLResponse(
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(TEXT['title'][0])} / {html.escape(TEXT['title'][1])}</title>"
        f"{json_ld_script(described)}</head><body>"
        f"<h1>{both('title')}</h1>"
        f"<form action='/viz/route' method='get'><h2>{both('question')}</h2>"
        f"<p><label>{both('held')} <input name='from' required></label></p>"
        f"<p><label>{both('required')} <input name='to' required></label></p>"
        f"<p><button type='submit'>{both('ask')}</button> <small>{both('hint')}</small></p></form>"
        f"<h2>{both('more')}</h2><ul>{links}</ul></body></html>"
    )
