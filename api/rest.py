"""REST lookups under /api/v1: equivalence routes (same JSON as `certbridge route --json`) and search."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from certbridge.graph.routing import HOP_KINDS, find_routes
from certbridge.graph.routing.resolve import resolve, search

from .state import index_of

router = APIRouter(prefix="/api/v1", tags=["routes"])


@router.get(
    "/routes",
    summary="Is FROM accepted where TO is required, and by which route?",
    responses={200: {"description": "The routes, strongest first, or the explained absence of one."}},
)
def routes(
    request: Request,
    source: Annotated[str, Query(alias="from", examples=["IL-CT-hengfeng-spinner-senior-technician"])],
    target: Annotated[str, Query(alias="to", examples=["IL-CT-js-hrss-spinner-senior-technician"])],
    as_of: Annotated[date | None, Query(examples=["2024-01-01"])] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 3,
    kinds: Annotated[str | None, Query(description=f"comma-separated: {', '.join(HOP_KINDS)}")] = None,
    max_hops: Annotated[int, Query(ge=1, le=12)] = 6,
) -> dict:
    """Routes with evidence for every hop (same shape as `certbridge route --json`)."""
    index = index_of(request)
    chosen = [kind.strip() for kind in kinds.split(",")] if kinds else None
    answer = find_routes(
        index, resolve(index, source), resolve(index, target), as_of=as_of, kinds=chosen, max_hops=max_hops, k=k
    )
    return answer.to_json()


@router.get("/search", summary="Find certificate types and credentials by Chinese or English text, id or code")
def search_entities(
    request: Request,
    q: Annotated[str, Query(min_length=1, examples=["纺纱工 高级技师"])],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict:
    """Matches whose IRI or labels contain every word of q."""
    return {
        "query": q,
        "results": [{"iri": iri, "label": label} for iri, label in search(index_of(request), q, limit=limit)],
    }
