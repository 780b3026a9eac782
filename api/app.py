"""The web service: a SPARQL 1.1 endpoint for researchers and REST lookups, built by a factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from certbridge.graph.choices import HOP_KINDS
from certbridge.graph.errors import CertbridgeError

from . import (
    answer,
    changes,
    coverage_pages,
    ctdl,
    diff,
    docs,
    downloads,
    entities,
    graph_store,
    landing,
    linked_data,
    problems,
    proposed,
    query_page,
    releases,
    rest,
    search_page,
    sources,
    sparql,
    viz,
    void,
    writes,
)
from .conventions import EXPOSED, HttpConventions
from .settings import Settings
from .state import AppState, state_of


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app over the store of *settings*; the store and routing index are opened on first use."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = state_of(app)
        state.loop = asyncio.get_running_loop()  # where the graphs a change dropped are built again
        with contextlib.suppress(CertbridgeError):  # no store yet: requests will say so
            await run_in_threadpool(state.index)
            await run_in_threadpool(state.pool)  # the query workers start now, not on the first query
        yield
        await run_in_threadpool(state.close)

    app = FastAPI(
        lifespan=lifespan,
        title="certbridge",
        summary="Vocational skill certificates and the routes by which one is recognised as another.",
        description=(
            "SPARQL 1.1 at /sparql, graphs at /store, VoID at /.well-known/void; routes and search under /api/v1. "
            f"Hop kinds: {', '.join(HOP_KINDS)}. "
            "Every error is application/problem+json; its `type` links to a page explaining it (/problems)."
        ),
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=docs.operation_id,
    )
    app.state.certbridge = AppState(settings)
    app.add_middleware(HttpConventions)  # inside CORS (the middleware added last is the outermost)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["*"],
        expose_headers=EXPOSED,
    )
    problems.install(app)
    docs.install(app)
    app.include_router(sparql.router)
    app.include_router(rest.router)
    app.include_router(sources.router)
    app.include_router(sources.page_router)
    app.include_router(query_page.router)
    app.include_router(downloads.router)
    app.include_router(graph_store.router)
    app.include_router(void.router)
    app.include_router(ctdl.router)  # before entities: /api/v1/{kind}/{key} would take /api/v1/ctdl/{one segment}
    app.include_router(entities.router)
    app.include_router(linked_data.router)
    app.include_router(landing.router)
    app.include_router(answer.router)
    app.include_router(search_page.router)
    app.include_router(writes.router)
    app.include_router(changes.router)
    app.include_router(releases.router)
    app.include_router(diff.router)
    app.include_router(proposed.router)
    app.include_router(viz.router)
    app.include_router(coverage_pages.router)
    app.include_router(problems.router)
    return app


def app_from_environment() -> FastAPI:
    """The app for uvicorn's worker processes (``certbridge serve --workers N``): settings from the environment."""
    return create_app(Settings.from_environment())
