"""Writes: new rows for a table, applied by building the next store version from the tables plus the rows.

Why a rebuild rather than patching triples: everything that depends on a row (its checks against the
other tables, the SHACL shapes, the inferred recognition edges and the routing index) is derived
by the one build pipeline, so a write is validated and re-derived exactly like the tables were, and
the version swap makes it atomic: readers see the old version or the new one, never half a write.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import store as stores
from .build import BuildResult, build
from .changes import Changeset, append, new_changeset
from .convert import TABLES, convert_tables, table_files
from .errors import CertbridgeError, DataError, TableError
from .progress import Progress, silent
from .tables import ErrorLog, decode, split_records


@dataclass(frozen=True, slots=True)
class NewRows:
    """Rows to add to one table; ``lines`` numbers them for error messages (file lines, or item indexes)."""

    table: str
    rows: Sequence[Mapping[str, str]]
    origin: Path
    lines: Sequence[int]


def read_rows(path: Path, table: str | None = None, *, content: bytes | None = None) -> NewRows:
    """Read a CSV file of new rows for *table*, else for the table the file is named after (``agreements.csv``).

    With *content*, those bytes are read, and *path* only names them in the defects. Every defect of the
    file's structure is reported (each row with another number of fields than the header, by its line).
    """
    table = table or _table_named_by(path)
    log = ErrorLog()
    if content is None:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise DataError([TableError(path, 0, "-", f"cannot read the file: {exc.strerror or exc}")]) from None
    text = decode(content, path, log)
    header, records = split_records(text, path, log) if text is not None else (None, [])
    if log:
        raise DataError(log.errors)
    if header is None or not records:
        raise DataError([TableError(path, 1, "-", "the file has no rows to add")])
    return NewRows(table, [values for _, values in records], path, [line for line, _ in records])


def _table_named_by(path: Path) -> str:
    for candidate in (path.stem, path.stem.rsplit(".", 1)[-1]):
        if candidate in TABLES:
            return candidate
    raise CertbridgeError(
        f"cannot tell which table {path.name} adds to",
        hint=f"name the file after the table (e.g. agreements.csv) or pass --table; tables: {', '.join(TABLES)}",
    )


@dataclass(frozen=True, slots=True)
class Written:
    """What a write made: the new version, and the changeset logged for it."""

    result: BuildResult
    changeset: Changeset


def add_rows(
    store: stores.GraphStore | stores.Location,
    new: NewRows,
    *,
    writer: str,
    note: str,
    progress: Progress = silent,
) -> Written:
    """Validate *new* with everything already stored and build the next version, or raise and change nothing.

    The rows go into a copy of the current version's tables, and a changeset (*writer*, *note*, the rows) into the
    copy's changes log; the new version keeps both (graph/changes.py). Raises CertbridgeError (no writer or no
    note), DataError (every defect, numbered by ``new.lines`` for the new rows), ShapeViolations or StoreError.
    """
    if new.table not in TABLES:
        raise CertbridgeError(f"{new.table!r} is not a table", hint=f"tables: {', '.join(TABLES)}")
    graph_store = stores.as_store(store)
    graph_store.tables()  # no store there: say so before creating anything
    with graph_store.write_lock():
        current = graph_store.tables()  # again under the lock: another writer may have swapped versions
        changeset = new_changeset(table=new.table, rows=new.rows, writer=writer, note=note, based_on=current.name)
        with tempfile.TemporaryDirectory(prefix="certbridge-write-") as folder:
            work = Path(folder)
            for source in table_files(current):
                (work / source.name).write_bytes(source.read_bytes())
            target = work / f"{new.table}.csv"
            first_lines, unknown = _append(target, new)

            def renumbered(errors: list[TableError]) -> list[TableError]:
                return [_renumber(error, target, first_lines, new) for error in errors]

            if unknown:  # the rows cannot be written as given; still report all their other defects
                raise DataError([*unknown, *renumbered(_defects(work))])
            append(work, changeset)
            try:
                return Written(build(work, graph_store, progress=progress), changeset)
            except DataError as exc:
                raise DataError(renumbered(exc.errors)) from None


def export_tables(store: stores.GraphStore | stores.Location, target: Path) -> list[Path]:
    """Write the current version's tables (every change included) and its changes log into *target*, to edit and
    build from; refuse a folder that already holds tables (nothing there is overwritten)."""
    graph_store = stores.as_store(store)
    sources = table_files(graph_store.tables())
    clashes = [source.name for source in sources if (target / source.name).exists()]
    if clashes:
        raise CertbridgeError(
            f"{target} already holds {', '.join(clashes[:3])}", hint="export into a new or empty folder"
        )
    target.mkdir(parents=True, exist_ok=True)
    for source in sources:
        (target / source.name).write_bytes(source.read_bytes())
    return [target / source.name for source in sources]


def _defects(data_dir: Path) -> list[TableError]:
    """Every table defect under *data_dir*, without building anything."""
    try:
        sinks = convert_tables(data_dir)
    except DataError as exc:
        return exc.errors
    for sink in sinks.values():
        sink.close()
    return []


def _append(target: Path, new: NewRows) -> tuple[list[int], list[TableError]]:
    """Append the rows under the table's header; return the line each appended row starts on, and unknown columns."""
    with target.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    unknown = [
        TableError(new.origin, line, column, f"is not a column of {new.table}; its columns are {', '.join(header)}")
        for row, line in zip(new.rows, new.lines, strict=True)
        for column in row
        if column not in header
    ]
    text = target.read_text(encoding="utf-8-sig")
    if text and not text.endswith("\n"):
        text += "\r\n"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([[str(row.get(column) or "") for column in header] for row in new.rows])
    target.write_text(text + buffer.getvalue(), encoding="utf-8")
    reader = csv.reader(io.StringIO(text + buffer.getvalue(), newline=""))
    starts: list[int] = []
    start = 1
    for _ in reader:
        starts.append(start)
        start = reader.line_num + 1
    return starts[len(starts) - len(new.rows) :], unknown


def _renumber(error: TableError, target: Path, first_lines: list[int], new: NewRows) -> TableError:
    """Report a defect of an appended row against the new rows' own numbering."""
    if error.path != target or error.line not in first_lines:
        return error

    def where(match: re.Match[str]) -> str:
        line = int(match[1])
        return "(also in this write)" if line in first_lines else f"(already stored: {target.name} line {line})"

    message = re.sub(r"\(first on line (\d+)\)", where, error.message)
    return TableError(new.origin, new.lines[first_lines.index(error.line)], error.column, message)
