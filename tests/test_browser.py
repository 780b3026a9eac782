"""The graph views in a real browser: Debian's chromium driven by Playwright, against a real uvicorn server.

Every request to a host other than loopback is blocked, and the test fails if the page even tried one.
Screenshots go to artifacts/screenshots/ (not committed) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from helpers.browser import CHROMIUM, Page
from helpers.data import Cli
from helpers.serving import serving

from certbridge.api.settings import Settings
from certbridge.visualize.catalogue import message

SOURCE, TARGET = "IL-CT-hengfeng-spinner-senior-technician", "IL-CT-js-hrss-spinner-senior-technician"
AS_OF = "2025-01-01"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is not installed: .ci/run installs Debian's chromium for these tests")
    pytest.skip("Debian's chromium is not installed here", allow_module_level=True)


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    with serving(Settings(real_store, viz_max_nodes=500)) as url:
        yield url


def route_url(base: str, **extra: str) -> str:
    return f"{base}/viz/route?" + urlencode({"from": SOURCE, "to": TARGET, "as_of": AS_OF, **extra})


def expected_counts(base: str) -> tuple[int, int]:
    answer = httpx.get(f"{base}/api/v1/routes", params={"from": SOURCE, "to": TARGET, "as_of": AS_OF}).json()
    steps = [s for r in answer["routes"] for s in r["steps"]]
    nodes = {end["iri"] for s in steps for end in (s["source"], s["target"])}
    hops = {(s["source"]["iri"], s["target"]["iri"], s["kind"], s["evidence"]["iri"]) for s in steps}
    return len(nodes), len(hops)


def switch_language(page: Page) -> None:
    """Follow the shell's language switch and wait for the view to be drawn again."""
    with page.page.expect_navigation():
        page.page.locator("a.lang-switch").click()
    page.page.wait_for_function("window.certbridgeView && window.certbridgeView.stable", timeout=30_000)


def test_route_view_renders_what_the_api_answers(page: Page, base_url: str) -> None:
    state = page.open(route_url(base_url))
    assert (state["nodes"], state["edges"]) == expected_counts(base_url)
    assert page.drawn_pixels() > 2_000, "the vis-network canvas has drawn the graph"
    assert page.page.locator("#data-warning .badge.illustrative").is_visible()
    assert page.page.evaluate("certbridgeView.network.getSelectedEdges().length") > 0, "the best route is highlighted"
    page.shot("route-view")


def test_clicking_an_edge_shows_its_evidence_and_sources(page: Page, base_url: str) -> None:
    page.open(route_url(base_url))
    point = page.page.evaluate("certbridgeView.edgeMidpoint('hop-1')")
    page.page.mouse.click(point["x"], point["y"])
    panel = page.page.locator("#panel")
    panel.wait_for(state="visible")
    text = panel.inner_text()
    assert "IL-AG01" in text or "示例：鲁苏" in text
    assert "ILLUSTRATIVE" in text or "示例" in text
    derivations = [message(f"view.derivation.{way}").zh for way in ("asserted", "inferred")]
    assert any(said in text for said in derivations)  # named in the page's language, not the code
    assert "inferred" not in text and "asserted" not in text
    page.shot("route-view-evidence")


def test_a_conditional_hop_names_its_condition_in_the_shown_language(page: Page, base_url: str) -> None:
    """The Fujian–Taiwan route (real records): the panel says 考试 in Chinese and examination in English."""
    url = f"{base_url}/viz/route?" + urlencode(
        {"from": "CT-tw-chinese-cuisine-class-c", "to": "CT-fj-chinese-cook-senior", "as_of": "2026-12-01"}
    )
    page.open(url)
    point = page.page.evaluate("certbridgeView.edgeMidpoint('hop-1')")
    page.page.mouse.click(point["x"], point["y"])
    panel = page.page.locator("#panel")
    panel.wait_for(state="visible")
    assert "条件" in panel.inner_text() and "考试: " in panel.inner_text()
    assert "examination: " not in panel.inner_text()
    switch_language(page)  # the shell's switch: the page again in English, remembered
    point = page.page.evaluate("certbridgeView.edgeMidpoint('hop-1')")
    page.page.mouse.click(point["x"], point["y"])
    panel.wait_for(state="visible")
    english = panel.inner_text()
    assert "condition" in english and "examination: " in english and "考试: " not in english
    page.shot("route-view-condition")


def test_the_language_switch_changes_the_labels(page: Page, base_url: str) -> None:
    page.open(route_url(base_url))
    label_of = (
        f"certbridgeView.network.body.data.nodes.get('https://w3id.org/certbridge/id/certificate-type/{TARGET}').label"
    )
    chinese = page.page.evaluate(label_of)
    switch_language(page)
    english = page.page.evaluate(label_of)
    assert "江苏" in chinese and "Jiangsu" in english
    assert page.page.locator("#legend h2").inner_text() == "Legend"
    switch_language(page)
    assert page.page.evaluate(label_of) == chinese
    page.shot("route-view-english")


def test_searching_and_picking_two_certificates_shows_their_route(page: Page, base_url: str) -> None:
    page.open(f"{base_url}/viz/route")
    for side, text in (("from", "恒丰 高级技师"), ("to", "江苏 纺纱工 高级技师")):
        page.page.fill(f"#pick-{side}", text)
        page.page.wait_for_function(f"document.querySelectorAll('#pick-{side}-list option').length > 0")
        first = page.page.evaluate(f"document.querySelector('#pick-{side}-list option').value")
        page.page.fill(f"#pick-{side}", first)
    page.page.fill("input[name=as_of]", AS_OF)
    page.page.click("#pick button[type=submit]")
    page.page.wait_for_url("**/viz/route?**")
    page.page.wait_for_function("window.certbridgeView && window.certbridgeView.stable")
    assert (page.state()["nodes"], page.state()["edges"]) == expected_counts(base_url)
    assert page.page.evaluate("certbridgeView.network.getSelectedEdges().length") > 0
    page.shot("route-view-picked")


def test_neighbourhood_expands_by_clicking_without_reloading(page: Page, base_url: str) -> None:
    before = page.open(f"{base_url}/viz/node?id=organisation/hengfeng")
    page.page.evaluate("window.notReloaded = true")
    other = page.page.evaluate(
        "certbridgeView.network.body.data.nodes.getIds().find(id => id.includes('/occupation/'))"
        " || certbridgeView.network.body.data.nodes.getIds()[1]"
    )
    point = page.page.evaluate(f"certbridgeView.nodePoint({other!r})")
    page.page.mouse.click(point["x"], point["y"])
    page.page.wait_for_function("certbridgeView.expanded === 1")
    after = page.state()
    assert after["nodes"] > before["nodes"], "clicking fetched the node's neighbours from the API"
    assert page.page.evaluate("window.notReloaded === true")
    page.shot("node-view-expanded")


def test_node_view_aggregates_beyond_the_setting(browser: object, real_store: Path) -> None:
    with serving(Settings(real_store, viz_max_nodes=15)) as url:
        page = Page(browser)
        state = page.open(f"{url}/viz/node?id=region/440000&depth=2")
        assert state["nodes"] <= 15
        assert page.page.locator(".aggregated").first.is_visible()
        page.shot("node-view-aggregated")
        page.close()


def test_agreement_map_year_slider_shows_recognition_growing(page: Page, base_url: str) -> None:
    page.open(f"{base_url}/viz/agreements?as_of={AS_OF}")
    slider = page.page.locator("#year")
    first, last = int(slider.get_attribute("min")), int(slider.get_attribute("max"))
    visible = {}
    for year in (first, last):
        slider.fill(str(year))
        visible[year] = page.page.evaluate("certbridgeView.visibleEdges")
    assert visible[first] < visible[last]
    page.shot("agreement-map")


def test_coverage_heat_map_links_to_the_pairs_behind_a_cell(page: Page, base_url: str) -> None:
    page.page.goto(f"{base_url}/viz/coverage?as_of={AS_OF}")  # a page in the shell, the heat map a table
    cells = page.page.locator("table.heat td a")
    assert cells.count() > 0
    page.shot("coverage")
    cells.first.click()
    page.page.wait_for_url("**/viz/coverage/cell?**")
    assert page.page.locator("table tr").count() > 1


def test_the_standalone_file_renders_the_same_from_disk(
    page: Page, base_url: str, real_store: Path, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "route.html"
    result = cli("viz", "route", SOURCE, TARGET, "--as-of", AS_OF, "--store", real_store, "-o", out)
    assert result.exit_code == 0, result.stderr
    state = page.open(out.as_uri())
    assert (state["nodes"], state["edges"]) == expected_counts(base_url)
    assert page.drawn_pixels() > 2_000
    page.shot("route-view-file")
    node = tmp_path / "node.html"
    assert cli("viz", "node", "organisation/hengfeng", "--store", real_store, "-o", node).exit_code == 0
    assert page.open(node.as_uri())["nodes"] > 1


def test_filters_hide_what_does_not_match(page: Page, base_url: str) -> None:
    page.open(route_url(base_url))
    grades = page.page.locator("select[data-facet=grade] option").all_inner_texts()
    assert "senior technician" in grades
    hidden = "certbridgeView.network.body.data.nodes.get().filter(n => n.hidden).map(n => n.id)"
    assert page.page.evaluate(hidden) == []
    page.page.select_option("select[data-facet=issuer_kind]", "government-hr-authority")
    assert page.page.evaluate(hidden) == [f"https://w3id.org/certbridge/id/certificate-type/{SOURCE}"]
    page.page.select_option("select[data-facet=issuer_kind]", "")
    page.page.uncheck("#kind-filter input[data-colour='#1b7f3b']")
    edges = page.page.evaluate("certbridgeView.network.body.data.edges.get().filter(e => !e.hidden).length")
    assert 0 < edges < page.state()["edges"], "hiding formal recognition leaves the other hops"
