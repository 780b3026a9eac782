"""Loading graphs into a SPARQL server: one Graph Store Protocol PUT per named graph, then a count.

A PUT replaces its graph atomically (Virtuoso and Oxigraph both apply it in one transaction), so an
interrupted load can simply be run again; the count afterwards catches a server that accepted the
request but kept less than was sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from ..errors import StoreError
from .store import RemoteStore

#: (graph IRI, N-Triples file or bytes, the number of distinct triples it holds)
GraphLoad = tuple[str, Path | bytes, int]


@contextlib.contextmanager
def _quiet(_step: str) -> Iterator[None]:
    yield


def put_graphs(
    server: RemoteStore,
    graphs: Sequence[GraphLoad],
    progress: Callable[[str], contextlib.AbstractContextManager[object]] = _quiet,
) -> None:
    """Replace each graph with its N-Triples and check that the server holds as many triples as were sent."""
    for graph, body, expected in graphs:
        with progress(f"loading {graph.split('/graph/', 1)[-1]} into the server ({expected:,} triples)"):
            _put_one(server, graph, body, expected)


def _put_one(server: RemoteStore, graph: str, body: Path | bytes, expected: int) -> None:
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
