"""Details of any entity with its links and provenance, and linked-data dereferencing of instance IRIs."""

from __future__ import annotations

import html
from enum import StrEnum
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, Response

from certbridge.graph.describe import describe
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.query import keep_carriage_returns
from certbridge.ontology import ID

from .models import EntityOut, NeighbourhoodOut, answered
from .negotiation import GRAPHS, HTML, VARY, choose, media_type
from .problems import Problem, responses
from .state import store_of

router = APIRouter(tags=["entities"])


class EntityKind(StrEnum):
    """The kinds of entity ``/api/v1/{kind}/{key}`` describes (the value is the path segment)."""

    CERTIFICATES = "certificates"
    OCCUPATIONS = "occupations"
    ISSUERS = "issuers"
    AGREEMENTS = "agreements"


#: kind -> the first segment of its instance IRIs
KINDS: dict[EntityKind, str] = {
    EntityKind.CERTIFICATES: "certificate-type",
    EntityKind.OCCUPATIONS: "occupation",
    EntityKind.ISSUERS: "organisation",
    EntityKind.AGREEMENTS: "agreement",
}


def _described(request: Request, iri: str) -> dict:
    found = describe(store_of(request), iri)
    if found is None:
        raise Problem(404, f"nothing is known about <{iri}>")
    return found.to_json()


@router.get(
    "/api/v1/{kind}/{key}",
    operation_id="getEntity",
    summary="An entity with its statements, labels and source graphs",
    response_model=EntityOut,
    responses={**answered(EntityOut), **responses(404, 422, 503)},
)
def entity(
    request: Request,
    kind: Annotated[EntityKind, PathParameter(examples=["issuers"])],
    key: Annotated[str, PathParameter(examples=["hengfeng"])],
) -> dict:
    """kind: certificates (by id), occupations (by code), issuers or agreements (by id)."""
    return _described(request, f"{ID}{KINDS[kind]}/{key}")


#: what an instance IRI dereferences to: its RDF (the first is the default), or its page for browsers
RESOURCE_TYPES = (*GRAPHS, HTML)


@router.get("/id/{path:path}", summary="Linked-data dereferencing: HTML for browsers, RDF for RDF clients")
def dereference(request: Request, path: Annotated[str, PathParameter(examples=["organisation/hengfeng"])]) -> Response:
    iri = f"{ID}{path}"
    chosen = choose(request.headers.get("accept"), RESOURCE_TYPES)
    body = _described(request, iri)  # 404 when unknown (and for anything that is not a plain IRI)
    if chosen == HTML:
        rows = "".join(
            f"<tr><td>{html.escape(s['predicate'] or '')}</td><td>{html.escape(s['object'] or '')}"
            f" {html.escape(s['label_zh'] or '')} {html.escape(s['label_en'] or '')}</td>"
            f"<td>{html.escape(s['graph'] or '')}</td></tr>"
            for s in body["statements"]
        )
        return HTMLResponse(
            f"<!doctype html><meta charset='utf-8'><title>{html.escape(iri)}</title>"
            f"<h1>{html.escape(iri)}</h1><table>{rows}</table>",
            headers=VARY,
        )
    assert isinstance(chosen, ox.RdfFormat)
    triples = store_of(request).query(
        "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }",
        use_default_graph_as_union=True,
        substitutions={ox.Variable("x"): ox.NamedNode(iri)},
    )
    assert isinstance(triples, ox.QueryTriples)
    body_bytes = keep_carriage_returns(triples.serialize(format=chosen), chosen)
    return Response(body_bytes, media_type=media_type(chosen), headers=VARY)


@router.get(
    "/api/v1/neighbourhood",
    operation_id="getNeighbourhood",
    summary="Nodes and edges around an entity, for the visualisation",
    response_model=NeighbourhoodOut,
    responses={**answered(NeighbourhoodOut), **responses(404, 422, 503)},
)
def neighbourhood_of(
    request: Request,
    id: Annotated[
        str,
        Query(
            min_length=1,
            description="an instance IRI, or kind/key such as occupation/6-04-02-01",
            examples=["organisation/hengfeng"],
        ),
    ],
    depth: Annotated[int, Query(ge=1, le=3)] = 1,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict:
    """Links between instances within *depth* hops; at most *limit* nodes (``truncated`` says so)."""
    iri = id if id.startswith("http") else f"{ID}{id}"
    found = neighbourhood(store_of(request), iri, depth=depth, limit=limit)
    if found is None:
        raise Problem(404, f"nothing is known about <{iri}>")
    return found.to_json()
