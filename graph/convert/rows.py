"""Some rows of one table converted against the context of a whole store version, without converting every table.

A write of one row to a national store should not read 610,000 certificate types to check it. What a converter
reads of the tables before its own is the conversion context (context.py: the ids each kind defines, the facts later
converters need, the labels records are named after); a build keeps a :class:`Summary` of its final context beside
the version (``GraphStore.cache_path(version, SUMMARY_KIND)``), and each write carries it forward. Given it, the
rows a write touches convert alone, with the defects the build would report of them (every reference checked
against the context, an added id against every id of its kind), into the quads the build would make of them.

A version made by a write keeps its summary as the full one it descends from (hard-linked beside it as
``<version>.context.base``) plus what the writes since changed in it (``Part``: the entries of the rows' keys), and
the process that saved it holds it for its next write: re-reading and re-pickling 600,000 ids per write took most
of a second.

Only the tables in ``ROW_SCOPES`` convert row by row: each declares what its rows add to the context (a row's key
under its kinds, the facts keyed by or naming it, its label), so that a corrected row's old contributions can be
taken back before its new ones are added (tests/test_row_conversion.py checks each declaration against the
converter). Their rows state disjoint triples: every triple's subject is the row's own record, a node named after its
key (an agreement's conditions) or, for a retirement, the record it retires, which one retirement at most names; so
the triples of a row before and after a change are all the change adds and removes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import pickle
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from .. import iris
from ..errors import TableError
from ..stamps import Stamp, stamp_of
from ..tables import key_columns
from .agreements import convert_agreements
from .certificates import convert_certificate_types
from .context import Context
from .issuers import convert_authorisations, convert_organisations, convert_quality_checks, convert_sanctions
from .retirements import RETIRED, convert_retirements

__all__ = [
    "ROW_SCOPES",
    "SUMMARY_KIND",
    "Converted",
    "Part",
    "RowScope",
    "Summary",
    "convert_rows",
    "copy",
    "read",
    "save",
]

#: the kind of cached data the summary is kept as beside each version (``GraphStore.cache_path``)
SUMMARY_KIND = "context.pickle"
#: changes whenever the summary's layout does: a summary written by other code is never read
_LAYOUT = "certbridge-context-1"
#: the layout of a summary kept as the changes since a full one (beside it as ``.base``)
_CHANGES_LAYOUT = "certbridge-context-changes-1"
#: the suffix of the hard link to the full summary a version's changes descend from
BASE_SUFFIX = ".base"
#: a version's summary is saved in full again once the entries changed since the full one number more than this
FULL_AFTER = 100_000

#: the entries of a summary that some rows' keys decide (``Summary.part``), and what writes changed since a full
#: summary: ("known", kind) -> id -> known or not; ("facts", name) -> fact -> value (None: none);
#: ("labels", "") -> IRI -> labels (None: none)
Part = dict[tuple[str, str], dict[Any, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RowScope:
    """What a table's rows add to the conversion context, so that a row's contributions can be taken back."""

    converter: Callable[[Context], None]
    #: the kinds of ``Context.known`` a row's key is added to (the first is its records' kind, as in its IRI)
    kinds: tuple[str, ...]
    #: the ``Context.facts`` keyed by a row's key or naming it as their value
    facts: tuple[str, ...] = ()
    #: whether a row's record is labelled in ``Context.labels`` (others are named after it)
    labelled: bool = False


#: the tables whose rows convert alone, by what their rows add to the context
ROW_SCOPES: dict[str, RowScope] = {
    "organisations": RowScope(
        converter=convert_organisations,
        kinds=("organisation", "issuer"),
        facts=("organisation-kind", "organisation-region"),
        labelled=True,
    ),
    "authorisations": RowScope(converter=convert_authorisations, kinds=("authorisation",)),
    "sanctions": RowScope(converter=convert_sanctions, kinds=("sanction",)),
    "quality_checks": RowScope(converter=convert_quality_checks, kinds=("quality-check",)),
    "certificate_types": RowScope(converter=convert_certificate_types, kinds=("certificate-type",)),
    "agreements": RowScope(converter=convert_agreements, kinds=("agreement",)),
    "retirements": RowScope(converter=convert_retirements, kinds=("retirement",), facts=(RETIRED,)),
}


@dataclass(slots=True, kw_only=True)
class Summary:
    """The final conversion context of a version's tables: what a row is checked against and converted with."""

    known: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    facts: defaultdict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    labels: dict[URIRef, tuple[str | None, str | None]] = field(default_factory=dict)

    #: the file of the full summary this one descends from and what changed since (see the module docstring);
    #: None for a summary neither read nor saved
    base: Path | None = field(default=None, compare=False)
    changes: Part = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, ctx: Context) -> Summary:
        """The summary of a finished conversion (shares its sets: the conversion is over)."""
        return cls(known=defaultdict(set, ctx.known), facts=defaultdict(dict, ctx.facts), labels=dict(ctx.labels))

    def forget(self, table: str, keys: Sequence[str]) -> None:
        """Take back what the rows of *table* keyed *keys* added (before their corrected rows are converted)."""
        scope = ROW_SCOPES[table]
        gone = set(keys)
        for kind in scope.kinds:
            self.known[kind] -= gone
        for name in scope.facts:
            facts = self.facts[name]
            for fact in [fact for fact, value in facts.items() if fact in gone or value in gone]:
                del facts[fact]
        if scope.labelled:
            for key in gone:
                self.labels.pop(iris.record(scope.kinds[0], key), None)

    def part(self, table: str, keys: Sequence[str]) -> Part:
        """The entries the rows of *table* keyed *keys* decide (what ``forget`` takes back, and their converting adds):
        taken before and after a write, their difference is all it changed."""
        scope = ROW_SCOPES[table]
        keyed = set(keys)
        found: Part = {("known", kind): {key: key in self.known[kind] for key in keyed} for kind in scope.kinds}
        for name in scope.facts:
            facts = self.facts[name]
            found["facts", name] = {fact: value for fact, value in facts.items() if fact in keyed or value in keyed}
        if scope.labelled:
            found["labels", ""] = {
                label: self.labels.get(label) for label in (iris.record(scope.kinds[0], key) for key in keyed)
            }
        return found

    def apply(self, changes: Part) -> None:
        """Put *changes* (as ``part`` takes them: None, or False for an id, is none) in this summary."""
        for (kind, name), entries in changes.items():
            if kind == "known":
                self.known[name].update(key for key, known in entries.items() if known)
                self.known[name].difference_update(key for key, known in entries.items() if not known)
                continue
            table: dict[Any, Any] = self.facts[name] if kind == "facts" else self.labels
            for key, value in entries.items():
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value


def save(path: Path, summary: Summary, *, before: Part | None = None) -> None:
    """Save *summary* to *path* through a partial file (a reader never loads half of one), and hold it for this
    process's next write. With *before* (its ``part`` before a write changed it) and a full summary it descends
    from, as what changed since that one; else in full."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    changes = _changes_since(summary, before) if before is not None else None
    base = path.with_suffix(BASE_SUFFIX)
    if changes is not None and summary.base is not None and sum(map(len, changes.values())) <= FULL_AFTER:
        try:
            base.unlink(missing_ok=True)
            os.link(summary.base, base)
        except OSError:  # the full summary is gone, or on another file system
            changes = None
    else:
        changes = None
    with partial.open("wb") as handle:
        if changes is not None:
            pickle.dump((_CHANGES_LAYOUT, changes), handle, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            known, facts, labels = summary.known, summary.facts, summary.labels
            pickle.dump((_LAYOUT, known, facts, labels), handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    summary.base, summary.changes = (path, {}) if changes is None else (base, changes)
    _HELD.clear()
    _HELD[path] = (stamp_of(path), summary)


def _changes_since(summary: Summary, before: Part) -> Part:
    """What changed in *summary* since its full one: its changes so far, then the write's (its part now against
    *before*, its part when the write began)."""
    changes = {where: dict(entries) for where, entries in summary.changes.items()}
    keyed = _keys(before)
    for where, entries in before.items():
        kind, name = where
        now: dict[Any, Any]
        if kind == "known":
            now = {key: key in summary.known[name] for key in entries}
        elif kind == "facts":
            facts = summary.facts[name]
            keys = {*entries, *(fact for fact, value in facts.items() if fact in keyed or value in keyed)}
            now = {fact: facts.get(fact) for fact in keys}
        else:
            now = {label: summary.labels.get(label) for label in entries}
        changes.setdefault(where, {}).update(now)
    return changes


def _keys(part: Part) -> set[str]:
    """The row keys a part was taken for (the ids it asks ``known`` about)."""
    return {key for (kind, _), entries in part.items() if kind == "known" for key in entries}


def read(path: Path) -> Summary | None:
    """The summary saved at *path*, or None when there is none (or it is of another layout): then a write
    rebuilds, which saves one. The one this process saved there last is handed over (and no longer held: the
    write changes it in place, and saves it again only if it succeeds)."""
    held = _HELD.pop(path, None)
    if held is not None and held[0] == stamp_of(path):
        return held[1]
    found = _load(path)
    if isinstance(found, Summary):
        found.base = path
        return found
    if isinstance(found, dict):
        base = path.with_suffix(BASE_SUFFIX)
        full = _load(base)
        if isinstance(full, Summary):
            full.apply(found)
            full.base, full.changes = base, found
            return full
    return None


def _load(path: Path) -> Summary | Part | None:
    """A full summary, or changes since one, as saved at *path*; None when there is none of this layout."""
    with contextlib.suppress(Exception), path.open("rb") as handle:
        saved = pickle.load(handle)
        if saved[0] == _LAYOUT:
            _, known, facts, labels = saved
            return Summary(known=known, facts=facts, labels=labels)
        if saved[0] == _CHANGES_LAYOUT:
            changes: Part = saved[1]
            return changes
    return None


def copy(source: Path, target: Path) -> None:
    """Copy the summary saved at *source* to *target* (and the full one it descends from, if it is kept as changes):
    another version of the same asserted graphs, or a scratch store's. Raises OSError."""
    shutil.copyfile(source, target)
    base = source.with_suffix(BASE_SUFFIX)
    if base.is_file():
        shutil.copyfile(base, target.with_suffix(BASE_SUFFIX))


#: the summary this process saved last, by its file (and the file's size and time, to tell the file is still it)
_HELD: dict[Path, tuple[Stamp | None, Summary]] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Converted:
    """What some rows of a table convert to: their quads (in the table's graph), the triples SHACL checks (with
    the rdf:type of what they name that the rows state), and their defects."""

    quads: frozenset[ox.Quad]
    graph: Graph
    errors: list[TableError]


def convert_rows(
    summary: Summary,
    table: str,
    rows: Sequence[Mapping[str, str]],
    *,
    named: Path,
    lines: Sequence[int],
) -> Converted:
    """Convert *rows* of *table* (column -> value, every column of the table) as the build would, in the context
    of *summary*, which takes what they add (their ids, facts and labels).

    Defects are reported against *named*, each row by its number in *lines*, as the build reports them (a duplicate
    within *rows* says "first on line N" of *lines*). An added row whose id is already *known* is not found
    here (its id is of the context, not of *rows*): the caller checks that (see ``duplicates``).
    """
    scope = ROW_SCOPES[table]
    if not rows:
        return Converted(quads=frozenset(), graph=Graph(), errors=[])
    header = list(rows[0])
    with tempfile.TemporaryDirectory(prefix="certbridge-rows-") as folder:
        path = Path(folder) / f"{table}.csv"
        starts = _write_csv(path, header, rows)
        ctx = Context(Path(folder), known=summary.known, facts=summary.facts, labels=summary.labels)
        try:
            scope.converter(ctx)
            sink = ctx.graphs[table]
            graph_name = ox.NamedNode(str(sink.identifier))
            quads = frozenset(
                ox.Quad(triple.subject, triple.predicate, triple.object, graph_name)
                for triple in ox.parse(path=str(sink.path()), format=ox.RdfFormat.N_TRIPLES)
            )
            checked = sink.validation_graph()
        finally:
            for sink in ctx.graphs.values():
                sink.close()
    numbering = dict(zip(starts, lines, strict=True))
    errors = [_renumbered(error, path, named, numbering) for error in ctx.log.errors]
    return Converted(quads=quads, graph=checked, errors=errors)


def duplicates(
    summary: Summary, table: str, keys: Sequence[str], *, named: Path, lines: Sequence[int], stored: Mapping[str, int]
) -> list[TableError]:
    """The defects of rows added with an id a stored row of *table* has (*stored*: id -> its line in *named*), as
    the build words them when it reads the table with the rows appended."""
    (column,) = key_columns(table)
    kind = ROW_SCOPES[table].kinds[0]
    return [
        TableError(named, line, column, f"duplicate id {key!r} (first on line {stored.get(key, 0)})")
        for key, line in zip(keys, lines, strict=True)
        if key in summary.known[kind]
    ]


def _write_csv(path: Path, header: list[str], rows: Sequence[Mapping[str, str]]) -> list[int]:
    """Write the rows under *header*; answer the line each row starts on (a quoted line break spans lines)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in header] for row in rows])
    text = buffer.getvalue()
    path.write_text(text, encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    starts: list[int] = []
    start = reader.line_num + 1
    for _ in reader:
        starts.append(start)
        start = reader.line_num + 1
    return starts


def _renumbered(error: TableError, path: Path, named: Path, numbering: Mapping[int, int]) -> TableError:
    """A defect of the rows' own file, reported against *named* with the rows' own numbers."""
    if error.path != path:
        return error
    message = re.sub(
        r"\(first on line (\d+)\)", lambda match: f"(first on line {numbering.get(int(match[1]), 0)})", error.message
    )
    return TableError(named, numbering.get(error.line, error.line), error.column, message)
