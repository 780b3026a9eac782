"""The four views, built from what graph/ answers: a route answer, a neighbourhood, the routing index, coverage.

Each builder is pure: same input, same View. Labels carry both languages and say when a record is
illustrative or synthetic; details feed the side panel (evidence, sources with links, trust, dates).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import date
from itertools import combinations
from typing import Any

import pyoxigraph as ox

from certbridge.graph.choices import Direction, HopKind
from certbridge.graph.query import compact
from certbridge.graph.routing.coverage import Coverage
from certbridge.graph.routing.explain import MissingAgreement
from certbridge.graph.routing.model import Endpoint, RouteAnswer, as_json
from certbridge.graph.routing.records import Agreement, RoutingIndex
from certbridge.graph.routing.rules import NOT_IN_FORCE_STATUSES, agreement_in_force
from certbridge.graph.vocabulary import concept_names, issuer_kind_names
from certbridge.ontology import CB, ID, ORG

from .answer import missing_sentence, no_route_why, particulars
from .catalogue import Language, message, text
from .model import (
    AGREEMENT_STATES,
    NODE_STYLES,
    LegendItem,
    View,
    ViewEdge,
    ViewNode,
    aggregate,
    hop_legend,
    hop_style,
    marked_label,
    node_legend,
)

DEFAULT_MAX_NODES = 500
#: the arrows of an agreement's edges on the map, by its direction (none when not stated)
_ARROWS: dict[str, str] = {Direction.MUTUAL: "to;from", Direction.ONE_WAY: "to"}

#: node kinds by the classes an entity has, first match first; the classes as the neighbourhood names them
_KIND_BY_CLASSES = tuple(
    (kind, frozenset(compact(ox.NamedNode(str(cls))) for cls in classes))
    for kind, classes in (
        ("certificate-type", (CB.CertificateType,)),
        ("organisation", (CB.Issuer, CB.Organisation, ORG.Organization)),
        ("occupation", (CB.Occupation,)),
        ("agreement", (CB.RecognitionAgreement,)),
        ("region", (CB.Region,)),
    )
)


def _kind_of(iri: str, types: list[str] | None = None) -> str:
    local = iri.removeprefix(str(ID)).split("/", 1)[0] if iri.startswith(str(ID)) else ""
    if local in NODE_STYLES:
        return local
    for kind, classes in _KIND_BY_CLASSES:
        if any(t in classes for t in types or ()):
            return kind
    return "credential" if local in ("credential", "title", "framework-level", "grade") else "other"


def _endpoint_node(endpoint: Endpoint, *, highlight: bool = False) -> ViewNode:
    ill, syn = endpoint.illustrative, endpoint.synthetic
    zh = endpoint.label_zh or endpoint.label_en or endpoint.iri
    en = endpoint.label_en or zh
    return ViewNode(
        endpoint.iri,
        endpoint.node_type or _kind_of(endpoint.iri),
        marked_label(zh, ill, syn, "zh"),
        marked_label(en, ill, syn, "en"),
        illustrative=ill,
        synthetic=syn,
        details={"iri": endpoint.iri},
        highlight=highlight,
    )


def certificate_facets(index: RoutingIndex, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """What the filters of a view act on, per certificate type or issuer: issuer kind, region and grade."""
    found: dict[str, dict[str, str]] = {}
    for iri in iris:
        cert = index.certificates.get(iri)
        issuer = index.issuers.get(cert.issuer if cert else iri)
        if issuer is None:
            continue
        region = index.region_labels.get(index.province_of(issuer.region) or "", (None, None))  # filters by province
        facets = {"issuer_kind": issuer.kind, "region": region[1] or region[0] or ""}
        if cert is not None:
            grade = index.grades.get(cert.grade)
            facets["grade"] = (grade.label_en or grade.label_zh or "") if grade else ""
        found[iri] = facets
    return found


def facet_names(index: RoutingIndex) -> dict[str, dict[str, list[str]]]:
    """What the filters' values are called in each language: facet -> value -> [Chinese, English] (regions and
    grades by their labels in the data, issuer kinds by their classes' labels in the ontology)."""
    regions = {(en or zh or ""): [zh or en or "", en or zh or ""] for zh, en in index.region_labels.values()}
    grades = {
        (g.label_en or g.label_zh or ""): [g.label_zh or g.label_en or "", g.label_en or g.label_zh or ""]
        for g in index.grades.values()
    }
    kinds = {kind: list(names) for kind, names in issuer_kind_names().items()}
    return {"region": regions, "grade": grades, "issuer_kind": kinds}


def route_facets(index: RoutingIndex, answer: RouteAnswer) -> dict[str, dict[str, str]]:
    """The facets of every certificate type a route answer names (source, target and every hop's ends)."""
    hops = [hop for route in answer.routes for hop in route.hops]
    ends = [answer.source, answer.target, *(end for hop in hops for end in (hop.source, hop.target))]
    return certificate_facets(index, {end.iri for end in ends})


def _both(words: Callable[[Language], str]) -> tuple[str, str]:
    """A note of a view in both languages (the page shows one, the file's switch the other)."""
    return words(Language.ZH), words(Language.EN)


#: the mark of a hop through an agreement with conditions on the route view's edges (zh, en)
CONDITIONAL_MARK = (message("view.conditional").zh, message("view.conditional").en)


def route_view(
    answer: RouteAnswer,
    facets: dict[str, dict[str, str]] | None = None,
    missing: MissingAgreement | None = None,
) -> View:
    """The k routes of a route answer: hops coloured by kind, one edge per distinct hop. The page gets the answer's
    JSON (``RouteAnswer.to_json()``) as well.

    *facets* (from :func:`certificate_facets`) give the filters something to act on; *missing* (from
    ``graph.routing.explain.missing_agreement``) words the agreement a no-route answer lacks.
    """
    source, target = answer.source, answer.target
    view = View(
        "route",
        f"{source.label_zh} → {target.label_zh}",
        f"{source.label_en} → {target.label_en}",
        legend=hop_legend(),
        # the condition kinds' names in both languages, from the ontology (the panel shows them, not the codes)
        data={"answer": answer.to_json(), "condition_names": concept_names("condition-kind")},
    )
    nodes = {
        source.iri: _endpoint_node(source, highlight=True),
        target.iri: _endpoint_node(target, highlight=True),
    }
    edges: dict[tuple[str, str, str, str], ViewEdge] = {}
    for number, route in enumerate(answer.routes, start=1):
        for hop in route.hops:
            for position, end in enumerate((hop.source, hop.target)):
                node = nodes.setdefault(end.iri, _endpoint_node(end))
                if end.node_type == "certificate-type" and position < len(hop.quality):
                    issuer = hop.quality[position]
                    node.facets.setdefault("issuer_kind", issuer.kind)
                    node.facets.setdefault("region", issuer.region or "")
            evidence = hop.evidence
            slot = (hop.source.iri, hop.target.iri, str(hop.kind), evidence.iri)
            if slot in edges:
                edges[slot].routes.append(number)
                continue
            colour, zh, en = hop_style(hop.kind)
            dates = _dates(evidence.valid_from, evidence.valid_to)
            short = evidence.iri.rsplit("/", 1)[-1]
            if evidence.conditions:  # what the holder must still do: said on the edge, listed in the panel
                short += " " + CONDITIONAL_MARK[0]
            ill, syn = evidence.illustrative, evidence.synthetic
            edges[slot] = ViewEdge(
                f"hop-{len(edges) + 1}",
                hop.source.iri,
                hop.target.iri,
                str(hop.kind),
                marked_label(f"{zh} {short} {dates}".strip(), ill, syn, "zh"),
                marked_label(f"{en} {short.replace(*CONDITIONAL_MARK)} {dates}".strip(), ill, syn, "en"),
                colour=colour,
                dashes=hop.derivation == "inferred" and hop.kind != HopKind.FORMAL_RECOGNITION,
                width=3.0 if number == 1 else 2.0,
                illustrative=ill,
                synthetic=syn,
                details={
                    "kind": str(hop.kind),
                    "direction": hop.direction,
                    "derivation": hop.derivation,
                    "evidence": as_json(evidence),
                    "quality": as_json(hop.quality),
                },
                routes=[number],
            )
    if answer.no_route is not None:
        absent = answer.no_route
        # why, what was searched and the missing agreement, each worded from its parts in both languages (the
        # engine's reason and missing agreement are English sentences)
        view.notes.append(_both(lambda language: no_route_why(answer, language)))
        view.notes.extend(zip(particulars(answer, Language.ZH), particulars(answer, Language.EN), strict=True))
        if missing is not None:
            view.notes.append(_both(lambda language: missing_sentence(missing, language)))
        for side, reaching, nearest, zh, en in (
            (source, True, absent.source_reaches, *_both(lambda language: text("view.near.reaches", language))),
            (
                target,
                False,
                absent.target_reached_from,
                *_both(lambda language: text("view.near.reached_from", language)),
            ),
        ):
            for near in nearest:
                nodes.setdefault(near.iri, _endpoint_node(near))
                a, b = (side.iri, near.iri) if reaching else (near.iri, side.iri)
                edges[(a, b, "nearest", "")] = ViewEdge(
                    f"near-{len(edges) + 1}", a, b, "nearest", zh, en, colour="#bbbbbb", dashes=True
                )
        nearest_name = message("view.legend.nearest")
        view.legend.append(LegendItem("#bbbbbb", nearest_name.zh, nearest_name.en, dashed=True))
    view.nodes, view.edges = list(nodes.values()), list(edges.values())
    for node in view.nodes:
        node.facets.update((facets or {}).get(node.id, {}))
    view.legend += node_legend({n.kind for n in view.nodes})
    view.data["routes"] = len(answer.routes)
    return view


def _dates(start: str | None, end: str | None) -> str:
    if not start and not end:
        return ""
    return f"{start or '?'}–{end or ''}"


def node_view(
    found: dict[str, Any], *, max_nodes: int = DEFAULT_MAX_NODES, facets: dict[str, dict[str, str]] | None = None
) -> View:
    """The neighbourhood of an entity (``Neighbourhood.to_json()``); beyond *max_nodes*, grouped by kind."""
    center = found["center"]
    data = {"center": center, "depth": found["depth"], "truncated": found["truncated"], "max_nodes": max_nodes}
    view = View("node", "", "", data=data)
    for raw in found["nodes"]:
        ill, syn = raw.get("illustrative", False), raw.get("synthetic", False)
        zh = raw.get("label_zh") or raw.get("label_en") or raw["iri"].rsplit("/", 1)[-1]
        en = raw.get("label_en") or zh
        view.nodes.append(
            ViewNode(
                raw["iri"],
                _kind_of(raw["iri"], raw.get("types")),
                marked_label(zh, ill, syn, "zh"),
                marked_label(en, ill, syn, "en"),
                illustrative=ill,
                synthetic=syn,
                details={"iri": raw["iri"], "types": raw.get("types", [])},
                facets=dict((facets or {}).get(raw["iri"], {})),
                highlight=raw["iri"] == center,
            )
        )
    for number, raw in enumerate(relations(found["edges"]), start=1):
        predicate = raw.get("predicate", "")
        via = raw.get("via") or []
        named = " ".join(iri.rsplit("/", 1)[-1] for iri in via)
        zh = (raw.get("label_zh") or raw.get("label_en") or predicate) + (f"（{named}）" if named else "")
        en = (raw.get("label_en") or raw.get("label_zh") or predicate) + (f" ({named})" if named else "")
        view.edges.append(
            ViewEdge(
                f"link-{number}",
                raw["source"],
                raw["target"],
                "link",
                zh,
                en,
                colour="#1b7f3b" if via else "#7a7a7a",
                arrows=raw.get("arrows", "to"),
                width=2.5 if via else 1.5,
                details={"predicate": predicate, "graph": raw.get("graph"), "via": via},
            )
        )
    first = view.node(center)
    view.title_zh = text("view.title.node", Language.ZH, name=first.label_zh if first else center)
    view.title_en = text("view.title.node", Language.EN, name=first.label_en if first else center)
    if found["truncated"]:
        view.aggregated.append(_both(lambda language: text("view.note.fetched", language, count=len(found["nodes"]))))
    aggregate(view, max_nodes, keep={center})
    view.legend = node_legend({n.kind for n in view.nodes})
    return view


def relations(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edges of a neighbourhood as a person reads them: a pair linked by a relation a reified statement states
    (one with ``via``: "mutually recognises", derived from an agreement) shows that relation alone, once, with
    arrows both ways when it holds both ways; the inferred generalisations and inverses beside it are left out.
    Between other pairs, a link the reasoner inferred is left out when an asserted one joins the pair already."""
    stated = {frozenset((e["source"], e["target"])) for e in edges if e.get("via")}
    asserted = {frozenset((e["source"], e["target"])) for e in edges if e.get("graph") != _INFERRED}
    kept: dict[tuple[frozenset[str], str, str], dict[str, Any]] = {}
    for edge in edges:
        pair = frozenset((edge["source"], edge["target"]))
        if pair in stated:
            if not edge.get("via"):
                continue
            slot = (pair, edge.get("predicate", ""), "")
        elif edge.get("graph") == _INFERRED and pair in asserted:
            continue
        else:
            slot = (pair, edge.get("predicate", ""), edge["source"])
        if slot in kept:
            if kept[slot]["source"] != edge["source"]:
                kept[slot]["arrows"] = "to;from"
            kept[slot]["via"] = sorted({*kept[slot]["via"], *edge.get("via", [])})
            continue
        kept[slot] = {**edge, "arrows": "to", "via": list(edge.get("via") or [])}
    return list(kept.values())


#: the named graph of what the reasoner concluded, as the neighbourhood names it
_INFERRED = "cbg:inferred"


def agreement_map(index: RoutingIndex, as_of: date, *, max_nodes: int = DEFAULT_MAX_NODES) -> View:
    """Regions and issuers as nodes, agreements as edges: mutual or one-way, state on *as_of*, width by coverage.

    Every edge carries its state for each year (1 January) from the first agreement to the last, so the
    page's date slider works without the server.
    """
    view = View(
        "agreements",
        *_both(lambda language: text("view.title.agreements", language)),
        data={"as_of": as_of.isoformat(), "facet_names": facet_names(index)},
    )
    years = sorted({a.date.year for a in index.agreements.values() if a.date is not None and a.date.year is not None})
    if years:
        span = list(range(years[0], max(years[-1], as_of.year) + 1))
        view.data["years"] = span
    else:
        span = []
    occupations_by_party = _occupations_by_party(index)
    parties: dict[str, ViewNode] = {}
    for agreement in sorted(index.agreements.values(), key=lambda a: a.iri):
        members = sorted(agreement.parties | agreement.recognising | agreement.recognised)
        for party in members:
            parties.setdefault(party, _party_node(index, party))
        in_force, why = agreement_in_force(agreement, as_of)
        state = _state(agreement, as_of, in_force)
        colour, dashes, zh_state, en_state = AGREEMENT_STATES[state]
        covered = sum(
            count
            for party in members
            for occupation, count in occupations_by_party.get(party, {}).items()
            if agreement.covers_occupation(occupation)
        )
        pairs = (
            list(combinations(members, 2))
            if agreement.direction != Direction.ONE_WAY
            else [(r, g) for r in sorted(agreement.recognised) for g in sorted(agreement.recognising)]
        )
        short = agreement.iri.rsplit("/", 1)[-1]
        for number, (a, b) in enumerate(pairs):
            view.edges.append(
                ViewEdge(
                    f"{short}#{number}",
                    a,
                    b,
                    state,
                    marked_label(f"{short} {zh_state}", agreement.illustrative, agreement.synthetic, "zh"),
                    marked_label(f"{short} {en_state}", agreement.illustrative, agreement.synthetic, "en"),
                    colour=colour,
                    dashes=dashes,
                    arrows=_ARROWS.get(agreement.direction, ""),
                    width=min(10.0, 1.5 + covered**0.5 / 4),
                    illustrative=agreement.illustrative,
                    synthetic=agreement.synthetic,
                    details={
                        "agreement": agreement.iri,
                        "label_zh": agreement.label_zh,
                        "label_en": agreement.label_en,
                        "direction": agreement.direction,
                        "status": agreement.status,
                        "valid_from": str(agreement.valid_from or agreement.date or ""),
                        "valid_to": str(agreement.valid_to or ""),
                        "why": why,
                        "certificate_types_covered": covered,
                        "document_number": agreement.document_number,
                        "sources": [asdict(source) for source in agreement.sources],
                    },
                    states={str(year): _state(agreement, date(year, 12, 31), None) for year in span},
                )
            )
    view.nodes = sorted(parties.values(), key=lambda n: (n.kind, n.id))
    view.legend = [LegendItem(c, zh, en, dashed=d) for c, d, zh, en in AGREEMENT_STATES.values()]
    view.legend += [
        LegendItem("#555555", *_both(lambda language: text("view.legend.mutual", language)), shape="line"),
        LegendItem("#555555", *_both(lambda language: text("view.legend.one_way", language))),
    ]
    view.legend += node_legend({n.kind for n in view.nodes})
    return aggregate(view, max_nodes, keep=set(), key="region")


def _state(agreement: Agreement, day: date, in_force: bool | None) -> str:
    if not agreement.recognises:
        return "no-recognition"
    if in_force is None:
        in_force = agreement_in_force(agreement, day)[0]
    if in_force:
        return "in-force"
    start = agreement.valid_from or agreement.date
    if agreement.status in NOT_IN_FORCE_STATUSES or (start is not None and start.known and day < start.latest()):
        return "planned"
    return "expired"


def _party_node(index: RoutingIndex, party: str) -> ViewNode:
    if party in index.issuers:
        issuer = index.issuers[party]
        zh = issuer.label_zh or party.rsplit("/", 1)[-1]
        en = issuer.label_en or zh
        region = index.region_labels.get(issuer.region or "", (None, None))
        province = index.region_labels.get(index.province_of(issuer.region) or "", (None, None))
        return ViewNode(
            party,
            "organisation",
            marked_label(zh, issuer.illustrative, issuer.synthetic, "zh"),
            marked_label(en, issuer.illustrative, issuer.synthetic, "en"),
            illustrative=issuer.illustrative,
            synthetic=issuer.synthetic,
            details={"iri": party, "issuer_kind": issuer.kind, "region": region[1] or region[0]},
            facets={"issuer_kind": issuer.kind, "region": province[1] or province[0] or issuer.region or ""},
        )
    if party in index.party_labels:
        name_zh, name_en = index.party_labels[party]
        return ViewNode(
            party, "organisation", name_zh or name_en or party, name_en or name_zh or party, details={"iri": party}
        )
    name_zh, name_en = index.region_labels.get(party, (None, None))
    return ViewNode(
        party,
        "region",
        name_zh or party.rsplit("/", 1)[-1],
        name_en or name_zh or party,
        details={"iri": party},
        facets={"region": name_en or name_zh or ""},
    )


def _occupations_by_party(index: RoutingIndex) -> dict[str, Counter[str]]:
    """Per issuer and per region: how many certificate types it has in each occupation."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for cert in index.certificates.values():
        issuer = index.issuers.get(cert.issuer)
        if issuer is None:
            continue
        for party in (issuer.iri, *index.enclosing_regions(issuer.region)):  # a city's issuer counts for its province
            found[party][cert.occupation] += 1
    return found


def coverage_view(table: Coverage, names: dict[str, tuple[str | None, str | None]] | None = None) -> View:
    """The coverage table as a heat map (rows: certificate side, columns: required side), one cell per group pair;
    *names* are the groups' names in the data, (zh, en) by key, which the page shows in its language."""
    rows = sorted({a for a, _ in table.cells})
    columns = sorted({b for _, b in table.cells})
    view = View(
        "coverage",
        f"互认覆盖率（按{_GROUPING_ZH.get(table.by, table.by)}）",
        f"Recognition coverage by {table.by}",
        data={
            "by": table.by,
            "as_of": table.as_of,
            "rows": rows,
            "columns": columns,
            "cells": {f"{a}\t{b}": {"pairs": c.pairs, "covered": c.covered} for (a, b), c in table.cells.items()},
            "total": {"pairs": table.total.pairs, "covered": table.total.covered},
            "sampled_occupations": table.sampled_occupations,
            "labels": {key: [zh or en or key, en or zh or key] for key, (zh, en) in (names or {}).items()},
            "illustrative_records": len(table.flagged),
        },
        rests_on_illustrative=table.illustrative,
    )
    view.legend = [
        LegendItem("#f7fbff", "0%", "0%", shape="square"),
        LegendItem("#6baed6", "50%", "50%", shape="square"),
        LegendItem("#08306b", "100%", "100%", shape="square"),
    ]
    if table.sampled_occupations:
        view.aggregated.append(
            _both(lambda language: text("view.note.sampled", language, count=table.sampled_occupations))
        )
    return view


_GROUPING_ZH = {
    "region": "地区",
    "occupation-group": "职业大类",
    "issuer-kind": "发证机构类型",
    "occupation-group/issuer-kind": "职业大类 × 持证方发证机构类型",
}
