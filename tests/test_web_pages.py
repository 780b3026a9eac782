"""The pages for people of issue 19, part B, over HTTP against a real server on loopback: entity pages (labels, never
hashes or rdf:subject), the neighbourhood's reified statements as relations, coverage and what-if (the illustrative
mark exactly when the figures rest on such records, in JSON, CLI and pages), and errors as pages for browsers and
problems for programs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from helpers.data import Cli
from helpers.routing_world import ID, World, region
from helpers.serving import is_problem, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.settings import Settings
from certbridge.graph.dates import PartialDate
from certbridge.graph.routing.coverage import coverage, what_if
from certbridge.graph.routing.records import Agreement
from certbridge.graph.store import open_store
from certbridge.visualize.catalogue import Language, message, text

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HTML = {"Accept": BROWSER}
HASH = re.compile(r"\b[0-9a-f]{32}\b")
#: one record of each kind with a page (an issuer, a party that does not issue, a certificate type of each flag)
ENTITIES = (
    "certificate-type/IL-CT-hengfeng-spinner-senior-technician",
    "certificate-type/CT-fj-chinese-cook-senior",
    "organisation/hengfeng",
    "organisation/hk-gov",
    "agreement/MR06",
    "occupation/6-04-02-01",
    "standard/2-02-38-01-2021",
)
DAY = date(2024, 1, 1)


@pytest.fixture(scope="module")
def base_url(real_store: Path) -> Iterator[str]:
    with serving(Settings(real_store)) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client


def visible(page: str) -> str:
    """The text a person reads: the body without scripts and styles, tags removed, entities decoded."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def labels(store_path: Path, iri: str, predicate: str) -> dict[str, set[str]]:
    """The rdfs:label of every object of *predicate* on *iri*, by language, read from the store itself."""
    store = open_store(store_path)
    found: dict[str, set[str]] = {"zh": set(), "en": set()}
    answer = store.query(
        f"SELECT ?l WHERE {{ <{iri}> <{predicate}> ?o . ?o <http://www.w3.org/2000/01/rdf-schema#label> ?l }}",
        use_default_graph_as_union=True,
    )
    assert isinstance(answer, ox.QuerySolutions)
    for row in answer:
        found.setdefault(row["l"].language or "", set()).add(row["l"].value)
    return found


@pytest.mark.parametrize("path", ENTITIES)
def test_an_entity_page_names_its_facts_in_the_page_language_never_hashes(http: httpx.Client, path: str) -> None:
    pages = {lang: http.get(f"/id/{path}", params={"lang": lang}, headers=HTML) for lang in ("zh", "en")}
    for lang, response in pages.items():
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert response.headers["content-language"] == lang and "Accept" in response.headers["vary"]
        shown = visible(response.text)
        assert "rdf:subject" not in response.text and "rdf:object" not in response.text
        assert not HASH.search(shown), HASH.search(shown)
        assert '<script type="application/ld+json">' in response.text  # the schema.org description is kept
        assert text(f"entity.kind.{path.split('/')[0]}", Language(lang)) in shown
        assert text("entity.facts", Language(lang)) in shown and text("entity.sources", Language(lang)) in shown


def test_property_and_value_names_come_from_the_data_in_each_language(http: httpx.Client, real_store: Path) -> None:
    iri = f"{ID}certificate-type/IL-CT-hengfeng-spinner-senior-technician"
    grade = labels(real_store, iri, "https://w3id.org/certbridge/ontology#atGrade")
    zh = visible(http.get(f"/id/{iri.removeprefix(ID)}", params={"lang": "zh"}, headers=HTML).text)
    en = visible(http.get(f"/id/{iri.removeprefix(ID)}", params={"lang": "en"}, headers=HTML).text)
    assert grade["zh"] and all(label in zh for label in grade["zh"])
    assert grade["en"] and all(label in en for label in grade["en"])
    issued_by = '<th scope="row">{}</th>'
    page_zh = http.get(f"/id/{iri.removeprefix(ID)}", params={"lang": "zh"}, headers=HTML).text
    page_en = http.get(f"/id/{iri.removeprefix(ID)}", params={"lang": "en"}, headers=HTML).text
    assert issued_by.format("颁发机构") in page_zh and issued_by.format("issued by") in page_en  # cb:issuedBy's labels
    assert issued_by.format("issued by") not in page_zh
    assert "cb:issuedBy" not in zh + en


def test_the_banner_shows_exactly_when_the_record_is_illustrative(http: httpx.Client) -> None:
    banner = message("shell.illustrative").zh
    flagged = http.get("/id/certificate-type/IL-CT-hengfeng-spinner-senior-technician", headers=HTML).text
    real = http.get("/id/certificate-type/CT-fj-chinese-cook-senior", headers=HTML).text
    assert banner in flagged and message("entity.mark.illustrative").zh in flagged
    assert banner not in real and message("entity.mark.illustrative").zh not in visible(real)


def test_an_issuer_page_lists_its_agreements_and_sources(http: httpx.Client) -> None:
    page = http.get("/id/organisation/hk-gov", params={"lang": "en"}, headers=HTML).text
    assert "/id/agreement/MR06?lang=en" in page  # the agreement it is a party to, linked
    assert "https://www.tellerreport.com/" in page  # the source's web page, from its schema:url
    assert message("entity.sources").en in page


def test_reified_statements_are_relations_in_the_neighbourhood_and_its_views(http: httpx.Client) -> None:
    found = http.get("/api/v1/neighbourhood", params={"id": "organisation/hk-gov"}).json()
    assert not [node for node in found["nodes"] if "/derivation/" in node["iri"]]
    stated = [edge for edge in found["edges"] if edge["via"]]
    assert stated and {edge["predicate"] for edge in stated} == {"cb:mutuallyRecognises"}
    assert all(edge["label_zh"] == "互认" and edge["label_en"] == "mutually recognises" for edge in stated)
    assert f"{ID}agreement/MR06" in {via for edge in stated for via in edge["via"]}
    for path in ("/viz/node?id=organisation/hk-gov", "/id/organisation/hk-gov"):
        page = http.get(path, headers=HTML).text
        assert "/derivation/" not in page and "rdf:subject" not in page and "rdf:object" not in page
        assert "互认（MR06）" in page  # the relation, labelled with its agreement


def test_a_reified_statement_has_a_page_naming_the_relation_it_states(http: httpx.Client, real_store: Path) -> None:
    store = open_store(real_store)
    answer = store.query(
        "SELECT ?d ?name WHERE { ?d <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?p ."
        ' ?p <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER (LANG(?name) = "zh") } LIMIT 1',
        use_default_graph_as_union=True,
    )
    assert isinstance(answer, ox.QuerySolutions)
    ((derivation, name),) = [(row["d"].value, row["name"].value) for row in answer]
    page = http.get(f"/id/{derivation.removeprefix(ID)}", params={"lang": "zh"}, headers=HTML)
    shown = visible(page.text)
    assert page.status_code == 200 and not HASH.search(shown) and "rdf:" not in shown
    assert message("entity.kind.statement").zh in shown and name in page.text.split("<h1>", 1)[1].split("</h1>")[0]


def test_the_coverage_json_says_it_rests_on_illustrative_records(
    http: httpx.Client, cli: Cli, real_store: Path
) -> None:
    answer = http.get("/api/v1/coverage", params={"as_of": "2025-01-01"}).json()
    assert answer["illustrative"] is True and answer["illustrative_records"] > 0
    table = cli("coverage", "--store", real_store, "--as-of", "2025-01-01", "--json")
    assert '"illustrative_records": ' + str(answer["illustrative_records"]) in table.stdout
    shown = cli("coverage", "--store", real_store, "--as-of", "2025-01-01")
    notice = message("coverage.cli.flagged")
    assert notice.en.format(count=answer["illustrative_records"]) in " ".join(shown.stdout.split())


def test_viz_coverage_says_it_drew_a_heat_map(cli: Cli, real_store: Path, tmp_path: Path) -> None:
    result = cli("viz", "coverage", "--store", real_store, "--out", tmp_path / "c.html")
    assert result.exit_code == 0 and "0 nodes" not in result.stdout and "heat map" in result.stdout
    assert "山东省" in (tmp_path / "c.html").read_text(encoding="utf-8")  # the groups' Chinese names go with it


@pytest.fixture
def world() -> World:
    w = World()
    w.index.region_labels.update({region("370000"): ("山东省", "Shandong"), region("320000"): ("江苏省", "Jiangsu")})
    w.issuer("ent", kind="authorised-enterprise", region_code="370000")
    w.issuer("gov", region_code="320000")
    w.cert("a", "ent", "senior-technician")
    w.cert("b", "gov", "senior-technician")
    w.cert("c", "gov", "technician")
    return w


def _flag(world: World, iris: set[str]) -> None:
    from dataclasses import replace

    for iri in iris:
        if iri in world.index.certificates:
            world.index.certificates[iri] = replace(world.index.certificates[iri], illustrative=True)
        else:
            world.index.issuers[iri] = replace(world.index.issuers[iri], synthetic=True)


RECORDS = [f"{ID}certificate-type/{c}" for c in "abc"] + [f"{ID}organisation/{o}" for o in ("ent", "gov")]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.sampled_from(RECORDS)))
def test_the_count_is_of_the_flagged_records_in_counted_pairs(flagged: set[str]) -> None:
    world = World()
    world.issuer("ent", kind="authorised-enterprise", region_code="370000")
    world.issuer("gov", region_code="320000")
    for name, owner, grade in (("a", "ent", "senior-technician"), ("b", "gov", "senior-technician")):
        world.cert(name, owner, grade)
    world.cert("c", "gov", "technician")
    _flag(world, flagged)
    table = coverage(world.index, as_of=DAY)
    # brute force: every certificate type is in an ordered pair of different issuers, grade at least the other's
    in_pairs = {f"{ID}certificate-type/{c}" for c in "abc"} | {f"{ID}organisation/{o}" for o in ("ent", "gov")}
    assert table.to_json()["illustrative_records"] == len(flagged & in_pairs)
    assert table.to_json()["illustrative"] is bool(flagged)


def test_a_hypothetical_agreement_makes_the_what_if_illustrative(world: World) -> None:
    hypothetical = Agreement(
        iri=f"{ID}hypothetical/H1",
        label_zh="假设",
        label_en="HYPOTHETICAL",
        direction="mutual",
        status="signed",
        recognises=True,
        parties=frozenset({region("370000"), region("320000")}),
        valid_from=PartialDate.parse("2020-01-01"),
        illustrative=True,
    )
    before, after = what_if(world.index, [hypothetical], as_of=DAY)
    assert not before.illustrative and after.illustrative and hypothetical.iri in after.flagged


def test_the_coverage_page_banner_follows_the_data(world: World, tmp_path: Path) -> None:
    from certbridge.api.app import create_app
    from certbridge.api.state import index_of

    settings = Settings(tmp_path / "nothing-built")
    app = create_app(settings)
    app.dependency_overrides[index_of] = lambda: world.index
    banner = message("shell.illustrative")
    with serving(settings, app=app) as url, httpx.Client(base_url=url, timeout=30) as client:
        clean = client.get("/viz/coverage", params={"as_of": DAY.isoformat()}, headers=HTML)
        assert clean.status_code == 200, clean.text
        assert banner.zh not in clean.text and "山东省" in clean.text and "Shandong" not in visible(clean.text)
        assert message("coverage.explained").zh in clean.text and "/viz/what-if?" in clean.text
        english = client.get("/viz/coverage", params={"as_of": DAY.isoformat(), "lang": "en"}, headers=HTML)
        assert "Shandong" in english.text and "山东省" not in visible(english.text)
        _flag(world, {f"{ID}certificate-type/c"})
        flagged = client.get("/viz/coverage", params={"as_of": DAY.isoformat(), "lang": "zh"}, headers=HTML)
        assert banner.zh in flagged.text
        assert message("coverage.flagged").zh.format(count=1) in flagged.text


def test_a_coverage_cell_lists_its_pairs_in_the_page_language(http: httpx.Client) -> None:
    params = {"by": "region", "from": "Shandong", "to": "Zhejiang", "as_of": "2025-01-01"}
    heat = http.get("/api/v1/coverage", params={"as_of": "2025-01-01"}).json()
    (cell,) = [c for c in heat["cells"] if (c["from"], c["to"]) == ("Shandong", "Zhejiang")]
    zh = http.get("/viz/coverage/cell", params={**params, "lang": "zh"}, headers=HTML)
    en = http.get("/viz/coverage/cell", params={**params, "lang": "en"}, headers=HTML)
    assert "山东省 → 浙江省" in zh.text and "Shandong → Zhejiang" in en.text
    assert zh.text.count("/viz/route?") == cell["pairs"]  # every pair behind the cell, each to its route view
    assert message("shell.illustrative").zh in zh.text  # these pairs are illustrative records


def test_the_what_if_form_shows_the_change_and_its_defects(http: httpx.Client) -> None:
    form = http.get("/viz/what-if", params={"lang": "en"}, headers=HTML)
    assert form.status_code == 200 and 'name="csv"' in form.text and 'type="file"' in form.text
    csv = (
        "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
        "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\nH1,mutual,region:350000;region:710000,,,,,,,2024-01-01,\n"
    )
    api = http.post("/api/v1/what-if", content=csv, headers={"Content-Type": "text/csv"}).json()
    assert api["illustrative"] is True and api["after"]["illustrative_records"] > api["before"]["illustrative_records"]
    shown = http.post("/viz/what-if", params={"lang": "en"}, files={"upload": ("h.csv", csv.encode(), "text/csv")})
    assert shown.status_code == 200
    pairs = len(api["after"]["newly_connected"])
    assert pairs > 0 and message("whatif.connected").en.format(count=pairs) in unescape(shown.text)
    assert message("shell.illustrative").en in shown.text  # the figures after rest on a hypothetical agreement
    wrong = http.post("/viz/what-if", data={"csv": csv.replace("region:710000", "region:999999")})
    assert wrong.status_code == 422 and "what-if.csv:2: party_refs" in wrong.text


# ---- errors: pages for people, problems for programs ----------------------------------------------------------

ERRORS = (
    ("/id/organisation/no-such-issuer", 404),
    ("/no/such/page", 404),
    ("/viz/route?from=%E7%BA%BA%E7%BA%B1%E5%B7%A5&to=CT-fj-chinese-cook-senior", 409),
    ("/viz/route?from=CT-fj-chinese-cook-senior&to=CT-fj-chinese-cook-senior&as_of=2025-13-01", 422),
    ("/api/v1/routes?from=zzzzqqq&to=CT-fj-chinese-cook-senior", 404),
)


@pytest.mark.parametrize(("path", "status"), ERRORS)
def test_a_browser_gets_a_page_and_a_program_the_problem(http: httpx.Client, path: str, status: int) -> None:
    programs = ("*/*", "text/html;q=0, */*") if path.startswith("/id/") else ("*/*", "application/json")
    for accept in (None, *programs, "application/problem+json, text/html;q=0.5"):  # /id/ offers no JSON but JSON-LD
        if path.startswith("/id/") and accept and accept.startswith("application/problem"):
            continue
        is_problem(http.get(path, headers={"Accept": accept} if accept else {}), status)
    for lang in ("zh", "en"):
        page = http.get(path, headers={**HTML, "Cookie": f"certbridge_lang={lang}"})
        assert page.status_code == status and page.headers["content-type"].startswith("text/html")
        assert page.headers["content-language"] == lang
        assert text("error.status", Language(lang), status=status) in page.text


def test_a_404_page_offers_the_search_box_that_finds_the_record(http: httpx.Client) -> None:
    page = http.get("/id/organisation/hengfang", headers=HTML, params={"lang": "en"}).text
    assert 'action="/search"' in page and 'name="q"' in page
    found = http.get("/search", params={"q": "hengfeng", "lang": "en"}, headers=HTML)
    assert found.status_code == 200 and "/id/organisation/hengfeng?lang=en" in found.text


def test_an_ambiguous_name_shows_its_candidates_as_links_that_work(http: httpx.Client) -> None:
    path = "/viz/route?from=%E7%BA%BA%E7%BA%B1%E5%B7%A5&to=IL-CT-js-hrss-spinner-senior-technician&as_of=2025-01-01"
    problem = is_problem(http.get(path), 409)
    page = http.get(path, headers=HTML).text
    retries = re.findall(r'class="retry" href="([^"]+)"', page)
    assert len(retries) == len(problem["candidates"]) > 1
    for candidate, href in zip(problem["candidates"], retries, strict=True):
        assert candidate["label"] in unescape(page)
        assert http.get(unescape(href), headers=HTML).status_code == 200  # the same request, one candidate chosen


def test_a_bad_date_shows_the_expected_form(http: httpx.Client) -> None:
    path = "/viz/route?from=CT-fj-chinese-cook-senior&to=CT-fj-chinese-cook-senior&as_of=2025-13-01&lang=en"
    page = http.get(path, headers=HTML).text
    assert "YYYY-MM-DD" in page and 'type="date" name="as_of"' in page
    assert '<input type="hidden" name="from" value="CT-fj-chinese-cook-senior">' in page
