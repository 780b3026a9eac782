"""Writes: rows added to a table, fields of rows corrected, records retired; each applied to the next store version
under the store's write lock, and logged as a changeset with the tables the version corresponds to.

How a write is applied (``Written.applied``): on the embedded store, a change to a table whose rows convert alone
(convert/rows.py ``ROW_SCOPES``: agreements, organisations, authorisations, sanctions, quality checks, certificate
types, retirements) is *patched*: its rows, before and after, are converted and checked against the current
version's conversion context and validated by SHACL (row_delta.py), and the quads they add and remove are applied
to a copy of the current version with the inferred graph reasoned incrementally (patch.py); seconds, not a national
rebuild. Any other write is *rebuilt* from the tables plus the change by the one build pipeline: a change to the
tables other tables are checked against (sources, classifications, grades, standards ...), a correction of an
organisation's kind or names (authorisations, sanctions, checks and certificate types are checked against its being
an issuer, and certificate types are named after it), a store kept on a SPARQL server, and a version without its
conversion context (built before it was kept, or reasoned again). Either way the kept tables and the changes log go
with the new version, so a rebuild from them reproduces it (tests/test_incremental_writes.py checks that a patched
store equals the full build), and the version swap makes it atomic: readers see the old version or the new one.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS

from . import store as stores
from .build import BuildResult, build
from .changes import LOG_FILE, ChangeKind, Changeset, RowChange, append, check_signed, new_changeset
from .convert import TABLES, convert_tables, rows, table_files
from .convert.retirements import COLUMNS as RETIREMENT_COLUMNS
from .convert.retirements import RETIRABLE
from .convert.retirements import TABLE as RETIREMENTS
from .derived import UpdateElsewhere
from .errors import (
    CertbridgeError,
    Conflict,
    DataError,
    InvalidOption,
    NotFound,
    ShapeViolations,
    TableError,
    VersionMoved,
)
from .iris import BUILD_GRAPH
from .patch import Patched, patch
from .progress import Progress, silent
from .row_delta import row_delta
from .tables import ErrorLog, decode, key_columns, row_key, split_records


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


def read_corrections(path: Path, table: str, *, content: bytes | None = None) -> Corrections:
    """Read a CSV of corrections to *table*: the key column(s), then the columns to rewrite (an empty cell empties
    the field); each row is one correction, numbered by its line. Every defect of the file's structure is reported,
    and a header without the table's key column(s)."""
    new = read_rows(path, table, content=content)
    keys = key_columns(table)
    missing = [column for column in keys if column not in new.rows[0]]
    if missing:
        raise DataError(
            [
                TableError(path, 1, column, "the key column is missing: it names the row to correct")
                for column in missing
            ]
        )
    items = [
        (row_key(table, row), {column: value for column, value in row.items() if column not in keys})
        for row in new.rows
    ]
    return Corrections(table, items, path, list(new.lines))


def _table_named_by(path: Path) -> str:
    for candidate in (path.stem, path.stem.rsplit(".", 1)[-1]):
        if candidate in TABLES:
            return candidate
    raise CertbridgeError(
        f"cannot tell which table {path.name} adds to",
        hint=f"name the file after the table (e.g. agreements.csv) or pass --table; tables: {', '.join(TABLES)}",
    )


@dataclass(frozen=True, slots=True)
class Corrections:
    """New values for fields of existing rows of one table, each row found by its key (graph/tables.py
    ``row_key``); ``lines`` numbers them for error messages (file lines, or item indexes)."""

    table: str
    #: (key, column -> new value), one item per row corrected
    items: Sequence[tuple[str, Mapping[str, str]]]
    origin: Path
    lines: Sequence[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Retirement:
    """A record to retire from a day: a row of ``retirements.csv`` once written (graph/convert/retirements.py)."""

    table: str
    key: str
    retired_on: str
    reason: str
    source_ids: str
    date_precision: str = ""
    illustrative: bool = False
    note: str = ""
    #: what names the retirement in its defects (``arguments:1: retired_on: ...``; the API: its body)
    origin: Path = Path("arguments")
    line: int = 1


class Applied(StrEnum):
    """How a write was applied (see the module's docstring)."""

    #: the change's quads applied to a copy of the current version, reasoned incrementally
    PATCHED = "patched"
    #: the next version built from the tables plus the change
    REBUILT = "rebuilt"


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    """What a write made: the new version, how it was applied, and the changeset logged for it."""

    version: Path
    #: triples in the new version
    triples: int
    applied: Applied
    changeset: Changeset
    #: the build, when rebuilt
    result: BuildResult | None = None
    #: the patch, when patched (its derived data for the serving state)
    patched: Patched | None = None


_Renumbered = Callable[[list[TableError]], list[TableError]]
#: an edit of a write's working copy of the tables: the rows it touched, the line each starts on in the edited table,
#: and how to report the defects found in the edited table against what the writer gave (their own lines)
_Edit = Callable[[Path], tuple[list[RowChange], list[int], _Renumbered]]
#: corrections of these columns change what other tables' rows are checked against or named after: rebuilt
REBUILT_CORRECTIONS: dict[str, frozenset[str]] = {"organisations": frozenset({"kind", "name_zh", "name_en"})}


def add_rows(
    store: stores.GraphStore | stores.Location,
    new: NewRows,
    *,
    writer: str,
    note: str,
    based_on: str | None = None,
    progress: Progress = silent,
    elsewhere: UpdateElsewhere | None = None,
) -> Written:
    """Validate *new* with everything already stored and build the next version, or raise and change nothing.

    The rows go into a copy of the current version's tables, and a changeset (*writer*, *note*, the rows) into the
    copy's changes log; the new version keeps both (graph/changes.py). With *based_on* (a version name), the
    write is refused with VersionMoved unless that version is still current. Raises CertbridgeError (no writer or
    no note), DataError (every defect, numbered by ``new.lines`` for the new rows), ShapeViolations or StoreError.
    """
    _check_table(new.table)

    def edit(work: Path) -> tuple[list[RowChange], list[int], _Renumbered]:
        target = work / f"{new.table}.csv"
        first_lines, unknown = _append(target, new)

        def renumbered(errors: list[TableError]) -> list[TableError]:
            return [_renumber(error, target, first_lines, new.origin, new.lines) for error in errors]

        header = _header(target)
        rows = [{column: str(row.get(column) or "") for column in header} for row in new.rows]
        touched = [RowChange(key=row_key(new.table, row), before=None, after=row) for row in rows]
        if unknown:  # the rows cannot be written as given; still report all their other defects
            raise _Unwritable(unknown, touched, first_lines, renumbered)
        return touched, first_lines, renumbered

    return _write(store, ChangeKind.ADD, new.table, edit, writer, note, based_on, progress, elsewhere)


def correct_rows(
    store: stores.GraphStore | stores.Location,
    corrections: Corrections,
    *,
    writer: str,
    note: str,
    based_on: str | None = None,
    progress: Progress = silent,
    elsewhere: UpdateElsewhere | None = None,
) -> Written:
    """Rewrite fields of existing rows (found by key) in a copy of the current tables and build the next version
    from it, validated like a build; or raise and change nothing.

    Raises NotFound (a key no row has), DataError (a column the table lacks, a key column, a change that changes
    nothing, and every defect the corrected rows then have, numbered by ``corrections.lines``), VersionMoved, and
    what :func:`add_rows` raises.
    """
    table = corrections.table
    _check_table(table)
    if not corrections.items:
        raise CertbridgeError("the correction names no row", hint="name the row's key and --set COLUMN=VALUE")

    def edit(work: Path) -> tuple[list[RowChange], list[int], _Renumbered]:
        target = work / f"{table}.csv"
        text, header, records = _read_records(target) if target.is_file() else ("", [], [])  # an optional table
        by_key = {row_key(table, values): index for index, (_, _, values) in enumerate(records)}
        missing = [key for key, _ in corrections.items if key not in by_key]
        if missing:
            raise NotFound(
                f"no row of {table} has the key {', '.join(map(repr, missing))}",
                hint=f"the key of {table} is {' and '.join(key_columns(table))}; correct rows that exist",
            )
        keys = set(key_columns(table))
        problems: list[TableError] = []
        changed: dict[int, dict[str, str]] = {}
        for (key, values), line in zip(corrections.items, corrections.lines, strict=True):
            index = by_key[key]
            before = records[index][2]
            after = dict(changed.get(index, before))
            for column, value in values.items():
                if column not in header:
                    problems.append(
                        TableError(
                            corrections.origin,
                            line,
                            column,
                            f"is not a column of {table}; its columns are {', '.join(header)}",
                        )
                    )
                elif column in keys and value != before[column]:
                    problems.append(
                        TableError(
                            corrections.origin,
                            line,
                            column,
                            "is the row's key, which never changes (its IRI "
                            "must stay stable); add a new row and retire this one instead",
                        )
                    )
                else:
                    after[column] = value
            if after == before and not problems:
                problems.append(TableError(corrections.origin, line, "-", f"changes nothing in {table} {key}"))
            changed[index] = after  # a row corrected twice in one change: both corrections, one row changed
        touched = [
            RowChange(key=row_key(table, records[index][2]), before=dict(records[index][2]), after=after)
            for index, after in changed.items()
        ]
        starts = _rewrite(target, text, header, records, changed)

        def renumbered(errors: list[TableError]) -> list[TableError]:
            order = [by_key[key] for key, _ in corrections.items]
            lines = {starts[index]: corrections.lines[position] for position, index in enumerate(order)}
            return [
                TableError(corrections.origin, lines[error.line], error.column, error.message)
                if error.path == target and error.line in lines
                else error
                for error in errors
            ]

        lines = [starts[index] for index in changed]
        if problems:  # the corrections cannot be written as given; still report every other defect they bring
            raise _Unwritable(problems, touched, lines, renumbered)
        return touched, lines, renumbered

    return _write(store, ChangeKind.CORRECT, table, edit, writer, note, based_on, progress, elsewhere)


def retire(
    store: stores.GraphStore | stores.Location,
    retirement: Retirement,
    *,
    writer: str,
    note: str,
    based_on: str | None = None,
    progress: Progress = silent,
    elsewhere: UpdateElsewhere | None = None,
) -> Written:
    """Retire a record from a day: a row of ``retirements.csv`` (a new id, ``RT-<n>``) in a copy of the current
    tables, and the next version built from it; or raise and change nothing. Nothing is deleted.

    Raises InvalidOption (a table whose records are not retired), NotFound (no such record), Conflict (the
    record is already retired), DataError (the retirement's own defects: its date, reason, sources, numbered by
    ``retirement.origin`` and ``line``), VersionMoved, and what :func:`add_rows` raises.
    """
    if retirement.table not in RETIRABLE:
        raise InvalidOption(
            f"records of {retirement.table!r} are not retired", hint=f"retire records of {', '.join(RETIRABLE)}"
        )

    def edit(work: Path) -> tuple[list[RowChange], list[int], _Renumbered]:
        if not _has_row(work / f"{retirement.table}.csv", retirement.table, retirement.key):
            raise NotFound(
                f"no record of {retirement.table} has the id {retirement.key!r}", hint="retire a record that exists"
            )
        target = work / f"{RETIREMENTS}.csv"
        if not target.is_file():
            target.write_text(",".join(RETIREMENT_COLUMNS) + "\r\n", encoding="utf-8")
        _, _, retired = _read_records(target)
        for _, _, values in retired:
            if (values.get("record_table"), values.get("record_id")) == (retirement.table, retirement.key):
                raise Conflict(
                    f"{retirement.table} {retirement.key} is already retired (by {values.get('id')}, "
                    f"on {values.get('retired_on')})",
                    hint="a record is retired once; correct that retirement instead (certbridge correct retirements …)",
                )
        numbers = [int(v["id"][3:]) for _, _, v in retired if re.fullmatch(r"RT-\d+", v.get("id", ""))]
        row = {
            "id": f"RT-{max(numbers, default=0) + 1}",
            "record_table": retirement.table,
            "record_id": retirement.key,
            "retired_on": retirement.retired_on,
            "date_precision": retirement.date_precision,
            "reason": retirement.reason,
            "illustrative": "yes" if retirement.illustrative else "",
            "source_ids": retirement.source_ids,
            "note": retirement.note,
        }
        new = NewRows(RETIREMENTS, [row], retirement.origin, [retirement.line])
        first_lines, _ = _append(target, new)

        def renumbered(errors: list[TableError]) -> list[TableError]:
            return [_renumber(error, target, first_lines, new.origin, new.lines) for error in errors]

        header = _header(target)
        after = {column: row.get(column, "") for column in header}
        return [RowChange(key=row["id"], before=None, after=after)], first_lines, renumbered

    return _write(store, ChangeKind.RETIRE, RETIREMENTS, edit, writer, note, based_on, progress, elsewhere)


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise CertbridgeError(f"{table!r} is not a table", hint=f"tables: {', '.join(TABLES)}")


def _write(
    store: stores.GraphStore | stores.Location,
    kind: ChangeKind,
    table: str,
    edit: _Edit,
    writer: str,
    note: str,
    based_on: str | None,
    progress: Progress,
    elsewhere: UpdateElsewhere | None = None,
) -> Written:
    """One write, under the store's write lock: the current tables copied, *edit* applied to the copy, the
    changeset logged there, the next version patched or built from it (named in advance, so the log says which)."""
    graph_store = stores.as_store(store)
    graph_store.tables()  # no store there: say so before creating anything
    check_signed(writer, note)
    with graph_store.write_lock():
        current = graph_store.tables()  # again under the lock: another writer may have swapped versions
        if based_on is not None and based_on != current.name:
            raise VersionMoved(based_on, current.name)
        scratch = graph_store.workdir / stores.WRITES_DIR
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="write-", dir=scratch) as folder:
            work = Path(folder)
            _work_copy(current, work, edited={f"{table}.csv", f"{RETIREMENTS}.csv", LOG_FILE})
            try:
                touched, lines, renumbered = edit(work)
            except _Unwritable as unwritable:
                others = _other_defects(graph_store, current.name, kind, table, unwritable, work)
                raise DataError([*unwritable.problems, *unwritable.renumbered(others)]) from None
            version = stores.new_version_name()
            changeset = new_changeset(
                kind=kind, table=table, rows=touched, writer=writer, note=note, based_on=current.name, version=version
            )
            append(work, changeset)
            summary = _summary(graph_store, current.name, kind, table, touched)
            try:
                if summary is not None:
                    patched = _patch(graph_store, summary, table, touched, work, lines, version, progress, elsewhere)
                    return Written(
                        version=patched.version,
                        triples=_triples(patched.version),
                        applied=Applied.PATCHED,
                        changeset=changeset,
                        patched=patched,
                    )
                result = build(work, graph_store, progress=progress, version_name=version, locked=True)
                return Written(
                    version=result.version,
                    triples=result.triples,
                    applied=Applied.REBUILT,
                    changeset=changeset,
                    result=result,
                )
            except DataError as exc:
                raise DataError(renumbered(exc.errors)) from None


class _Unwritable(Exception):
    """A change that cannot be written as given (a column the table lacks, a key rewritten ...): its own problems,
    and the rows it would touch, whose other defects are reported with them."""

    def __init__(
        self, problems: list[TableError], touched: list[RowChange], lines: list[int], renumbered: _Renumbered
    ) -> None:
        super().__init__(problems)
        self.problems, self.touched, self.lines, self.renumbered = problems, touched, lines, renumbered


def _other_defects(
    graph_store: stores.GraphStore,
    version: str,
    kind: ChangeKind,
    table: str,
    unwritable: _Unwritable,
    work: Path,
) -> list[TableError]:
    """The defects of the rows an unwritable change would touch, from those rows alone when the change would be
    patched (no table converted whole), else from every table of *work*."""
    summary = _summary(graph_store, version, kind, table, unwritable.touched)
    if summary is None:
        return _defects(work)
    target = work / f"{table}.csv"
    _, source = graph_store.snapshot()
    assert isinstance(source, ox.Store)
    try:
        row_delta(
            source,
            summary,
            table,
            unwritable.touched,
            named=target,
            lines=unwritable.lines,
            stored_lines=lambda: _first_lines(target, table),
        )
    except DataError as exc:
        return exc.errors
    except ShapeViolations:
        return []  # reported once the change can be written, as by a build
    return []


def _summary(
    graph_store: stores.GraphStore, version: str, kind: ChangeKind, table: str, touched: Sequence[RowChange]
) -> rows.Summary | None:
    """The conversion context to patch the change in with, or None when it is rebuilt (see the module's docstring)."""
    if not isinstance(graph_store, stores.EmbeddedStore) or table not in rows.ROW_SCOPES:
        return None
    rebuilt = REBUILT_CORRECTIONS.get(table, frozenset())
    if kind == ChangeKind.CORRECT and any(rebuilt & row.changed().keys() for row in touched):
        return None
    return rows.read(graph_store.cache_path(version, rows.SUMMARY_KIND))


def _patch(
    graph_store: stores.GraphStore,
    summary: rows.Summary,
    table: str,
    touched: Sequence[RowChange],
    work: Path,
    lines: Sequence[int],
    version: str,
    progress: Progress,
    elsewhere: UpdateElsewhere | None = None,
) -> Patched:
    """The change worked out from *touched* (checked and validated as by a build) and patched into the next version;
    its conversion context, carried forward, is kept beside it (removed with it if the patch fails)."""
    target = work / f"{table}.csv"
    current, source = graph_store.snapshot()
    assert isinstance(source, ox.Store)
    before = summary.part(table, [row.key for row in touched])
    with progress("checking the change's rows"):
        change = row_delta(
            source,
            summary,
            table,
            touched,
            named=target,
            lines=lines,
            stored_lines=lambda: _first_lines(target, table),
        )
    del source
    rows.save(graph_store.cache_path(version, rows.SUMMARY_KIND), summary, before=before)
    return patch(
        graph_store,
        change,
        tables=work,
        based_on=current,
        version_name=version,
        progress=progress,
        elsewhere=elsewhere,
    )


def _work_copy(current: Path, work: Path, *, edited: set[str]) -> None:
    """The current tables in *work*: a copy of each file the write edits in place, a hard link to every other (the
    tables of a national store are tens of megabytes; a write edits one), which the store keeps linked again."""
    for source in table_files(current):
        if source.name in edited:
            (work / source.name).write_bytes(source.read_bytes())
        else:
            stores.link_or_copy(source, work / source.name)


def _first_lines(path: Path, table: str) -> dict[str, int]:
    """The line each key of *path* is first on."""
    found: dict[str, int] = {}
    for start, _, values in _read_records(path)[2]:
        found.setdefault(row_key(table, values), start)
    return found


def _triples(version: Path) -> int:
    """The triples of a version, as its build record counts them: each graph's extent, and the record's own."""
    store = ox.Store.read_only(str(version))
    record = ox.NamedNode(str(BUILD_GRAPH))
    extent = ox.NamedNode(str(DCTERMS.extent))
    counted = sum(
        int(quad.object.value)
        for quad in store.quads_for_pattern(None, extent, None, record)
        if isinstance(quad.object, ox.Literal)
    )
    return counted + sum(1 for _ in store.quads_for_pattern(None, None, None, record))


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
    header = _header(target)
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


def _renumber(
    error: TableError, target: Path, first_lines: list[int], origin: Path, lines: Sequence[int]
) -> TableError:
    """Report a defect of an appended row against the new rows' own numbering (*lines*, in *origin*)."""
    if error.path != target or error.line not in first_lines:
        return error

    def where(match: re.Match[str]) -> str:
        line = int(match[1])
        return "(also in this write)" if line in first_lines else f"(already stored: {target.name} line {line})"

    message = re.sub(r"\(first on line (\d+)\)", where, error.message)
    return TableError(origin, lines[first_lines.index(error.line)], error.column, message)


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle))]


def _has_row(path: Path, table: str, key: str) -> bool:
    """Whether a record of *path* (as ``_read_records`` reads them) has the key *key*: read row by row, its key
    columns only (certificate_types.csv has 600,000 rows at national scale: a record of each took seconds and a
    gigabyte, which the process did not give back)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        keys = [(column, header.index(column)) for column in key_columns(table) if column in header]
        for fields in reader:
            found = row_key(table, {column: fields[at] for column, at in keys}) if len(fields) == len(header) else None
            if found == key and any(cell.strip() for cell in fields):
                return True
    return False


def _read_records(path: Path) -> tuple[str, list[str], list[tuple[int, int, dict[str, str]]]]:
    """*path*'s text, header and records, each as (first line, line after it, column -> value), lines counted
    from 1 as ``csv`` counts them (a quoted line break makes a record longer than one line)."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    records: list[tuple[int, int, dict[str, str]]] = []
    start = reader.line_num + 1
    for fields in reader:
        if any(cell.strip() for cell in fields) and len(fields) == len(header):
            records.append((start, reader.line_num + 1, dict(zip(header, fields, strict=True))))
        start = reader.line_num + 1
    return text, header, records


def _rewrite(
    target: Path,
    text: str,
    header: list[str],
    records: list[tuple[int, int, dict[str, str]]],
    changed: Mapping[int, Mapping[str, str]],
) -> dict[int, int]:
    """Write *target* with the records numbered in *changed* replaced (every other line kept byte for byte);
    return the line each replaced record now starts on, by record number."""
    lines = io.StringIO(text, newline="").readlines()
    replaced = {records[index][0]: (records[index][1], index) for index in changed}
    out: list[str] = []
    starts: dict[int, int] = {}
    line = 1
    while line <= len(lines):
        if line in replaced:
            end, index = replaced[line]
            buffer = io.StringIO(newline="")
            csv.writer(buffer).writerow([changed[index].get(column, "") for column in header])
            starts[index] = sum(item.count("\n") for item in out) + 1 if out else 1
            out.append(buffer.getvalue())
            line = end
        else:
            out.append(lines[line - 1])
            line += 1
    if out and not out[-1].endswith(("\n", "\r")):
        out[-1] += "\r\n"
    target.write_text("".join(out), encoding="utf-8")
    return starts
