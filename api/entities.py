"""Details of any entity with its links and provenance, and linked-data dereferencing of instance IRIs: an HTML page
(with the record in schema.org's terms embedded for search engines), framed JSON-LD with certbridge's context, or
the record's triples in the other RDF formats."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import Response

from certbridge.graph.describe import Description, describe
from certbridge.graph.formats.jsonld import framed
from certbridge.graph.iris import from_path, record, under_id
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.query import keep_carriage_returns
from certbridge.ontology import CONTEXT_IRI

from . import path_text  # noqa: F401 (registers the {name:text} convertor the routes below use)
from .entity_pages import changes_log, entity_page
from .models import EntityOut, NeighbourhoodOut, answered
from .negotiation import GRAPHS, HTML, VARY, choose, media_type
from .problems import Problem, responses
from .state import Pinned, store_of

router = APIRouter(tags=["entities"], dependencies=[Pinned])

JSON_LD = media_type(ox.RdfFormat.JSON_LD)


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


def _described(request: Request, iri: str) -> Description:
    found = describe(store_of(request), iri, changes_log(request))
    if found is None:
        raise Problem(404, f"nothing is known about <{iri}>")
    return found


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
) -> dict[str, object]:
    """kind: certificates (by id), occupations (by code), issuers or agreements (by id)."""
    return _described(request, str(record(KINDS[kind], key))).to_json()


#: what an instance IRI dereferences to: its RDF (the first is the default), or its page for browsers
RESOURCE_TYPES: tuple[ox.RdfFormat | str, ...] = (*GRAPHS, HTML)


@router.get(
    "/id/{path:text}",
    summary="Linked-data dereferencing: HTML for browsers, framed JSON-LD (context /ns/context.jsonld), other RDF",
)
def dereference(request: Request, path: Annotated[str, PathParameter(examples=["organisation/hengfeng"])]) -> Response:
    """application/ld+json is the record framed with certbridge's context (its schema per kind at /schemas/); the
    other RDF formats are its statements as triples; the HTML page embeds it in schema.org's terms."""
    iri = under_id(path)  # the /id/ URL space is the IRI space: never an IRI given whole
    chosen = choose(request.headers.get("accept"), RESOURCE_TYPES)
    _described(request, iri)  # 404 when unknown (and for anything that is not a plain IRI)
    store = store_of(request)
    if chosen == ox.RdfFormat.JSON_LD:
        # a node that is only linked to has no statements of its own: its node object is its IRI alone
        document = framed(store, iri) or {"@context": CONTEXT_IRI, "@id": iri}
        return Response(json.dumps(document, ensure_ascii=False).encode(), media_type=JSON_LD, headers=VARY)
    if chosen == HTML:
        return entity_page(request, iri)
    assert isinstance(chosen, ox.RdfFormat)
    triples = store.query(
        "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }",
        use_default_graph_as_union=True,
        substitutions={ox.Variable("x"): ox.NamedNode(iri)},
    )
    assert isinstance(triples, ox.QueryTriples)
    written = triples.serialize(format=chosen)
    assert written is not None  # no output given: the document is returned
    body_bytes = keep_carriage_returns(written, chosen)
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
) -> dict[str, object]:
    """Links between instances within *depth* hops; at most *limit* nodes (``truncated`` says so)."""
    iri = from_path(id)
    found = neighbourhood(store_of(request), iri, depth=depth, limit=limit)
    if found is None:
        raise Problem(404, f"nothing is known about <{iri}>")
    return found.to_json()
