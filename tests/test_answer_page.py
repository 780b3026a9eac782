"""The answer page, its downloads, the landing page and the search page, over HTTP against a real server on the
shipped data: the verdict and the cards say what the API answers (the expected words are derived from the API's own
answer and the catalogue, never written here), the downloads equal the API's answer, and bad input is a page with
a 4xx status, never a 500."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import lxml.html
import pytest
from helpers.serving import is_problem, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.answer import Asked
from certbridge.api.landing import EXAMPLES
from certbridge.api.settings import Settings
from certbridge.graph.choices import HopKind
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.table import COLUMNS
from certbridge.graph.vocabulary import concept_names, hop_kind_name
from certbridge.visualize.catalogue import Language, text

REAL = {"from": "CT-tw-chinese-cuisine-class-c", "to": "CT-fj-chinese-cook-senior", "as_of": "2026-12-01"}
ILLUSTRATIVE = {
    "from": "IL-CT-hengfeng-spinner-senior-technician",
    "to": "IL-CT-js-hrss-spinner-senior-technician",
    "as_of": "2024-01-01",
}
#: the real pair asked the other way round: Taiwan has no agreement accepting Fujian's certificates
NO_ROUTE = {"from": REAL["to"], "to": REAL["from"], "as_of": REAL["as_of"]}


@pytest.fixture(scope="module")
def http(real_store: Path) -> Iterator[httpx.Client]:
    with serving(Settings(real_store)) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def api_answer(http: httpx.Client, question: dict[str, str]) -> dict:
    response = http.get("/api/v1/routes", params=question)
    assert response.status_code == 200, response.text
    return response.json()


def tree(response: httpx.Response) -> lxml.html.HtmlElement:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return lxml.html.fromstring(response.text)


def words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def label(record: dict, language: Language) -> str:
    first, second = (
        (record["label_zh"], record["label_en"])
        if language is Language.ZH
        else (record["label_en"], record["label_zh"])
    )
    return first or second or record["iri"]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("question", [REAL, ILLUSTRATIVE], ids=["real", "illustrative"])
def test_the_verdict_and_the_cards_say_what_the_api_answers(
    http: httpx.Client, question: dict[str, str], language: Language
) -> None:
    answer = api_answer(http, question)
    assert answer["found"]
    page = tree(http.get("/answer", params={**question, "lang": language.value}))
    assert page.get("lang") == language.value
    verdict = words(page.get_element_by_id("verdict"))
    best = answer["routes"][0]
    if best["strength"] == "formal-recognition":
        formal = next(step for step in best["steps"] if step["kind"] == "formal-recognition")
        assert verdict.startswith(text("answer.verdict.formal", language, as_of="", since="", agreement="")[:2])
        assert label(formal["evidence"], language) in verdict and answer["as_of"] in verdict
    if best["conditions"]:
        assert text("answer.verdict.conditional", language, count=len(best["conditions"])) in verdict
    cards = page.find_class("route-card")
    assert [card.get("data-strength") for card in cards] == [route["strength"] for route in answer["routes"]]
    for card, route in zip(cards, answer["routes"], strict=True):
        hops = card.find_class("hop")
        assert [hop.get("data-kind") for hop in hops] == [step["kind"] for step in route["steps"]]
        for hop, step in zip(hops, route["steps"], strict=True):
            said = words(hop)
            kind = hop_kind_name(step["kind"])[0 if language is Language.ZH else 1]
            assert kind in said and label(step["source"], language) in said and label(step["target"], language) in said
            evidence = step["evidence"]
            assert f"/id/{evidence['iri'].split('/id/', 1)[1]}" in {a.get("href") for a in hop.iter("a")}
            for field in ("document_number", "valid_from", "valid_to"):
                assert evidence[field] is None or evidence[field] in said
            if evidence["status"]:
                assert concept_names("status")[evidence["status"]][0 if language is Language.ZH else 1] in said
            for source in evidence["sources"]:
                assert source["url"] is None or source["url"] in {a.get("href") for a in hop.iter("a")}
            for quality in step["quality"]:
                assert label({**quality, "iri": quality["issuer"]}, language) in said
        badges = {b.text_content().strip() for b in card.find_class("badge")}
        assert (text("answer.badge.illustrative", language) in badges) == route["illustrative"]
    banner = page.find_class("banner")
    assert bool(banner) == any(route["illustrative"] or route["synthetic"] for route in answer["routes"])


@pytest.mark.parametrize("language", list(Language))
def test_a_no_route_answer_says_what_each_side_reaches_and_the_missing_agreement(
    http: httpx.Client, language: Language
) -> None:
    answer = api_answer(http, NO_ROUTE)
    assert not answer["found"] and answer["no_route"]["missing_agreement"]
    page = tree(http.get("/answer", params={**NO_ROUTE, "lang": language.value}))
    verdict = words(page.get_element_by_id("verdict"))
    assert verdict.startswith(text("answer.verdict.none", language, as_of=answer["as_of"]))
    missing = words(page.get_element_by_id("missing-agreement"))
    assert missing in verdict and NO_ROUTE["as_of"] in missing
    assert not page.find_class("route-card")
    shown = words(page.get_element_by_id("no-route"))
    assert answer["no_route"]["reason"] not in shown  # the engine's English reason is worded, not shown
    kinds = "、" if language is Language.ZH else "; "
    named = kinds.join(hop_kind_name(HopKind(kind))[0 if language is Language.ZH else 1] for kind in answer["kinds"])
    searched = text(
        "answer.particulars.search", language, as_of=answer["as_of"], max_hops=answer["max_hops"], kinds=named
    )
    assert searched in shown  # the particulars, worded from the parts of the answer
    why = text(f"answer.why.{answer['no_route']['kind']}", language, as_of=answer["as_of"], max_hops=answer["max_hops"])
    assert words(page.get_element_by_id("no-route-why")) == why
    for near in (*answer["no_route"]["source_reaches"], *answer["no_route"]["target_reached_from"]):
        assert label(near, language) in shown


def test_the_downloads_equal_the_api_answer(http: httpx.Client) -> None:
    for question in (REAL, ILLUSTRATIVE, NO_ROUTE):
        answer = api_answer(http, question)
        download = http.get("/answer.json", params=question)
        assert download.status_code == 200 and download.json() == answer
        assert "attachment" in download.headers["content-disposition"]
        table = http.get("/answer.csv", params=question)
        assert table.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert tuple(next(csv.reader(io.StringIO(table.text)))) == COLUMNS
        expected = [
            (n, h, step) for n, route in enumerate(answer["routes"], 1) for h, step in enumerate(route["steps"], 1)
        ]
        assert len(rows) == len(expected)
        for row, (number, position, step) in zip(rows, expected, strict=True):
            assert (row["route"], row["hop"]) == (str(number), str(position))
            assert (row["from"], row["to"], row["kind"]) == (step["source"]["iri"], step["target"]["iri"], step["kind"])
            assert row["evidence"] == step["evidence"]["iri"]
            assert row["document_number"] == (step["evidence"]["document_number"] or "")
            assert (
                row["illustrative"]
                == str(
                    step["evidence"]["illustrative"] or step["source"]["illustrative"] or step["target"]["illustrative"]
                ).lower()
            )
    # the page links to both downloads of its own answer
    page = tree(http.get("/answer", params=REAL))
    for link in ("download-json", "download-csv"):
        href = page.get_element_by_id(link).get("href")
        assert {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()} == REAL
        assert http.get(href).status_code == 200


def test_search_text_is_resolved_as_the_api_resolves_it(http: httpx.Client) -> None:
    """A name typed (not picked) answers as the API answers the same text; the permalink then names the ids."""
    question = {"from": "恒丰 纺纱工 高级技师", "to": ILLUSTRATIVE["to"], "as_of": ILLUSTRATIVE["as_of"]}
    answer = api_answer(http, question)
    page = tree(http.get("/answer", params=question))
    assert len(page.find_class("route-card")) == len(answer["routes"]) > 0
    permalink = page.get_element_by_id("copy-link").get("data-href")
    assert parse_qs(urlsplit(permalink).query)["from"] == [answer["source"]["iri"].rsplit("/", 1)[-1]]


@pytest.mark.parametrize("language", list(Language))
def test_bad_questions_are_said_in_words_with_a_4xx(http: httpx.Client, language: Language) -> None:
    lang = {"lang": language.value}
    unknown = http.get("/answer", params={**lang, "from": "no-such-certificate-zz", "to": REAL["to"]})
    assert unknown.status_code == 404
    said = words(tree(unknown).get_element_by_id("question-problem"))
    assert said == text("answer.error.not-found", language, text="no-such-certificate-zz")
    ambiguous = http.get("/answer", params={**lang, "from": "恒丰", "to": REAL["to"]})
    assert ambiguous.status_code == 409
    page = tree(ambiguous)
    choices = [a.get("href") for a in page.find_class("candidates")[0].iter("a")]
    problem = is_problem(http.get("/api/v1/routes", params={"from": "恒丰", "to": REAL["to"]}), 409)
    assert [parse_qs(urlsplit(href).query)["from"][0] for href in choices] == [
        candidate["iri"].rsplit("/", 1)[-1] for candidate in problem["candidates"]
    ]
    assert len(choices) >= 2
    assert all(http.get(href).status_code == 200 for href in choices)  # each candidate answers
    bad_day = http.get("/answer", params={**lang, **REAL, "as_of": "2024-02-30"})
    assert bad_day.status_code == 400
    assert words(tree(bad_day).get_element_by_id("question-problem")) == text(
        "answer.error.date", language, text="2024-02-30"
    )
    held_title = http.get("/answer", params={**lang, "from": "engineer", "to": REAL["to"]})
    assert held_title.status_code == 400
    # the API: a title held is a clear 404, not the KeyError (500) it was
    is_problem(http.get("/api/v1/routes", params={"from": "engineer", "to": REAL["to"]}), 404)
    is_problem(http.get("/answer.json", params={"from": "恒丰", "to": REAL["to"]}), 409)
    is_problem(http.get("/answer.csv", params={**REAL, "as_of": "2024-13-01"}), 422)
    half = http.get("/answer", params={**lang, "from": REAL["from"]})
    assert half.status_code == 200 and tree(half).get_element_by_id("from-text").get("value") == REAL["from"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    source=st.text(max_size=30),
    target=st.text(max_size=30),
    as_of=st.one_of(st.none(), st.text(max_size=12), st.dates().map(str)),
)
def test_no_question_makes_the_page_fail(http: httpx.Client, source: str, target: str, as_of: str | None) -> None:
    params = {"from": source, "to": target, **({"as_of": as_of} if as_of is not None else {})}
    response = http.get("/answer", params=params)
    assert response.status_code in (200, 400, 404, 409), response.text[:500]
    assert response.headers["content-type"].startswith("text/html")


def test_the_question_is_read_from_the_first_non_empty_value() -> None:
    """The form sends a box's picked id and its text under one name; without a script the id is empty."""
    from starlette.requests import Request

    scope = {"type": "http", "query_string": b"from=&from=%E6%81%92%E4%B8%B0&to=B&to=&as_of="}
    asked = Asked.of(Request(scope))
    assert (asked.source, asked.target, asked.as_of, asked.day()) == ("恒丰", "B", "", None)


@pytest.mark.parametrize("language", list(Language))
def test_the_landing_page_asks_the_question_in_one_language(http: httpx.Client, language: Language) -> None:
    page = tree(http.get("/", params={"lang": language.value}))
    assert page.get("lang") == language.value
    form = page.find_class("question-form")[0]
    assert form.get("action") == "/answer"
    for box in ("from", "to"):
        combobox = page.get_element_by_id(f"{box}-text")
        assert combobox.get("role") == "combobox" and combobox.get("aria-controls") == f"{box}-list"
        assert page.get_element_by_id(f"{box}-list").get("role") == "listbox"
        assert page.get_element_by_id(f"{box}-id").get("type") == "hidden"
    assert page.get_element_by_id("as-of").get("value")  # today by default
    said = words(page)
    assert text("landing.question", language) in said and text("landing.trust", language) in said
    assert text("landing.question", language.other) not in said
    links = {a.get("href") for a in page.iter("a")}
    assert all(href in links for _, href in EXAMPLES)


def test_the_header_search_leads_to_ranked_results(http: httpx.Client) -> None:
    page = tree(http.get("/"))
    search = page.get_element_by_id("site-search-box")
    assert search.getparent().get("action") == "/search"
    api = http.get("/api/v1/search", params={"q": "纺纱工", "limit": 20}).json()
    results = tree(http.get("/search", params={"q": "纺纱工", "lang": "zh"}))
    listed = [li.find("a").get("href") for li in results.find_class("search-results")[0]]
    assert listed == [f"/id/{hit['iri'].split('/id/', 1)[1]}?lang=zh" for hit in api["results"]]
    asks = [a.get("href") for a in results.find_class("ask")]
    assert len(asks) == sum(hit["type"] == "certificate-type" for hit in api["results"]) > 0
    assert http.get(asks[0]).status_code == 200
    nothing = tree(http.get("/search", params={"q": "zzzz-nothing-qq", "lang": "en"}))
    assert words(nothing.get_element_by_id("search-none")) == text("search.none", Language.EN, query="zzzz-nothing-qq")
    assert http.get("/search").status_code == 200


def test_an_agreement_s_parties_and_date_come_from_the_index(http: httpx.Client, real_store: Path) -> None:
    """The answer does not carry an agreement's parties; the page reads them from the routing index."""
    index = index_for(real_store)
    answer = api_answer(http, REAL)
    hop = answer["routes"][0]["steps"][0]
    agreement = index.agreements[hop["evidence"]["iri"]]
    assert agreement.parties
    page = tree(http.get("/answer", params={**REAL, "lang": "zh"}))
    shown = words(page.find_class("hop")[0])
    assert text("answer.field.parties", Language.ZH) in shown
    for party in agreement.parties:
        names = index.issuers[party].label_zh if party in index.issuers else None
        names = names or (index.region_labels.get(party) or index.party_labels.get(party) or (None, None))[0]
        assert (names or party) in shown
    # its start is not stated: the verdict says the document's date stands for it
    assert hop["evidence"]["valid_from"] is None and agreement.date is not None
    verdict = words(page.get_element_by_id("verdict"))
    assert text("answer.since.document", Language.ZH, date=str(agreement.date)) in verdict
    assert text("answer.field.valid.document", Language.ZH, date=str(agreement.date)) in shown  # and the card


@pytest.mark.parametrize("language", list(Language))
def test_the_issuers_quality_checks_are_named_in_the_page_s_language(http: httpx.Client, language: Language) -> None:
    question = {"from": "IL-CT-js-training-spinner-technician", "to": "IL-CT-hengfeng-spinner-technician"}
    question["as_of"] = "2024-06-01"
    answer = api_answer(http, question)
    checked = [(q, c) for r in answer["routes"] for s in r["steps"] for q in s["quality"] for c in q["checks"]]
    assert checked, "the pair's issuers have quality checks on record"
    page = words(tree(http.get("/answer", params={**question, "lang": language.value})))
    for quality, (day, result) in checked:
        assert f"{day} {text(f'answer.check.{result}', language)}" in page
        assert label({**quality, "iri": quality["issuer"]}, language) in page


#: questions without a route, each with the kind of absence and words its English reason must contain
ABSENT = [
    ({**ILLUSTRATIVE, "as_of": "2020-01-01"}, "issuer-not-valid", "may not issue valid certificates"),
    ({**REAL, "to": ILLUSTRATIVE["to"]}, "different-occupations", "different occupations"),
    ({**ILLUSTRATIVE, "from": "IL-CT-hengfeng-spinner-technician"}, "grade-too-high", "no hop raises a grade"),
    (NO_ROUTE, "not-connected", "no route of at most"),
]


@pytest.mark.parametrize(("question", "kind", "said"), ABSENT, ids=[kind for _, kind, _ in ABSENT])
def test_each_kind_of_absence_is_said_in_the_page_s_language(
    http: httpx.Client, question: dict[str, str], kind: str, said: str
) -> None:
    no_route = api_answer(http, question)["no_route"]
    assert (no_route["kind"], said in no_route["reason"]) == (kind, True)  # the kind agrees with the reason
    for language in Language:
        page = tree(http.get("/answer", params={**question, "lang": language.value}))
        why = words(page.get_element_by_id("no-route-why"))
        assert why == text(f"answer.why.{kind}", language, as_of=question["as_of"], max_hops=6)
        if kind == "grade-too-high":  # the grades compared, by their names in the page's language
            grades = ("技师", "高级技师") if language is Language.ZH else ("technician", "senior technician")
            particulars = words(page.get_element_by_id("no-route"))
            assert text("answer.particulars.grades", language, held=grades[0], required=grades[1]) in particulars


def test_a_revalidated_page_comes_back_in_the_language_now_chosen(http: httpx.Client) -> None:
    """With the store version alone as validator, a browser that saw / in Chinese and then chose English got
    "304 Not Modified" and showed its Chinese copy."""
    with httpx.Client(base_url=http.base_url, timeout=60) as fresh:
        chinese = fresh.get("/")
        assert chinese.headers["content-language"] == "zh"
        assert fresh.get("/", headers={"If-None-Match": chinese.headers["etag"]}).status_code == 304
        fresh.cookies.set("certbridge_lang", "en")
        english = fresh.get("/", headers={"If-None-Match": chinese.headers["etag"]})
        assert english.status_code == 200 and english.headers["content-language"] == "en"


def test_every_closed_value_the_page_names_has_its_words() -> None:
    """The page words closed sets through keys made from their values: each value has its message."""
    from certbridge.graph.convert.issuers import CHECK_RESULTS, SANCTION_REASONS
    from certbridge.graph.routing.model import Absence
    from certbridge.visualize.catalogue import catalogue

    keys = catalogue()
    assert {f"answer.why.{kind}" for kind in Absence} <= keys.keys()
    assert {f"answer.check.{result}" for result in CHECK_RESULTS} <= keys.keys()
    assert {f"answer.sanction-reason.{reason}" for reason in SANCTION_REASONS} <= keys.keys()
    evidence_kinds = ("recognition-agreement", "qualification", "grade-order", "cross-system-bridge")
    assert {f"answer.evidence-kind.{kind}" for kind in evidence_kinds} <= keys.keys()


@pytest.mark.parametrize("question", [REAL, ILLUSTRATIVE, NO_ROUTE], ids=["real", "illustrative", "no-route"])
def test_every_record_the_page_links_to_has_a_page(http: httpx.Client, question: dict[str, str]) -> None:
    page = tree(http.get("/answer", params=question))
    linked = {a.get("href") for a in page.iter("a") if (a.get("href") or "").startswith("/id/")}
    assert linked
    for href in sorted(linked):
        assert http.get(href, headers={"Accept": "text/html"}).status_code == 200, href


@pytest.mark.parametrize("language", list(Language))
def test_a_bridge_to_a_title_is_worded_with_its_condition(
    http: httpx.Client, real_store: Path, language: Language
) -> None:
    question = {"from": ILLUSTRATIVE["from"], "to": "engineer", "as_of": ILLUSTRATIVE["as_of"]}
    answer = api_answer(http, question)
    bridges = [
        (r, s) for r, route in enumerate(answer["routes"]) for s in route["steps"] if s["kind"] == "cross-system-bridge"
    ]
    assert bridges, "the shipped data bridges a grade to the engineer title"
    index = index_for(real_store)
    page = tree(http.get("/answer", params={**question, "lang": language.value}))
    cards = page.find_class("route-card")
    for number, step in bridges:
        hop = next(h for h in cards[number].find_class("hop") if h.get("data-kind") == "cross-system-bridge")
        said = words(hop)
        assert text(f"answer.bridge.{step['evidence']['label_en']}", language) in said
        (bridge,) = {b for listed in index.bridges.values() for b in listed if b.iri == step["evidence"]["iri"]}
        notes = [(words(item), item.get("lang")) for item in hop.xpath(".//dd/ul/li[@lang]")]
        assert (text("answer.bridge.years", language, years=bridge.years), language.value) in notes  # page's words
        assert bridge.condition and any(note == bridge.condition for note, _ in notes)  # as the data has it
        engine = set(step["evidence"]["notes"]) - {bridge.condition}  # the engine's English words of the years
        assert engine and not engine & {note for note, _ in notes}
