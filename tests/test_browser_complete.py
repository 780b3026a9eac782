"""Every page for people, in each language, in a real browser (Debian's chromium driven by Playwright, every
non-loopback request aborted): nothing shown from the other language's catalogue (the language walk), no serious or
critical axe-core violation, usable from a 360 px phone to a desktop, reachable by keyboard, and offline (no request
leaves the machine, no web font). Screenshots of each page in both languages at both widths under
artifacts/screenshots/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import pytest
from helpers.browser import ARTIFACTS, CHROMIUM, Page
from helpers.serving import serving

from certbridge.api.settings import Settings
from certbridge.graph.query import run_query
from certbridge.graph.store import open_store
from certbridge.visualize.catalogue import Language, catalogue

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is not installed: .ci/run installs Debian's chromium for these tests")
    pytest.skip("Debian's chromium is not installed here", allow_module_level=True)

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LANGUAGES = (Language.ZH, Language.EN)

ILLUSTRATIVE = {
    "from": "IL-CT-hengfeng-spinner-senior-technician",
    "to": "IL-CT-js-hrss-spinner-senior-technician",
    "as_of": "2024-01-01",
}
REAL = {"from": "CT-tw-chinese-cuisine-class-c", "to": "CT-fj-chinese-cook-senior", "as_of": "2026-12-01"}
NO_ROUTE = {"from": REAL["to"], "to": REAL["from"], "as_of": REAL["as_of"]}
#: a route ending in a grade bridge (its condition and years held on the card)
BRIDGED = {"from": "IL-CT-hengfeng-spinner-technician", "to": "engineer", "as_of": "2025-01-01"}
CELL = {"by": "region", "from": "Shandong", "to": "Zhejiang", "as_of": "2025-01-01"}

VIEW = "window.certbridgeView && window.certbridgeView.stable"
DRAWING = "window.certbridgeDrawing && window.certbridgeDrawing.stable"
ANSWER = "window.certbridgeAnswer && window.certbridgeAnswer.stable"


#: every page for people: name -> (address, the status it answers with, what says it is drawn and settled)
PAGES: dict[str, tuple[str, int, str | None]] = {
    "landing": ("/", 200, None),
    "answer-route": (f"/answer?{urlencode(ILLUSTRATIVE)}", 200, ANSWER),
    "answer-real": (f"/answer?{urlencode(REAL)}", 200, ANSWER),
    "answer-no-route": (f"/answer?{urlencode(NO_ROUTE)}", 200, ANSWER),
    "answer-bridge": (f"/answer?{urlencode(BRIDGED)}", 200, ANSWER),
    "search": ("/search?q=纺纱工", 200, None),
    "entity-certificate-type": ("/id/certificate-type/IL-CT-hengfeng-spinner-senior-technician", 200, DRAWING),
    "entity-issuer": ("/id/organisation/hk-gov", 200, DRAWING),
    "entity-agreement": ("/id/agreement/MR06", 200, DRAWING),
    "entity-occupation": ("/id/occupation/6-04-02-01", 200, DRAWING),
    "entity-standard": ("/id/standard/2-02-38-01-2021", 200, DRAWING),
    "entity-region": ("/id/region/370000", 200, DRAWING),
    "coverage": ("/viz/coverage?as_of=2025-01-01", 200, None),
    "coverage-cell": (f"/viz/coverage/cell?{urlencode(CELL)}", 200, None),
    "what-if": ("/viz/what-if", 200, None),
    "viz": ("/viz", 200, None),
    "agreements": ("/viz/agreements?as_of=2025-01-01", 200, VIEW),
    "node": ("/viz/node?id=organisation/hk-gov", 200, VIEW),
    "route": (f"/viz/route?{urlencode(ILLUSTRATIVE)}", 200, VIEW),
    "route-no-route": (f"/viz/route?{urlencode(NO_ROUTE)}", 200, VIEW),
    "route-empty": ("/viz/route", 200, None),
    "sources": ("/sources", 200, None),
    "problems": ("/problems", 200, None),
    "problem": ("/problems/not-found", 200, None),
    "error-404": ("/id/organisation/hengfang", 404, None),
    "error-409": (f"/viz/route?{urlencode({**ILLUSTRATIVE, 'from': '纺纱工'})}", 409, None),
    "error-date": (f"/viz/route?{urlencode({**ILLUSTRATIVE, 'as_of': '2025-13-01'})}", 422, None),
}


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    with serving(Settings(real_store, viz_max_nodes=500)) as url:
        yield url


@pytest.fixture(scope="module")
def data_values(real_store: Path) -> frozenset[str]:
    """Every text literal of the data (names, notes, titles): what a page may show in the language it has."""
    found = run_query(
        open_store(real_store),
        "SELECT DISTINCT ?l WHERE { GRAPH ?g { ?s ?p ?l } FILTER(isLiteral(?l) && (datatype(?l) = xsd:string"
        ' || lang(?l) != "")) }',
    )
    return frozenset(row["l"].value for row in found)


class Visit:
    """One page opened in one language at one width: the browser page, and the fonts it asked for."""

    def __init__(self, browser: object, base_url: str, name: str, language: Language, width: int = 1400) -> None:
        self.opened = Page(browser)
        self.fonts: list[str] = []
        self.opened.page.on("request", lambda r: self.fonts.append(r.url) if r.resource_type == "font" else None)
        self.opened.page.set_viewport_size({"width": width, "height": 900 if width > 600 else 740})
        path, status, ready = PAGES[name]
        joiner = "&" if "?" in path else "?"
        response = self.opened.page.goto(f"{base_url}{path}{joiner}lang={language.value}")
        assert response is not None and response.status == status, (name, response and response.status)
        if status != 200:  # chromium reports the error status of the document as one console error
            self.opened.errors = [e for e in self.opened.errors if f"status of {status}" not in e]
        if ready:
            self.opened.page.wait_for_function(ready, timeout=60_000)
        self.opened.page.wait_for_load_state("networkidle")
        self.page = self.opened.page

    def close(self) -> None:
        self.opened.close()  # fails on any request that left the machine, and on console errors


@pytest.fixture
def visits(browser: object, base_url: str) -> Iterator[list[Visit]]:
    opened: list[Visit] = []
    yield opened
    for visit in opened:
        visit.close()


def fixed_parts(words: str) -> list[str]:
    """The parts of a message that do not change (its text between ``{placeholders}``)."""
    return [part.strip(" ：:，,。.、（）()·") for part in re.split(r"\{[^}]*\}", words)]


@cache
def foreign_words(language: Language) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the other language's catalogue would show on a page in *language*: whole messages (compared with whole
    text nodes: short words like "Year" or "地区" are found only so), and the long fixed parts of every message
    (found inside text). Words both languages' catalogues share (a code, a name like "certbridge") are not foreign."""
    own = {part for m in catalogue().values() for part in fixed_parts(m.in_language(language))}
    own |= {m.in_language(language).strip() for m in catalogue().values()}
    whole, parts = set(), set()
    for key, m in catalogue().items():
        if key.startswith("language."):  # a language's own name, shown to switch to it
            continue
        said = m.in_language(language.other)
        if "{" not in said and said.strip() not in own:
            whole.add(said.strip())
        long = 4 if language is Language.EN else 12  # Chinese says in 4 characters what English says in 12
        parts |= {p for p in fixed_parts(said) if len(p) >= long and p not in own}
    return tuple(sorted(whole)), tuple(sorted(parts))


#: the text a person sees or hears: every visible text node, and the names of controls and images
SEEN = """() => {
  const seen = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(parent.tagName)) continue;
    if (parent.closest("[hidden], [aria-hidden=true]") || !parent.checkVisibility()) continue;
    const said = node.textContent.trim();
    // text the page marks as in the other language (the switch's name of it, a record's name in the language the
    // data has it in) is said to be so: the page's words are those in its own language
    const marked = parent.closest("[lang]");
    if (said && (!marked || marked.lang === document.documentElement.lang)) seen.push(said);
    else if (said) seen.push({ other: said });
  }
  for (const element of document.querySelectorAll("[aria-label], [placeholder], [title], img[alt]")) {
    for (const name of ["aria-label", "placeholder", "title", "alt"]) {
      const said = (element.getAttribute(name) || "").trim();
      if (said) seen.push(said);
    }
  }
  seen.push(document.title);
  return seen;
}"""


#: words in the other language that no catalogue holds (an engine's English note, a template's own words): three
#: English words in a row on a Chinese page, any Chinese character on an English one
UNTRANSLATED = {
    Language.ZH: re.compile(r"[A-Za-z][A-Za-z'-]+(?:,? [A-Za-z][A-Za-z'-]*){2,}"),
    Language.EN: re.compile(r"[\u3400-\u9fff]+"),
}


def foreign(seen: list[str | dict[str, str]], language: Language, data: frozenset[str]) -> list[tuple[str, str]]:
    """Each (text, words of the other language) a page in *language* shows: the other language's catalogue words,
    and words in the other language no catalogue holds; but for data values: words inside a value of the data that
    the text shows whole, or, for words of no catalogue, inside some value of the data (a record named, or a note
    written, in the one language the data has), in a text the page marks (``lang``) as in the other language, or
    in a web address."""
    whole, parts = foreign_words(language)
    found = []
    for shown in seen:
        marked = isinstance(shown, dict)  # marked by the page as in the other language
        said = shown["other"] if marked else shown
        hits = {w for w in whole if said == w} | {p for p in parts if p in said}
        for hit in sorted(hits):
            if not any(hit in value and value in said for value in data):
                found.append((said, hit))
        if marked:
            continue
        for run in UNTRANSLATED[language].findall(re.sub(r"https?://\S+", "", said)):  # an address is no word
            if run not in hits and not any(run in value for value in data):
                found.append((said, run))
    return found


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
@pytest.mark.parametrize("name", PAGES)
def test_a_page_shows_nothing_from_the_other_languages_catalogue(
    browser: object, base_url: str, data_values: frozenset[str], visits: list[Visit], name: str, language: Language
) -> None:
    visit = Visit(browser, base_url, name, language)
    visits.append(visit)
    assert visit.page.locator("html").get_attribute("lang") == language.value
    if name == "route":  # the evidence panel of the first hop, opened as a person opens it
        point = visit.page.evaluate("certbridgeView.edgeMidpoint('hop-1')")
        visit.page.mouse.click(point["x"], point["y"])
        visit.page.locator("#panel").wait_for(state="visible")
    seen = visit.page.evaluate(SEEN)
    assert len(seen) > 5
    found = foreign(seen, language, data_values)
    assert not found, found


def test_the_language_walk_finds_the_other_language() -> None:
    """The walk's check is not vacuous: a shell's English words on a Chinese page, or a Chinese button on an
    English one, are found; a record's name that the data has in one language only is not."""
    english, chinese = catalogue()["shell.skip"].en, catalogue()["shell.navigation"].zh
    data = frozenset({"纺纱工", "Dezhou Hengfeng Group"})
    assert foreign(["首页", english], Language.ZH, data) == [(english, english)]
    assert foreign(["Home", chinese, "纺纱工"], Language.EN, data) == [(chinese, chinese)]
    assert foreign(["Dezhou Hengfeng Group 纺纱工", "证书 (no start is stated)"], Language.ZH, data) == [
        ("证书 (no start is stated)", "no start is stated")
    ]
    assert foreign(["Held: 纺纱工", "Held: 技师"], Language.EN, data) == [("Held: 技师", "技师")]
    assert foreign([{"other": "中文"}, "https://example.org/即时中国"], Language.EN, data) == []
    assert foreign([{"other": english}], Language.ZH, data) == [(english, english)]  # catalogue words even so


AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) =>
    ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}"""


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
@pytest.mark.parametrize("name", PAGES)
def test_a_page_has_no_serious_or_critical_axe_violation(
    browser: object, base_url: str, visits: list[Visit], name: str, language: Language
) -> None:
    visit = Visit(browser, base_url, name, language)
    visits.append(visit)
    visit.page.add_script_tag(path=str(AXE))
    assert visit.page.evaluate(AXE_RUN) == []


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
@pytest.mark.parametrize("name", PAGES)
def test_a_page_fits_a_phone_and_loads_offline(
    browser: object, base_url: str, visits: list[Visit], name: str, language: Language
) -> None:
    for width in (360, 1400):
        visit = Visit(browser, base_url, name, language, width=width)
        visits.append(visit)
        fits = visit.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert fits[0] <= fits[1], f"the document is {fits[0]} px wide in a {fits[1]} px window"
        heading = visit.page.locator("h1").first
        assert heading.is_visible() and heading.inner_text().strip()
        first = visit.page.locator("main > *:not(h1):not(script):not(style):not([hidden])").first
        assert first.is_visible()
        box = first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + min(box["width"], 40) <= fits[1]
        assert visit.fonts == [], "a web font was requested"
        used = visit.page.evaluate("[...document.fonts].filter((f) => f.status !== 'unloaded').length")
        assert used == 0, "a web font was loaded"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wide = "phone" if width == 360 else "desktop"
        visit.page.screenshot(path=str(ARTIFACTS / f"page-{name}-{language.value}-{wide}.png"), full_page=True)


FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return { tag: e.tagName, id: e.id, cls: e.className, visible: r.width > 0 && r.height > 0,
           indicated: outlined || style.boxShadow !== "none" };
}"""


@pytest.mark.parametrize("name", PAGES)
def test_every_control_is_reached_by_the_keyboard_with_visible_focus(
    browser: object, base_url: str, visits: list[Visit], name: str
) -> None:
    visit = Visit(browser, base_url, name, Language.ZH)
    visits.append(visit)
    visit.page.keyboard.press("Tab")
    skip = visit.page.evaluate(FOCUSED)
    assert skip is not None and "skip" in skip["cls"] and skip["visible"] and skip["indicated"], skip
    for _ in range(12):  # the header, the navigation and the first controls of the page
        visit.page.keyboard.press("Tab")
        focused = visit.page.evaluate(FOCUSED)
        if focused is None:
            break
        assert focused["visible"] and focused["indicated"], focused


def test_the_landing_question_is_asked_without_a_mouse(browser: object, base_url: str, visits: list[Visit]) -> None:
    visit = Visit(browser, base_url, "landing", Language.ZH)
    visits.append(visit)
    keyboard = visit.page.keyboard
    for field, typed in (("from-text", "恒丰 纺纱工 高级技师"), ("to-text", "江苏 纺纱工 高级技师")):
        for _ in range(40):
            keyboard.press("Tab")
            if visit.page.evaluate("document.activeElement.id") == field:
                break
        assert visit.page.evaluate("document.activeElement.id") == field
        keyboard.type(typed, delay=20)
        visit.page.locator(f"#{field.removesuffix('-text')}-list [role=option]").first.wait_for(state="visible")
        keyboard.press("ArrowDown")
        keyboard.press("Enter")
        assert visit.page.locator(f"#{field.removesuffix('-text')}-id").input_value()
    with visit.page.expect_navigation():
        keyboard.press("Enter")  # the form is submitted from the keyboard
    visit.page.wait_for_function(ANSWER, timeout=60_000)
    assert "/answer?" in visit.page.url
    assert visit.page.locator("#verdict").inner_text().strip()
