"""The changes log: every write to a store as a changeset (who, when, why, what), kept with the tables.

A store version keeps the tables it was built from (``GraphStore.kept_tables``); a write adds its rows to a copy
of them and its changeset to the copy's ``changes.jsonl`` (one JSON object per line, appended, never rewritten),
then builds the next version from that copy. So the kept tables always hold every change, the log says who made
each and why, and ``certbridge export-tables DIR`` hands a policy officer both, to edit and build from.

A build refuses to replace a store whose log has changesets the input's log lacks: building from data/ after
writes would otherwise drop the officers' work without a word (``ChangesWouldBeLost``; discard them by name).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from .errors import CertbridgeError, DataError, StoreError, TableError

#: the log's file name, beside the CSV tables
LOG_FILE = "changes.jsonl"


class ChangeKind(StrEnum):
    """What a changeset does (corrections and retirements are to come: issue 18)."""

    ADD = "add"


@dataclass(frozen=True, slots=True, kw_only=True)
class Changeset:
    """One write: rows added to one table, by a named writer, with a note saying why."""

    id: str
    kind: ChangeKind
    table: str
    rows: tuple[Mapping[str, str], ...]
    writer: str
    note: str
    #: when it was applied (UTC, ISO 8601)
    at: str
    #: the store version it was applied to
    based_on: str | None = None

    def summary(self) -> str:
        rows = f"{len(self.rows)} row(s) to {self.table}"
        return f"{self.id}: {self.kind} {rows} by {self.writer} at {self.at}: {self.note}"

    def to_json(self) -> dict[str, object]:
        record = asdict(self)
        record["rows"] = [dict(row) for row in self.rows]
        return record


def new_changeset(
    *, table: str, rows: Sequence[Mapping[str, str]], writer: str, note: str, based_on: str | None
) -> Changeset:
    """A changeset for *rows*, with a new id that sorts by time; refuses an anonymous writer or an empty note."""
    if not writer.strip():
        raise CertbridgeError("a change needs a named writer", hint="name yourself with --writer")
    if not note.strip():
        raise CertbridgeError("a change needs a note saying why", hint="say why with --note (the API: ?note=)")
    now = datetime.now(UTC)
    return Changeset(
        id=f"CS-{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(2)}",
        kind=ChangeKind.ADD,
        table=table,
        rows=tuple(dict(row) for row in rows),
        writer=writer.strip(),
        note=note.strip(),
        at=now.isoformat(timespec="seconds"),
        based_on=based_on,
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
                    rows=tuple({str(k): str(v) for k, v in row.items()} for row in record["rows"]),
                    writer=str(record["writer"]),
                    note=str(record["note"]),
                    at=str(record["at"]),
                    based_on=record.get("based_on"),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            errors.append(TableError(path, number, "-", f"not a changeset ({type(exc).__name__}: {exc})"))
    if errors:
        raise DataError(errors, hint=f"each line of {LOG_FILE} is one changeset as certbridge wrote it")
    return found


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
        listed = "\n".join(
            f"{c.id}: {c.kind} {len(c.rows)} row(s) to {c.table} by {c.writer} at {c.at}: {c.note}" for c in lacking
        )
        raise ChangesWouldBeLost(
            f"the store holds {len(lacking)} change(s) that the input tables lack; building would drop them:\n{listed}",
            hint="build from `certbridge export-tables DIR` (the current tables, changes included), "
            "or drop them by name with --discard-changes " + ",".join(c.id for c in lacking),
        )
