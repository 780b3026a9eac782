"""The read side of the SPARQL 1.1 Graph Store HTTP Protocol at /store: one named graph (each table has its own),
or the default graph (the union of all of them, as in queries), in a negotiated RDF format.
"""

from __future__ import annotations

from typing import Annotated, BinaryIO

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from certbridge.graph.export import UNION_FORMATS, export
from certbridge.graph.query import named_node
from certbridge.ontology import GRAPH, PREFIXES

from .downloads import spooled
from .negotiation import GRAPHS, NAMES, VARY, choose, media_type
from .problems import Problem
from .state import Pinned, store_of

router = APIRouter(tags=["downloads"], dependencies=[Pinned])

_UNION = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


@router.get(
    "/store",
    name="graph_store",
    response_class=StreamingResponse,
    summary="One named graph (?graph=IRI) or the default graph (?default), as in the SPARQL Graph Store Protocol",
    responses={200: {"content": {media_type(f): {} for f in GRAPHS}}},
)
def graph_store(
    request: Request,
    graph: Annotated[
        str | None, Query(description="the IRI of a named graph", examples=[f"{GRAPH}data/occupations"])
    ] = None,
    default: Annotated[str | None, Query(description="present (with no value): the default graph")] = None,
) -> StreamingResponse:
    params = request.query_params
    graphs, defaults = params.getlist("graph"), params.getlist("default")
    if len(graphs) + len(defaults) != 1:
        raise Problem(
            400,
            "请只给出 ?graph=IRI 或 ?default 之一 / give exactly one of ?graph=IRI (a named graph) or ?default "
            f"(the union of all graphs); got {len(graphs)} graph and {len(defaults)} default",
        )
    fmt = choose(request.headers.get("accept"), GRAPHS)
    assert isinstance(fmt, ox.RdfFormat)
    store = store_of(request)
    if graphs:
        node = named_node(graphs[0])
        if node is None:
            raise Problem(400, f"?graph={graphs[0]!r} is not an absolute http(s) IRI")
        if not store.contains_named_graph(node):
            raise Problem(
                404, f"没有这个命名图 / there is no named graph <{node.value}>; the list is at /.well-known/void"
            )

        def write(handle: BinaryIO) -> None:
            store.dump(handle, fmt, from_graph=node, prefixes=PREFIXES)

    else:

        def write(handle: BinaryIO) -> None:
            if NAMES[fmt] in UNION_FORMATS:
                export(store, handle, NAMES[fmt])
            else:
                answer = store.query(_UNION)
                assert isinstance(answer, ox.QueryTriples)
                answer.serialize(handle, fmt)

    return spooled(write, media=media_type(fmt), fmt=fmt, headers=VARY)
