"""REST lookups under /api/v1: equivalence routes (same JSON as `certbridge route --json`) and search."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from certbridge.graph.routing import HOP_KINDS, find_routes
from certbridge.graph.routing.coverage import GROUPINGS, read_hypothetical, what_if
from certbridge.graph.routing.coverage import coverage as coverage_of
from certbridge.graph.routing.index import RoutingIndex
from certbridge.graph.routing.resolve import direct, resolve
from certbridge.graph.routing.search import KINDS as SEARCH_KINDS
from certbridge.graph.routing.search import search
from certbridge.graph.store import current_version

from .problems import Problem
from .state import index_of, loaded_index, settings_of

router = APIRouter(prefix="/api/v1", tags=["routes"])


@router.get(
    "/routes",
    summary="Is FROM accepted where TO is required, and by which route?",
    responses={200: {"description": "The routes, strongest first, or the explained absence of one."}},
)
async def routes(
    request: Request,
    source: Annotated[str, Query(alias="from", examples=["IL-CT-hengfeng-spinner-senior-technician"])],
    target: Annotated[str, Query(alias="to", examples=["IL-CT-js-hrss-spinner-senior-technician"])],
    as_of: Annotated[date | None, Query(examples=["2024-01-01"])] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 3,
    kinds: Annotated[str | None, Query(description=f"comma-separated: {', '.join(HOP_KINDS)}")] = None,
    max_hops: Annotated[int, Query(ge=1, le=12)] = 6,
) -> Response:
    """Routes with evidence for every hop (same shape as `certbridge route --json`).

    The common lookup (two certificate types named by id or IRI, as of today, every hop kind) is a search of
    about half a millisecond on the class graphs warmed at start: it runs on the event loop, as a hop to the
    thread pool and back costs about as much as the search itself. Everything that may take longer (loading
    the index, resolving search text, building the graphs of another day or hop-kind set) runs in a thread.
    """
    chosen = [kind.strip() for kind in kinds.split(",")] if kinds else None

    def answer(index: RoutingIndex, source_iri: str, target_iri: str) -> Response:
        found = find_routes(index, source_iri, target_iri, as_of=as_of, kinds=chosen, max_hops=max_hops, k=k)
        # serialised by orjson from the records, not through FastAPI's generic encoder and json (together they
        # were most of a lookup's time after the search)
        return Response(found.to_json_bytes(), media_type="application/json")

    def resolved() -> Response:
        index = index_of(request)
        return answer(index, resolve(index, source), resolve(index, target))

    index = loaded_index(request)
    if index is not None and as_of is None and kinds is None:
        source_iri, target_iri = direct(index, source), direct(index, target)
        if source_iri in index.certificates and target_iri in index.certificates:  # not None, nor a credential
            return answer(index, source_iri, target_iri)
    return await run_in_threadpool(resolved)


@router.get(
    "/health",
    summary="Liveness, and the store version served (cheap: the baseline of the API benchmark)",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ok", "version": "v-20261126T201500Z-4242"}}}}
    },
)
def health(request: Request) -> dict:
    version = current_version(settings_of(request).store)
    pool = getattr(request.app.state, "pool", None)
    return {
        "status": "ok",
        "version": version.name if version else None,
        "query_workers": pool.state().to_json() if pool is not None else None,  # live / size, network isolated
    }


@router.get(
    "/search",
    summary="Find certificate types, occupations, issuers, agreements and credentials by text, pinyin, id or code",
)
def search_entities(
    request: Request,
    q: Annotated[str, Query(min_length=1, examples=["纺纱工 高级技师"])],
    type: Annotated[
        str | None, Query(description=f"comma-separated, any of: {', '.join(SEARCH_KINDS)}", examples=["occupation"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict:
    """Entries whose names (Chinese, English, pinyin syllables or initials), ids or codes contain every word of q."""
    kinds = [kind.strip() for kind in type.split(",")] if type else list(SEARCH_KINDS)
    unknown = sorted(set(kinds) - set(SEARCH_KINDS))
    if unknown:
        raise Problem(400, f"unknown type {', '.join(unknown)}; use {', '.join(SEARCH_KINDS)}")
    found = search(index_of(request), q, limit=limit, kinds=kinds)
    return {"query": q, "results": [{"iri": iri, "label": label, "type": kind} for iri, label, kind in found]}


@router.get("/coverage", summary="Share of ordered pairs with a formal-recognition route, grouped as asked")
def coverage(
    request: Request,
    by: Annotated[str, Query(examples=["region"], description=", ".join(GROUPINGS))] = "region",
    as_of: Annotated[date | None, Query(examples=["2024-01-01"])] = None,
    sample: Annotated[int | None, Query(ge=1, description="count a random sample of this many occupations")] = None,
) -> dict:
    """Same semantics as `certbridge coverage --json`."""
    try:
        return coverage_of(index_of(request), by=by, as_of=as_of, max_occupations=sample).to_json()
    except ValueError as error:
        raise Problem(400, str(error)) from None


WHAT_IF_EXAMPLE = (
    "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
    "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\n"
    "H1,mutual,region:370000;region:330000,,,6-04,,,,2024-01-01,\n"
)


@router.post(
    "/what-if",
    summary="Coverage after adding hypothetical agreements (never stored)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": WHAT_IF_EXAMPLE}},
        }
    },
)
async def what_if_endpoint(
    request: Request,
    by: Annotated[str, Query(description=", ".join(GROUPINGS))] = "region",
    as_of: Annotated[date | None, Query()] = None,
) -> dict:
    """The body is a CSV with the columns of agreements.csv that routing uses (as for `certbridge what-if`)."""
    body = await request.body()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "what-if.csv"
        path.write_bytes(body)
        index = index_of(request)
        before, after = what_if(index, read_hypothetical(path, index), by=by, as_of=as_of)
    return {"before": before.to_json(), "after": after.to_json()}
