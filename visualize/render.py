"""Draw a View as one self-contained HTML page: pyvis builds the vis-network data, our template the page.

Why not pyvis's own template: it loads Bootstrap from a CDN in every mode, and its "in_line" mode still
links vis-network's CSS from cdnjs. Policy staff often sit on intranets, so the page inlines
vis-network (the copy pyvis ships), its CSS and our script: it opens from disk with no network.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pyvis
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.network import Network

from certbridge.graph.vocabulary import concept_names, issuer_kind_names

from .catalogue import Language, catalogue
from .model import AGREEMENT_STATES, ILLUSTRATIVE_BADGE, NODE_STYLES, SYNTHETIC_BADGE, View
from .page import NAVIGATION, PageShell

HERE = Path(__file__).parent
VIS_DIR = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"

#: above this many nodes, physics gets a shorter stabilisation
LARGE_VIEW = 150


def to_network(view: View, language: str = "zh") -> Network:
    """The pyvis network of *view* (labels in *language*; the page switches them)."""
    network = Network(directed=True, cdn_resources="remote")
    for node in view.nodes:
        shape, colour, _, _ = NODE_STYLES.get(node.kind, NODE_STYLES["other"])
        flagged = node.illustrative or node.synthetic
        network.add_node(
            node.id,
            label=node.label_zh if language == "zh" else node.label_en,
            shape=shape,
            color={
                "background": colour,
                "border": "#c0392b" if flagged else "#1a1a1a" if node.highlight else "#7f8c8d",
            },
            borderWidth=4 if node.highlight else 2 if flagged else 1,
            shapeProperties={"borderDashes": [6, 4] if flagged else False},
            **({"value": node.size} if node.kind == "group" else {}),
        )
    parallel: Counter[frozenset[str]] = Counter()
    for edge in view.edges:
        pair = frozenset((edge.source, edge.target))
        nth = parallel[pair]
        parallel[pair] += 1
        network.add_edge(
            edge.source,
            edge.target,
            id=edge.id,
            label=edge.label_zh if language == "zh" else edge.label_en,
            color={"color": edge.colour, "highlight": edge.colour},
            dashes=edge.dashes,
            arrows=edge.arrows.replace(";", ","),
            width=edge.width,
            # parallel edges (two hop kinds between one pair) bend apart, so each can be seen and clicked
            smooth={"enabled": True, "type": "curvedCW", "roundness": 0.25 * ((nth + 1) // 2) * (-1) ** nth},
        )
    network.set_options(json.dumps(_options(len(view.nodes))))
    return network


def _options(nodes: int) -> dict[str, object]:
    """The vis-network options. Physics runs a bounded stabilisation, then the page turns it off (pyvis leaves it
    on: minutes at 1,500 nodes); large views get fewer iterations (500 nodes stabilise in about 3 s with 300)."""
    large = nodes > LARGE_VIEW
    return {
        "physics": {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -60,
                "springLength": 120,
                "avoidOverlap": 0.0 if large else 0.4,
            },
            "stabilization": {"enabled": True, "iterations": 100 if large else 300, "updateInterval": 50, "fit": True},
            "minVelocity": 1.0,
        },
        "edges": {"smooth": {"enabled": True, "type": "dynamic"}, "font": {"size": 11, "align": "middle"}},
        "nodes": {"font": {"size": 13}, "borderWidth": 1},
        "interaction": {"hover": True, "navigationButtons": False, "multiselect": False, "tooltipDelay": 150},
        "layout": {"improvedLayout": False, "randomSeed": 7},
    }


def _border(highlight: bool, flagged: bool) -> str:
    """Red for illustrative or synthetic records (dashed too), black for the view's focus, grey otherwise."""
    return "#c0392b" if flagged else "#1a1a1a" if highlight else "#7f8c8d"


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


@cache
def _asset(path: Path) -> str:
    return path.read_text(encoding="utf-8")


#: the catalogue's messages the view's script says (its panel, the heat map's corner)
_SCRIPT_WORDS = "view."
#: the closed values the panel shows, by their scheme in the ontology's vocabularies (named there in both languages)
_SCHEMES = ("hop-kind", "direction", "status", "trust", "question-bank", "condition-kind")


@cache
def _names() -> dict[str, dict[str, list[str]]]:
    """The panel's closed values named in both languages: the ontology's concepts and issuer kinds, the node kinds
    and agreement states of the legend, and asserted or inferred from the catalogue."""
    names = {scheme: {code: list(pair) for code, pair in concept_names(scheme).items()} for scheme in _SCHEMES}
    names["issuer-kind"] = {kind: list(pair) for kind, pair in issuer_kind_names().items()}
    names["node-kind"] = {kind: [zh, en] for kind, (_, _, zh, en) in NODE_STYLES.items()}
    names["agreement-state"] = {state: [zh, en] for state, (_, _, zh, en) in AGREEMENT_STATES.items()}
    names["derivation"] = {
        way: [catalogue()[f"view.derivation.{way}"].zh, catalogue()[f"view.derivation.{way}"].en]
        for way in ("asserted", "inferred")
    }
    return names


def _config(served: bool, api_base: str, language: str) -> dict[str, object]:
    """What the page script needs besides the view: the mode, its words and the names of the values it shows (both
    languages, for the switch of a page opened from a file), and the styles it applies to nodes and edges it adds."""
    return {
        "served": served,
        "apiBase": api_base,
        "language": language,
        "words": {key: [m.zh, m.en] for key, m in catalogue().items() if key.startswith(_SCRIPT_WORDS)},
        "names": _names(),
        "badges": {"illustrative": list(ILLUSTRATIVE_BADGE), "synthetic": list(SYNTHETIC_BADGE)},
        "nodeStyles": {kind: [shape, colour] for kind, (shape, colour, _, _) in NODE_STYLES.items()},
        "stateStyles": {state: [colour, dashes] for state, (colour, dashes, _, _) in AGREEMENT_STATES.items()},
    }


def _script_safe(text: str) -> str:
    """JSON placed inside <script>: no '</' can end the element early."""
    return text.replace("</", "<\\/")


def render_html(
    view: View, *, served: bool = False, language: str = "zh", api_base: str = "", shell: PageShell | None = None
) -> str:
    """The page for *view*. *served*: the page may call the API (search, expand); a file never does. A served page
    passes its *shell* (the language switch's link, the banner, the data version): it then has the header,
    navigation and banner of every page for people; a file has its own header with a switch in place."""
    nodes, edges, _, _, _, options = to_network(view, language).get_network_data()
    chosen = Language.chosen(language)
    return (
        _environment()
        .get_template("view.html")
        .render(
            view=view,
            language=chosen.value,
            shell=shell,
            navigation=NAVIGATION,
            words={key: m.in_language(chosen) for key, m in catalogue().items()},
            zh={key: m.zh for key, m in catalogue().items()},
            en={key: m.en for key, m in catalogue().items()},
            site_css=_asset(HERE / "static" / "site.css"),
            served=served,
            view_json=_script_safe(json.dumps(view.to_json(), ensure_ascii=False)),
            nodes_json=_script_safe(json.dumps(nodes, ensure_ascii=False)),
            edges_json=_script_safe(json.dumps(edges, ensure_ascii=False)),
            options_json=_script_safe(options),
            config_json=_script_safe(json.dumps(_config(served, api_base, language))),
            vis_js=_asset(VIS_DIR / "vis-network.min.js"),
            vis_css=_asset(VIS_DIR / "vis-network.css"),
            app_js=_asset(HERE / "static" / "view.js"),
            app_css=_asset(HERE / "static" / "view.css"),
        )
    )


def render_drawing(view: View, *, language: str = "zh", element_id: str = "drawing", label: str = "") -> str:
    """A small drawing of *view* to place inside another page (the entity pages): a ``<div>`` and the scripts that
    draw it with the vis-network pyvis ships (inlined: nothing is fetched). Physics settles the layout, then stops;
    ``window.certbridgeDrawing`` then says how many nodes and edges were drawn and that the drawing is stable."""
    nodes, edges, _, _, _, options = to_network(view, language).get_network_data()
    data = {"nodes": nodes, "edges": edges, "options": json.loads(options), "element": element_id}
    return (
        f"<style>{_asset(VIS_DIR / 'vis-network.css')}</style>"
        f'<div id="{element_id}" class="drawing" role="img" aria-label="{_attribute(label)}"></div>'
        f'<script type="application/json" id="{element_id}-data">{_script_safe(json.dumps(data, ensure_ascii=False))}'
        "</script>"
        f"<script>{_asset(VIS_DIR / 'vis-network.min.js')}</script>"
        f"<script>{_DRAWING_SCRIPT.replace('ELEMENT', json.dumps(element_id))}</script>"
    )


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


#: draws the data of render_drawing, stops the physics once settled, and says so for the tests
_DRAWING_SCRIPT = """(function () {
  const data = JSON.parse(document.getElementById(ELEMENT + "-data").textContent);
  const container = document.getElementById(data.element);
  const network = new vis.Network(container, { nodes: new vis.DataSet(data.nodes), edges: new vis.DataSet(data.edges) },
    data.options);
  const done = () => {
    network.setOptions({ physics: { enabled: false } });
    network.fit();
    window.certbridgeDrawing = { stable: true, nodes: data.nodes.length, edges: data.edges.length, network };
  };
  network.once("stabilizationIterationsDone", done);
  if (data.nodes.length < 2) done();
})();"""
