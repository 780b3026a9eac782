"""Facts loaded from the gathered files (issue 20): the NBS cities and counties below their provinces, the
classification counts as sourced statements, the ISCO-08 major groups' skill levels, the AQRF addresses and the
news facts about organisations; and routing, which matches an issuer's region and every region above it."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from helpers.routing_world import OCCUPATION, World, region

from certbridge.data import DATA_DIR
from certbridge.graph.choices import Grouping
from certbridge.graph.convert import convert_tables
from certbridge.graph.errors import DataError
from certbridge.graph.query import select
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.coverage import coverage
from certbridge.graph.routing.index import RoutingIndex, index_for
from certbridge.graph.store import open_store
from certbridge.ontology import ID
from certbridge.visualize.views import certificate_facets

FIXTURES = Path(__file__).parent / "fixtures"
#: the routes of every pair of the shipped certificate types, recorded on the tree before the city and county
#: codes were loaded (commit 7fd2153), at the README's two dates: the codes must not change a route
ROUTES_BEFORE = FIXTURES / "routes_before_subregions.json"
DAYS = (date(2024, 1, 1), date(2026, 12, 1))


def table(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def count(store_path: Path, where: str) -> int:
    rows = list(select(open_store(store_path), f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0]["n"])


# ---- cities and counties ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_cities_and_counties_sit_below_their_province(real_store: Path) -> None:
    rows = table("subregions")
    levels = {level: sum(r["division_level"] == level for r in rows) for level in ("prefecture", "county")}
    assert levels == {"prefecture": 333, "county": 2975}
    assert count(real_store, "?x a cb:PrefectureLevelDivision") == 333
    assert count(real_store, "?x a cb:CountyLevelDivision") == 2975
    below = "?x a cb:Region FILTER NOT EXISTS { ?x a cb:ProvinceLevelDivision }"
    assert count(real_store, below) == len(rows)
    assert count(real_store, f"{below} ?x skos:broader ?p . ?p a cb:Region") == len(rows)
    # every county reaches a province in two steps (through its city or an NBS grouping)
    chain = "?x a cb:CountyLevelDivision ; skos:broader/skos:broader ?p . ?p a cb:ProvinceLevelDivision"
    assert count(real_store, chain) == 2975
    assert count(real_store, f'{below} ?x rdfs:label ?en FILTER (LANG(?en) = "en")') == 0, "no English name is made up"
    [zhuhai] = select(
        open_store(real_store),
        f"SELECT ?zh ?up WHERE {{ <{ID}region/440400> rdfs:label ?zh ; skos:broader ?up FILTER (LANG(?zh) = 'zh') }}",
    )
    assert (zhuhai["zh"], zhuhai["up"]) == ("珠海市@zh", "region:440000")


def test_organisations_named_after_a_city_sit_at_that_city() -> None:
    """A body whose name starts with a city's name (珠海市…, 福州市) is placed at that city, or below it."""
    cities = {r["name_zh"]: r["code"] for r in table("subregions") if r["division_level"] == "prefecture"}
    parents = {r["code"]: r["parent_code"] for r in table("subregions")}
    placed = {}
    for row in table("organisations"):
        for name, code in cities.items():
            if row["name_zh"].startswith(name):
                at, chain = row["region_code"], []
                while at:
                    chain.append(at)
                    at = parents.get(at, "")
                assert code in chain, f"{row['id']} ({row['name_zh']}) is at {row['region_code']}, not in {name}"
                placed[row["id"]] = row["region_code"]
    assert placed == {"zhuhai-vtc": "440400", "zhuhai": "440400", "fuzhou-gov": "350100"}


def test_the_g60_parties_are_the_nine_cities_the_source_names() -> None:
    [mr12] = [r for r in table("agreements") if r["id"] == "MR12"]
    names = {r["code"]: r["name_zh"] for r in table("subregions")}
    parties = [names[ref.removeprefix("region:")] for ref in mr12["party_refs"].split(";")]
    assert parties == ["松江区", "嘉兴市", "杭州市", "金华市", "湖州市", "苏州市", "宣城市", "芜湖市", "合肥市"]
    assert all(p.removesuffix("市").removesuffix("区")[:2] in mr12["parties_as_stated"] for p in parties)
    assert mr12["recognises_certificates"] == "no"


def _routes(index: RoutingIndex, day: date) -> dict[str, list[list[list[str]]]]:
    """Every ordered pair of certificate types -> its routes, each as its hops' (kind, evidence) pairs."""
    found = {}
    for a in sorted(index.certificates):
        for b in sorted(index.certificates):
            if a != b:
                answer = find_routes(index, a, b, as_of=day, k=3).to_json()
                key = f"{a.rsplit('/', 1)[-1]} -> {b.rsplit('/', 1)[-1]}"
                found[key] = [[[s["kind"], s["evidence"]["iri"]] for s in r["steps"]] for r in answer["routes"]]
    return found


@pytest.mark.slow
def test_the_city_and_county_codes_change_no_route_of_the_shipped_data(real_store: Path) -> None:
    """Every pair of the shipped certificate types has the routes it had before the codes were loaded (recorded
    in the fixture on commit 7fd2153): the Hengfeng → Jiangsu demo, the Fujian–Taiwan pairs and all others."""
    index = index_for(real_store)
    assert index.region_parents, "the regions below the provinces reach the routing index"
    recorded = json.loads(ROUTES_BEFORE.read_text(encoding="utf-8"))
    for day in DAYS:
        now = _routes(index, day)
        assert now == recorded[day.isoformat()], day
    assert any(recorded["2026-12-01"].values()) and any(recorded["2024-01-01"].values())


def test_an_issuer_in_a_city_is_in_its_province_for_an_agreement_between_provinces() -> None:
    w = World()
    w.index.region_labels.update({region(c): (c, c) for c in ("370000", "370100", "371400", "320000")})
    w.index.region_parents.update({region("370100"): region("370000"), region("371400"): region("370000")})
    w.issuer("dezhou", region_code="371400")
    w.issuer("js", region_code="320000")
    held, wanted = w.cert("held", "dezhou", "senior"), w.cert("wanted", "js", "senior", qualification=None)
    w.agreement("sd-js", parties=(region("370000"), region("320000")), scope=(OCCUPATION,))
    answer = find_routes(w.index, held, wanted, as_of=date(2024, 1, 1)).to_json()
    assert [[s["kind"] for s in r["steps"]] for r in answer["routes"]] == [["formal-recognition"]]
    # an agreement of another city of the province does not reach Dezhou's issuers
    del w.index.agreements[f"{ID}agreement/sd-js"]
    w.index.derived.drop_graphs()
    w.agreement("jinan-js", parties=(region("370100"), region("320000")), scope=(OCCUPATION,))
    assert find_routes(w.index, held, wanted, as_of=date(2024, 1, 1)).to_json()["routes"] == []


def _defects(mini_data: Path, name: str, rows: list[str]) -> str:
    with (mini_data / name).open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in rows)
    with pytest.raises(DataError) as caught:
        sinks = convert_tables(mini_data)
        for sink in sinks.values():
            sink.close()
    return str(caught.value)


def test_the_build_refuses_a_division_outside_its_parent(mini_data: Path) -> None:
    text = _defects(
        mini_data,
        "subregions.csv",
        ["440500,prefecture,汕头市,450000,SRC-NBS2023-LOCAL,", "440403,county,斗门区,440000,SRC-NBS2023-LOCAL,"],
    )
    assert "subregions.csv:7: parent_code: '450000' is not the prefix of '440500'" in text
    assert "subregions.csv:8: parent_code: '440000' is not a prefecture-level row" in text


# ---- classification counts -----------------------------------------------------------------------------

#: what a count certbridge made itself is checked against: the graph's own nodes
_OWN = {
    "major groups": "?x a cb:MajorGroup",
    "medium groups": "?x a cb:MediumGroup",
    "minor groups": "?x a cb:MinorGroup",
    "occupations": "?x a cb:Occupation",
    "digital occupations (marked S)": "?x cb:digitalOccupation true",
    "green occupations (marked L)": "?x cb:greenOccupation true",
}


@pytest.mark.slow
def test_a_count_certbridge_made_equals_what_the_graph_holds(real_store: Path) -> None:
    rows = table("classification_counts")
    counted = [r for r in rows if r["counted_by_certbridge"] == "yes"]
    assert len(counted) == 6
    for row in counted:
        assert count(real_store, _OWN[row["counted_en"]]) == int(row["value"]), row["id"]


@pytest.mark.slow
def test_a_count_read_from_a_source_is_a_sourced_statement_not_the_graph(real_store: Path) -> None:
    store = open_store(real_store)
    rows = table("classification_counts")
    assert count(real_store, "?x a cb:ClassificationCount") == len(rows)
    [live] = select(
        store,
        """SELECT ?value ?scheme ?stated ?trust ?url ?mine WHERE { ?x a cb:ClassificationCount ;
            cb:countValue ?value ; cb:countOf ?scheme ; cb:dateAsStated ?stated ; cb:countedByCertbridge ?mine ;
            cb:trust/skos:notation ?trust ; dcterms:source/schema:url ?url ;
            cb:countedItem "occupations (level-4 nodes)"@en FILTER NOT EXISTS { ?x dcterms:date ?any } }""",
    )
    assert int(live["value"]) == 1676 != count(real_store, "?x a cb:Occupation") == 1639
    assert live["scheme"] == "scheme:occupations-2022" and live["mine"] == "false"
    assert str(live["trust"]) == "medium-low" and "0a98e3be" in str(live["url"])
    assert str(live["stated"]) == "crawl reported 2026 (repository README)"
    # the figures are statements: nothing counted is typed as what it counts
    typed = "?x a cb:ClassificationCount ; a ?c FILTER (?c IN (cb:Occupation, cb:ClassificationNode, cb:Region))"
    assert count(real_store, typed) == 0
    # every figure has its source with an address, and the ones certbridge did not count are never rated high
    assert count(real_store, "?x a cb:ClassificationCount ; dcterms:source/schema:url ?u") == len(rows)
    unverified = {r["trust"] for r in rows if r["counted_by_certbridge"] == "no"}
    assert unverified and "high" not in unverified
    values = {r["id"]: int(r["value"]) for r in rows}
    assert (values["CC09"], values["CC10"], values["CC05"]) == (3053, 702, 1636)


# ---- ISCO-08 skill levels, AQRF addresses, organisations ---------------------------------------------------


@pytest.mark.slow
def test_isco_major_groups_carry_their_ilo_skill_levels(real_store: Path) -> None:
    rows = select(
        open_store(real_store),
        """SELECT ?code (GROUP_CONCAT(STR(?level); separator=";") AS ?levels) WHERE {
            ?g a cb:IscoGroup ; skos:notation ?code ; cb:iloSkillLevel ?level ; dcterms:source ?s .
            FILTER (STRENDS(STR(?s), "/SRC-ISCO-SKILL")) } GROUP BY ?code""",
    )
    found = {str(r["code"]): sorted(str(r["levels"]).split(";")) for r in rows}
    assert found == {
        "0": ["1", "2", "4"],
        "1": ["3", "4"],
        "2": ["4"],
        "3": ["3"],
        **{str(code): ["2"] for code in range(4, 9)},
        "9": ["1"],
    }


def test_the_build_refuses_skill_levels_below_a_major_group_or_without_a_source(mini_data: Path) -> None:
    path = mini_data / "isco08_groups.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = [*rows[0], "ilo_skill_levels", "skill_levels_source_id"]
    body = [[*row, "", ""] for row in rows[1:]]
    level = header.index("level")
    minor = next(n for n, row in enumerate(body) if row[level] == "2")
    body[minor][-2:] = ["2", "SRC-ISCO-ESCO"]
    major = next(n for n, row in enumerate(body) if row[level] == "1")
    body[major][-2:] = ["5", ""]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])
    text = _defects(mini_data, "sources.csv", [])
    assert f"isco08_groups.csv:{minor + 2}: ilo_skill_levels: ISCO-08 assigns skill levels to the major groups" in text
    assert f"isco08_groups.csv:{major + 2}: ilo_skill_levels: unknown ILO skill level (1 to 4) '5'" in text


def test_the_aqrf_row_cites_every_address_it_was_gathered_from() -> None:
    sources = {r["id"]: r for r in table("sources")}
    [aqrf] = [r for r in table("frameworks") if r["id"] == "AQRF"]
    cited = aqrf["source_ids"].split(";")
    urls = {sources[key]["url"] for key in cited}
    assert {
        "https://vdocuments.us/asean-qualifications-reference-framework-a-uploads-a-2017-a-03-a-ed-02-asean-qualifi.html",
        "https://th4.ilovetranslation.com/YppIfmztBBb=d",
        "https://atlas.unevoc.unesco.org/research-briefs/asian-insights-the-asean-qualifications-reference-framework-"
        "a-promising-tool-for-benchmarking-existing-and-new-qualifications-in-the-asean-region",
    } == urls
    assert sources["SRC-AQRF-ILT"]["trust"] == "low"


@pytest.mark.slow
def test_an_organisations_founding_date_keeps_its_precision_and_source(real_store: Path) -> None:
    [row] = select(
        open_store(real_store),
        f"""SELECT ?founded ?type ?url WHERE {{ <{ID}organisation/hengfeng> schema:foundingDate ?founded ;
            dcterms:source ?s . ?s schema:url ?url FILTER (CONTAINS(STR(?url), "chinaqfc"))
            BIND (DATATYPE(?founded) AS ?type) }}""",
    )
    assert (row["founded"], row["type"]) == ("2011", "xsd:gYear")


def test_no_table_records_a_named_certificate_holder() -> None:
    """The gathered news facts about a named worker (her certificate, awards, speeches) are left out, of the tables
    and of their documentation: certbridge models certificate types, never persons. Only the organisations' facts
    are used."""
    for path in sorted([*DATA_DIR.glob("*.csv"), *DATA_DIR.glob("*.md")]):
        text = path.read_text(encoding="utf-8")
        for name in ("王晓菲", "Wang Xiaofei"):
            assert name not in text, f"{path.name} names {name}"


def test_an_issuer_in_a_city_is_grouped_with_its_province() -> None:
    """Coverage and the views' region filter group an issuer in a city with its province."""
    w = World()
    w.index.region_labels.update({region("370000"): ("山东省", "Shandong"), region("371400"): ("德州市", None)})
    w.index.region_labels[region("320000")] = ("江苏省", "Jiangsu")
    w.index.region_parents[region("371400")] = region("370000")
    w.issuer("dezhou", kind="authorised-enterprise", region_code="371400")
    w.issuer("js", region_code="320000")
    held, wanted = w.cert("held", "dezhou", "senior"), w.cert("wanted", "js", "senior")
    assert w.index.province_of(region("371400")) == region("370000") == w.index.province_of(region("370000"))
    table = coverage(w.index, by=Grouping.REGION, as_of=date(2024, 1, 1))
    assert {group for cell in table.cells for group in cell} == {"Shandong", "Jiangsu"}
    assert certificate_facets(w.index, [held])[held]["region"] == "Shandong"
    assert certificate_facets(w.index, [wanted])[wanted]["region"] == "Jiangsu"
