"""The graph views at /viz: route, neighbourhood, agreement map and coverage, as pages that call the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from certbridge.graph.iris import from_path
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.resolve import resolve
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

from .models import Day
from .problems import Problem, responses
from .state import index_of, settings_of, store_of

router = APIRouter(prefix="/viz", tags=["views"], default_response_class=HTMLResponse)

_PAGE = {
    200: {"content": {"text/html": {"example": "<!doctype html>… certbridge graph view …"}}},
    **responses(404, 409, 422, 503),
}


@router.get("", summary="The views, with a search form", responses={200: _PAGE[200]})
def index_page() -> HTMLResponse:
    links = [
        ("/viz/route", "路径 / Route view"),
        ("/viz/node?id=organisation/mohrss", "关联 / Neighbourhood view"),
        ("/viz/agreements", "互认协议地图 / Agreement map"),
        ("/viz/coverage", "覆盖率 / Coverage heat map"),
        ("/sources", "来源 / Sources"),
    ]
    items = "".join(f"<li><a href='{href}'>{text}</a></li>" for href, text in links)
    return HTMLResponse(
        f"<!doctype html><meta charset='utf-8'><title>certbridge views</title><h1>certbridge</h1><ul>{items}</ul>"
    )


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
        empty = View("route", "选择两个证书", "Pick two certificates", legend=hop_legend(), data={"answer": None})
        return HTMLResponse(render_html(empty, served=True, language=lang))
    index = index_of(request)
    answer = find_routes(index, resolve(index, source), resolve(index, target), as_of=as_of, k=k)
    facets = route_facets(index, answer)
    return HTMLResponse(render_html(route_view(answer, facets), served=True, language=lang))


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
    return HTMLResponse(render_html(view, served=True, language=lang))


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
    return HTMLResponse(render_html(view, served=True, language=lang))
