"""The view model: which nodes and edges a view shows, with their colours, shapes, labels and details.

Pure data, no pyvis and no HTML, so that what a policy officer will see can be unit-tested. Each view
builder (route, neighbourhood, agreement map, coverage) returns a :class:`View`; render.py draws it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from certbridge.graph.choices import HopKind
from certbridge.graph.vocabulary import hop_kind_name

from .catalogue import Language, message, text

#: Hop kinds (strongest first) with their colour; the legend lists them in this order. Their names are the
#: ontology's labels (``hop_style``).
HOP_COLOURS: dict[HopKind, str] = {
    HopKind.FORMAL_RECOGNITION: "#1b7f3b",
    HopKind.SAME_QUALIFICATION: "#1f5fbf",
    HopKind.GRADE_DOMINANCE: "#c07a00",
    HopKind.CROSS_SYSTEM_BRIDGE: "#8e44ad",
}


def _named(key: str) -> tuple[str, str]:
    """A name of the views in (Chinese, English), from the catalogue."""
    said = message(key)
    return said.zh, said.en


#: Node kinds with their shape, colour and bilingual name (the catalogue's view.node.*).
NODE_STYLES: dict[str, tuple[str, str, str, str]] = {
    kind: (shape, colour, *_named(f"view.node.{kind}"))
    for kind, shape, colour in (
        ("certificate-type", "box", "#e8f0fe"),
        ("credential", "ellipse", "#fdf2d0"),
        ("organisation", "diamond", "#fde2e1"),
        ("occupation", "hexagon", "#e3f4e8"),
        ("agreement", "star", "#fff3b0"),
        ("region", "dot", "#dbe9f6"),
        ("other", "dot", "#eeeeee"),
        ("group", "database", "#d9d9d9"),
    )
}
#: Agreement edge styles on the map: (colour, dashes) by state on the chosen day, and the state's name.
AGREEMENT_STATES: dict[str, tuple[str, bool, str, str]] = {
    state: (colour, dashed, *_named(f"view.state.{state}"))
    for state, colour, dashed in (
        ("in-force", "#1b7f3b", False),
        ("expired", "#9e9e9e", True),
        ("planned", "#e69500", True),
        ("no-recognition", "#bdbdbd", True),
    )
}
ILLUSTRATIVE_BADGE = _named("view.badge.illustrative")
SYNTHETIC_BADGE = _named("view.badge.synthetic")


@dataclass
class ViewNode:
    id: str
    kind: str
    label_zh: str
    label_en: str
    illustrative: bool = False
    synthetic: bool = False
    #: what the side panel shows: (field, value) rows, and source documents
    details: dict[str, object] = field(default_factory=dict)
    #: values the filters act on (issuer kind, region, grade)
    facets: dict[str, str] = field(default_factory=dict)
    #: True when the node stands for many (an aggregate); ``size`` is then how many
    size: int = 1
    highlight: bool = False


@dataclass
class ViewEdge:
    id: str
    source: str
    target: str
    kind: str  # a hop kind, an agreement state, or "link"
    label_zh: str = ""
    label_en: str = ""
    colour: str = "#888888"
    dashes: bool = False
    arrows: str = "to"  # "to", "to;from" (mutual) or ""
    width: float = 1.5
    illustrative: bool = False
    synthetic: bool = False
    details: dict[str, object] = field(default_factory=dict)
    #: for the agreement map's date slider: state by year
    states: dict[str, str] = field(default_factory=dict)
    routes: list[int] = field(default_factory=list)


@dataclass
class LegendItem:
    colour: str
    label_zh: str
    label_en: str
    shape: str = "line"  # "line", "dashed" or a node shape
    dashed: bool = False


@dataclass
class View:
    """One screen: a graph (or a table, for coverage) with notes, a legend and what was aggregated."""

    kind: str  # "route", "node", "agreements", "coverage"
    title_zh: str
    title_en: str
    nodes: list[ViewNode] = field(default_factory=list)
    edges: list[ViewEdge] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    aggregated: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) sentences said on screen
    legend: list[LegendItem] = field(default_factory=list)
    #: view-specific data the page needs (the route JSON, the coverage table, the years of the slider, …)
    data: dict[str, object] = field(default_factory=dict)
    #: what the view shows rests on illustrative or synthetic records it does not draw (a heat map's figures)
    rests_on_illustrative: bool = False

    @property
    def illustrative(self) -> bool:
        drawn = any(n.illustrative for n in self.nodes) or any(e.illustrative for e in self.edges)
        return drawn or self.rests_on_illustrative

    @property
    def synthetic(self) -> bool:
        return any(n.synthetic for n in self.nodes) or any(e.synthetic for e in self.edges)

    def node(self, node_id: str) -> ViewNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["illustrative"], body["synthetic"] = self.illustrative, self.synthetic
        return body


def hop_style(kind: HopKind) -> tuple[str, str, str]:
    """The colour and the (Chinese, English) name of a hop kind."""
    return (HOP_COLOURS[kind], *hop_kind_name(kind))


def hop_legend() -> list[LegendItem]:
    return [LegendItem(*hop_style(kind)) for kind in HOP_COLOURS]


def node_legend(kinds: set[str]) -> list[LegendItem]:
    return [
        LegendItem(colour, zh, en, shape=shape)
        for kind, (shape, colour, zh, en) in NODE_STYLES.items()
        if kind in kinds
    ]


def marked_label(label: str, illustrative: bool, synthetic: bool, language: str) -> str:
    """A label that says, in the label itself, when a record is illustrative or synthetic."""
    index = 0 if language == "zh" else 1
    badges = [b[index] for flag, b in ((illustrative, ILLUSTRATIVE_BADGE), (synthetic, SYNTHETIC_BADGE)) if flag]
    already = any(_starts_with_badge(label, b) for b in badges)
    return label if not badges or already else f"[{'/'.join(badges)}] {label}"


def _starts_with_badge(label: str, badge: str) -> bool:
    """True when *label* opens with the badge as a marker ("合成：…", "SYNTHETIC issuer …", "[示例] …"). A badge
    word elsewhere in a label is no marker: real occupations are named 有机合成工, 合成材料制造工 …; whether a record
    is synthetic is cb:synthetic alone."""
    return label.startswith((f"{badge}：", f"{badge}:", f"{badge} ", f"[{badge}", f"【{badge}"))


def aggregate(view: View, limit: int, *, keep: set[str], key: str = "kind") -> View:
    """At most *limit* nodes: the first ones (and *keep*) stay, the rest become one group node per *key*.

    Edges to grouped nodes are redirected to their group (merged, with a count), and the view says on
    screen how many nodes were grouped and by what.
    """
    if len(view.nodes) <= limit:
        return view
    kept_ids: list[str] = [n.id for n in view.nodes if n.id in keep]
    for node in view.nodes:
        if len(kept_ids) >= max(limit - len(NODE_STYLES), len(keep)):
            break
        if node.id not in kept_ids:
            kept_ids.append(node.id)
    kept = set(kept_ids)
    grouped = [n for n in view.nodes if n.id not in kept]
    counts = Counter(_group_key(n, key) for n in grouped)
    group_of = {n.id: f"group:{_group_key(n, key)}" for n in grouped}
    groups = [
        ViewNode(
            f"group:{name}",
            "group",
            _group_label(Language.ZH, count, NODE_STYLES.get(name, NODE_STYLES["other"])[2]),
            _group_label(Language.EN, count, NODE_STYLES.get(name, NODE_STYLES["other"])[3]),
            illustrative=any(n.illustrative for n in grouped if _group_key(n, key) == name),
            synthetic=any(n.synthetic for n in grouped if _group_key(n, key) == name),
            details={"grouped": count, "by": key},
            size=count,
        )
        for name, count in counts.most_common()
    ]
    merged: dict[tuple[str, str, str], ViewEdge] = {}
    for edge in view.edges:
        source, target = group_of.get(edge.source, edge.source), group_of.get(edge.target, edge.target)
        if source == target:
            continue
        slot = (source, target, edge.kind)
        if slot in merged:
            merged[slot].width = min(8.0, merged[slot].width + 0.5)
            links = merged[slot].details.get("links", 1)
            merged[slot].details["links"] = (links if isinstance(links, int) else 1) + 1
        else:
            merged[slot] = ViewEdge(**{**asdict(edge), "source": source, "target": target, "id": f"{edge.id}"})
    view.nodes = [n for n in view.nodes if n.id in kept] + groups
    view.edges = list(merged.values())
    view.aggregated.append(
        (
            text("view.group.note", Language.ZH, limit=limit, grouped=f"{len(grouped):,}", groups=len(groups)),
            text("view.group.note", Language.EN, limit=limit, grouped=f"{len(grouped):,}", groups=len(groups)),
        )
    )
    return view


def _group_label(language: Language, count: int, kind: str) -> str:
    """The label of a group of aggregated nodes: how many, of which kind."""
    return text("view.group.label", language, count=f"{count:,}", kind=kind)


def _group_key(node: ViewNode, key: str) -> str:
    return node.kind if key == "kind" else node.facets.get(key) or node.kind
