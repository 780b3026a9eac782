"""Entity pages, coverage, the what-if form, the agreement map and the error pages in a real browser (Debian's
chromium driven by Playwright, every non-loopback request aborted), in both languages: what a person sees, and
screenshots under artifacts/screenshots/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.browser import CHROMIUM, Page
from helpers.serving import serving

from certbridge.api.settings import Settings
from certbridge.visualize.catalogue import Language, message, text

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is not installed: .ci/run installs Debian's chromium for these tests")
    pytest.skip("Debian's chromium is not installed here", allow_module_level=True)

LANGUAGES = (Language.ZH, Language.EN)
#: one record of each kind with a page, with its name in each language as the data has it
ENTITIES = {
    "certificate-type/IL-CT-hengfeng-spinner-senior-technician": (
        "德州恒丰集团 纺纱工 高级技师（示例）",
        "Dezhou Hengfeng Group 纺纱工 senior technician (illustrative)",
    ),
    "organisation/hk-gov": ("香港特别行政区政府", "Government of the Hong Kong SAR"),
    "agreement/MR06": (
        "粤港澳技能人才评价合作框架协议（本项目译名）",
        "Guangdong-Hong Kong-Macao Cooperation Framework Agreement on the Evaluation of Skilled Talents",
    ),
    "occupation/6-04-02-01": ("纺纱工", "纺纱工"),
    "standard/2-02-38-01-2021": ("人工智能工程技术人员国家职业技术技能标准",) * 2,
}


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    with serving(Settings(real_store, viz_max_nodes=500)) as url:
        yield url


def expect_status(page: Page, status: int) -> None:
    """An error page is answered with its status, which chromium reports as a failed load of the document: that
    one console line is expected, any other error is not."""
    page.errors = [e for e in page.errors if f"status of {status}" not in e]


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
@pytest.mark.parametrize("path", ENTITIES, ids=lambda p: p.split("/")[0])
def test_an_entity_page_shows_its_name_facts_sources_and_drawing(
    page: Page, base_url: str, path: str, language: Language
) -> None:
    page.page.goto(f"{base_url}/id/{path}?lang={language.value}")
    page.page.wait_for_function("window.certbridgeDrawing && window.certbridgeDrawing.stable", timeout=30_000)
    name = ENTITIES[path][0 if language is Language.ZH else 1]
    assert page.page.locator("h1").inner_text() == name
    facts = page.page.locator("table.facts")
    assert facts.is_visible() and facts.locator("tbody tr").count() >= 2
    heads = " ".join(facts.locator("th[scope=row]").all_inner_texts())
    assert not re.search(r"\b(cb|rdf|skos|dcterms):", heads), heads  # named, not compact IRIs
    assert page.page.locator("section.sources h2").inner_text() == text("entity.sources", language)
    drawn = page.page.evaluate("({nodes: certbridgeDrawing.nodes, edges: certbridgeDrawing.edges})")
    assert drawn["nodes"] >= 2 and drawn["edges"] >= 1
    body = page.page.locator("main").inner_text()
    assert "rdf:subject" not in body and not re.search(r"\b[0-9a-f]{32}\b", body)
    banner = page.page.locator(".banner.illustrative")
    assert banner.count() == (1 if path.startswith("certificate-type/IL-") else 0)
    page.shot(f"entity-{path.split('/')[0]}-{language.value}")


def test_the_issuer_drawing_shows_mutual_recognition_as_a_relation(page: Page, base_url: str) -> None:
    page.page.goto(f"{base_url}/id/organisation/hk-gov?lang=zh")
    page.page.wait_for_function("window.certbridgeDrawing && window.certbridgeDrawing.stable", timeout=30_000)
    labels = page.page.evaluate("certbridgeDrawing.network.body.data.edges.get().map((e) => e.label)")
    nodes = page.page.evaluate("certbridgeDrawing.network.body.data.nodes.get().map((n) => n.id)")
    assert "互认（MR06）" in labels and not any("/derivation/" in node for node in nodes)


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_coverage_names_regions_in_the_language_explains_and_leads_to_what_if(
    page: Page, base_url: str, language: Language
) -> None:
    page.page.goto(f"{base_url}/viz/coverage?as_of=2025-01-01&lang={language.value}")
    assert page.page.locator(".banner.illustrative").inner_text() == text("shell.illustrative", language)
    assert page.page.locator("p.explained").inner_text() == text("coverage.explained", language)
    rows = page.page.locator("table.heat tbody th").all_inner_texts()
    assert ("山东省" in rows) is (language is Language.ZH) and ("Shandong" in rows) is (language is Language.EN)
    page.shot(f"coverage-{language.value}")
    page.page.locator("a.what-if").click()
    page.page.wait_for_load_state()
    assert page.page.locator("h1").inner_text() == text("whatif.title", language)
    page.page.locator("button[type=submit]").last.click()  # the example: Fujian and Taiwan recognising each other
    page.page.wait_for_load_state()
    result = page.page.locator("section.result")
    assert result.is_visible()
    fujian = "福建省 → 台湾省" if language is Language.ZH else "Fujian → Taiwan"
    row = page.page.locator("table.change tr", has_text=fujian)
    assert row.locator("td.change.up").count() == 1, "the hypothetical agreement raises Fujian → Taiwan"
    assert page.page.locator("ul.connected li").count() >= 1
    page.shot(f"what-if-{language.value}")


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_the_agreement_map_draws_with_its_banner(page: Page, base_url: str, language: Language) -> None:
    state = page.open(f"{base_url}/viz/agreements?as_of=2025-01-01&lang={language.value}")
    assert state["nodes"] > 2 and state["edges"] > 1
    warning = page.page.locator("#data-warning .badge.illustrative")
    assert warning.is_visible()
    said = warning.inner_text()
    assert ("示例" in said) is (language is Language.ZH) and ("ILLUSTRATIVE" in said) is (language is Language.EN)
    shown = page.page.evaluate(
        """[...document.querySelectorAll('#facet-filter select')].flatMap((s) =>
             [...s.options].filter((o) => o.value).map((o) => [s.dataset.facet, o.value, o.textContent]))"""
    )
    names = page.page.evaluate("JSON.parse(document.getElementById('view-data').textContent).data.facet_names")
    chinese = re.compile(r"[\u4e00-\u9fff]")
    regions = [text_ for facet, _, text_ in shown if facet == "region"]
    assert ("广东省" if language is Language.ZH else "Guangdong") in regions
    side = 0 if language is Language.ZH else 1
    for facet, value, name in shown:  # each value by its name in the page's language, never by its code
        if facet in ("region", "issuer_kind"):
            assert name == names[facet][value][side], (facet, value, name)
            zh, en = names[facet][value]
            assert chinese.search(name) if language is Language.ZH else (not chinese.search(name) or zh == en)
    page.shot(f"agreements-{language.value}")


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_a_404_page_leads_through_its_search_box_to_the_record(page: Page, base_url: str, language: Language) -> None:
    page.page.goto(f"{base_url}/id/organisation/hengfang?lang={language.value}")
    expect_status(page, 404)
    assert page.page.locator("h1").inner_text() == text("error.title.not-found", language)
    box = page.page.locator("#error-search")
    assert box.is_visible()
    page.shot(f"error-404-{language.value}")
    box.fill("hengfeng")
    box.press("Enter")
    page.page.wait_for_load_state()
    page.page.locator("ol.search-results a").first.click()
    page.page.wait_for_load_state()
    assert page.page.locator("h1").inner_text() == (
        "德州恒丰集团" if language is Language.ZH else "Dezhou Hengfeng Group"
    )


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_an_ambiguous_name_offers_its_candidates(page: Page, base_url: str, language: Language) -> None:
    target = "IL-CT-js-hrss-spinner-senior-technician"
    page.page.goto(f"{base_url}/viz/route?from=纺纱工&to={target}&as_of=2025-01-01&lang={language.value}")
    expect_status(page, 409)
    intro = text("error.next.ambiguous", language, text="纺纱工")
    assert page.page.locator("section.next p").first.inner_text() == intro
    candidates = page.page.locator("ul.candidates a.retry")
    assert candidates.count() > 1
    page.shot(f"error-ambiguous-{language.value}")
    page.page.locator("ul.candidates a.retry", has_text="德州恒丰集团 纺纱工 高级技师").click()
    page.page.wait_for_function("window.certbridgeView && window.certbridgeView.stable", timeout=30_000)
    assert page.page.evaluate("certbridgeView.nodes") >= 2  # the route view of the candidate chosen


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_a_bad_date_asks_for_the_date_in_the_expected_form(page: Page, base_url: str, language: Language) -> None:
    source = "IL-CT-hengfeng-spinner-senior-technician"
    target = "IL-CT-js-hrss-spinner-senior-technician"
    page.page.goto(f"{base_url}/viz/route?from={source}&to={target}&as_of=2025-13-01&lang={language.value}")
    expect_status(page, 422)
    assert text("error.next.date", language) in page.page.locator("section.next").inner_text()
    page.shot(f"error-date-{language.value}")
    page.page.locator("input[type=date][name=as_of]").fill("2025-01-01")
    page.page.locator("section.next button[type=submit]").click()
    page.page.wait_for_function("window.certbridgeView && window.certbridgeView.stable", timeout=30_000)
    assert "as_of=2025-01-01" in page.page.url and page.page.evaluate("certbridgeView.nodes") >= 2


def test_an_unknown_page_is_a_page_for_people(page: Page, base_url: str) -> None:
    page.page.goto(f"{base_url}/no/such/page?lang=en")
    expect_status(page, 404)
    assert page.page.locator("h1").inner_text() == message("error.title.not-found").en
    assert page.page.locator("#error-search").is_visible()
