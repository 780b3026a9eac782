"""`certbridge export --format sssom`: every alignment of the graph as an SSSOM mapping set that the `sssom`
package parses strictly and validates, and that reads back into the same mappings."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from helpers.data import MINI_DATA, Cli
from hypothesis import given, settings
from hypothesis import strategies as st
from sssom.constants import SchemaValidationType
from sssom.parsers import parse_sssom_table
from sssom.validators import validate

from certbridge.graph.build import build
from certbridge.graph.errors import DataError
from certbridge.graph.formats.sssom import (
    CURIE_MAP,
    SEMAPV,
    SKOS,
    Justification,
    Mapping,
    alignment_rows,
    mappings,
    read_sssom,
    write_sssom,
)
from certbridge.graph.store import open_store

#: every validator sssom 0.4.21 implements (its SHACL and SPARQL ones raise NotImplementedError)
VALIDATIONS = [
    SchemaValidationType.JsonSchema,
    SchemaValidationType.PrefixMapCompleteness,
    SchemaValidationType.StrictCurieFormat,
]


def export(cli: Cli, store: Path, out: Path) -> Path:
    result = cli("export", "--store", store, "--format", "sssom", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def problems(path: Path, caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the sssom package finds: its parser's warnings (a metadata key outside the standard, an undefined
    prefix) and every report of its validators (JSON schema, prefix map, CURIE format).

    Not ``strict=True``: sssom 0.4.21 inverts that check and refuses files whose metadata is all standard."""
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        msdf = parse_sssom_table(path)
        reports = validate(msdf, VALIDATIONS, fail_on_error=False)
    found = [f"{kind}: {result}" for kind, report in reports.items() for result in report.results]
    return found + [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_export_is_valid_sssom(cli: Cli, mini_store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = export(cli, mini_store, tmp_path / "mini.sssom.tsv")
    assert problems(path, caplog) == []
    assert len(parse_sssom_table(path).df) == len(mappings(open_store(mini_store)))


@pytest.mark.parametrize(
    "old,new",
    [
        ("semapv:ManualMappingCuration", "semapv:Guesswork"),
        ("grade:senior\t", "nowhere:senior\t"),
        ("#license:", "#licence:"),
    ],
    ids=["justification", "prefix", "metadata-key"],
)
def test_validation_can_fail(
    cli: Cli, mini_store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, old: str, new: str
) -> None:
    """The same checks find a justification outside SEMAPV, a prefix missing from the curie_map, a key outside the
    standard."""
    text = export(cli, mini_store, tmp_path / "mini.sssom.tsv").read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert problems(broken, caplog)


def test_every_alignment_with_what_the_data_says(mini_store: Path) -> None:
    found = mappings(open_store(mini_store))
    bridges = [m for m in found if any("/bridge/" in link for link in m.see_also)]
    assert len(bridges) == 9  # B1-B8, B8 to two grades
    assert {m.predicate_id for m in bridges} == {SKOS + "relatedMatch"}  # a bridge is no equivalence
    assert {m.predicate_label for m in bridges} == {
        "may_apply_for",
        "treated_as_equivalent_for_title_application",
        "simplified_application",
        "regarded_as_reaching",
    }
    eqf = {m.object_id for m in found if m.object_id.startswith("http://data.europa.eu/snb/eqf/")}
    assert eqf == {f"http://data.europa.eu/snb/eqf/{n}" for n in range(1, 9)}
    isco = [m for m in found if m.object_id.startswith(CURIE_MAP["escoisco"])]
    assert len(isco) == 8 and {m.mapping_justification for m in isco} == {Justification.UNSPECIFIED}
    senior = next(m for m in bridges if m.subject_id.endswith("/grade/senior"))
    assert senior.mapping_provider.startswith("http") and senior.comment.startswith("trust: ")
    assert any("/source/" in link for link in senior.see_also)


def test_an_alignments_row_keeps_its_skos_predicate(mini_data: Path, tmp_path: Path) -> None:
    with (mini_data / "alignments.csv").open("a", encoding="utf-8") as table:
        table.write("A1,grade:senior,framework-level:EQF-4,closeMatch,SRC-EQF,low,a test row\n")
    build(mini_data, tmp_path / "store")
    found = mappings(open_store(tmp_path / "store"))
    row = next(m for m in found if any(link.endswith("/alignment/A1") for link in m.see_also))
    assert (row.predicate_id, row.predicate_label) == (SKOS + "closeMatch", "")
    assert row.object_id.endswith("/framework-level/EQF-4")


def test_graph_to_sssom_to_records_is_the_same(cli: Cli, mini_store: Path, tmp_path: Path) -> None:
    path = export(cli, mini_store, tmp_path / "mini.sssom.tsv")
    assert read_sssom(path) == mappings(open_store(mini_store))


_local = st.text(alphabet="abcdefghij-0123456789", min_size=1, max_size=12)
_text = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="|"), max_size=20) | st.just(
    "行\u2028分隔"
)
_ids = st.builds(lambda prefix, local: CURIE_MAP[prefix] + local, st.sampled_from(sorted(CURIE_MAP)), _local)
_mapping = st.builds(
    Mapping,
    subject_id=_ids,
    predicate_id=st.sampled_from([SKOS + name for name in ("exactMatch", "closeMatch", "broadMatch", "relatedMatch")]),
    object_id=_ids | st.just("https://example.org/elsewhere#x"),
    mapping_justification=st.sampled_from(list(Justification)),
    subject_label=_text,
    object_label=_text,
    predicate_label=_text,
    see_also=st.lists(_ids, max_size=3).map(tuple),
    comment=_text,
)


@settings(max_examples=60, deadline=None)
@given(found=st.lists(_mapping, max_size=6))
def test_any_mapping_set_reads_back(found: list[Mapping], tmp_path_factory: pytest.TempPathFactory) -> None:
    out = io.StringIO()
    write_sssom(found, out)
    path = tmp_path_factory.mktemp("sssom") / "any.sssom.tsv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert read_sssom(path) == found


def test_a_row_without_its_required_cells_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(
        "#curie_map:\n#  skos: " + SKOS + "\n#mapping_set_id: https://example.org/x\n"
        "subject_id\tpredicate_id\tobject_id\tmapping_justification\n"
        "skos:a\tskos:exactMatch\t\tsemapv:ManualMappingCuration\n"
        "skos:a\tskos:exactMatch\tskos:b\tsemapv:Guesswork\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        read_sssom(path)
    assert [(e.line, e.column) for e in caught.value.errors] == [(5, "object_id"), (6, "mapping_justification")]
    assert SEMAPV + "Guesswork" in caught.value.message


@pytest.mark.slow
def test_the_real_mappings_are_valid_sssom(
    cli: Cli, real_store: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = export(cli, real_store, tmp_path / "real.sssom.tsv")
    assert problems(path, caplog) == []
    assert read_sssom(path) == mappings(open_store(real_store))


ALIGNMENT = {
    "id": "A1",
    "from_ref": "grade:senior",
    "to_ref": "framework-level:EQF-4",
    "relation": "closeMatch",
    "source_ids": "SRC-EQF",
    "trust": "low",
    "note": "a test row; not a real alignment",
}


def test_import_sssom_gives_back_the_alignments_row(
    cli: Cli, mini_data: Path, mini_store: Path, tmp_path: Path
) -> None:
    """graph -> SSSOM -> alignments.csv row: the row it came from; bridges and outside links are left."""
    with (mini_data / "alignments.csv").open("a", encoding="utf-8") as table:
        table.write(",".join(f'"{value}"' for value in ALIGNMENT.values()) + "\n")
    build(mini_data, tmp_path / "with-a1")
    path = export(cli, tmp_path / "with-a1", tmp_path / "with-a1.sssom.tsv")
    new, others = alignment_rows(path)
    assert [dict(row) for row in new.rows] == [ALIGNMENT]
    assert others == len(mappings(open_store(mini_store)))
    store = tmp_path / "fresh"
    build(MINI_DATA, store)
    result = cli("import", "--store", store, "--format", "sssom", path, "--note", "SSSOM round trip")
    assert result.exit_code == 0, result.output
    assert "added 1 row(s) to alignments" in result.stdout
    assert [m for m in mappings(open_store(store)) if any("/alignment/" in link for link in m.see_also)] == [
        m for m in mappings(open_store(tmp_path / "with-a1")) if any("/alignment/" in link for link in m.see_also)
    ]


def test_import_sssom_without_alignments_is_refused(cli: Cli, mini_store: Path, tmp_path: Path) -> None:
    path = export(cli, mini_store, tmp_path / "mini.sssom.tsv")
    result = cli("import", "--store", mini_store, "--format", "sssom", path, "--note", "SSSOM import")
    assert result.exit_code == 2 and "nothing to add to alignments" in result.stderr


def test_import_unknown_format_is_refused(cli: Cli, mini_store: Path, tmp_path: Path) -> None:
    result = cli("import", "--store", mini_store, "--format", "xlsx", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "unknown import format" in result.stderr
