"""The CSV reader: line numbers of records (also multi-line ones), encodings, structure errors."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from certbridge.graph.tables import ErrorLog, read_table


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_line_numbers_count_physical_lines_of_multiline_records(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,note\na,"two\nlines"\nb,one\n\nc,after a blank line\n')
    log = ErrorLog()
    table = read_table(path, ["id", "note"], log)
    assert not log
    assert [(row.values["id"], row.line) for row in table] == [("a", 2), ("b", 4), ("c", 6)]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    log = ErrorLog()
    table = read_table(write(tmp_path, "id\nx\n", "utf-8-sig"), ["id"], log)
    assert not log and table.header == ["id"]


def test_empty_file(tmp_path: Path) -> None:
    log = ErrorLog()
    read_table(write(tmp_path, ""), ["id"], log)
    assert [str(e).split(": ", 1)[1] for e in log.errors] == ["-: the file is empty; it needs at least a header line"]


def test_duplicate_header(tmp_path: Path) -> None:
    log = ErrorLog()
    read_table(write(tmp_path, "id,id\n1,2\n"), ["id"], log)
    assert "names a column twice" in str(log.errors[0])


def test_bad_ids_are_refused(tmp_path: Path) -> None:
    log = ErrorLog()
    table = read_table(write(tmp_path, 'id\nok-1\n"has space"\n<bad>\n'), ["id"], log)
    assert list(table.unique_ids()) == ["ok-1"]
    assert [e.line for e in log.errors] == [3, 4]


# Bare "\r" is left out: editors disagree on whether it ends a line, so its line number has no one right answer.
CELL_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r"), max_size=12)


@given(st.lists(CELL_TEXT, min_size=1, max_size=8))
def test_any_cell_text_round_trips_with_the_line_its_record_starts_on(cells: list[str]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "value"])
    expected_lines = {}
    for i, cell in enumerate(cells):
        expected_lines[f"r{i}"] = buffer.getvalue().count("\n") + 1
        writer.writerow([f"r{i}", cell])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        log = ErrorLog()
        table = read_table(path, ["id", "value"], log)
    assert not log.errors
    written = {f"r{i}": cell for i, cell in enumerate(cells)}
    for row in table:
        assert row.values["value"] == written[row.values["id"]]
        assert row.line == expected_lines[row.values["id"]]
    blank = {key for key, cell in written.items() if not cell.strip()}
    assert {row.values["id"] for row in table} | blank == set(written)
