"""Some rows of one table converted against the context of a whole store version, without converting every table.

A write of one row to a national store should not read 610,000 certificate types to check it. What a converter
reads of the tables before its own is the conversion context (context.py: the ids each kind defines, the facts later
converters need, the labels records are named after); a build keeps a :class:`Summary` of its final context beside
the version (``GraphStore.cache_path(version, SUMMARY_KIND)``), and each write carries it forward. Given it, the
rows a write touches convert alone, with the defects the build would report of them (every reference checked
against the context, an added id against every id of its kind), into the quads the build would make of them.

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
import pickle
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from .. import iris
from ..errors import TableError
from ..tables import key_columns
from .agreements import convert_agreements
from .certificates import convert_certificate_types
from .context import Context
from .issuers import convert_authorisations, convert_organisations, convert_quality_checks, convert_sanctions
from .retirements import RETIRED, convert_retirements

__all__ = ["ROW_SCOPES", "SUMMARY_KIND", "Converted", "RowScope", "Summary", "convert_rows", "read", "save"]

#: the kind of cached data the summary is kept as beside each version (``GraphStore.cache_path``)
SUMMARY_KIND = "context.pickle"
#: changes whenever the summary's layout does: a summary written by other code is never read
_LAYOUT = "certbridge-context-1"


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


def save(path: Path, summary: Summary) -> None:
    """Pickle *summary* to *path* through a partial file (a reader never loads half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        pickle.dump((_LAYOUT, summary.known, summary.facts, summary.labels), handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)


def read(path: Path) -> Summary | None:
    """The summary saved at *path*, or None when there is none (or it is of another layout): then a write
    rebuilds, which saves one."""
    if not path.is_file():
        return None
    with contextlib.suppress(Exception), path.open("rb") as handle:
        layout, known, facts, labels = pickle.load(handle)
        if layout == _LAYOUT:
            return Summary(known=known, facts=facts, labels=labels)
    return None


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
