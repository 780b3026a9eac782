"""The landing page and the answer page in a real browser: Debian's chromium driven by Playwright against a real
server on the shipped data, every request to a host other than loopback aborted (the test fails if the page even
tried one). A person's path: type into the search boxes, pick with the keyboard, ask, read the verdict and the
cards, point at a card, switch language, copy the link, print. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pypdfium2 as pdfium  # a test extra: its absence must fail, not skip, the PDF tests
import pytest
from helpers.browser import ARTIFACTS, CHROMIUM, Page
from helpers.serving import serving

from certbridge.api.settings import Settings
from certbridge.visualize.catalogue import Language, text

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is not installed: .ci/run installs Debian's chromium for these tests")
    pytest.skip("Debian's chromium is not installed here", allow_module_level=True)


REAL = {"from": "CT-tw-chinese-cuisine-class-c", "to": "CT-fj-chinese-cook-senior", "as_of": "2026-12-01"}
ILLUSTRATIVE = {
    "from": "IL-CT-hengfeng-spinner-senior-technician",
    "to": "IL-CT-js-hrss-spinner-senior-technician",
    "as_of": "2024-01-01",
}
#: a real pair whose agreement has a document number (闽人社办〔2025〕141号), for the printed memo
NUMBERED = {"from": "CT-tw-care-worker-single", "to": "CT-fj-elderly-carer-intermediate", "as_of": "2026-12-01"}
NO_ROUTE = {"from": REAL["to"], "to": REAL["from"], "as_of": REAL["as_of"]}
STABLE = "window.certbridgeAnswer && window.certbridgeAnswer.stable"


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    with serving(Settings(real_store)) as url:
        yield url


def api(base: str, path: str, **params: object) -> dict:
    response = httpx.get(f"{base}{path}", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def open_answer(page: Page, base: str, question: dict[str, str], **extra: str) -> None:
    page.page.goto(f"{base}/answer?{urlencode({**question, **extra})}")
    page.page.wait_for_function(STABLE, timeout=30_000)


def flat(said: str) -> str:
    """Text with every space removed: a PDF's text breaks lines where the page did."""
    return re.sub(r"\s+", "", said)


def pick(page: Page, box: str, typed: str, presses: int) -> str:
    """Type *typed* into a box, move down *presses* times with the arrow key, and pick with Enter; the option
    picked (its IRI), checked to be the active descendant the list announced."""
    field = page.page.locator(f"#{box}-text")
    field.click()
    field.press_sequentially(typed, delay=20)
    page.page.locator(f"#{box}-list [role=option]").first.wait_for(state="visible")
    assert field.get_attribute("aria-expanded") == "true"
    for _ in range(presses):
        field.press("ArrowDown")
    active = field.get_attribute("aria-activedescendant")
    option = page.page.locator(f"#{active}")
    assert option.get_attribute("aria-selected") == "true"
    iri = option.get_attribute("data-iri")
    label = option.locator(".label").inner_text()
    field.press("Enter")
    assert page.page.locator(f"#{box}-list").is_hidden() and field.get_attribute("aria-expanded") == "false"
    assert field.input_value() == label
    assert page.page.locator(f"#{box}-id").input_value() == iri.rsplit("/", 1)[-1]
    return iri


def test_typing_picking_with_the_keyboard_and_asking_shows_the_answer(page: Page, base_url: str) -> None:
    page.page.goto(f"{base_url}/")
    assert page.page.locator("html").get_attribute("lang") == "zh"
    typed_from, typed_to = "恒丰 纺纱工 高级技师", "江苏 纺纱工 高级技师"
    held = api(base_url, "/api/v1/search", q=typed_from, type="certificate-type", limit=8)["results"]
    required = api(base_url, "/api/v1/search", q=typed_to, type="certificate-type,credential", limit=8)["results"]
    assert pick(page, "from", typed_from, 1) == held[0]["iri"]
    # Escape closes the list without picking; then pick the first again
    field = page.page.locator("#to-text")
    field.click()
    field.press_sequentially("江苏", delay=20)
    page.page.locator("#to-list [role=option]").first.wait_for(state="visible")
    field.press("Escape")
    assert page.page.locator("#to-list").is_hidden() and page.page.locator("#to-id").input_value() == ""
    field.fill("")
    assert pick(page, "to", typed_to, 1) == required[0]["iri"]
    page.page.locator("#as-of").fill(ILLUSTRATIVE["as_of"])
    page.shot("landing-picked")
    with page.page.expect_navigation():
        page.page.locator("button.ask").click()
    page.page.wait_for_function(STABLE, timeout=30_000)
    asked = parse_qs(urlsplit(page.page.url).query)
    assert asked["from"] == [held[0]["iri"].rsplit("/", 1)[-1]] and asked["to"] == [
        required[0]["iri"].rsplit("/", 1)[-1]
    ]
    assert asked["as_of"] == [ILLUSTRATIVE["as_of"]]  # one value per name: the text boxes were not sent
    answer = api(
        base_url, "/api/v1/routes", **{"from": asked["from"][0], "to": asked["to"][0], "as_of": asked["as_of"][0]}
    )
    verdict = page.page.locator("#verdict").inner_text()
    assert answer["routes"] and answer["routes"][0]["steps"][0]["evidence"]["label_zh"] in verdict
    assert page.page.locator(".route-card").count() == len(answer["routes"])
    assert page.page.locator(".banner.illustrative").is_visible()  # the answer rests on illustrative records
    page.shot("answer-illustrative-zh")


def test_pointing_at_or_focusing_a_card_highlights_its_route(page: Page, base_url: str) -> None:
    open_answer(page, base_url, ILLUSTRATIVE)
    answer = api(base_url, "/api/v1/routes", **ILLUSTRATIVE)
    drawn = page.page.evaluate("certbridgeAnswer.network.body.data.edges.get().map(e => [e.id, e.from, e.to])")
    ends = {edge_id: (a, b) for edge_id, a, b in drawn}
    for number, route in enumerate(answer["routes"], 1):
        page.page.locator(f"#route-{number}").hover()
        assert page.page.evaluate("certbridgeAnswer.highlighted") == number
        selected = page.page.evaluate("certbridgeAnswer.network.getSelectedEdges()")
        hops = {(step["source"]["iri"], step["target"]["iri"]) for step in route["steps"]}
        assert {ends[edge] for edge in selected} == hops
        widths = page.page.evaluate(
            "Object.fromEntries(certbridgeAnswer.network.body.data.edges.get().map(e => [e.id, e.width]))"
        )
        assert all(
            widths[edge] > width for edge in selected for other, width in widths.items() if other not in selected
        )
        assert "highlighted" in page.page.locator(f"#route-{number}").get_attribute("class")
    page.shot("answer-hover")
    page.page.mouse.move(1, 1)
    page.page.locator("#route-2").focus()  # the keyboard does what the pointer does
    assert page.page.evaluate("certbridgeAnswer.highlighted") == 2


def boxes_overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", [1400, 800, 360])
@pytest.mark.parametrize("question", [ILLUSTRATIVE, NO_ROUTE, REAL], ids=["routes", "no-route", "real"])
def test_nothing_overlaps_the_cards_and_no_labels_overlap(
    browser: object, base_url: str, question: dict, width: int
) -> None:
    opened = Page(browser)
    try:
        opened.page.set_viewport_size({"width": width, "height": 900})
        open_answer(opened, base_url, question)
        cards = opened.page.evaluate(
            """() => [...document.querySelectorAll('.route-card, #no-route, #answer-network')].map(e => {
                 const r = e.getBoundingClientRect();
                 const y = window.scrollY;
                 return {id: e.id, left: r.left, top: r.top + y, right: r.right, bottom: r.bottom + y}; })"""
        )
        assert len(cards) >= 2
        for i, a in enumerate(cards):
            for b in cards[i + 1 :]:
                assert not boxes_overlap(a, b), (a, b)
        labels = opened.page.evaluate("certbridgeAnswer.labelBoxes()")
        assert len(labels) >= 2
        for i, a in enumerate(labels):
            assert a["right"] > a["left"] and a["bottom"] > a["top"]
            for b in labels[i + 1 :]:
                assert not boxes_overlap(a, b), (a, b)
        edge_labels = opened.page.evaluate("certbridgeAnswer.edgeLabelBoxes()")
        assert edge_labels  # route numbers, or the missing agreement
        for edge in edge_labels:  # an edge's label sits clear of every node
            assert not any(boxes_overlap(edge, node) for node in labels), edge
        scroll = opened.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, "the page is wider than the window"
        opened.shot(f"answer-{question['from']}-{width}")
    finally:
        opened.close()


def test_the_drawing_is_the_same_every_time(browser: object, base_url: str) -> None:
    positions = []
    for _ in range(2):
        opened = Page(browser)
        try:
            open_answer(opened, base_url, ILLUSTRATIVE)
            positions.append(opened.page.evaluate("certbridgeAnswer.network.getPositions()"))
        finally:
            opened.close()
    assert positions[0] == positions[1]
    levels = {iri: position["x"] for iri, position in positions[0].items()}
    source, target = (f"https://w3id.org/certbridge/id/certificate-type/{ILLUSTRATIVE[k]}" for k in ("from", "to"))
    assert levels[source] == min(levels.values()) and levels[target] == max(levels.values())  # left to right


def test_the_language_switch_is_remembered_on_the_next_page(page: Page, base_url: str) -> None:
    page.page.goto(f"{base_url}/")  # seen in Chinese first: the browser must not show its cached copy later
    assert page.page.locator("html").get_attribute("lang") == "zh"
    open_answer(page, base_url, REAL)
    answer = api(base_url, "/api/v1/routes", **REAL)
    formal = answer["routes"][0]["steps"][0]["evidence"]
    assert formal["label_zh"] in page.page.locator("#verdict").inner_text()
    with page.page.expect_navigation():
        page.page.locator("a.lang-switch").click()
    page.page.wait_for_function(STABLE, timeout=30_000)
    assert page.page.locator("html").get_attribute("lang") == "en"
    verdict = page.page.locator("#verdict").inner_text()
    assert verdict.startswith("Yes") and formal["label_en"] in verdict
    assert text("answer.routes", Language.EN) in page.page.locator("main").inner_text()
    page.shot("answer-real-en")
    page.page.goto(f"{base_url}/")  # no lang in the address: the choice is remembered
    assert page.page.locator("html").get_attribute("lang") == "en"
    assert text("landing.question", Language.EN) in page.page.locator("main").inner_text()
    page.shot("landing-en")


def test_copy_link_copies_the_permalink(page: Page, base_url: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_answer(page, base_url, REAL, lang="en")
    page.page.locator("#copy-link").click()
    page.page.wait_for_function("window.certbridgeAnswer.copied")
    copied = page.page.evaluate("certbridgeAnswer.copied")
    assert copied == f"{base_url}/answer?{urlencode(REAL)}"
    assert page.page.locator("#copy-status").inner_text() == text("answer.copied", Language.EN)
    assert page.page.evaluate("navigator.clipboard.readText()") == copied
    assert httpx.get(copied, timeout=60).status_code == 200


@pytest.mark.parametrize("question", [NUMBERED, ILLUSTRATIVE], ids=["document-number", "illustrative"])
def test_the_answer_prints_as_an_a4_memo(page: Page, base_url: str, question: dict[str, str]) -> None:
    open_answer(page, base_url, question)
    verdict = page.page.locator("#verdict").inner_text()
    answer = api(base_url, "/api/v1/routes", **question)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "memo-" + question["from"]
    pdf = ARTIFACTS / f"{name}.pdf"
    page.page.pdf(path=str(pdf), format="A4")
    document = pdfium.PdfDocument(str(pdf))
    try:
        first = document[0]
        width, height = first.get_size()
        assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2  # A4 in points
        printed = "".join(page_.get_textpage().get_text_range() for page_ in document)
        assert flat(verdict) in flat(printed)
        evidence = answer["routes"][0]["steps"][0]["evidence"]
        assert flat(evidence["document_number"] or evidence["label_zh"]) in flat(printed)
        for source in evidence["sources"]:
            assert source["url"] is None or flat(source["url"])[:40] in flat(printed)
        assert text("links.coverage", Language.ZH) not in printed  # no navigation on the memo
        assert text("answer.copy", Language.ZH) not in printed  # nor the buttons
        warned = text("shell.illustrative", Language.ZH)
        assert (flat(warned) in flat(printed)) == any(route["illustrative"] for route in answer["routes"])
        image = first.render(scale=1, grayscale=True).to_numpy()  # one byte a pixel, white 255
        inked = int((image < 128).sum())
        assert inked > 0.002 * image.size, "the first page is blank"
        rows, columns = image.shape[:2]  # as a PGM image, which any viewer opens
        (ARTIFACTS / f"{name}-page-1.pgm").write_bytes(b"P5 %d %d 255\n" % (columns, rows) + image.tobytes())
    finally:
        document.close()


@pytest.mark.parametrize("path", ["/", "/search?q=纺纱工", "/answer?from=恒丰"])
def test_the_pages_fit_a_phone(browser: object, base_url: str, path: str) -> None:
    opened = Page(browser)
    try:
        opened.page.set_viewport_size({"width": 360, "height": 740})
        opened.page.goto(base_url + path)
        assert opened.page.evaluate("document.documentElement.scrollWidth") <= 360, "wider than the phone"
        if path == "/":  # the suggestions open within the screen
            field = opened.page.locator("#from-text")
            field.click()
            field.press_sequentially("纺纱工", delay=20)
            listed = opened.page.locator("#from-list")
            listed.locator("[role=option]").first.wait_for(state="visible")
            box = listed.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        opened.shot("phone-" + (path.split("?")[0].strip("/") or "landing"))
    finally:
        opened.close()
