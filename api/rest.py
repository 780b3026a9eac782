"""REST lookups under /api/v1: equivalence routes (same JSON as `certbridge route --json`) and search."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from certbridge.graph.routing import HopKind, find_routes
from certbridge.graph.routing.coverage import Grouping, read_hypothetical, what_if, what_if_json
from certbridge.graph.routing.coverage import coverage as coverage_of
from certbridge.graph.routing.engine import graph_at_hand
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.routing.resolve import HELD_KINDS, certificate_pair, resolve
from certbridge.graph.routing.search import SearchKind, ranked_search

from .models import CoverageOut, Day, HealthOut, Listed, RouteAnswerOut, SearchOut, WhatIfOut, answered
from .problems import responses
from .state import Index, Pinned, index_of, loaded_index, state_of

router = APIRouter(prefix="/api/v1", tags=["routes"])

#: the name a what-if upload is given in its defects (never where the server keeps it)
WHAT_IF_NAME = "what-if.csv"
#: how many routes a lookup lists, and how many hops a route may have, when the request does not say
K, MAX_HOPS = 3, 6
#: the parameters of the common lookup, which ``LookupRoute`` answers before FastAPI reads them
_PLAIN = frozenset({"from", "to"})


class LookupRoute(APIRoute):
    """The route of ``GET /api/v1/routes``, with the common lookup answered before FastAPI reads the parameters.

    That lookup (``from`` and ``to`` only, each once and naming a certificate type by id or IRI, the current data,
    as of today) is what most clients ask, and FastAPI's reading and validating of the eight declared parameters
    (and the release pin's) costs about as much as the search itself. Its answer is the one the declared
    parameters give (``routes`` with their defaults); any other request, including every invalid one, is read
    and answered as declared.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        declared = super().get_route_handler()

        async def handler(request: Request) -> Response:
            plain = _plain_lookup(request)
            return await _on_the_loop(*plain) if plain is not None else await declared(request)

        return handler


def _plain_lookup(request: Request) -> tuple[RoutingIndex, str, str] | None:
    """The index and the two certificate types of a lookup naming them by id or IRI, with no other parameter, when
    the current routing index is loaded; else None."""
    asked = request.query_params
    if len(asked) != 2 or asked.keys() != _PLAIN or len(asked.multi_items()) != 2:
        return None
    source, target = asked["from"], asked["to"]
    index = loaded_index(request)
    pair = certificate_pair(index, source, target) if index is not None and source and target else None
    return None if index is None or pair is None else (index, *pair)


async def _on_the_loop(index: RoutingIndex, source_iri: str, target_iri: str, **asked: Any) -> Response:
    """The answer to a lookup of today's routes, on the event loop. One whose class graph a change dropped builds
    it here, after letting the lookups already waiting go first (``asyncio.sleep(0)``): they take half a
    millisecond, it several."""
    if not graph_at_hand(index, source_iri, target_iri):
        await asyncio.sleep(0)
    return _answer(index, source_iri, target_iri, **asked)


def _answer(
    index: RoutingIndex,
    source_iri: str,
    target_iri: str,
    *,
    as_of: date | None = None,
    kinds: list[HopKind] | None = None,
    max_hops: int = MAX_HOPS,
    k: int = K,
    unconditional: bool = False,
) -> Response:
    """The route answer as the endpoint sends it, from both ways in (the plain lookup and the declared one)."""
    found = find_routes(
        index,
        source_iri,
        target_iri,
        as_of=as_of,
        kinds=kinds,
        max_hops=max_hops,
        k=k,
        unconditional=unconditional,
    )
    # serialised by orjson from the records, not through FastAPI's generic encoder and json (together they were
    # most of a lookup's time after the search); RouteAnswerOut documents this body
    return Response(found.to_json_bytes(), media_type="application/json")


lookups = APIRouter(route_class=LookupRoute)


@lookups.get(
    "/routes",
    operation_id="findRoutes",
    dependencies=[Pinned],
    summary="Is FROM accepted where TO is required, and by which route?",
    response_model=None,
    responses={
        **answered(RouteAnswerOut, description="The routes, strongest first, or the explained absence of one."),
        **responses(404, 409, 422, 503),
    },
)
async def routes(
    request: Request,
    source: Annotated[
        str,
        Query(
            alias="from",
            min_length=1,
            description="the certificate held: an IRI, a certificate-type id, or search text",
            examples=["IL-CT-hengfeng-spinner-senior-technician"],
        ),
    ],
    target: Annotated[
        str,
        Query(
            alias="to",
            min_length=1,
            description="the certificate (or title or education level) required: an IRI, an id, or search text",
            examples=["IL-CT-js-hrss-spinner-senior-technician"],
        ),
    ],
    as_of: Annotated[Day | None, Query(description="the day the routes must hold on; today if absent")] = None,
    k: Annotated[int, Query(ge=1, le=50, description="how many routes at most")] = K,
    kinds: Annotated[
        list[HopKind] | None,
        Listed,
        Query(description="the hop kinds a route may use (repeated or comma-separated); all if absent"),
    ] = None,
    max_hops: Annotated[int, Query(ge=1, le=12)] = MAX_HOPS,
    unconditional: Annotated[bool, Query(description="only agreements without conditions (no exam to take)")] = False,
) -> Response:
    """Routes with evidence for every hop (same shape as `certbridge route --json`).

    The common lookup (two certificate types named by id or IRI, as of today, every hop kind) is a search of
    about half a millisecond on the class graphs warmed at start: it runs on the event loop, as a hop to the
    thread pool and back costs about as much as the search itself. So does the build of a graph a change
    dropped, when the lookup needs one: a few milliseconds from the cached profiles after a change of
    agreements, rarely a tenth of a second or more for a large occupation's profiles; built in threads instead,
    hundreds a second after a change, they fought the event loop for the interpreter, and lookups while changes
    ran waited twice as long at the 95th percentile (bench/README.md). Everything else that may take longer
    (loading the index, resolving search text, the graphs of another day or hop-kind set) runs in a thread.
    """
    chosen = list(kinds) if kinds else None
    asked: dict[str, Any] = {"as_of": as_of, "kinds": chosen, "max_hops": max_hops, "k": k}

    def resolved() -> Response:
        index = index_of(request)
        held, required = resolve(index, source, kinds=HELD_KINDS), resolve(index, target)
        return _answer(index, held, required, unconditional=unconditional, **asked)

    index = loaded_index(request)
    if index is not None and as_of is None and chosen is None and not unconditional:
        pair = certificate_pair(index, source, target)
        if pair is not None:
            return await _on_the_loop(index, *pair, **asked)
    return await run_in_threadpool(resolved)


router.include_router(lookups)  # here, so that the route lookup stays the first path of /api/v1


@router.get(
    "/health",
    operation_id="getHealth",
    summary="Liveness, and the store version served (cheap: the baseline of the API benchmark)",
    response_model=HealthOut,
    responses=answered(HealthOut),
)
def health(request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"  # a monitor must see the workers' state now, not a cached one
    state = state_of(request.app)
    version = state.store.current_version()
    pool = state.started_pool()
    return {
        "status": "ok",
        "version": version.name if version else None,
        "query_workers": pool.state().to_json() if pool is not None else None,  # live / size, network isolated
    }


@router.get(
    "/search",
    operation_id="searchEntities",
    dependencies=[Pinned],
    summary="Find certificate types, occupations, issuers, agreements and credentials by text, pinyin, id or code",
    response_model=SearchOut,
    responses={**answered(SearchOut), **responses(422, 503)},
)
def search_entities(
    index: Index,
    q: Annotated[str, Query(min_length=1, max_length=200, examples=["纺纱工 高级技师"])],
    type: Annotated[
        list[SearchKind] | None,
        Listed,
        Query(description="the kinds to find (repeated or comma-separated); all if absent", examples=["occupation"]),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Entries whose names (Chinese, English, pinyin syllables or initials), ids or codes contain every word of q.

    Best match first: the exact id, code or name, then names starting with q, then names containing it, then
    matches through pinyin only; ties by the shorter label.
    """
    kinds = list(type) if type else list(SearchKind)
    page = ranked_search(index, q, offset=offset, limit=limit, kinds=kinds)
    return {
        "query": q,
        "total": page.total,
        "total_exact": page.total_exact,
        "offset": page.offset,
        "limit": page.limit,
        "results": [
            {
                "iri": hit.iri,
                "label": hit.label,
                "type": hit.kind,
                "match": hit.match.label,
                "retired": hit.retired.describe() if hit.retired else None,
            }
            for hit in page.hits
        ],
    }


@router.get(
    "/coverage",
    operation_id="getCoverage",
    dependencies=[Pinned],
    summary="Share of ordered pairs with a formal-recognition route, grouped as asked",
    response_model=CoverageOut,
    responses={**answered(CoverageOut), **responses(422, 503)},
)
def coverage(
    index: Index,
    by: Annotated[Grouping, Query(examples=["region"])] = Grouping.REGION,
    as_of: Annotated[Day | None, Query(examples=["2024-01-01"])] = None,
    sample: Annotated[
        int | None, Query(ge=1, le=100_000, description="count a random sample of this many occupations")
    ] = None,
) -> dict[str, Any]:
    """Same semantics as `certbridge coverage --json`."""
    return coverage_of(index, by=by, as_of=as_of, max_occupations=sample).to_json()


WHAT_IF_EXAMPLE = (
    "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
    "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\n"
    "H1,mutual,region:370000;region:330000,,,6-04,,,,2024-01-01,\n"
)


@router.post(
    "/what-if",
    operation_id="whatIf",
    dependencies=[Pinned],
    summary="Coverage after adding hypothetical agreements (never stored)",
    response_model=WhatIfOut,
    responses={**answered(WhatIfOut), **responses(422, 503)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": WHAT_IF_EXAMPLE}},
        }
    },
)
async def what_if_endpoint(
    request: Request,
    by: Annotated[Grouping, Query(examples=["region"])] = Grouping.REGION,
    as_of: Annotated[Day | None, Query(examples=["2024-01-01"])] = None,
) -> dict[str, Any]:
    """The body is a CSV with the columns of agreements.csv that routing uses (as for `certbridge what-if`).

    Its defects are reported as ``what-if.csv:LINE: column: message``.
    """
    body = await request.body()

    def compute() -> dict[str, Any]:
        index = index_of(request)
        hypothetical = read_hypothetical(Path(WHAT_IF_NAME), index, content=body)
        before, after = what_if(index, hypothetical, by=by, as_of=as_of)
        return what_if_json(before, after)

    return await run_in_threadpool(compute)
