"""The search page at /search, where the search box in every page's header leads: the ranked matches of
/api/v1/search (certificate types, occupations, issuers, agreements, titles and levels) as links to their pages,
a certificate type also as the start of a question. In the visitor's language; words from the catalogue
(visualize/messages/search.yaml)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape

from certbridge.graph.routing.search import SearchKind, ranked_search
from certbridge.visualize.answer import local_href
from certbridge.visualize.catalogue import Language, text
from certbridge.visualize.errors import search_form
from certbridge.visualize.pagestyle import page_head

from .pages import language_of, page
from .problems import responses
from .state import index_of

router = APIRouter(tags=["views"])

#: matches per page
PAGE_SIZE = 20


@router.get(
    "/search",
    name="search_page",
    operation_id="showSearchPage",
    response_class=HTMLResponse,
    summary="The search page: certificate types, occupations, issuers, agreements and credentials matching q",
    responses={200: {"content": {"text/html": {"example": "<!doctype html>… 搜索 …"}}}, **responses(503)},
)
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=200, description="Chinese, English, pinyin, an id or a code")] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> HTMLResponse:
    """The matches of *q*, best first, a page at a time."""
    language = language_of(request)
    query = q.strip()
    title = text("search.title", language)
    box = search_form(language, query)  # the same box as the 404 page's, to search again
    if not query:
        body = f"<h1>{escape(title)}</h1>{box}<p>{escape(text('search.empty', language))}</p>"
        return page(request, title=title, body=body, head=page_head())
    found = ranked_search(index_of(request), query, offset=offset, limit=PAGE_SIZE, kinds=list(SearchKind))
    heading = f"<h1>{escape(text('search.heading', language, query=query))}</h1>{box}"
    if not found.hits:
        said = escape(text("search.none", language, query=query))
        return page(request, title=title, body=f"{heading}<p id='search-none'>{said}</p>", head=page_head())
    key = "search.count" if found.total_exact else "search.count.lower-bound"
    count = text(key, language, total=found.total, first=offset + 1, last=offset + len(found.hits))
    items = "".join(_item(hit.iri, hit.label, hit.kind, language) for hit in found.hits)
    pages = _pager(query, offset, found.total, language)
    listed = f"<ol class='search-results' start='{offset + 1}'>{items}</ol>"
    body = f"{heading}<p id='search-count'>{escape(count)}</p>{listed}{pages}"
    return page(request, title=title, body=body, head=page_head())


def _item(iri: str, label: str, kind: str, language: Language) -> str:
    key = iri.rsplit("/", 1)[-1]
    ask = ""
    if kind == SearchKind.CERTIFICATE_TYPE:
        question = escape(urlencode({"from": key}))
        ask = f" · <a class='ask' href='/answer?{question}'>{escape(text('search.ask', language))}</a>"
    kind_name = escape(text(f"search.kind.{kind}", language))
    local = local_href(iri)
    link = f"<a href='{escape(f'{local}?lang={language.value}' if local else iri)}'>{escape(label)}</a>"
    return f"<li>{link} <span class='kind'>({kind_name})</span> <code>{escape(key)}</code>{ask}</li>"


def _pager(query: str, offset: int, total: int, language: Language) -> str:
    links = []
    if offset > 0:
        before = urlencode({"q": query, "offset": max(0, offset - PAGE_SIZE)})
        links.append(f"<a rel='prev' href='/search?{escape(before)}'>{escape(text('search.previous', language))}</a>")
    if offset + PAGE_SIZE < total:
        after = urlencode({"q": query, "offset": offset + PAGE_SIZE})
        links.append(f"<a rel='next' href='/search?{escape(after)}'>{escape(text('search.next', language))}</a>")
    return f"<nav class='pager'>{' · '.join(links)}</nav>" if links else ""
