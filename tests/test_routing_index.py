"""The routing index's parts: its records pickle whole, each query file is used, and the names shown come from the
ontology."""

from __future__ import annotations

import pickle
import re
from dataclasses import fields
from datetime import date
from importlib.resources import files

import networkx as nx
import pytest

from certbridge.graph.choices import ConditionKind, HopKind
from certbridge.graph.dates import PartialDate
from certbridge.graph.routing import load
from certbridge.graph.routing.graphs import GraphOptions
from certbridge.graph.routing.records import Certificate, Issuer, QualityCheck, RoutingIndex, Sanction
from certbridge.graph.vocabulary import concept_names, hop_kind_name

QUERIES = sorted(path.name.removesuffix(".rq") for path in (files(load.__package__) / "queries").iterdir())


def test_a_certificate_type_pickles_with_every_field() -> None:
    """Certificate pickles through its own ``__reduce__`` (for speed): a field added and not listed there would be
    lost or shifted."""
    values = {f.name: f"{f.name}-value" for f in fields(Certificate)} | {"illustrative": True, "synthetic": True}
    cert = Certificate(**values)
    assert pickle.loads(pickle.dumps(cert, protocol=pickle.HIGHEST_PROTOCOL)) == cert


def test_an_index_pickles_without_what_was_derived_from_it() -> None:
    index = RoutingIndex()
    when = PartialDate.parse("2024-05")
    index.issuers["i"] = Issuer(
        iri="i",
        label_zh="甲",
        label_en="A",
        kind="vocational-school",
        sanctions=(Sanction(when, "lax-checks", "suspended"),),
        checks=(QualityCheck(when, "fail"),),
    )
    built: nx.DiGraph[str] = nx.DiGraph()
    built.graph["size"] = 0
    index.derived.graphs[("certificates", GraphOptions("6-04-02-01", date(2026, 1, 1), tuple(HopKind)))] = built
    copy = pickle.loads(pickle.dumps(index))
    assert copy == index and not copy.derived.graphs and copy.derived.search is None


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_file_is_read_and_filled(name: str) -> None:
    text = load.query(name)
    assert not re.search(r"\{\{\w+\}\}", text), "a placeholder was left unfilled"
    assert f'"{name}"' in (files(load.__package__) / "load.py").read_text(), f"{name}.rq is never run"


def test_every_hop_kind_and_condition_kind_has_its_names_in_the_ontology() -> None:
    assert set(concept_names("hop-kind")) == set(HopKind)
    assert set(concept_names("condition-kind")) == set(ConditionKind)
    assert hop_kind_name(HopKind.GRADE_DOMINANCE) == ("等级覆盖", "grade dominance")
