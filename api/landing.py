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
    "/sources": ("数据来源", "Sources of the data"),
    "examples": ("例题", "Worked questions"),
    "real": (
        "台湾技术士（中餐烹调 丙级）在福建要求中式烹调师（高级工）证书处是否被接受？依据哪份文件、有何条件？"
        "（真实记录）",
        "Is a Taiwan 技术士 certificate (Chinese cuisine, class C) accepted in Fujian where a 中式烹调师 (senior) "
        "certificate is required, by which document, on what condition? (real records)",
    ),
    "illustrative": (
        "示例：德州恒丰集团自主评价的纺纱工高级技师证书，在要求江苏省人社厅同类证书处是否被接受？"
        "（示例数据，并非真实事实）",
        "Illustrative: is Dezhou Hengfeng's enterprise-issued 高级技师 certificate accepted where Jiangsu's "
        "state-issued one is required? (illustrative records, not real facts)",
    ),
}
LINKS = ("/query", "/docs", "/viz/agreements", "/viz/coverage", "/sources")
#: the README's two worked questions, as route views: one on real records, one on illustrative ones
EXAMPLES = (
    ("real", "/viz/route?from=CT-tw-chinese-cuisine-class-c&to=CT-fj-chinese-cook-senior&as_of=2026-12-01"),
    (
        "illustrative",
        "/viz/route?from=IL-CT-hengfeng-spinner-senior-technician&to=IL-CT-js-hrss-spinner-senior-technician"
        "&as_of=2024-01-01",
    ),
)


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
    examples = "".join(f"<li><a href='{html.escape(href)}'>{both(key)}</a></li>" for key, href in EXAMPLES)
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
        f"<h2>{both('examples')}</h2><ul>{examples}</ul>"
        f"<h2>{both('more')}</h2><ul>{links}</ul></body></html>"
    )
