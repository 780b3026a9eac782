"""The query page (YASGUI) in a real browser, offline: Debian's chromium driven by Playwright, real uvicorn servers.

Every request to a host other than loopback is aborted, and each test fails if the page even tried one or logged a
console error (test_browser.Page). The page is also served from a second loopback origin, a plain static server
holding the vendored files, whose YASGUI queries the certbridge server across origins (CORS).
Screenshots go to artifacts/screenshots/ (not committed). Skipped, like test_browser, where chromium is missing.
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pyoxigraph as ox
import pytest
from helpers.browser import CHROMIUM, CHROMIUM_ARGS, Page, playwright_api
from helpers.serving import serving
from hypothesis import given, settings
from hypothesis import strategies as st

from certbridge.api.query_page import ASSETS, STATIC_DIR, page, with_prefixes
from certbridge.api.settings import Settings
from certbridge.examples import examples
from certbridge.ontology import PREFIXES

DEMO = "certificates-of-the-demo"
VISIBLE_EDITOR = ".tabPanel.active .CodeMirror"


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    with serving(Settings(real_store)) as url:
        yield url


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the test output stays readable
        pass


@pytest.fixture(scope="module")
def second_origin(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A static server on another loopback port: the query page and the vendored files, pointed at *base_url*."""
    root = tmp_path_factory.mktemp("second-origin")
    (root / "assets").mkdir()
    for name in ASSETS:
        shutil.copy(STATIC_DIR / name, root / "assets" / name)
    (root / "index.html").write_text(page(endpoint=f"{base_url}/sparql", assets="assets"), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def browser_page(chromium: object) -> Iterator[Page]:
    opened = Page(chromium)
    yield opened
    opened.close()


def open_query(page: Page, url: str) -> None:
    page.page.goto(url)
    page.page.wait_for_function("window.certbridgeQuery !== undefined", timeout=30_000)
    page.page.locator(VISIBLE_EDITOR).wait_for(state="visible")


def tab_names(page: Page, which: str = "") -> list[str]:
    return [text.strip() for text in page.page.locator(f".tabsList .tab{which} a[role=tab] > span").all_inner_texts()]


def editor(page: Page, script: str) -> object:
    """Evaluate *script* with ``y``, the active tab's YASQE editor."""
    return page.page.evaluate(f"(() => {{ const y = certbridgeQuery.yasgui.getTab().getYasqe(); {script} }})()")


def run_and_read_cells(page: Page) -> list[list[str]]:
    page.page.locator(".tabPanel.active .yasqe_queryButton").click()
    page.page.locator(".tabPanel.active .yasr table tbody td").first.wait_for(timeout=30_000)
    rows = page.page.locator(".tabPanel.active .yasr table tbody tr")
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()]


def answer_rows(base_url: str, query: str) -> list[dict[str, str]]:
    response = httpx.post(f"{base_url}/sparql", data={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_yasgui_renders_with_every_example_as_a_tab(browser_page: Page, base_url: str) -> None:
    open_query(browser_page, f"{base_url}/query")
    names = tab_names(browser_page)
    assert names[0] == "查询 / Query"
    assert [e["name"] for e in examples()] == names[1:], "each example is a ready tab, in order"
    assert browser_page.page.locator("#examples a[data-example]").count() == len(names) - 1
    endpoint = browser_page.page.locator(".tabPanel.active .autocompleteWrapper input")
    assert endpoint.input_value() == f"{base_url}/sparql", "the endpoint is this server's"
    assert "PREFIX cb:" in editor(browser_page, "return y.getValue();")
    browser_page.shot("query-page")


def test_a_closed_example_tab_stays_closed_and_its_link_reopens_it(browser_page: Page, base_url: str) -> None:
    open_query(browser_page, f"{base_url}/query")
    browser_page.page.locator(".tabsList .tab", has_text=DEMO).locator(".closeTab").click()
    assert DEMO not in tab_names(browser_page)
    open_query(browser_page, f"{base_url}/query")  # again, with this browser's storage
    names = tab_names(browser_page)
    assert DEMO not in names and len(names) == len(examples())
    browser_page.page.click(f"#examples a[data-example={DEMO}]")
    assert tab_names(browser_page, ".active") == [DEMO] and len(tab_names(browser_page)) == len(names) + 1


def test_an_example_added_since_the_last_visit_becomes_a_tab(browser_page: Page, base_url: str) -> None:
    names = [e["name"] for e in examples()]
    seen = json.dumps(names[:-1])  # as if this browser last came before the newest example existed
    browser_page.context.add_init_script(f"localStorage.setItem('certbridge-query-examples', {json.dumps(seen)})")
    open_query(browser_page, f"{base_url}/query")
    assert tab_names(browser_page) == ["查询 / Query", names[-1]]


def test_an_example_runs_and_its_results_table_shows_the_answer(browser_page: Page, base_url: str) -> None:
    open_query(browser_page, f"{base_url}/query")
    browser_page.page.click(f"#examples a[data-example={DEMO}]")
    assert tab_names(browser_page, ".active") == [DEMO]
    query = editor(browser_page, "return y.getValue();")
    expected = answer_rows(base_url, query)
    cells = run_and_read_cells(browser_page)
    assert len(cells) == len(expected) > 0
    issuers = {row["issuer"] for row in expected}
    shown = [cell for row in cells for cell in row]
    assert all(any(f'"{issuer}"@zh' in cell for cell in shown) for issuer in issuers), (issuers, cells)
    assert any("德州恒丰集团" in cell for cell in shown), "the demo's enterprise issuer is in the table"
    browser_page.shot("query-page-results")


def test_a_shared_link_reproduces_the_query_in_a_fresh_page(chromium: object, base_url: str) -> None:
    query = "SELECT ?grade ?label WHERE { ?grade a cb:GradeLevel ; rdfs:label ?label } LIMIT 3"
    first = Page(chromium)
    open_query(first, f"{base_url}/query")
    editor(first, f"y.setValue({query!r});")
    first.page.locator(".tabPanel.active .yasqe_share").click()
    link = first.page.locator(".yasqe_sharePopup input").input_value()
    first.close()
    assert urlparse(link).netloc == urlparse(base_url).netloc and "query=" in link

    fresh = Page(chromium)  # a new browser context: no storage shared with the first page
    open_query(fresh, link)
    assert editor(fresh, "return y.getValue();") == query
    assert fresh.page.evaluate("certbridgeQuery.yasgui.getTab().getEndpoint()") == f"{base_url}/sparql"
    cells = run_and_read_cells(fresh)
    assert len(cells) == len(answer_rows(base_url, query)) == 3
    fresh.shot("query-page-shared-link")
    fresh.close()


def test_a_shared_link_naming_another_endpoint_still_queries_this_server(browser_page: Page, base_url: str) -> None:
    open_query(browser_page, f"{base_url}/query#query=ASK%20%7B%7D&endpoint=https%3A%2F%2Fexample.org%2Fsparql")
    assert browser_page.page.evaluate("certbridgeQuery.yasgui.getTab().getEndpoint()") == f"{base_url}/sparql"


def test_prefix_completion_offers_the_project_prefixes(browser_page: Page, base_url: str) -> None:
    open_query(browser_page, f"{base_url}/query")
    editor(browser_page, "y.setValue('PREFIX ce'); y.focus(); y.setCursor({line: 0, ch: 9});")
    browser_page.page.keyboard.type("r")
    hints = browser_page.page.locator(".CodeMirror-hints li")
    hints.first.wait_for()
    offered = [text.strip() for text in hints.all_inner_texts()]
    assert f"cert: <{PREFIXES['cert']}>" in offered, offered
    assert all(re.fullmatch(r"[\w-]+: <[^>]+>", hint) and hint.split(":")[0] in PREFIXES for hint in offered), offered
    browser_page.shot("query-page-prefix-completion")
    browser_page.page.keyboard.press("Escape")

    # Typing a project prefix declares it; classes and properties complete from this server's ontology.
    browser_page.page.wait_for_function("certbridgeQuery.loaded.class > 0 && certbridgeQuery.loaded.property > 0")
    editor(browser_page, "y.setValue('SELECT * WHERE {\\n  ?o a '); y.focus(); y.setCursor({line: 1, ch: 7});")
    browser_page.page.keyboard.type("cb:")
    browser_page.page.wait_for_function("certbridgeQuery.yasgui.getTab().getYasqe().getValue().startsWith('PREFIX')")
    assert editor(browser_page, "return y.getValue();").startswith(f"PREFIX cb: <{PREFIXES['cb']}>\n")
    # Each hint is picked by a click on it, which waits for the list to be still (Enter right after the hint
    # showed once left "cb:Occup" as typed, in CI), then the editor is given the focus back.
    browser_page.page.keyboard.type("Occup")
    hints.filter(has_text=re.compile(r"^cb:Occupation$")).click()
    browser_page.page.wait_for_function("certbridgeQuery.yasgui.getTab().getYasqe().getValue().endsWith('Occupation')")
    editor(browser_page, "y.focus();")  # the click took the focus to the list
    browser_page.page.keyboard.type(" ; cb:issuedB")
    browser_page.page.keyboard.press("Control+Space")
    hints.filter(has_text=re.compile(r"^cb:issuedBy$")).click()
    browser_page.page.wait_for_function("certbridgeQuery.yasgui.getTab().getYasqe().getValue().endsWith('issuedBy')")
    assert editor(browser_page, "return y.getValue();").endswith("?o a cb:Occupation ; cb:issuedBy")
    browser_page.shot("query-page-term-completion")


def test_yasgui_from_a_second_origin_queries_this_server_across_origins(
    browser_page: Page, base_url: str, second_origin: str
) -> None:
    open_query(browser_page, f"{second_origin}/index.html")
    assert len(tab_names(browser_page)) == len(examples()) + 1
    query = editor(browser_page, "return y.getValue();")
    with browser_page.page.expect_response(lambda r: r.url == f"{base_url}/sparql") as answered:
        cells = run_and_read_cells(browser_page)
    response = answered.value
    assert response.request.headers["origin"] == second_origin != base_url
    assert response.headers["access-control-allow-origin"] in ("*", second_origin)
    labels = {row["label"] for row in answer_rows(base_url, query)}
    assert len(cells) == len(labels) > 0
    assert all(any(f'"{label}"' in cell for row in cells for cell in row) for label in labels)
    browser_page.shot("query-page-second-origin")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(PREFIXES)), max_size=6, unique=True),
    st.sampled_from(sorted(PREFIXES)),
    st.booleans(),
)
def test_with_prefixes_declares_exactly_the_prefixes_a_query_uses_once(
    used: list[str], own: str, declares_own: bool
) -> None:
    body = " ".join(f"?s{i} {name}:p ?o{i} ." for i, name in enumerate([*used, own]))
    prologue = f"PREFIX {own}: <urn:own:>\n" if declares_own else ""
    query = f"# a comment\n{prologue}SELECT * WHERE {{ {body} }}"
    declared = with_prefixes(query)
    assert declared.startswith("# a comment\n") and declared.endswith(query.removeprefix("# a comment\n"))
    names = re.findall(r"^PREFIX ([\w-]+):", declared, re.MULTILINE)
    assert sorted(names) == sorted({*used, own}), "each prefix the query uses is declared, and only once"
    if declares_own:
        assert f"PREFIX {own}: <urn:own:>" in declared, "the query's own declaration is kept"
    ox.Store().query(declared)  # parses without the server's predeclared prefixes
