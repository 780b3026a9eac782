"""The search page for people at /search: the search box (the one every 404 page shows) and the entries found, each
linking to its entity page. The search is the API's (/api/v1/search: names, pinyin, ids, codes), ranked the same."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from certbridge.graph.routing.search import ranked_search
from certbridge.ontology import ID
from certbridge.visualize.catalogue import text
from certbridge.visualize.errors import search_form
from certbridge.visualize.pagestyle import page_head

from .entity_pages import version_name
from .pages import language_of, page
from .problems import responses
from .state import index_of

router = APIRouter(tags=["views"])

#: how many entries the page lists
SHOWN = 50


@router.get(
    "/search",
    name="search_page",
    operation_id="showSearchPage",
    response_class=HTMLResponse,
    summary="The search page for people: entries matching q, each linking to its entity page",
    responses={200: {"content": {"text/html": {"example": "<!doctype html>… 搜索 …"}}}, **responses(422, 503)},
)
def search_page(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, examples=["纺纱工"])] = None,
) -> HTMLResponse:
    language = language_of(request)
    query = (q or "").strip()
    parts = [f"<h1>{html.escape(text('search.title', language))}</h1>", search_form(language, query)]
    if query:
        found = ranked_search(index_of(request), query, limit=SHOWN)
        if not found.hits:
            parts.append(f"<p class='none'>{html.escape(text('search.none', language, query=query))}</p>")
        else:
            parts.append(f"<p>{html.escape(text('search.results', language, query=query, total=found.total))}</p>")
            items = "".join(
                f"<li><a href='/id/{html.escape(quote(hit.iri.removeprefix(str(ID))))}?lang={language.value}'>"
                f"{html.escape(hit.label)}</a> <small>{html.escape(text(f'search.kind.{hit.kind}', language))}</small>"
                "</li>"
                for hit in found.hits
                if hit.iri.startswith(str(ID))
            )
            parts.append(f"<ol class='results'>{items}</ol>")
            if found.total > SHOWN:
                parts.append(f"<p>{html.escape(text('search.more', language, shown=SHOWN))}</p>")
    return page(
        request,
        title=text("search.title", language),
        body="".join(parts),
        head=page_head(),
        version=version_name(request),
    )
