"""Route queries, one test per rule of the engine (on small worlds built in the test)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from helpers.routing_world import ID, OCCUPATION, World, brute_force_routes, kinds_of, region, three_issuers

from certbridge.graph.errors import Ambiguous, NotFound
from certbridge.graph.routing import HOP_KINDS, find_routes, graphs
from certbridge.graph.routing.graphs import GraphOptions
from certbridge.graph.routing.model import STRENGTH
from certbridge.graph.routing.resolve import resolve
from certbridge.graph.routing.rules import QualityBar

DAY = date(2024, 1, 1)
FORMAL = ["formal-recognition"]


@pytest.fixture
def world() -> World:
    return three_issuers()


def test_one_way_agreement_is_not_used_backwards(world: World) -> None:
    world.agreement("g", direction="one-way", recognising=(region("320000"),), recognised=(region("370000"),))
    forward = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY, kinds=FORMAL)
    backward = find_routes(world.index, f"{ID}certificate-type/b", f"{ID}certificate-type/a", as_of=DAY, kinds=FORMAL)
    assert kinds_of(forward) == [("formal-recognition", 1)]
    assert forward.routes[0].hops[0].evidence.iri == f"{ID}agreement/g"
    assert not backward.routes and backward.no_route is not None


def test_mutual_agreement_works_both_ways(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")))
    for a, b in (("a", "b"), ("b", "a")):
        answer = find_routes(
            world.index, f"{ID}certificate-type/{a}", f"{ID}certificate-type/{b}", as_of=DAY, kinds=FORMAL
        )
        assert kinds_of(answer) == [("formal-recognition", 1)]


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "status", "in_force"),
    [
        ("2020-01-01", "2023-12-31", "signed", False),  # expired
        ("2024-06-01", None, "signed", False),  # not yet valid
        ("2024-01", None, "signed", False),  # month precision: counted from 2024-01-31 only
        ("2023-12", None, "signed", True),
        ("2020", "2024", "signed", False),  # ends "2024": counted only until 2024-01-01... inclusive below
        (None, None, "signed", False),  # start unknown: never counted
        ("2020-01-01", None, "planned", False),
        ("2020-01-01", None, "expired", False),  # expired with no end date: not counted
    ],
)
def test_validity_dates_are_honoured_conservatively(world: World, valid_from, valid_to, status, in_force) -> None:
    world.agreement(
        "g", parties=(region("320000"), region("370000")), valid_from=valid_from, valid_to=valid_to, status=status
    )
    day = DAY if valid_to != "2024" else date(2024, 1, 2)
    answer = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=day, kinds=FORMAL)
    assert bool(answer.routes) is in_force


def test_cooperation_only_agreement_is_ignored(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")), recognises=False)
    assert not find_routes(
        world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY, kinds=FORMAL
    ).routes


def test_dominance_only_downwards(world: World) -> None:
    down = find_routes(
        world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/c", as_of=DAY, kinds=["grade-dominance"]
    )
    up = find_routes(
        world.index, f"{ID}certificate-type/c", f"{ID}certificate-type/a", as_of=DAY, kinds=["grade-dominance"]
    )
    assert kinds_of(down) == [("grade-dominance", 1)]
    assert not up.routes


def test_same_qualification_needs_the_same_standard(world: World) -> None:
    same = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY)
    other = find_routes(
        world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/d", as_of=DAY, kinds=["same-qualification"]
    )
    assert kinds_of(same) == [("same-qualification", 1)]
    assert not other.routes


def test_cross_system_bridge_only_where_sourced(world: World) -> None:
    engineer = f"{ID}credential/engineer"
    assert not find_routes(world.index, f"{ID}certificate-type/a", engineer, as_of=DAY).routes
    world.bridge("technician")
    world.index.derived.drop_graphs()  # an index is immutable once built; this test changed it: drop its graphs
    answer = find_routes(world.index, f"{ID}certificate-type/a", engineer, as_of=DAY)
    assert kinds_of(answer)[0] == ("cross-system-bridge", 2)  # a covers c (dominance), c bridges to the title
    assert answer.routes[0].hops[-1].derivation == "asserted"


def test_no_route_through_a_sanctioned_issuer_after_its_sanction() -> None:
    w = World()
    w.issuer("x", region_code="370000")
    w.issuer("bad", region_code="320000", sanctioned="2023-06-15")
    w.issuer("y", region_code="320000")
    w.cert("x1", "x", "senior", qualification=None)
    w.cert("bad1", "bad", "senior", qualification="q")
    w.cert("y1", "y", "senior", qualification="q")
    w.agreement("g", direction="one-way", recognising=(f"{ID}organisation/bad",), recognised=(region("370000"),))
    args = (w.index, f"{ID}certificate-type/x1", f"{ID}certificate-type/y1")
    before = find_routes(*args, as_of=date(2023, 1, 1))
    after = find_routes(*args, as_of=date(2023, 7, 1))
    assert kinds_of(before) == [("same-qualification", 2)]
    assert not after.routes
    ignoring = find_routes(*args, as_of=date(2023, 7, 1), exclude_sanctioned=False)
    assert ignoring.routes and ignoring.routes[0].hops[0].quality[1].sanctions


def test_sanctioned_endpoint_is_explained() -> None:
    w = World()
    w.issuer("bad", sanctioned="2023-06")
    w.issuer("y")
    w.cert("bad1", "bad", "senior")
    w.cert("y1", "y", "senior")
    answer = find_routes(w.index, f"{ID}certificate-type/bad1", f"{ID}certificate-type/y1", as_of=date(2023, 6, 2))
    assert not answer.routes and "suspended on 2023-06" in answer.no_route.reason


@pytest.mark.parametrize(
    ("scope", "min_grade", "max_grade", "kinds", "routes"),
    [
        (("6-04",), None, None, (), True),
        (("6-05",), None, None, (), False),
        ((), "junior", "technician", (), False),
        ((), "senior", "senior-technician", (), True),
        ((), None, None, ("government-hr-authority",), False),  # the recognised side is an enterprise
        ((), None, None, ("authorised-enterprise",), True),
    ],
)
def test_scope_of_agreements(world: World, scope, min_grade, max_grade, kinds, routes) -> None:
    world.agreement(
        "g",
        parties=(region("320000"), region("370000")),
        scope=scope,
        min_grade=min_grade,
        max_grade=max_grade,
        kinds=kinds,
    )
    answer = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY, kinds=FORMAL)
    assert bool(answer.routes) is routes


def test_strongest_first_then_fewest_hops(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")))
    answer = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY, k=5)
    strengths = [(-STRENGTH[route.strength], len(route.hops)) for route in answer.routes]
    assert strengths == sorted(strengths)
    assert kinds_of(answer)[:2] == [("formal-recognition", 1), ("same-qualification", 1)]
    assert (
        len(find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY, k=1).routes) == 1
    )


def test_max_hops_is_respected(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")))
    args = (world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/c")  # needs a → (dominance) c: 1 hop
    assert kinds_of(find_routes(*args, as_of=DAY, max_hops=1)) == [("grade-dominance", 1)]
    two_hops = (world.index, f"{ID}certificate-type/b", f"{ID}certificate-type/c")  # b → a → c
    assert kinds_of(find_routes(*two_hops, as_of=DAY, max_hops=2))[0] == ("grade-dominance", 2)
    assert not find_routes(*two_hops, as_of=DAY, max_hops=1).routes


def test_quality_bar(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")))
    answer = find_routes(
        world.index,
        f"{ID}certificate-type/a",
        f"{ID}certificate-type/b",
        as_of=DAY,
        quality=QualityBar(national_question_bank=True),
    )
    assert not answer.routes and "question bank is own" in answer.no_route.reason


def test_failed_check_bar() -> None:
    w = World()
    w.issuer("x", checks=(("2023-10", "fail"),))
    w.issuer("y")
    w.cert("x1", "x", "senior")
    w.cert("y1", "y", "senior")
    args = (w.index, f"{ID}certificate-type/x1", f"{ID}certificate-type/y1")
    assert not find_routes(*args, as_of=DAY, quality=QualityBar(no_failed_check_years=2)).routes
    assert find_routes(*args, as_of=date(2027, 1, 1), quality=QualityBar(no_failed_check_years=2)).routes


def test_no_route_explains_what_each_side_reaches_and_the_missing_agreement(world: World) -> None:
    answer = find_routes(
        world.index,
        f"{ID}certificate-type/a",
        f"{ID}certificate-type/d",
        as_of=DAY,
        kinds=["formal-recognition", "grade-dominance"],
    )
    assert answer.no_route is not None
    assert [e.iri for e in answer.no_route.source_reaches] == [f"{ID}certificate-type/c"]
    assert "recognising" in answer.no_route.missing_agreement and "6-04-02-01" in answer.no_route.missing_agreement


def test_a_route_never_raises_the_grade(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")))
    world.cert("b2", "gov", "technician")
    upwards = find_routes(world.index, f"{ID}certificate-type/c", f"{ID}certificate-type/b", as_of=DAY)
    assert not upwards.routes
    assert "above the certificate's grade" in upwards.no_route.reason and upwards.no_route.missing_agreement is None
    # what each side reaches: c is recognised as b2 (technician); a is recognised as b (senior technician)
    assert [e.iri for e in upwards.no_route.source_reaches] == [f"{ID}certificate-type/b2"]
    assert f"{ID}certificate-type/a" in [e.iri for e in upwards.no_route.target_reached_from]
    downwards = find_routes(world.index, f"{ID}certificate-type/b", f"{ID}certificate-type/c", as_of=DAY)
    best = downwards.routes[0]
    assert (best.strength, len(best.hops)) == ("grade-dominance", 2)


def test_different_occupations_have_no_route(world: World) -> None:
    world.cert("e", "gov", "senior-technician", occupation="6-04-01-03")
    answer = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/e", as_of=DAY)
    assert "different occupations" in answer.no_route.reason


def test_unknown_hop_kind_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="unknown hop kind"):
        find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", kinds=["teleport"])


def test_json_shape_is_stable(world: World) -> None:
    world.agreement("g", parties=(region("320000"), region("370000")))
    body = find_routes(world.index, f"{ID}certificate-type/a", f"{ID}certificate-type/b", as_of=DAY).to_json()
    json.dumps(body)
    assert set(body) == {
        *("source", "target", "as_of", "kinds", "max_hops", "k", "routes", "no_route", "notes", "found"),
        "unconditional",
    }
    assert set(body["routes"][0]) == {"strength", "hops", "illustrative", "synthetic", "conditions", "steps"}
    step = body["routes"][0]["steps"][0]
    assert set(step) == {"source", "target", "kind", "direction", "evidence", "derivation", "quality"}
    evidence = {"iri", "kind", "sources", "document_number", "valid_from", "valid_to", "rule", "illustrative"}
    assert evidence | {"conditions"} <= set(step["evidence"])


def test_resolve_names(world: World) -> None:
    assert resolve(world.index, "a") == f"{ID}certificate-type/a"
    assert resolve(world.index, f"{ID}certificate-type/b") == f"{ID}certificate-type/b"
    assert resolve(world.index, "工程师") == f"{ID}credential/engineer"
    with pytest.raises(Ambiguous):
        resolve(world.index, "纺纱工")  # every certificate type of the occupation
    with pytest.raises(NotFound):
        resolve(world.index, "nothing like it")


def test_a_route_may_pass_two_interchangeable_certificate_types() -> None:
    """Two certificate types of one class (same grade, same hubs) are both on the only route when a dominance hop
    enters one and another leaves the other: the class graph keeps a class's two roles apart."""
    w = World()
    w.issuer("one")
    w.issuer("two")  # same kind and region as "one": their technician certificates are interchangeable
    a = w.cert("a", "one", "senior-technician", qualification="p")
    c1 = w.cert("c1", "one", "technician")
    c2 = w.cert("c2", "two", "technician")
    b = w.cert("b", "two", "senior", qualification="r")
    cg = graphs.class_graph(w.index, GraphOptions(OCCUPATION, DAY, HOP_KINDS))
    assert cg.class_of[c1] == cg.class_of[c2]
    answer = find_routes(w.index, a, b, as_of=DAY)
    assert kinds_of(answer) == [("grade-dominance", 3)]
    assert [(hop.kind, hop.target.iri) for hop in answer.routes[0].hops] == [
        ("grade-dominance", c1),
        ("same-qualification", c2),
        ("grade-dominance", b),
    ]
    assert max(brute_force_routes(w.index, a, b, DAY, 6, set(HOP_KINDS))) == (STRENGTH["grade-dominance"], 3)


def test_routes_through_a_class_name_its_members() -> None:
    """A route through a class of many certificate types is listed once per member, each a real route."""
    w = World()
    w.issuer("held", region_code="320000")
    w.issuer("wanted", region_code="370000")
    for n in range(5):
        w.issuer(f"middle{n}", region_code="130000")
        w.cert(f"m{n}", f"middle{n}", "senior", qualification="other")
    a = w.cert("a", "held", "senior", qualification="own")
    b = w.cert("b", "wanted", "senior", qualification="theirs")
    w.agreement("in", direction="one-way", recognising=(region("130000"),), recognised=(region("320000"),))
    w.agreement("out", direction="one-way", recognising=(region("370000"),), recognised=(region("130000"),))
    answer = find_routes(w.index, a, b, as_of=DAY, k=3)
    assert kinds_of(answer) == [("formal-recognition", 2)] * 3
    middles = [route.hops[0].target.iri for route in answer.routes]
    assert middles == sorted(middles) and len(set(middles)) == 3
    for route in answer.routes:
        assert [hop.evidence.iri.rsplit("/", 1)[-1] for hop in route.hops] == ["in", "out"]
