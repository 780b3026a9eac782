"""Conditional recognition: an agreement's conditions (what the holder must still do) travel with every hop through
it, into the route's union, the JSON, the CLI text and the REST answer; unconditional queries leave such hops out."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import httpx
import pytest
from helpers.data import MINI_DATA, Cli
from helpers.routing_world import GRADES, ID, World, brute_force_routes, region
from helpers.serving import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

import certbridge.visualize
from certbridge.api.route_text import render
from certbridge.api.settings import Settings
from certbridge.graph.build import build
from certbridge.graph.choices import CONDITION_KINDS
from certbridge.graph.query import select
from certbridge.graph.routing import HOP_KINDS, find_routes
from certbridge.graph.store import open_store
from certbridge.graph.vocabulary import concept_names
from certbridge.ontology import VOC, VOCABULARIES_FILE
from certbridge.visualize.views import route_view

DAY = date(2024, 1, 1)
A, B = f"{ID}certificate-type/a", f"{ID}certificate-type/b"


@pytest.fixture
def world() -> World:
    w = World()
    w.issuer("ent", kind="authorised-enterprise", region_code="370000", bank="own")
    w.issuer("gov", region_code="320000")
    w.cert("a", "ent", "senior-technician", qualification=None)
    w.cert("b", "gov", "senior-technician", qualification=None)
    return w


def test_a_hop_through_a_conditional_agreement_carries_its_condition(world: World) -> None:
    world.agreement(
        "g",
        direction="one-way",
        recognising=(region("320000"),),
        recognised=(region("370000"),),
        conditions=("examination",),
    )
    answer = find_routes(world.index, A, B, as_of=DAY)
    [route] = answer.routes
    assert [c.kind for c in route.hops[0].evidence.conditions] == ["examination"]
    shape = answer.to_json()
    assert shape["unconditional"] is False
    assert shape["routes"][0]["conditions"] == [
        {"kind": "examination", "text": "examination (g)", "agreement": f"{ID}agreement/g"}
    ]
    assert shape["routes"][0]["steps"][0]["evidence"]["conditions"] == shape["routes"][0]["conditions"]
    text = render(answer)
    assert "有条件 / conditional" in text and "condition / 条件: 考试 / examination: examination (g)" in text


def test_unconditional_leaves_the_conditional_agreement_out_or_finds_another(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")), conditions=("examination", "residence"))
    assert find_routes(world.index, A, B, as_of=DAY).routes
    gone = find_routes(world.index, A, B, as_of=DAY, unconditional=True)
    assert not gone.routes and gone.no_route is not None and gone.unconditional
    assert "unconditional recognition only" in render(gone)
    world.agreement("h", parties=(region("320000"), region("370000")))
    world.index.derived.drop_graphs()  # graphs are cached per index, and the index changed
    other = find_routes(world.index, A, B, as_of=DAY, unconditional=True)
    assert [hop.evidence.iri for hop in other.routes[0].hops] == [f"{ID}agreement/h"]
    assert other.routes[0].conditions == () and other.to_json()["routes"][0]["conditions"] == []


def test_a_route_lists_the_union_of_its_hops_conditions() -> None:
    w = World()
    for name, code in (("x", "110000"), ("y", "120000"), ("z", "130000")):
        w.issuer(name, region_code=code)
        w.cert(name, name, "senior", qualification=None)
    w.agreement("xy", parties=(region("110000"), region("120000")), conditions=("examination",))
    w.agreement("yz", parties=(region("120000"), region("130000")), conditions=("examination", "residence"))
    [route] = find_routes(w.index, f"{ID}certificate-type/x", f"{ID}certificate-type/z", as_of=DAY).routes
    assert [(c.kind, c.agreement.rsplit("/", 1)[-1]) for c in route.conditions] == [
        ("examination", "xy"),
        ("examination", "yz"),
        ("residence", "yz"),
    ]


REGIONS = ["110000", "120000", "130000"]


@st.composite
def conditional_worlds(draw: st.DrawFn) -> World:
    w = World()
    issuers = draw(st.integers(2, 4))
    for i in range(issuers):
        w.issuer(f"i{i}", region_code=draw(st.sampled_from(REGIONS)))
    for c in range(draw(st.integers(2, 6))):
        w.cert(
            f"c{c}",
            f"i{draw(st.integers(0, issuers - 1))}",
            draw(st.sampled_from(GRADES[2:])),
            qualification=draw(st.sampled_from([None, "q1"])),
        )
    for g in range(draw(st.integers(1, 4))):
        a, b = draw(st.lists(st.sampled_from(REGIONS), min_size=2, max_size=2, unique=True))
        conditions = draw(st.sampled_from([(), (), ("examination",), ("comprehensive-review", "residence")]))
        if draw(st.booleans()):
            w.agreement(f"g{g}", parties=(region(a), region(b)), conditions=conditions)
        else:
            w.agreement(
                f"g{g}", direction="one-way", recognising=(region(a),), recognised=(region(b),), conditions=conditions
            )
    return w


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditional_worlds(), st.integers(0, 5), st.integers(0, 5), st.sets(st.sampled_from(HOP_KINDS[:3]), min_size=1))
def test_unconditional_answers_never_contain_a_conditional_hop(world: World, i: int, j: int, kinds: set) -> None:
    certs = sorted(world.index.certificates)
    source, target = certs[i % len(certs)], certs[j % len(certs)]
    answer = find_routes(world.index, source, target, as_of=DAY, kinds=kinds, max_hops=4, unconditional=True)
    for route in answer.routes:
        assert route.conditions == ()
        assert all(
            not world.index.agreements[hop.evidence.iri].conditions
            for hop in route.hops
            if hop.evidence.iri in world.index.agreements
        )
    expected = brute_force_routes(world.index, source, target, DAY, 4, kinds, unconditional=True)
    assert bool(answer.routes) == any(True for _ in expected)


# --- a store built from the tables: the conversion, the CLI and the REST answer ------------------------

HENGFENG = f"{ID}certificate-type/IL-CT-hengfeng-spinner-senior-technician"
STATE = f"{ID}certificate-type/IL-CT-js-hrss-spinner-senior-technician"
STATED = "须参加理论知识考试（示例）"


@pytest.fixture(scope="module")
def conditional_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini data with the illustrative Shandong–Jiangsu agreement IL-AG01 requiring an examination."""
    data = tmp_path_factory.mktemp("conditional") / "data"
    shutil.copytree(MINI_DATA, data)
    path = data / "agreements.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["requires"], row["requires_as_stated"] = ("examination", STATED) if row["id"] == "IL-AG01" else ("", "")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    location = tmp_path_factory.mktemp("conditional-store") / "store"
    build(data, location)
    return location


def test_the_condition_is_in_the_store(conditional_store: Path) -> None:
    rows = list(
        select(
            open_store(conditional_store),
            """SELECT ?a ?kind ?text WHERE { ?a cb:hasCondition ?c . ?c a cb:RecognitionCondition ;
               cb:conditionKind ?kind ; cb:condition ?text }""",
        )
    )
    assert [(r["a"], r["kind"], str(r["text"])) for r in rows] == [
        ("agreement:IL-AG01", "voc:condition-kind-examination", f"{STATED}@zh")
    ]


def test_cli_shows_the_condition_and_unconditional_finds_another_route(conditional_store: Path, cli: Cli) -> None:
    found = cli(
        "route", "--store", conditional_store, "--as-of", "2024-01-01", "--kinds", "formal-recognition", HENGFENG, STATE
    )
    assert found.exit_code == 0, found.output
    assert f"condition / 条件: 考试 / examination: {STATED}" in found.stdout
    as_json = json.loads(
        cli("route", "--store", conditional_store, "--as-of", "2024-01-01", "--json", HENGFENG, STATE).stdout
    )
    formal = [r for r in as_json["routes"] if r["strength"] == "formal-recognition"]
    assert formal and formal[0]["conditions"][0]["kind"] == "examination"
    strict = cli(
        "route", "--store", conditional_store, "--as-of", "2024-01-01", "--unconditional", "--json", HENGFENG, STATE
    )
    answer = json.loads(strict.stdout)
    assert answer["unconditional"] is True
    assert answer["routes"], "the same national standard still links the two"
    assert all(not route["conditions"] for route in answer["routes"])
    assert all(step["kind"] != "formal-recognition" for route in answer["routes"] for step in route["steps"])
    only_formal = cli(
        "route",
        "--store",
        conditional_store,
        "--as-of",
        "2024-01-01",
        "--unconditional",
        "--kinds",
        "formal-recognition",
        HENGFENG,
        STATE,
    )
    assert only_formal.exit_code == 1 and "unconditional recognition only" in only_formal.stdout


def test_rest_unconditional(conditional_store: Path) -> None:
    with serving(Settings(conditional_store)) as url:
        params = {"from": HENGFENG, "to": STATE, "as_of": "2024-01-01", "kinds": "formal-recognition"}
        plain = httpx.get(f"{url}/api/v1/routes", params=params, timeout=20)
        assert plain.status_code == 200 and plain.json()["routes"][0]["conditions"][0]["text"] == STATED
        strict = httpx.get(f"{url}/api/v1/routes", params={**params, "unconditional": "true"}, timeout=20)
        assert strict.status_code == 200 and strict.json()["found"] is False and strict.json()["unconditional"]
        bad = httpx.get(f"{url}/api/v1/routes", params={**params, "unconditional": "perhaps"}, timeout=20)
        assert 400 <= bad.status_code < 500


def test_route_view_marks_the_conditional_hop_and_lists_its_condition(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")), conditions=("examination",))
    view = route_view(find_routes(world.index, A, B, as_of=DAY))
    [edge] = view.edges
    assert "（有条件）" in edge.label_zh and "(conditional)" in edge.label_en and "有条件" not in edge.label_en
    assert edge.details["evidence"]["conditions"][0]["kind"] == "examination"


def test_derived_recognitions_keep_their_agreements_conditions(conditional_store: Path) -> None:
    """The README's query: each recognition derived from IL-AG01 reaches its condition through the agreement link."""
    store = open_store(conditional_store)
    derived = list(
        select(
            store,
            """SELECT ?from ?to ?kind ?text WHERE { GRAPH cbg:inferred {
               ?d rdf:subject ?from ; rdf:object ?to ; prov:wasDerivedFrom agreement:IL-AG01 } agreement:IL-AG01
               cb:hasCondition ?c . ?c cb:conditionKind ?kind ; cb:condition ?text }""",
        )
    )
    assert derived and {(r["kind"], str(r["text"])) for r in derived} == {
        ("voc:condition-kind-examination", f"{STATED}@zh")
    }
    unconditional = list(
        select(
            store,
            """SELECT ?d WHERE { GRAPH cbg:inferred { ?d prov:wasDerivedFrom ?a } ?a cb:hasCondition ?c
               FILTER (?a != agreement:IL-AG01) }""",
        )
    )
    assert not unconditional


def test_the_condition_kinds_have_one_set_of_names_from_the_ontology() -> None:
    """The text answer, the route view and the ontology's vocabulary name each kind alike: one source, the
    vocabulary's prefLabels; and every kind the tables accept has a name in both languages."""
    vocabulary = Graph().parse(VOCABULARIES_FILE)
    from_ontology = {
        str(vocabulary.value(c, SKOS.notation)): {
            label.language: str(label) for label in vocabulary.objects(c, SKOS.prefLabel) if isinstance(label, Literal)
        }
        for c in vocabulary.subjects(SKOS.inScheme, VOC["condition-kind"])
    }
    assert set(from_ontology) == set(CONDITION_KINDS)
    expected = {kind: (names["zh"], names["en"]) for kind, names in from_ontology.items()}
    assert concept_names("condition-kind") == expected
    assert concept_names("condition-kind")["examination"] == ("考试", "examination")
    assert concept_names("condition-kind")["comprehensive-review"] == ("综合评审", "comprehensive review")
    assert concept_names("condition-kind")["residence"] == ("居住", "residence")


def test_the_route_view_names_conditions_in_the_shown_language(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")), conditions=("examination",))
    answer = find_routes(world.index, A, B, as_of=DAY)
    assert answer.routes
    view = route_view(answer)
    assert view.data["condition_names"] == concept_names("condition-kind")
    script = (Path(certbridge.visualize.__file__).parent / "static" / "view.js").read_text(encoding="utf-8")
    assert "conditionName(c.kind)" in script and "escape(c.kind)" not in script
    text = render(find_routes(world.index, A, B, as_of=DAY))
    assert "考试 / examination" in text
