"""Export the store: the whole dataset (TriG, N-Quads), the union of its graphs (Turtle, N-Triples, and compact
JSON-LD with certbridge's context: graph/formats/jsonld.py), or a part of it in a format of the credential world
(SKOS, SSSOM, CTDL; graph/formats/)."""

from __future__ import annotations

from typing import BinaryIO

import pyoxigraph as ox

from certbridge.ontology import PREFIXES

from .choices import CLI_EXPORT_FORMATS, DATASET_FORMATS, ELSEWHERE_FORMATS, EXPORT_FORMATS, UNION_FORMATS
from .errors import InvalidOption, QueryError
from .query import GRAPH_FORMATS
from .store import AnyStore

__all__ = ["EXPORT_FORMATS", "RDF_FORMATS", "UNION_FORMATS", "export"]  # the web service downloads these formats

#: how each format of choices.EXPORT_FORMATS is written (the union's formats from graph.query's one table)
RDF_FORMATS = {
    **{name: GRAPH_FORMATS[name] for name in UNION_FORMATS},
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
}


def export(store: AnyStore, output: BinaryIO, format_name: str, *, occupation: str | None = None) -> None:
    """Write the store to *output*, streaming graph by graph where the format allows it.

    *occupation* (a classification code) limits the CTDL export to that occupation or group."""
    if occupation is not None and format_name != "ctdl":
        raise InvalidOption(f"--occupation applies to the ctdl export, not {format_name!r}", hint="drop --occupation")
    if format_name in DATASET_FORMATS:
        store.dump(output, RDF_FORMATS[format_name], prefixes=PREFIXES)
    elif format_name in ("ttl", "nt"):
        # Concatenated Turtle (or N-Triples) documents are one valid document of the union.
        for graph in sorted(store.named_graphs(), key=str):
            assert isinstance(graph, ox.NamedNode)  # certbridge names every graph it writes
            store.dump(output, RDF_FORMATS[format_name], from_graph=graph, prefixes=PREFIXES)
    elif format_name == "jsonld":
        from .formats.jsonld import export_jsonld  # pyld is paid for only by this export

        export_jsonld(store, output)
    elif format_name in ELSEWHERE_FORMATS:
        _export_elsewhere(store, output, format_name, occupation)
    else:
        raise QueryError(f"unknown export format {format_name!r}; use one of {', '.join(CLI_EXPORT_FORMATS)}")


def _export_elsewhere(store: AnyStore, output: BinaryIO, format_name: str, occupation: str | None) -> None:
    # imported here: each format's module (and its libraries) is paid for only by its own export
    if format_name == "skos":
        from .formats.skos import export_skos

        export_skos(store, output)
    elif format_name == "sssom":
        from .formats.sssom import export_sssom

        export_sssom(store, output)
    elif format_name == "ctdl":
        from .formats.ctdl import export_ctdl

        export_ctdl(store, output, occupation=occupation)
