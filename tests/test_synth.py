"""The synthetic generator: deterministic, marked synthetic in the data and the graph, and buildable."""

from __future__ import annotations

import csv
import filecmp
from pathlib import Path

import pytest
from helpers.data import Cli

from certbridge.data import DATA_DIR
from certbridge.graph.build import build
from certbridge.graph.query import select
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.index import index_for
from certbridge.graph.store import open_store
from certbridge.graph.synth import GENERATED, SYNTHETIC_SOURCE, synthesise


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_same_seed_same_tables_other_seed_other_tables(tmp_path: Path) -> None:
    a, b, c = (tmp_path / name for name in "abc")
    synthesise(DATA_DIR, a, issuers=300, seed=7)
    synthesise(DATA_DIR, b, issuers=300, seed=7)
    synthesise(DATA_DIR, c, issuers=300, seed=8)
    for table in GENERATED:
        assert filecmp.cmp(a / f"{table}.csv", b / f"{table}.csv", shallow=False), table
    assert not filecmp.cmp(a / "certificate_types.csv", c / "certificate_types.csv", shallow=False)


def test_shape_of_the_synthetic_data(tmp_path: Path) -> None:
    summary = synthesise(DATA_DIR, tmp_path, issuers=1000, seed=1)
    organisations = [r for r in rows(tmp_path, "organisations") if r["source_ids"] == SYNTHETIC_SOURCE]
    assert len(organisations) == summary.issuers == 1000
    assert {r["kind"] for r in organisations} == {
        "government-hr-authority",
        "authorised-enterprise",
        "social-training-evaluation-organisation",
        "industry-association",
        "vocational-school",
    }
    assert 10 <= summary.certificate_types / summary.issuers <= 20
    agreements = [r for r in rows(tmp_path, "agreements") if r["source_ids"] == SYNTHETIC_SOURCE]
    assert len(agreements) == 1000 // 200
    real = rows(DATA_DIR, "certificate_types")
    assert rows(tmp_path, "certificate_types")[: len(real)] == real, "real and illustrative rows are kept"
    assert all(r["source_ids"] == SYNTHETIC_SOURCE for r in rows(tmp_path, "certificate_types")[len(real) :])


@pytest.mark.slow
def test_synthetic_records_are_marked_in_the_graph(tmp_path: Path, cli: Cli) -> None:
    result = cli("synth", "--issuers", "40", "--seed", "3", "--out", tmp_path / "data")
    assert result.exit_code == 0 and "40 issuers" in result.stdout
    build(tmp_path / "data", tmp_path / "store")
    store = open_store(tmp_path / "store")
    unmarked = list(
        select(
            store, "SELECT ?c WHERE { ?c dcterms:source src:SRC-SYNTHETIC FILTER NOT EXISTS { ?c cb:synthetic true } }"
        )
    )
    assert unmarked == []
    labels = [
        r["l"]
        for r in select(
            store,
            """SELECT ?l WHERE { ?c a cb:CertificateType ; cb:synthetic true ;
        rdfs:label ?l FILTER (LANG(?l) = "en") }""",
        )
    ]
    assert labels and all("SYNTHETIC" in label for label in labels)
    index = index_for(tmp_path / "store")
    occupation = next(
        code for code, certs in index.by_occupation.items() if sum(index.certificates[c].synthetic for c in certs) >= 2
    )
    a, b = [c for c in index.by_occupation[occupation] if index.certificates[c].synthetic][:2]
    answer = find_routes(index, a, b, exclude_sanctioned=False)
    assert answer.source.synthetic and answer.target.synthetic
    assert all(route.synthetic for route in answer.routes)


@pytest.mark.slow
def test_large_tables_are_validated_on_a_sample_whose_references_are_typed(tmp_path: Path) -> None:
    from rdflib import URIRef

    from certbridge.graph.build import load_ontology
    from certbridge.graph.convert import convert_tables
    from certbridge.graph.convert.sink import validation_data
    from certbridge.graph.validate import validate_graphs
    from certbridge.ontology import CB

    synthesise(DATA_DIR, tmp_path / "data", issuers=400, seed=2)  # certificate types above SAMPLE_SUBJECTS
    sinks = convert_tables(tmp_path / "data")
    try:
        assert not sinks["certificate_types"].complete and sinks["occupations"].complete
        graphs, focus = validation_data(list(sinks.values()))
        assert focus is not None and len(focus) < sum(len(s.types) for s in sinks.values())
        assert validate_graphs([load_ontology(), *graphs], focus_nodes=focus).conforms
        sampled = next(s for s in focus if "/certificate-type/SYN-" in str(s))
        graphs[0].add((sampled, CB.issuedBy, URIRef("https://w3id.org/certbridge/id/organisation/SYN-O000001")))
        graphs[0].add((sampled, CB.issuedBy, URIRef("https://w3id.org/certbridge/id/organisation/SYN-O000002")))
        assert not validate_graphs([load_ontology(), *graphs], focus_nodes=focus).conforms
    finally:
        for sink in sinks.values():
            sink.close()
