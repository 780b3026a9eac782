"""The demonstrations on the shipped data, through the engine, the CLI and the JSON bytes the API sends."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from helpers.data import Cli
from helpers.routing_world import ID, kinds_of

from certbridge.graph.routing import find_routes
from certbridge.graph.routing.index import index_for

# --- the demonstration on the real + illustrative data --------------------------------------------

HENGFENG = f"{ID}certificate-type/IL-CT-hengfeng-spinner-senior-technician"
STATE = f"{ID}certificate-type/IL-CT-js-hrss-spinner-senior-technician"


@pytest.mark.slow
def test_demo_enterprise_certificate_where_a_state_one_is_required(real_store: Path) -> None:
    answer = find_routes(real_store, HENGFENG, STATE, as_of=date(2024, 1, 1))
    assert kinds_of(answer)[:2] == [("formal-recognition", 1), ("same-qualification", 1)]
    formal = answer.routes[0].hops[0]
    assert formal.evidence.iri.endswith("agreement/IL-AG01") and formal.evidence.illustrative
    assert formal.derivation == "inferred" and formal.evidence.rule.endswith("rule/mutual-agreement")
    assert answer.routes[0].illustrative
    same = answer.routes[1].hops[0]
    assert same.evidence.iri.endswith("qualification/6-04-02-01/senior-technician/6-04-02-01-2019")
    assert any(source.iri.endswith("SRC-STD-VOCED") for source in same.evidence.sources)


@pytest.mark.slow
def test_demo_before_the_enterprise_was_authorised(real_store: Path) -> None:
    answer = find_routes(real_store, HENGFENG, STATE, as_of=date(2021, 3, 1))
    assert not answer.routes and "no authorisation in force" in answer.no_route.reason


@pytest.mark.slow
def test_route_cli(real_store: Path, cli: Cli) -> None:
    found = cli("route", "--store", real_store, "--as-of", "2024-01-01", "恒丰 高级技师", "江苏 高级技师")
    assert found.exit_code == 0, found.output
    assert "正式认可 / formal recognition" in found.stdout and "ILLUSTRATIVE" in found.stdout
    as_json = cli("route", "--store", real_store, "--as-of", "2024-01-01", "--json", HENGFENG, STATE)
    assert json.loads(as_json.stdout)["routes"][0]["strength"] == "formal-recognition"
    none = cli("route", "--store", real_store, "--as-of", "2021-03-01", HENGFENG, STATE)
    assert none.exit_code == 1 and "no route" in none.stdout
    ambiguous = cli("route", "--store", real_store, "纺纱工", STATE)
    assert ambiguous.exit_code == 2 and "matches" in ambiguous.stderr
    bad_kind = cli("route", "--store", real_store, "--kinds", "teleport", HENGFENG, STATE)
    assert bad_kind.exit_code == 2 and "unknown hop kind" in bad_kind.stderr
    assert index_for(real_store).certificates  # the index was cached on disk
    assert list((real_store / "cache").glob("*.routing.pickle"))


def test_json_bytes_equal_the_json_shape(mini_store: Path) -> None:
    """The REST API serialises answers with orjson straight from the records: the same JSON as ``to_json``."""
    index = index_for(mini_store)
    certificates = sorted(index.certificates)
    checked = 0
    for source in certificates:
        for target in certificates:
            for day in (date(2021, 1, 1), date(2025, 1, 1)):
                answer = find_routes(index, source, target, as_of=day)
                assert json.loads(answer.to_json_bytes()) == answer.to_json()
                checked += bool(answer.routes)
    assert checked > 0, "some of the pairs have routes"
