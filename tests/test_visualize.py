"""The view model (pure): which nodes and edges each view shows, their styles, and the offline page."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from certbridge.graph.choices import HopKind
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.routing import RouteAnswer, find_routes
from certbridge.graph.routing.coverage import cell_pairs, coverage
from certbridge.graph.routing.explain import missing_agreement
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.rules import agreement_in_force
from certbridge.graph.store import open_store
from certbridge.ontology import ID
from certbridge.visualize.answer import missing_sentence
from certbridge.visualize.catalogue import Language, message, text
from certbridge.visualize.model import HOP_COLOURS, View, ViewEdge, ViewNode, aggregate
from certbridge.visualize.render import render_html
from certbridge.visualize.views import agreement_map, coverage_view, node_view, route_view

CT = f"{ID}certificate-type/"
SOURCE, TARGET = f"{CT}IL-CT-hengfeng-spinner-senior-technician", f"{CT}IL-CT-js-hrss-spinner-senior-technician"
DAY = date(2025, 1, 1)


@pytest.fixture(scope="module")
def answer(mini_store: Path) -> RouteAnswer:
    return find_routes(index_for(mini_store), SOURCE, TARGET, as_of=DAY, k=3)


def test_route_view_has_one_node_per_certificate_and_one_edge_per_distinct_hop(answer: RouteAnswer) -> None:
    view = route_view(answer)
    steps = [step for route in answer.to_json()["routes"] for step in route["steps"]]
    ends = {end["iri"] for step in steps for end in (step["source"], step["target"])}
    hops = {(s["source"]["iri"], s["target"]["iri"], s["kind"], s["evidence"]["iri"]) for s in steps}
    assert {n.id for n in view.nodes} == ends and len(view.edges) == len(hops)
    for edge in view.edges:
        assert edge.colour == HOP_COLOURS[HopKind(edge.kind)]
        assert edge.details["evidence"]["iri"] and edge.details["derivation"] in ("asserted", "inferred")
    assert {n.id for n in view.nodes if n.highlight} == {SOURCE, TARGET}
    assert sorted({r for e in view.edges for r in e.routes}) == list(range(1, len(answer.routes) + 1))


def test_illustrative_records_say_so_in_both_languages(answer: RouteAnswer) -> None:
    view = route_view(answer)
    assert view.illustrative
    flagged = [n for n in view.nodes if n.illustrative]
    assert flagged and all(("示例" in n.label_zh) and ("illustrative" in n.label_en.lower()) for n in flagged)


def test_no_route_shows_the_explanation_and_the_nearest_certificates(mini_store: Path) -> None:
    index = index_for(mini_store)
    answer = find_routes(index, TARGET, f"{CT}IL-CT-zj-assoc-spinner-senior", as_of=DAY)
    assert answer.no_route
    parts = missing_agreement(index, answer.source.iri, answer.target.iri, DAY)
    assert parts is not None
    view = route_view(answer, missing=parts)
    by_language = {
        language: [pair[0 if language is Language.ZH else 1] for pair in view.notes] for language in Language
    }
    for language, notes in by_language.items():  # each note worded from the catalogue, not the engine's English
        assert notes[0] == text("answer.why.not-connected", language, as_of=answer.as_of, max_hops=answer.max_hops)
        assert missing_sentence(parts, language) in notes
        assert answer.no_route.reason not in " ".join(notes)
    near = {e.iri for e in answer.no_route.source_reaches}
    assert near and near <= {n.id for n in view.nodes}
    assert all(e.kind == "nearest" and e.dashes for e in view.edges)
    # a required grade above the certificate's: explained as such, with no agreement proposed
    upwards = route_view(find_routes(index, f"{CT}IL-CT-zj-assoc-spinner-senior", TARGET, as_of=DAY))
    grade_too_high = message("answer.why.grade-too-high")
    assert (grade_too_high.zh, grade_too_high.en) in upwards.notes
    assert not any(missing_sentence(parts, Language.EN) == en for _, en in upwards.notes)


def test_neighbourhood_is_aggregated_beyond_the_limit(mini_store: Path) -> None:
    found = neighbourhood(open_store(mini_store), f"{ID}region/370000", depth=2, limit=2000).to_json()
    assert len(found["nodes"]) > 12
    whole = node_view(found, max_nodes=1000)
    small = node_view(found, max_nodes=12)
    assert len(small.nodes) <= 12 and small.aggregated
    groups = [n for n in small.nodes if n.kind == "group"]
    kept = len(small.nodes) - len(groups)
    assert sum(g.size for g in groups) + kept == len(whole.nodes)
    assert small.node(f"{ID}region/370000") is not None, "the centre is never aggregated"
    ids = {n.id for n in small.nodes}
    assert all(e.source in ids and e.target in ids for e in small.edges)


def test_aggregate_keeps_small_views_unchanged() -> None:
    view = View("node", "t", "t", nodes=[ViewNode("a", "region", "a", "a")], edges=[])
    assert aggregate(view, 10, keep={"a"}) is view and not view.aggregated


def test_agreement_map_directions_and_states_by_year(mini_store: Path) -> None:
    index = index_for(mini_store)
    view = agreement_map(index, DAY)
    by_agreement = {e.details["agreement"].rsplit("/", 1)[-1]: e for e in view.edges}
    assert by_agreement["IL-AG01"].arrows == "to;from" and by_agreement["IL-AG02"].arrows == "to"
    expired = index.agreements[f"{ID}agreement/IL-AG02"]
    for year, state in by_agreement["IL-AG02"].states.items():
        in_force = agreement_in_force(expired, date(int(year), 12, 31))[0]
        assert (state == "in-force") == in_force
    assert by_agreement["IL-AG02"].states["2019"] == "in-force" and by_agreement["IL-AG02"].states["2021"] == "expired"
    assert by_agreement["MR09"].kind == "no-recognition", "cooperation without recognition is not drawn as recognition"
    one_way = by_agreement["IL-AG02"]
    assert one_way.source == f"{ID}region/370000" and one_way.target == f"{ID}region/130000"


def test_coverage_view_holds_every_cell(mini_store: Path) -> None:
    table = coverage(index_for(mini_store), as_of=DAY)
    view = coverage_view(table)
    assert len(view.data["cells"]) == len(table.cells)
    assert view.data["total"] == {"pairs": table.total.pairs, "covered": table.total.covered}


def test_the_page_loads_nothing_from_the_network(answer: RouteAnswer) -> None:
    page = render_html(route_view(answer))
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)
    assert "@import" not in page and "vis.Network" in page
    assert SOURCE in page and "hop-1" in page


def test_script_data_cannot_close_the_script_element() -> None:
    hostile = ViewNode("x", "other", "</script><script>alert(1)</script>", "x")
    view = View("node", "t", "t", nodes=[hostile], edges=[ViewEdge("e", "x", "x", "link")])
    page = render_html(view)
    assert "</script><script>alert(1)" not in page


def test_coverage_by_occupation_group_and_issuer_kind(mini_store: Path) -> None:
    index = index_for(mini_store)
    cross = coverage(index, by="occupation-group/issuer-kind", as_of=DAY)
    plain = coverage(index, by="occupation-group", as_of=DAY)
    assert {a for a, _ in cross.cells} == {a for a, _ in plain.cells}
    assert {b for _, b in cross.cells} <= {issuer.kind for issuer in index.issuers.values()}
    assert cross.total.pairs == plain.total.pairs and cross.total.covered == plain.total.covered
    view = coverage_view(cross)
    assert view.data["by"] == "occupation-group/issuer-kind" and "职业大类" in view.title_zh
    row, column = next(iter(cross.cells))
    pairs = cell_pairs(index, by="occupation-group/issuer-kind", row=row, column=column, as_of=DAY, limit=10_000)
    assert len(pairs) == cross.cells[(row, column)].pairs
    assert sum(covered for _, _, covered in pairs) == cross.cells[(row, column)].covered


def test_agreement_parties_that_do_not_issue_are_named(mini_store: Path) -> None:
    view = agreement_map(index_for(mini_store), DAY)
    ministry = view.node(f"{ID}organisation/mohurd-office")  # a party that issues nothing
    assert ministry is not None and ministry.kind == "organisation" and "住房城乡建设部办公厅" in ministry.label_zh
