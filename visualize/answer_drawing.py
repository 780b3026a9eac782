"""The routes of a route answer drawn for the answer page: vis-network data built with pyvis, in a left-to-right
hierarchical layout with no physics, so that the same answer is always drawn the same way and at once.

The held certificate is the first column and the required one the last; one edge per distinct hop, coloured by its
kind and labelled with the numbers of the routes it belongs to; an edge that jumps a column arches over the nodes
between. A no-route answer: the nearest certificates each side reaches (grey, dashed), and the missing agreement
as a dashed edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyvis.network import Network

from certbridge.graph.routing.model import Endpoint, Hop, RouteAnswer
from certbridge.graph.vocabulary import hop_kind_name

from .catalogue import Language, text
from .model import HOP_COLOURS

#: the drawing's geometry: columns (levels) apart, rows apart, the widest a node's label may wrap to (px)
LEVEL_SEPARATION = 250
NODE_SPACING = 150
LABEL_WIDTH = 150
#: the colour of the no-route drawing's "nearest reachable" edges, and of illustrative or synthetic borders
NEAREST_COLOUR = "#9e9e9e"
MISSING_COLOUR = "#a33333"
FLAGGED_BORDER = "#c0392b"


#: what makes a hop one edge of the drawing (two routes through the same hop share it)
Slot = tuple[str, str, str, str]


def endpoint_label(language: Language, endpoint: Endpoint) -> str:
    """A node's label: the record's name in *language*, else in the other one, else its IRI."""
    first, second = (
        (endpoint.label_zh, endpoint.label_en) if language is Language.ZH else (endpoint.label_en, endpoint.label_zh)
    )
    return first or second or endpoint.iri


def _kind(language: Language, hop: Hop) -> str:
    zh, en = hop_kind_name(hop.kind)
    return zh if language is Language.ZH else en


@dataclass(kw_only=True)
class Drawing:
    """The vis-network data of the drawing: nodes, edges and options, made by pyvis."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


def slot(hop: Hop) -> Slot:
    """What makes a hop one edge of the drawing: two routes through the same hop share it."""
    return (hop.source.iri, hop.target.iri, str(hop.kind), hop.evidence.iri)


def _levels(answer: RouteAnswer) -> dict[str, int]:
    """Each node's column, left to right: the held certificate first, the required one last, a node between them
    at the fewest hops any route takes to reach it. A no-route answer: the held certificate, what it reaches, what
    reaches the required one, the required one."""
    source, target = answer.source.iri, answer.target.iri
    if not answer.routes:
        no = answer.no_route
        levels = {source: 0}
        reaches = [near.iri for near in (no.source_reaches if no else ()) if near.iri not in (source, target)]
        reached = [near.iri for near in (no.target_reached_from if no else ()) if near.iri not in (source, target)]
        levels.update(dict.fromkeys(reached, 1 + bool(reaches)))
        levels.update(dict.fromkeys(reaches, 1))
        levels[target] = 1 + bool(reaches) + bool(reached)
        return levels
    last = max(len(route.hops) for route in answer.routes)
    levels = {source: 0}
    for route in answer.routes:
        for position, hop in enumerate(route.hops, 1):
            if hop.target.iri != target:
                levels[hop.target.iri] = min(levels.get(hop.target.iri, position), position)
    levels[target] = max(last, max(levels.values(), default=0) + 1)
    return levels


def draw(answer: RouteAnswer, language: Language) -> tuple[Drawing, dict[Slot, str]]:
    """The routes as vis-network data (built with pyvis): nodes in columns by :func:`_levels`, one edge per
    distinct hop coloured by its kind (a no-route answer: grey dashed edges to the nearest reachable). Also the
    edge id of each hop's slot, for the route cards."""
    network = Network(directed=True, cdn_resources="remote")
    levels = _levels(answer)
    endpoints: dict[str, Endpoint] = {answer.source.iri: answer.source, answer.target.iri: answer.target}
    for route in answer.routes:
        for hop in route.hops:
            endpoints.setdefault(hop.source.iri, hop.source)
            endpoints.setdefault(hop.target.iri, hop.target)
    if answer.no_route is not None:
        for near in (*answer.no_route.source_reaches, *answer.no_route.target_reached_from):
            endpoints.setdefault(near.iri, near)
    ends = {answer.source.iri, answer.target.iri}
    for iri in sorted(endpoints, key=lambda i: (levels.get(i, 1), i)):
        endpoint = endpoints[iri]
        flagged = endpoint.illustrative or endpoint.synthetic
        network.add_node(
            iri,
            label=endpoint_label(language, endpoint),
            level=levels.get(iri, 1),
            shape="box",
            color={
                "background": "#e8f0fe" if iri in ends else "#ffffff",
                "border": FLAGGED_BORDER if flagged else "#1a1a1a" if iri in ends else "#7f8c8d",
            },
            borderWidth=3 if iri in ends else 1,
            shapeProperties={"borderDashes": [6, 4] if flagged else False},
            widthConstraint={"maximum": LABEL_WIDTH},
            font={"size": 14, "face": "sans-serif"},
            margin=10,
        )
    slots: dict[Slot, str] = {}
    routes_of: dict[Slot, list[int]] = {}
    first_hop: dict[Slot, Hop] = {}
    for number, route in enumerate(answer.routes, 1):
        for hop in route.hops:
            place = slot(hop)
            routes_of.setdefault(place, []).append(number)
            first_hop.setdefault(place, hop)
    pairs: dict[frozenset[str], int] = {}
    for place, numbers in routes_of.items():
        hop = first_hop[place]
        slots[place] = edge_id = f"edge-{len(slots) + 1}"
        pair = frozenset((hop.source.iri, hop.target.iri))
        nth = pairs[pair] = pairs.get(pair, -1) + 1
        span = abs(levels.get(hop.target.iri, 1) - levels.get(hop.source.iri, 0))
        flagged = hop.evidence.illustrative or hop.evidence.synthetic
        network.add_edge(
            hop.source.iri,
            hop.target.iri,
            id=edge_id,
            # the routes the hop belongs to (the cards' numbers; its kind is its colour, named in the legend), and
            # a mark when the holder must still meet a condition: short, so that it fits between two columns
            label="·".join(map(str, numbers)) + (" *" if hop.evidence.conditions else ""),
            title=_kind(language, hop),
            color={"color": HOP_COLOURS[hop.kind], "highlight": HOP_COLOURS[hop.kind], "opacity": 1.0},
            dashes=flagged,
            width=3.0 if 1 in numbers else 2.0,
            font={"align": "horizontal", "size": 13, "background": "#ffffff", "strokeWidth": 0},
            smooth=_curve(nth, span),
        )
    if answer.no_route is not None:
        if answer.no_route.missing_agreement:  # what would connect them, drawn as what it is: missing
            network.add_edge(
                answer.source.iri,
                answer.target.iri,
                id="missing",
                label=text("answer.drawing.missing", language),
                color={"color": MISSING_COLOUR},
                dashes=[8, 6],
                width=2.0,
                font={"align": "horizontal", "size": 12, "background": "#ffffff", "strokeWidth": 0},
                smooth=False,
            )
        for side, nearest, outward in (
            (answer.source.iri, answer.no_route.source_reaches, True),
            (answer.target.iri, answer.no_route.target_reached_from, False),
        ):
            for near in nearest:
                a, b = (side, near.iri) if outward else (near.iri, side)
                network.add_edge(
                    a, b, id=f"near-{a}-{b}", color={"color": NEAREST_COLOUR}, dashes=True, width=1.0, smooth=False
                )
    nodes, edges, _, _, _, _ = network.get_network_data()
    return Drawing(nodes=list(nodes), edges=list(edges), options=drawing_options()), slots


def _curve(nth: int, span: int) -> dict[str, Any]:
    """How an edge bends: straight between neighbouring columns; arched when it jumps a column (so that it does not
    pass behind the nodes between) or runs beside another edge between the same two nodes (alternately above and
    below, each pair further out)."""
    if nth == 0 and span <= 1:
        return {"enabled": False}
    step = nth + (1 if span > 1 else 0)
    bend = 0.5 if span > 1 else 0.25  # an arch over a node between clears half its height
    side = "curvedCW" if step % 2 == 0 else "curvedCCW"
    return {"enabled": True, "type": side, "roundness": min(1.0, bend * ((step + 1) // 2))}


def drawing_options() -> dict[str, Any]:
    """vis-network's options: a hierarchical left-to-right layout by the nodes' levels, no physics (so the same
    answer is always drawn the same way, at once), interaction by hover and keyboard."""
    return {
        "layout": {
            "hierarchical": {
                "enabled": True,
                "direction": "LR",
                "sortMethod": "directed",
                "levelSeparation": LEVEL_SEPARATION,
                "nodeSpacing": NODE_SPACING,
                "treeSpacing": NODE_SPACING,
                "blockShifting": True,
                "edgeMinimization": True,
                "parentCentralization": True,
            }
        },
        "physics": {"enabled": False},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.8}}},
        "interaction": {"hover": True, "keyboard": False, "dragNodes": False, "zoomView": True},
    }
