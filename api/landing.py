"""The landing page at /: the one question certbridge answers, where to go next, and the dataset described in
schema.org's terms for search engines. Small on purpose; every word of it is in the catalogue
(visualize/messages/landing.yaml), Chinese first."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from certbridge.graph.formats import schemaorg
from certbridge.visualize.catalogue import message

from .void import dataset_facts

router = APIRouter(tags=["views"])

#: where the page links onward, with the catalogue key of each link's words
LINKS = (
    ("/query", "links.query"),
    ("/docs", "links.docs"),
    ("/viz/agreements", "links.agreements"),
    ("/viz/coverage", "links.coverage"),
    ("/sources", "links.sources"),
)
#: the README's two worked questions, as route views: one on real records, one on illustrative ones
EXAMPLES = (
    ("landing.real", "/viz/route?from=CT-tw-chinese-cuisine-class-c&to=CT-fj-chinese-cook-senior&as_of=2026-12-01"),
    (
        "landing.illustrative",
        "/viz/route?from=IL-CT-hengfeng-spinner-senior-technician&to=IL-CT-js-hrss-spinner-senior-technician"
        "&as_of=2024-01-01",
    ),
)


def both(key: str) -> str:
    """A catalogue message in Chinese, then English, escaped for HTML."""
    words = message(key)
    return f"{html.escape(words.zh)} / <span lang='en'>{html.escape(words.en)}</span>"


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
    links = "".join(f"<li><a href='{href}'>{both(key)}</a></li>" for href, key in LINKS)
    examples = "".join(f"<li><a href='{html.escape(href)}'>{both(key)}</a></li>" for key, href in EXAMPLES)
    return HTMLResponse(
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(message('landing.title').zh)} / {html.escape(message('landing.title').en)}</title>"
        f"{json_ld_script(described)}</head><body>"
        f"<h1>{both('landing.title')}</h1>"
        f"<form action='/viz/route' method='get'><h2>{both('landing.question')}</h2>"
        f"<p><label>{both('landing.held')} <input name='from' required></label></p>"
        f"<p><label>{both('landing.required')} <input name='to' required></label></p>"
        f"<p><button type='submit'>{both('landing.ask')}</button> <small>{both('landing.hint')}</small></p></form>"
        f"<h2>{both('landing.examples')}</h2><ul>{examples}</ul>"
        f"<h2>{both('landing.more')}</h2><ul>{links}</ul></body></html>"
    )
