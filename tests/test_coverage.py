"""Coverage and what-if: counts of ordered pairs connected by formal recognition, before and after hypotheses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from helpers.data import Cli
from helpers.routing_world import ID, World, region
from helpers.serving import serving

from certbridge.graph.errors import DataError
from certbridge.graph.routing.coverage import coverage, read_hypothetical, what_if

DAY = date(2024, 1, 1)
HEADER = (
    "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
    "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\n"
)


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


def test_coverage_counts_ordered_pairs_of_different_issuers_same_or_higher_grade(world: World) -> None:
    table = coverage(world.index, by="region", as_of=DAY)
    # (a,b), (b,a), (a,c): c is lower than a; (c,a) is excluded (lower grade), (b,c) and (c,b) share an issuer
    assert table.total.pairs == 3 and table.total.covered == 0


def test_one_way_agreement_covers_one_direction(world: World) -> None:
    world.agreement("g", direction="one-way", recognising=(region("320000"),), recognised=(region("370000"),))
    table = coverage(world.index, by="region", as_of=DAY)
    assert table.cells[("Shandong", "Jiangsu")].covered == 2  # a→b, and a→b→c by dominance inside gov
    assert table.cells[("Jiangsu", "Shandong")].covered == 0
    assert coverage(world.index, by="issuer-kind", as_of=DAY).total.covered == 2


def test_what_if_lists_the_pairs_it_would_connect_and_writes_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "H1,mutual,region:370000;region:320000,,,6-04,,,,2023-01-01,\n", encoding="utf-8")
    hypotheses = read_hypothetical(path, world.index)
    before, after = what_if(world.index, hypotheses, as_of=DAY)
    assert before.total.covered == 0 and after.total.covered == 3
    assert set(after.newly_connected) == {
        (f"{ID}certificate-type/{a}", f"{ID}certificate-type/{b}") for a, b in (("a", "b"), ("b", "a"), ("a", "c"))
    }
    assert not any("hypothetical" in iri for iri in world.index.agreements)
    assert coverage(world.index, as_of=DAY).total.covered == 0


def test_bad_hypothesis_names_file_and_line(world: World, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "H1,mutual,region:999999,,,,,,,2023-01-01,\nH2,sideways,,,,,,,,,\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_hypothetical(path, world.index)
    text = str(error.value)
    assert "h.csv:2: party_refs: unknown party 'region:999999'" in text
    assert "h.csv:3: direction:" in text and "h.csv:3: valid_from: is required but empty" in text


def test_a_hypothesis_states_its_direction_as_agreements_csv_does(world: World, tmp_path: Path) -> None:
    """The same direction rule as agreements.csv (convert/agreements.py ``direction_defects``): only a one-way
    agreement names the two sides, and it names both."""
    path = tmp_path / "h.csv"
    rows = (
        "H1,mutual,region:370000,region:320000,region:370000,,,,,2023-01-01,\n"
        "H2,one-way,,region:320000,,,,,,2023-01-01,\n"
    )
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_hypothetical(path, world.index)
    text = str(error.value)
    assert "h.csv:2: direction: only a one-way agreement names recognising and recognised parties" in text
    assert "h.csv:3: direction: a one-way agreement needs recognising_refs and recognised_refs" in text


def test_unknown_grouping(world: World) -> None:
    with pytest.raises(ValueError, match="unknown grouping"):
        coverage(world.index, by="planet")


@pytest.mark.slow
def test_coverage_and_what_if_cli(real_store: Path, cli: Cli, tmp_path: Path) -> None:
    result = cli("coverage", "--store", real_store, "--as-of", "2024-01-01", "--json")
    assert result.exit_code == 0
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "H1,mutual,region:130000;region:320000,,,6-04,,,,2023-01-01,\n", encoding="utf-8")
    result = cli("what-if", path, "--store", real_store, "--as-of", "2024-01-01")
    assert result.exit_code == 0 and "newly connected" in result.stdout


def test_the_web_service_takes_the_index_as_a_dependency_a_test_can_override(world: World, tmp_path: Path) -> None:
    """GET /api/v1/coverage answers from whatever index ``index_of`` gives: here a world built in the test, over
    a store location that holds nothing (without the override the same request is the 'no store' problem)."""
    from certbridge.api.app import create_app
    from certbridge.api.settings import Settings
    from certbridge.api.state import index_of

    settings = Settings(tmp_path / "nothing-built")
    app = create_app(settings)
    with serving(settings, app=app) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/api/v1/coverage", params={"by": "region"}).status_code == 503
        app.dependency_overrides[index_of] = lambda: world.index
        answer = client.get("/api/v1/coverage", params={"by": "region", "as_of": DAY.isoformat()})
    assert answer.status_code == 200, answer.text
    assert answer.json() == coverage(world.index, by="region", as_of=DAY).to_json()
