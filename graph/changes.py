"""The changes log: every write to a store as a changeset (who, when, why, what), kept with the tables.

A store version keeps the tables it was built from (``GraphStore.kept_tables``); a write adds its rows to a copy
of them (or corrects rows there, or adds a row to ``retirements.csv``: a change of each ``ChangeKind``) and its
changeset to the copy's ``changes.jsonl`` (one JSON object per line, appended, never rewritten), then builds the
next version from that copy. Each changeset holds, for every row it touched, the row before and after. So the
kept tables always hold every change, the log says who made each and why, and ``certbridge export-tables DIR``
hands a policy officer both, to edit and build from.

A build refuses to replace a store whose log has changesets the input's log lacks: building from data/ after
writes would otherwise drop the officers' work without a word (``ChangesWouldBeLost``; discard them by name).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from .errors import CertbridgeError, DataError, InvalidValue, StoreError, TableError
from .tables import row_key

#: the log's file name, beside the CSV tables
LOG_FILE = "changes.jsonl"


class ChangeKind(StrEnum):
    """What a changeset does to its table: rows added, fields of rows corrected, or a record retired (a row added
    to ``retirements``: nothing is ever deleted)."""

    ADD = "add"
    CORRECT = "correct"
    RETIRE = "retire"


@dataclass(frozen=True, slots=True, kw_only=True)
class RowChange:
    """One row a changeset touches, by its key (graph/tables.py ``row_key``): the row before (None for a row
    added) and the row after, column -> value as in the table."""

    key: str
    before: Mapping[str, str] | None
    after: Mapping[str, str]

    def changed(self) -> dict[str, tuple[str, str]]:
        """column -> (before, after) for each value the change altered (every non-empty one of a row added)."""
        before = self.before or {}
        return {
            column: (before.get(column, ""), value)
            for column, value in self.after.items()
            if before.get(column, "") != value
        }

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "before": None if self.before is None else dict(self.before),
            "after": dict(self.after),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Changeset:
    """One write: rows of one table added or corrected, or a record retired, by a named writer, with a note
    saying why."""

    id: str
    kind: ChangeKind
    table: str
    rows: tuple[RowChange, ...]
    writer: str
    note: str
    #: when it was applied (UTC, ISO 8601)
    at: str
    #: the store version it was applied to
    based_on: str | None = None
    #: the store version it made (None in logs written before versions were named in advance)
    version: str | None = None

    def summary(self) -> str:
        rows = f"{len(self.rows)} row(s) of {self.table}"
        return f"{self.id}: {self.kind} {rows} by {self.writer} at {self.at}: {self.note}"

    def keys(self) -> list[str]:
        return [row.key for row in self.rows]

    def touches(self, table: str, key: str) -> bool:
        """True when this changeset added or corrected the row *key* of *table*, or retired that record."""
        if self.table == table and key in self.keys():
            return True
        return self.kind is ChangeKind.RETIRE and any(
            row.after.get("record_table") == table and row.after.get("record_id") == key for row in self.rows
        )

    def to_json(self) -> dict[str, object]:
        record = asdict(self)
        record["rows"] = [row.to_json() for row in self.rows]
        return record


def check_signed(writer: str, note: str) -> None:
    """Refuse a change without a named writer or without a note saying why (before any work is done)."""
    if not writer.strip():
        raise CertbridgeError("a change needs a named writer", hint="name yourself with --writer")
    if not note.strip():
        raise CertbridgeError("a change needs a note saying why", hint="say why with --note (the API: ?note=)")


def new_changeset(
    *,
    kind: ChangeKind,
    table: str,
    rows: Sequence[RowChange],
    writer: str,
    note: str,
    based_on: str | None,
    version: str | None = None,
) -> Changeset:
    """A changeset for *rows*, with a new id that sorts by time; refuses an anonymous writer or an empty note."""
    check_signed(writer, note)
    now = datetime.now(UTC)
    return Changeset(
        id=f"CS-{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(2)}",
        kind=kind,
        table=table,
        rows=tuple(rows),
        writer=writer.strip(),
        note=note.strip(),
        at=now.isoformat(timespec="seconds"),
        based_on=based_on,
        version=version,
    )


def _row_change(table: str, item: object) -> RowChange:
    """A logged row: ``{"key", "before", "after"}``, or a plain row as the first logs wrote an added one."""
    if not isinstance(item, dict):
        raise TypeError(f"a row is an object, not {type(item).__name__}")
    if "after" not in item:
        row = {str(k): str(v) for k, v in item.items()}
        return RowChange(key=row_key(table, row), before=None, after=row)
    before = item.get("before")
    return RowChange(
        key=str(item["key"]),
        before=None if before is None else {str(k): str(v) for k, v in before.items()},
        after={str(k): str(v) for k, v in item["after"].items()},
    )


def read_log(folder: Path) -> list[Changeset]:
    """The changesets logged in *folder* (none without a log); every malformed line as ``changes.jsonl:LINE``."""
    path = folder / LOG_FILE
    if not path.is_file():
        return []
    found, errors = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            found.append(
                Changeset(
                    id=str(record["id"]),
                    kind=ChangeKind(record["kind"]),
                    table=str(record["table"]),
                    rows=tuple(_row_change(str(record["table"]), row) for row in record["rows"]),
                    writer=str(record["writer"]),
                    note=str(record["note"]),
                    at=str(record["at"]),
                    based_on=record.get("based_on"),
                    version=record.get("version"),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            errors.append(TableError(path, number, "-", f"not a changeset ({type(exc).__name__}: {exc})"))
    if errors:
        raise DataError(errors, hint=f"each line of {LOG_FILE} is one changeset as certbridge wrote it")
    return found


_VERSION_TIME = re.compile(r"^v-(\d{8}T\d{12})Z-\d+$")


def since(log: Sequence[Changeset], after: str | None) -> list[Changeset]:
    """The changesets of *log* after the version *after* (a version name: those that came after the one that
    made it, or, for a version a build made, those made after it began; all of them for a name whose time is no
    day) or on or after the day *after* (``YYYY-MM-DD``); all of them for None. InvalidValue for anything else.

    >>> since([], "2026-12-07"), since([], "v-20261207T101500123456Z-42")
    ([], [])
    """
    if after is None:
        return list(log)
    made = [index for index, changeset in enumerate(log) if changeset.version == after]
    if made:
        return list(log[made[-1] + 1 :])
    found = _VERSION_TIME.match(after)
    if found:
        try:
            began = datetime.strptime(found[1], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC, microsecond=0)
        except ValueError:  # shaped like a version, but no time: no version of this store, so every change
            return list(log)
        return [c for c in log if datetime.fromisoformat(c.at) >= began and c.version != after]
    try:
        day = date.fromisoformat(after)
    except ValueError:
        raise InvalidValue(
            f"{after!r} is neither a store version nor a date",
            hint="give a version name (v-20261207T101500123456Z-4242, as Certbridge-Data-Version says) or YYYY-MM-DD",
        ) from None
    return [c for c in log if date.fromisoformat(c.at[:10]) >= day]


def append(folder: Path, changeset: Changeset) -> None:
    """Add *changeset* at the end of *folder*'s log, durably (the folder is a build's private copy)."""
    with (folder / LOG_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(changeset.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class ChangesWouldBeLost(StoreError):
    """A build from tables that lack changesets the store holds: refused, naming them."""


def check_nothing_lost(held: Iterable[Changeset], given: Iterable[Changeset], discard: Iterable[str] = ()) -> None:
    """Raise ChangesWouldBeLost when changesets *held* by the store are neither in the input's log (*given*) nor
    named in *discard*; refuse a name in *discard* that is no changeset of the store."""
    held = list(held)
    discard = set(discard)
    unknown = discard - {c.id for c in held}
    if unknown:
        raise CertbridgeError(
            f"no changeset of the store is named {', '.join(sorted(unknown))}", hint="see: certbridge changes"
        )
    known = {c.id for c in given}
    lacking = [c for c in held if c.id not in known and c.id not in discard]
    if lacking:
        listed = "\n".join(c.summary() for c in lacking)
        raise ChangesWouldBeLost(
            f"the store holds {len(lacking)} change(s) that the input tables lack; building would drop them:\n{listed}",
            hint="build from `certbridge export-tables DIR` (the current tables, changes included), "
            "or drop them by name with --discard-changes " + ",".join(c.id for c in lacking),
        )
