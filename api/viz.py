"""The graph views at /viz: route, neighbourhood, agreement map and coverage, as pages that call the API."""

from __future__ import annotations

import html
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from certbridge.graph.iris import from_path
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.explain import missing_agreement
from certbridge.graph.routing.resolve import HELD_KINDS, resolve
from certbridge.visualize.catalogue import message, text
from certbridge.visualize.model import View, hop_legend
from certbridge.visualize.render import render_html
from certbridge.visualize.views import (
    agreement_map,
    certificate_facets,
    facet_names,
    node_view,
    route_facets,
    route_view,
)

from .entity_pages import version_name
from .models import Day
from .pages import language_of, page, respond, shell_of
from .problems import Problem, responses
from .state import index_of, settings_of, store_of

router = APIRouter(prefix="/viz", tags=["views"], default_response_class=HTMLResponse)

_PAGE = {
    200: {"content": {"text/html": {"example": "<!doctype html>… certbridge graph view …"}}},
    **responses(404, 409, 422, 503),
}


#: the views the index lists: where each goes and the catalogue key of its words
_VIEWS = (
    ("/viz/route", "viz.route"),
    ("/viz/node?id=organisation/mohrss", "viz.node"),
    ("/viz/agreements", "viz.agreements"),
    ("/viz/coverage", "viz.coverage"),
    ("/sources", "links.sources"),
)


@router.get("", summary="The views, with a search form", responses={200: _PAGE[200]})
def index_page(request: Request) -> HTMLResponse:
    """The views listed, in the shell (the language of the request)."""
    language = language_of(request)
    joiner = {True: "&", False: "?"}
    items = "".join(
        f'<li><a href="{html.escape(href)}{joiner["?" in href]}lang={language.value}">'
        f"{html.escape(text(key, language))}</a></li>"
        for href, key in _VIEWS
    )
    body = (
        f"<h1>{html.escape(text('viz.title', language))}</h1><p>{html.escape(text('viz.intro', language))}</p>"
        f'<ul class="views">{items}</ul>'
    )
    return page(request, title=text("viz.title", language), body=body, version=version_name(request))


def _view_page(request: Request, view: View) -> HTMLResponse:
    """A graph view in the shell of the pages for people (header, switch, banner), in the request's language."""
    language = language_of(request)
    shell = shell_of(
        request,
        title=view.title_zh if language.value == "zh" else view.title_en,
        illustrative=view.illustrative or view.synthetic,
        version=version_name(request),
    )
    return respond(request, render_html(view, served=True, language=language.value, shell=shell))


@router.get("/route", summary="Route view: the k routes between two certificates", responses=_PAGE)
def route_page(
    request: Request,
    source: Annotated[str | None, Query(alias="from", examples=["IL-CT-hengfeng-spinner-senior-technician"])] = None,
    target: Annotated[str | None, Query(alias="to", examples=["IL-CT-js-hrss-spinner-senior-technician"])] = None,
    as_of: Annotated[Day | None, Query(examples=["2025-01-01"])] = None,
    k: Annotated[int, Query(ge=1, le=10)] = 3,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> HTMLResponse:
    if not source or not target:
        title = message("view.title.route-empty")
        empty = View("route", title.zh, title.en, legend=hop_legend(), data={"answer": None})
        return _view_page(request, empty)
    index = index_of(request)
    answer = find_routes(index, resolve(index, source, kinds=HELD_KINDS), resolve(index, target), as_of=as_of, k=k)
    facets = route_facets(index, answer)
    missing = None
    if answer.no_route is not None and answer.no_route.missing_agreement:
        missing = missing_agreement(index, answer.source.iri, answer.target.iri, date.fromisoformat(answer.as_of))
    return _view_page(request, route_view(answer, facets, missing))


@router.get("/node", summary="Neighbourhood view of any entity, expandable by clicking", responses=_PAGE)
def node_page(
    request: Request,
    id: Annotated[str, Query(examples=["organisation/mohrss"])],
    depth: Annotated[int, Query(ge=1, le=3)] = 1,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> HTMLResponse:
    limit = settings_of(request).viz_max_nodes
    iri = from_path(id)
    found = neighbourhood(store_of(request), iri, depth=depth, limit=limit * 2)
    if found is None:
        raise Problem(404, f"nothing is known about <{iri}>")
    body = found.to_json()
    index = index_of(request)
    facets = certificate_facets(index, [node["iri"] for node in body["nodes"]])
    view = node_view(body, max_nodes=limit, facets=facets)
    view.data["facet_names"] = facet_names(index)  # the filters' values named in each language
    return _view_page(request, view)


@router.get(
    "/agreements",
    summary="Agreement map: regions and issuers linked by agreements, with a year slider",
    responses=_PAGE,
)
def agreements_page(
    request: Request,
    as_of: Annotated[Day | None, Query(examples=["2025-01-01"])] = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> HTMLResponse:
    view = agreement_map(index_of(request), as_of or date.today(), max_nodes=settings_of(request).viz_max_nodes)
    return _view_page(request, view)
