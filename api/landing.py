"""The landing page at /: the one question certbridge answers, asked with two search boxes and a date, a sentence
on what the data is and how far to trust it, the two worked questions, where to go next, and the dataset
described in schema.org's terms for search engines. In the visitor's language (Chinese first); every word of it is
in the catalogue (visualize/messages/landing.yaml).
"""

from __future__ import annotations

import json
from datetime import date
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from certbridge.graph.formats import schemaorg
from certbridge.visualize.catalogue import text
from certbridge.visualize.question import Question, question_form

from .pages import language_of, page
from .state import state_of
from .void import dataset_facts

router = APIRouter(tags=["views"])

#: where the page links onward, with the catalogue key of each link's words
LINKS = (
    ("/viz/agreements", "links.agreements"),
    ("/viz/coverage", "links.coverage"),
    ("/query", "links.query"),
    ("/docs", "links.docs"),
    ("/sources", "links.sources"),
)
#: the README's two worked questions, as answer pages: one on real records, one on illustrative ones
EXAMPLES = (
    (
        "landing.real",
        "/answer?"
        + urlencode(
            {"from": "CT-tw-chinese-cuisine-class-c", "to": "CT-fj-chinese-cook-senior", "as_of": "2026-12-01"}
        ),
    ),
    (
        "landing.illustrative",
        "/answer?"
        + urlencode(
            {
                "from": "IL-CT-hengfeng-spinner-senior-technician",
                "to": "IL-CT-js-hrss-spinner-senior-technician",
                "as_of": "2024-01-01",
            }
        ),
    ),
)


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
    """The question form (search boxes that suggest certificates as one types), the worked questions, the links."""
    language = language_of(request)
    described = schemaorg.dataset(dataset_facts(request))
    words = {key: escape(text(key, language)) for key in ("landing.title", "landing.start", "landing.trust")}
    examples = "".join(f"<li><a href='{escape(href)}'>{escape(text(key, language))}</a></li>" for key, href in EXAMPLES)
    links = "".join(f"<li><a href='{href}'>{escape(text(key, language))}</a></li>" for href, key in LINKS)
    form = question_form(Question(), language, today=date.today().isoformat())
    body = (
        f"<h1>{words['landing.title']}</h1><p class='lead'>{words['landing.start']}</p>{form}"
        f"<p class='trust' id='trust'>{words['landing.trust']}</p>"
        f"<h2>{escape(text('landing.examples', language))}</h2><ul class='examples'>{examples}</ul>"
        f"<h2>{escape(text('landing.more', language))}</h2><ul class='links'>{links}</ul>"
    )
    version = state_of(request.app).store.current_version()
    return page(
        request,
        title=text("landing.title", language),
        body=body,
        version=version.name if version is not None else None,
        head=json_ld_script(described),
    )
