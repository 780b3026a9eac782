"""Loading graphs into a SPARQL server: one Graph Store Protocol PUT per named graph, then a count.

A PUT replaces its graph atomically (Virtuoso and Oxigraph both apply it in one transaction), so an
interrupted load can simply be run again; the count afterwards catches a server that accepted the
request but kept less than was sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from ..errors import StoreError
from .store import RemoteStore

#: (graph IRI, N-Triples file or bytes, the number of distinct triples it holds)
GraphLoad = tuple[str, Path | bytes, int]


def put_graphs(server: RemoteStore, graphs: Sequence[GraphLoad]) -> None:
    """Replace each graph with its N-Triples and check that the server holds as many triples as were sent."""
    for graph, body, expected in graphs:
        if isinstance(body, Path):
            with body.open("rb") as handle:
                server.put_graph(graph, handle, ox.RdfFormat.N_TRIPLES)
        else:
            server.put_graph(graph, body, ox.RdfFormat.N_TRIPLES)
        held = server.count(graph)
        if held != expected:
            raise StoreError(
                f"the SPARQL server at {server.location} holds {held} triples in <{graph}> after loading {expected}",
                hint="check the server's log; loading again replaces the graph",
            )
