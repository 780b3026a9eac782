"""The routing index of a store: read once per store version and kept on disk, so routing never touches RDF.

The index holds plain records (``records.py``: certificate types by occupation, issuers with their
authorisations, sanctions and checks, agreements with parties and scope), not an RDF graph. ``load.py`` reads it
from a store with one SPARQL query per ``queries/*.rq``; ``cache.py`` keeps it per store version
(``STORE/cache/<version>.routing.pickle``), so it is rebuilt only when the store changes. This module is the
entry: ``index_for`` a store, ``load_index`` from an open store.
"""

from __future__ import annotations

from pathlib import Path

from .. import store as stores
from . import cache
from .load import load_index
from .records import RoutingIndex


def index_for(store: stores.GraphStore | stores.Location, version: Path | None = None) -> RoutingIndex:
    """The index of the store's current version (or of *version*, an older one it keeps: a release), from the
    on-disk cache when it is there.

    The version is read once: the cache and the store opened are of the same version, even if a build swaps in
    another meanwhile.
    """
    graph_store = stores.as_store(store)
    if version is None:
        version = graph_store.snapshot()[0]
    index = cache.read(graph_store, version.name)
    if index is None:
        index = load_index(graph_store.open_version(version))
        cache.save(graph_store.cache_path(version.name, cache.CACHE_KIND), index)
    return index


__all__ = ["index_for", "load_index"]
