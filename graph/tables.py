"""Reading the editable CSV tables, with every defect reported as ``file:line: column: message``.

A table is read whole before anything is written: malformed CSV (bad encoding, wrong number of
fields, a missing column) and bad cells are collected in an :class:`ErrorLog`, so one build run
lists all the defects a policy officer has to fix, not just the first.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .dates import PartialDate
from .errors import TableError

LIST_SEPARATOR = ";"
#: the key column(s) of the tables whose rows are not keyed by ``id`` (a correction finds its row by the key)
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "occupations": ("code",),
    "isco08_groups": ("code",),
    "regions": ("gb2260_code",),
    "subregions": ("code",),
    "framework_levels": ("framework", "level"),
}
#: how the values of a key of several columns are joined into one key text (``EQF:4``); never in an id
KEY_SEPARATOR = ":"
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_TRUE = {"yes", "true", "1"}
_FALSE = {"no", "false", "0", ""}


def key_columns(table: str) -> tuple[str, ...]:
    """The column(s) whose values name a row of *table* (``id`` unless ``KEY_COLUMNS`` says otherwise).

    >>> key_columns("agreements"), key_columns("framework_levels")
    (('id',), ('framework', 'level'))
    """
    return KEY_COLUMNS.get(table, ("id",))


def row_key(table: str, row: Mapping[str, str]) -> str:
    """The key text of *row* of *table*: its key columns' values, joined by ``KEY_SEPARATOR``.

    >>> row_key("framework_levels", {"framework": "EQF", "level": "4", "title_en": "Level 4"})
    'EQF:4'
    """
    return KEY_SEPARATOR.join((row.get(column) or "").strip() for column in key_columns(table))


@dataclass
class ErrorLog:
    errors: list[TableError] = field(default_factory=list)

    def add(self, path: Path, line: int, column: str, message: str) -> None:
        self.errors.append(TableError(path, line, column, message))

    def __bool__(self) -> bool:
        return bool(self.errors)


@dataclass
class Row:
    """One data row; its typed accessors record a TableError and return None on a bad cell."""

    path: Path
    line: int
    values: dict[str, str]
    log: ErrorLog

    def error(self, column: str, message: str) -> None:
        self.log.add(self.path, self.line, column, message)

    def text(self, column: str, *, required: bool = False) -> str | None:
        value = self.values.get(column, "").strip()
        if not value:
            if required:
                self.error(column, "is required but empty")
            return None
        return value

    def pattern(self, column: str, regex: str, *, what: str, required: bool = False) -> str | None:
        value = self.text(column, required=required)
        if value is not None and not re.fullmatch(regex, value):
            self.error(column, f"{value!r} is not {what}")
            return None
        return value

    def choice(self, column: str, options: Iterable[str], *, required: bool = False) -> str | None:
        value = self.text(column, required=required)
        allowed = sorted(options)
        if value is not None and value not in allowed:
            self.error(column, f"{value!r} is not one of: {', '.join(allowed)}")
            return None
        return value

    def boolean(self, column: str) -> bool:
        value = self.values.get(column, "").strip().lower()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.error(column, f"{value!r} is not yes or no")
        return False

    def integer(self, column: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            self.error(column, f"{value!r} is not a whole number")
            return None
        if minimum is not None and number < minimum:
            self.error(column, f"{number} is less than {minimum}")
            return None
        return number

    def date(self, column: str, *, required: bool = False) -> PartialDate | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as exc:
            self.error(column, str(exc))
            return None

    def ref(self, column: str, known: Iterable[str], *, what: str, required: bool = False) -> str | None:
        """A cell naming one id that must exist in *known* (e.g. an occupation code)."""
        value = self.text(column, required=required)
        if value is not None and value not in known:
            self.error(column, f"unknown {what} {value!r}")
            return None
        return value

    def refs(self, column: str, known: Iterable[str], *, what: str, required: bool = False) -> list[str]:
        """A ``;``-separated list of ids that must all exist in *known*; unknown ones are dropped."""
        value = self.text(column, required=required)
        if value is None:
            return []
        found = []
        for item in (part.strip() for part in value.split(LIST_SEPARATOR)):
            if not item:
                self.error(column, "has an empty item in its ';'-separated list")
            elif item not in known:
                self.error(column, f"unknown {what} {item!r}")
            else:
                found.append(item)
        return found


@dataclass
class Table:
    path: Path
    header: list[str]
    rows: list[Row]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def unique_ids(self, column: str = "id") -> dict[str, Row]:
        """Map each id to its row, reporting empty, malformed and duplicate ids.

        Ids become part of IRIs, so they are limited to letters, digits, '.', '_' and '-'.
        """
        seen: dict[str, Row] = {}
        for row in self.rows:
            key = row.pattern(column, ID_PATTERN, what="an id of letters, digits, '.', '_' and '-'", required=True)
            if key is None:
                continue
            if key in seen:
                row.error(column, f"duplicate id {key!r} (first on line {seen[key].line})")
            else:
                seen[key] = row
        return seen


def read_table(path: Path, columns: Iterable[str], log: ErrorLog, *, content: bytes | None = None) -> Table:
    """Read *path* as UTF-8 CSV whose header must hold every name in *columns*.

    Structural defects go to *log*; rows with the wrong number of fields are reported and skipped.
    A missing file is reported as a defect of line 0. With *content*, those bytes are read instead of the
    file, and *path* only names them in the defects (an upload is named by what the client sent, not by
    where the server keeps it).
    """
    if content is None:
        try:
            content = path.read_bytes()
        except OSError as exc:
            log.add(path, 0, "-", f"cannot read the table: {exc.strerror or exc}")
            return Table(path, [], [])
    text = decode(content, path, log)
    if text is None:
        return Table(path, [], [])
    header, records = split_records(text, path, log)
    if header is None:
        return Table(path, [], [])
    missing = [name for name in columns if name not in header]
    for name in missing:
        log.add(path, 1, name, "column is missing from the header")
    if len(set(header)) != len(header):
        log.add(path, 1, "-", "the header names a column twice")
    if missing:
        return Table(path, header, [])
    return Table(path, header, [Row(path, line, values, log) for line, values in records])


def decode(raw: bytes, path: Path, log: ErrorLog) -> str | None:
    """*raw* as UTF-8 text (a byte order mark is dropped), or None with the defect logged."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        log.add(path, line, "-", f"not UTF-8 (byte {exc.start} cannot be decoded); save the file as UTF-8")
        return None


def split_records(text: str, path: Path, log: ErrorLog) -> tuple[list[str] | None, list[tuple[int, dict[str, str]]]]:
    """The header and the (line, column -> value) records of CSV *text*; blank records are skipped.

    Shared by the tables of a build and the rows of a write (CLI ``import`` and the API), so both report
    the same defects: every record with another number of fields than the header is logged as a defect
    of its line and skipped (not only the first), and so is malformed CSV (after which nothing is read).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        log.add(path, 1, "-", "the file is empty; it needs at least a header line")
        return None, []
    except csv.Error as exc:
        log.add(path, 1, "-", f"malformed CSV header: {exc}")
        return None, []
    records: list[tuple[int, dict[str, str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            log.add(path, start, "-", f"malformed CSV: {exc}")
            break
        if not any(cell.strip() for cell in fields):
            continue
        if len(fields) != len(header):
            log.add(path, start, "-", f"expected {len(header)} fields as in the header, found {len(fields)}")
            continue
        records.append((start, dict(zip(header, fields, strict=True))))
    return header, records
