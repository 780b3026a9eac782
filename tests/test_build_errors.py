"""Broken tables: every defect named by file, line and column; exit code 2; the old store untouched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers.data import FIXTURES, Cli
from rdflib import URIRef

from certbridge.graph import load_queue as load_queue_module
from certbridge.graph.build import build
from certbridge.graph.convert import sink as sink_module
from certbridge.graph.iris import BUILD_GRAPH, INFERRED_GRAPH, named_graph
from certbridge.graph.load_queue import LoadQueue
from certbridge.graph.routing.index import index_for
from certbridge.graph.store import CACHE_DIR, PARTIAL_SUFFIX, new_version_name, open_store

INVALID = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())
PROBE = "SELECT ?c ?label WHERE { ?c a cb:CertificateType ; rdfs:label ?label } ORDER BY ?c ?label"


def apply_defect(defect: Path, data: Path) -> None:
    for table in defect.glob("*.csv"):
        shutil.copy(table, data / table.name)


@pytest.mark.parametrize("defect", INVALID, ids=lambda p: p.name)
def test_defect_is_reported_with_file_and_line(defect: Path, mini_data: Path, tmp_path: Path, cli: Cli) -> None:
    store = tmp_path / "store"
    assert cli("build", "--quiet", "--data", mini_data, "--store", store).exit_code == 0
    before = cli("query", "--store", store, "--format", "csv", PROBE).stdout
    version_before = os.readlink(store / "current")

    apply_defect(defect, mini_data)
    result = cli("build", "--quiet", "--data", mini_data, "--store", store)

    assert result.exit_code == 2, result.output
    for expected in (defect / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert expected in result.stderr, f"{expected!r} not in:\n{result.stderr}"
    assert os.readlink(store / "current") == version_before
    assert cli("query", "--store", store, "--format", "csv", PROBE).stdout == before
    assert not list(store.glob("*.partial")), "a failed build must not leave a partial version behind"


def test_every_defect_is_listed_not_just_the_first(mini_data: Path, tmp_path: Path, cli: Cli) -> None:
    for defect in ("certificate-unknown-grade", "agreement-without-source", "regions-missing-field"):
        apply_defect(FIXTURES / "invalid" / defect, mini_data)
    result = cli("build", "--quiet", "--data", mini_data, "--store", tmp_path / "store")
    assert result.exit_code == 2
    for table in ("certificate_types.csv", "agreements.csv", "regions.csv"):
        assert f"{table}:" in result.stderr
    assert not (tmp_path / "store" / "current").exists()


def test_missing_table_is_an_error(mini_data: Path, tmp_path: Path, cli: Cli) -> None:
    (mini_data / "sanctions.csv").unlink()
    result = cli("build", "--quiet", "--data", mini_data, "--store", tmp_path / "store")
    assert result.exit_code == 2
    assert "sanctions.csv:0: -: cannot read the table" in result.stderr


def test_store_location_holding_other_files_is_refused(mini_data: Path, tmp_path: Path, cli: Cli) -> None:
    foreign = tmp_path / "not-a-store"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    result = cli("build", "--quiet", "--data", mini_data, "--store", foreign)
    assert result.exit_code == 2
    assert "holds no certbridge store" in result.stderr
    assert (foreign / "precious.txt").read_text() == "keep me"


def test_rebuild_swaps_version_and_keeps_one_previous(mini_data: Path, tmp_path: Path, cli: Cli) -> None:
    store = tmp_path / "store"
    versions = []
    for _ in range(3):
        assert cli("build", "--quiet", "--data", mini_data, "--store", store).exit_code == 0
        versions.append(os.readlink(store / "current"))
    assert len(set(versions)) == 3
    kept = sorted(p.name for p in store.iterdir() if p.name.startswith("v-"))
    assert kept == sorted(versions[-2:])


def test_a_build_failing_after_indexing_leaves_the_current_version_and_no_cache_of_its_own(
    mini_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The routing index is cached while the disk load finishes, before the version is complete: a failure
    after that (here, storing the inferred graph) removes the cache along with the version."""
    store = tmp_path / "store"
    build(mini_data, store)
    before = os.readlink(store / "current")
    cached = sorted(p.name for p in (store / CACHE_DIR).iterdir())
    assert cached == [f"{before}.context.pickle", f"{before}.routing.pickle"]

    real_load = load_queue_module.bulk_load

    def broken(target: ox.Store, graphs: list[tuple[URIRef, bytes | Path]], **options: bool) -> None:
        if graphs[0][0] == INFERRED_GRAPH:
            raise OSError("disk full (simulated)")
        real_load(target, graphs, **options)

    monkeypatch.setattr(load_queue_module, "bulk_load", broken)
    with pytest.raises(OSError, match="simulated"):
        build(mini_data, store)
    assert os.readlink(store / "current") == before
    assert sorted(p.name for p in (store / CACHE_DIR).iterdir()) == cached
    assert sorted(p.name for p in store.iterdir() if p.name.startswith("v-")) == [before]
    assert index_for(store).certificates  # the version readers see still routes, from its own cache


def test_pruning_keeps_the_cached_index_of_a_build_still_running(mini_data: Path, tmp_path: Path) -> None:
    """Another build's pruning must not delete the index a running build has cached ahead of its swap."""
    store = tmp_path / "store"
    build(mini_data, store)
    # a partial directory named after another live process (this one's parent), as a running build's is
    running = f"{new_version_name().rsplit('-', 1)[0]}-{os.getppid()}"
    (store / f"{running}{PARTIAL_SUFFIX}").mkdir()
    cache = store / CACHE_DIR / f"{running}.routing.pickle"
    cache.write_bytes(b"ahead of the swap")
    gone = store / CACHE_DIR / "v-20000101T000000000000Z-1.routing.pickle"
    gone.write_bytes(b"of a version that is no more")
    build(mini_data, store)  # prunes on swapping its own version in
    assert cache.exists()
    assert not gone.exists()


def _quads(store: Path) -> tuple[set[str], int]:
    """The store's quads but the build record's (which names the version and the time), and how many quads
    name a blank node (the ontology's lists: their labels change from build to build)."""
    quads = [str(quad) for quad in open_store(store) if quad.graph_name != ox.NamedNode(str(BUILD_GRAPH))]
    named = {quad for quad in quads if "_:" not in quad}
    return named, len(quads) - len(named)


def test_tables_loaded_to_disk_in_chunks_give_the_same_store(
    mini_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(mini_data, tmp_path / "whole")
    monkeypatch.setattr(sink_module, "CHUNK_TRIPLES", 97)
    handed: list[URIRef] = []
    real_load = LoadQueue.load

    def load(queue: LoadQueue, graph: URIRef, source: bytes | Path) -> None:
        handed.append(graph)
        real_load(queue, graph, source)

    monkeypatch.setattr(LoadQueue, "load", load)
    build(mini_data, tmp_path / "chunked")
    assert handed.count(named_graph("certificate_types")) > 1  # some tables did go in chunks
    assert _quads(tmp_path / "chunked") == _quads(tmp_path / "whole")


def test_a_defect_found_after_chunks_were_loaded_leaves_the_store_as_it_was(
    mini_data: Path, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    build(mini_data, store)
    before, quads = os.readlink(store / "current"), _quads(store)
    monkeypatch.setattr(sink_module, "CHUNK_TRIPLES", 50)
    apply_defect(FIXTURES / "invalid" / "agreement-without-source", mini_data)  # the last table converted
    result = cli("build", "--quiet", "--data", mini_data, "--store", store)
    assert result.exit_code == 2 and "agreements.csv:" in result.stderr
    assert os.readlink(store / "current") == before
    assert _quads(store) == quads
    assert not list(store.glob("*.partial"))
