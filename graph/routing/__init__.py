"""Equivalence routes between certificate types: "is A accepted where B is required, and by which route?"

``find_routes`` answers from a compact index of the store (``index.py``: its records in ``records.py``, read by
``load.py`` with the queries in ``queries/``, kept per store version by ``cache.py``), routing per occupation
(every hop kind but the cross-system bridge keeps the occupation) on a graph with hub nodes for
qualifications and agreements, where interchangeable certificate types are contracted into classes
(``graphs.py``), so that the graph searched stays small however many certificate types there are.
"""

from ..choices import HOP_KINDS, HopKind
from .engine import find_routes
from .graphs import warm
from .index import load_index
from .model import Hop, Route, RouteAnswer
from .records import RoutingIndex

__all__ = ["HOP_KINDS", "Hop", "HopKind", "Route", "RouteAnswer", "RoutingIndex", "find_routes", "load_index", "warm"]
