"""Converted triples as N-Triples lines (graph/convert/sink.py): any cell text, multi-line ones included."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers.data import MINI_DATA, Cli
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS, SKOS, XSD

from certbridge.graph.convert import convert_tables
from certbridge.graph.convert import sink as sink_module
from certbridge.graph.convert.sink import TripleSink, literal_nt

#: any text a CSV cell can hold (lone surrogates cannot be written as UTF-8 at all)
CELL_TEXT = st.text(st.characters(blacklist_categories=["Cs"]))
SUBJECT, PREDICATE = "<urn:x:s>", "<urn:x:p>"


def parse_object(line: str) -> ox.Literal:
    (triple,) = ox.parse(line.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert isinstance(triple.object, ox.Literal)
    return triple.object


@given(CELL_TEXT, st.sampled_from([None, "zh", "en", "zh-latn"]))
def test_a_literal_reads_back_as_the_same_text_and_language(text: str, lang: str | None) -> None:
    literal = parse_object(f"{SUBJECT} {PREDICATE} {literal_nt(text, lang)} .\n")
    assert literal == ox.Literal(text, language=lang) if lang else ox.Literal(text)


@given(CELL_TEXT)
def test_a_typed_literal_keeps_its_datatype(text: str) -> None:
    literal = parse_object(f"{SUBJECT} {PREDICATE} {literal_nt(text, datatype=str(XSD.token))} .\n")
    assert literal == ox.Literal(text, datatype=ox.NamedNode(str(XSD.token)))


def test_literals_spanning_lines_are_written_as_one_line_each(tmp_path: Path) -> None:
    """rdflib's n3() writes such a literal between triple quotes, which N-Triples refuses."""
    sink = TripleSink(URIRef("urn:x:g"), folder=tmp_path)
    subject = URIRef("urn:x:s")
    sink.add((subject, RDFS.comment, Literal('two\nlines, a "quote" and a \\ backslash\r\n', lang="en")))
    sink.add_text(subject, RDFS.label, "第一行\n第二行", lang="zh")
    try:
        store = ox.Store()
        store.bulk_load(path=str(sink.path()), format=ox.RdfFormat.N_TRIPLES)
        assert {str(q.object.value) for q in store} == {
            'two\nlines, a "quote" and a \\ backslash\r\n',
            "第一行\n第二行",
        }
        # the SHACL sample holds the same literals as rdflib terms
        assert set(sink.sample.objects(subject, RDFS.label)) == {Literal("第一行\n第二行", lang="zh")}
        assert len(sink) == 2
    finally:
        sink.close()


def test_a_note_spanning_lines_is_stored_as_written(mini_data: Path, tmp_path: Path, cli: Cli) -> None:
    table = mini_data / "certificate_types.csv"
    with table.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    rows[0]["note"] = 'first line\nsecond line with a "quote"'
    with table.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    store = tmp_path / "store"
    result = cli("build", "--quiet", "--data", mini_data, "--store", store)
    assert result.exit_code == 0, result.output
    query = f"SELECT ?note WHERE {{ cert:{rows[0]['id']} cb:note ?note }}"
    answer = cli("query", "--store", store, "--format", "json", query)
    notes = [binding["note"]["value"] for binding in json.loads(answer.stdout)["results"]["bindings"]]
    assert notes == ['first line\nsecond line with a "quote"']


def test_the_chunks_handed_over_hold_every_triple_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_module, "CHUNK_TRIPLES", 7)
    handed: list[tuple[URIRef, Path]] = []
    graph = URIRef("urn:x:g")
    sink = TripleSink(
        graph, folder=tmp_path, chunks=lambda identifier, path, for_memory: handed.append((identifier, path))
    )
    for n in range(30):
        sink.add_text(URIRef(f"urn:x:s{n}"), RDFS.label, f"label {n}", lang="en")
    assert [identifier for identifier, _ in handed] == [graph] * 4  # after triples 7, 14, 21 and 28
    sink.finish()
    assert len(handed) == 5  # and the last two triples once the table is complete
    files = [path for _, path in handed]
    lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(lines) == sorted(f'<urn:x:s{n}> {RDFS.label.n3()} "label {n}"@en .' for n in range(30))
    sink.close()
    assert not any(path.exists() for path in files)


def test_the_in_memory_store_gets_every_converted_triple_but_the_skipped_predicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the embedded build's two stores are loaded with: each table's triples in its own graph, all of them
    on disk, all but the skipped predicates' in memory."""
    monkeypatch.setattr(sink_module, "CHUNK_TRIPLES", 101)
    skipped = SKOS.prefLabel.n3()
    whole = convert_tables(MINI_DATA)
    chunks: list[tuple[URIRef, Path, bool]] = []
    chunked = convert_tables(
        MINI_DATA, chunks=lambda *chunk: chunks.append(chunk), split_predicates={"*": frozenset({skipped})}
    )
    try:
        expected, on_disk, in_memory = ox.Store(), ox.Store(), ox.Store()
        for sink in whole.values():
            expected.bulk_load(
                path=str(sink.path()), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(sink.identifier)
            )
        for identifier, path, for_memory in chunks:
            for store in (on_disk, in_memory) if for_memory else (on_disk,):
                store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(identifier))
        assert len(chunks) > len(chunked)  # some tables came in more than one chunk
        assert set(on_disk) == set(expected)
        kept = {quad for quad in expected if str(quad.predicate) != skipped}
        assert len(kept) < len(expected)
        assert set(in_memory) == kept
    finally:
        for sink in [*whole.values(), *chunked.values()]:
            sink.close()
