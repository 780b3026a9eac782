"""The in-memory store loaded through a pipe while the tables are converted (graph/streaming.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import SKOS

from certbridge.graph.convert import convert_tables
from certbridge.graph.errors import DataError, StoreError
from certbridge.graph.streaming import StreamingLoad
from conftest import MINI_DATA

LINE = '<urn:x:s{n}> <urn:x:p> "text {n}"@zh <urn:x:g{g}> .\n'


def _loaders() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "certbridge-memory-loader"]


def test_everything_written_is_in_the_store() -> None:
    with StreamingLoad() as loading:
        for n in range(50_000):  # far more than a pipe holds: the loader reads while this writes
            loading.writer.write(LINE.format(n=n, g=n % 3))
        store = loading.finish()
    assert len(store) == 50_000
    assert len(list(store.named_graphs())) == 3
    assert (
        ox.Quad(
            ox.NamedNode("urn:x:s7"),
            ox.NamedNode("urn:x:p"),
            ox.Literal("text 7", language="zh"),
            ox.NamedNode("urn:x:g1"),
        )
        in store
    )
    assert not _loaders()


def test_an_error_while_writing_leaves_no_loader_and_no_pipe() -> None:
    with pytest.raises(DataError), StreamingLoad() as loading:
        loading.writer.write(LINE.format(n=1, g=1))
        folder = Path(loading._folder.name)
        raise DataError([])
    assert not _loaders()
    assert not folder.exists()


def test_a_failing_loader_is_reported_not_hidden() -> None:
    with pytest.raises(StoreError, match="loading the converted tables into memory failed"), StreamingLoad() as loading:
        loading.writer.write("this is not N-Quads\n")
        loading.finish()
    assert not _loaders()


def test_a_loader_that_stops_reading_is_named_instead_of_a_broken_pipe() -> None:
    with pytest.raises(StoreError, match="into memory failed"), StreamingLoad() as loading:
        loading.writer.write("not N-Quads\n")
        for n in range(200_000):  # the loader stopped at the first line: the pipe breaks
            loading.writer.write(LINE.format(n=n, g=0))
    assert not _loaders()


def test_the_mirror_gets_every_converted_triple_but_the_skipped_predicates(tmp_path: Path) -> None:
    """What the embedded build's in-memory store is loaded with: each table's triples in its own graph."""
    skipped = SKOS.prefLabel.n3()
    mirror = tmp_path / "mirror.nq"
    with mirror.open("w", encoding="utf-8") as stream:
        sinks = convert_tables(MINI_DATA, mirror=stream, mirror_skips={"*": frozenset({skipped})})
    try:
        expected = ox.Store()
        for sink in sinks.values():
            expected.bulk_load(
                path=str(sink.path()), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(sink.identifier)
            )
        got = ox.Store()
        got.bulk_load(path=str(mirror), format=ox.RdfFormat.N_QUADS)
        kept = {q for q in expected if str(q.predicate) != skipped}
        assert len(kept) < len(expected)
        assert set(got) == kept
    finally:
        for sink in sinks.values():
            sink.close()
