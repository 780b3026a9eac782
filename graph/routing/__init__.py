"""Equivalence routes between certificate types: "is A accepted where B is required, and by which route?"

``find_routes`` answers from a compact index of the store (``index.py``), routing per occupation
(every hop kind but the cross-system bridge keeps the occupation), with hub nodes for
same-qualification classes and agreements so that K equivalent certificate types cost O(K) edges.
"""

from .engine import find_routes, warm
from .index import RoutingIndex, load_index
from .model import HOP_KINDS, Hop, Route, RouteAnswer

__all__ = ["HOP_KINDS", "Hop", "Route", "RouteAnswer", "RoutingIndex", "find_routes", "load_index", "warm"]
