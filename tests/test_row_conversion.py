"""Rows converted alone against a version's conversion context (graph/convert/rows.py) and checked by SHACL with what
they name (graph/row_delta.py): each table's declaration of what its rows add to the context is what its converter
adds, and a record the shapes reject through what it names in the store is rejected."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers.data import MINI_DATA
from rdflib import Graph, Literal, URIRef

from certbridge.graph import iris
from certbridge.graph.build import build
from certbridge.graph.convert import convert_context
from certbridge.graph.convert.retirements import COLUMNS as RETIREMENT_COLUMNS
from certbridge.graph.convert.rows import ROW_SCOPES, Summary, convert_rows
from certbridge.graph.errors import ShapeViolations
from certbridge.graph.iris import named_graph
from certbridge.graph.row_delta import _validate
from certbridge.graph.store import store_at
from certbridge.graph.synth import synthesise
from certbridge.graph.tables import row_key
from certbridge.ontology import CB


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rows")
    synthesise(MINI_DATA, folder, issuers=3, seed=7)
    retired = [
        ("agreements", records(folder, "agreements")[0]["id"]),
        ("sanctions", records(folder, "sanctions")[0]["id"]),
    ]
    with (folder / "retirements.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RETIREMENT_COLUMNS)
        for number, (table, key) in enumerate(retired, start=1):
            writer.writerow([f"RT-{number}", table, key, "2026-01-01", "day", "a test", "yes", "SRC-ILLUSTRATIVE", ""])
    return folder


@pytest.fixture(scope="module")
def summary(data: Path) -> Summary:
    ctx = convert_context(data)
    for sink in ctx.graphs.values():
        sink.close()
    return Summary.of(ctx)


def records(data: Path, table: str) -> list[dict[str, str]]:
    with (data / f"{table}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def grown(before: Summary, after: Summary) -> tuple[set[str], set[str], bool]:
    """The kinds, facts and whether the labels *after* differs in from *before*."""
    kinds = {kind for kind in after.known.keys() | before.known.keys() if after.known[kind] != before.known[kind]}
    facts = {name for name in after.facts.keys() | before.facts.keys() if after.facts[name] != before.facts[name]}
    return kinds, facts, after.labels != before.labels


@pytest.mark.parametrize("table", sorted(ROW_SCOPES))
def test_a_tables_rows_add_to_the_context_what_it_declares_and_no_more(
    data: Path, summary: Summary, table: str
) -> None:
    scope = ROW_SCOPES[table]
    rows = records(data, table)
    assert rows, f"the world has rows of {table}"
    for row in rows:
        key = row_key(table, row)
        forgotten = copy.deepcopy(summary)
        forgotten.forget(table, [key])
        taken = grown(forgotten, summary)
        assert taken[0] <= set(scope.kinds) and taken[1] <= set(scope.facts), "forgets only what it declares"
        left = [name for name, facts in forgotten.facts.items() if key in facts or key in facts.values()]
        assert not left, f"{table} {key}: facts still name it once forgotten: {left}"
        assert iris.record(scope.kinds[0], key) not in forgotten.labels, f"{table} {key}: still labelled once forgotten"
        converted = copy.deepcopy(forgotten)
        result = convert_rows(converted, table, [row], named=Path(f"{table}.csv"), lines=[2])
        assert result.errors == [], result.errors
        assert result.quads, "the row states triples"
        kinds, facts, labels = grown(forgotten, converted)
        assert kinds <= set(scope.kinds), f"{table} {key} adds ids of undeclared kinds {kinds - set(scope.kinds)}"
        assert facts <= set(scope.facts), f"{table} {key} adds undeclared facts {facts - set(scope.facts)}"
        assert scope.labelled or not labels, f"{table} {key} labels a record"
        assert (dict(converted.known), dict(converted.facts), converted.labels) == (
            dict(summary.known),
            dict(summary.facts),
            summary.labels,
        ), f"{table} {key}: forgotten and converted again, the context is the whole conversion's"


def test_shacl_reads_what_the_rows_name_from_the_store(data: Path, tmp_path: Path) -> None:
    """A certificate type following a standard for another occupation: only the standard's triples in the store say
    so (the shape's SPARQL constraint reads them), and the record is rejected; following its own, it is not."""
    build(data, tmp_path / "store")
    _, current = store_at(tmp_path / "store").snapshot()
    assert isinstance(current, ox.Store)
    graph = ox.NamedNode(str(named_graph("certificate_types")))
    follows = ox.NamedNode(str(CB.followsStandard))
    quad = next(iter(current.quads_for_pattern(None, follows, None, graph)))
    certificate, standard = quad.subject, quad.object
    for_occupation = ox.NamedNode(str(CB.forOccupation))
    (own,) = [q.object for q in current.quads_for_pattern(standard, for_occupation, None)]
    other = next(q.subject for q in current.quads_for_pattern(None, for_occupation, None) if q.object != own)

    def record(following: ox.NamedNode) -> Graph:
        rows = Graph()
        for q in current.quads_for_pattern(certificate, None, None, graph):
            value = following if q.predicate == follows else q.object
            term = (
                URIRef(value.value)
                if isinstance(value, ox.NamedNode)
                else Literal(value.value, lang=value.language)
                if isinstance(value, ox.Literal) and value.language
                else Literal(value.value, datatype=URIRef(value.datatype.value))
            )
            rows.add((URIRef(certificate.value), URIRef(q.predicate.value), term))
        return rows

    _validate(current, record(standard))  # as stored: conforms
    assert isinstance(other, ox.NamedNode)
    with pytest.raises(ShapeViolations):
        _validate(current, record(other))
