"""The `certbridge` command line.

\b
Build the graph:  build, reason, import, correct, retire, synth, export-tables, changes
Keep its history: release, releases, diff
Ask it:           route, coverage, what-if, query, info, sources, export
Show it:          viz (route, node, agreements, coverage), serve

Exit codes: 0 ok; 1 ran, but the answer is negative (no route, no rows, ASK false); 2 error (bad input,
SHACL violations, no store, invalid SPARQL, usage), reported on one line with a hint. Output piped into a
reader that stops early (`| head`) ends quietly with 0.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from certbridge.data import DATA_DIR
from certbridge.graph.choices import CLI_EXPORT_FORMATS, GROUPINGS, HOP_KINDS, IMPORT_FORMATS
from certbridge.graph.errors import CertbridgeError, InvalidOption, MissingInput, NotFound

from .settings import STORE_ENV, resolve_store

# Everything else is imported by the commands that need it: `certbridge --help` must not pay for
# the domain (pypinyin, networkx, rdflib, pyshacl), the web stack or rich.
if TYPE_CHECKING:
    from rich.console import Console

    from certbridge.graph.build import Progress
    from certbridge.graph.changes import Changeset
    from certbridge.graph.query import QueryAnswer
    from certbridge.graph.routing.coverage import Coverage
    from certbridge.graph.routing.records import RoutingIndex
    from certbridge.graph.store import AnyStore
    from certbridge.graph.writes import Written
    from certbridge.visualize.model import View

EXIT_OK, EXIT_NEGATIVE, EXIT_ERROR = 0, 1, 2


class Commands(TyperGroup):
    """The one place where errors meet the user: one line with its hint and exit 2, never a traceback.

    A CertbridgeError (a bad setting is an InvalidValue) or an OSError (a file that cannot be read or written)
    raised by any command ends here; a closed pipe (`certbridge export | head`) ends quietly with 0.
    """

    def invoke(self, ctx: Any) -> Any:  # a typer._click.Context: that module is private to typer
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # here, so that a closed pipe is found while it can still end quietly
        except CertbridgeError as error:
            _report(error)
        except OSError as error:
            if error.errno == errno.EPIPE:
                _silence_stdout()
                raise typer.Exit(EXIT_OK) from None
            _report(CertbridgeError(_os_message(error)))
        raise typer.Exit(EXIT_ERROR)


def _report(error: CertbridgeError) -> None:
    """``error: <first line> (hint: ...)`` on stderr, then the details (every defect, every candidate) if any."""
    head, _, details = error.message.partition("\n")
    line = f"error: {head.rstrip(':')}" + (f" (hint: {error.hint})" if error.hint else "")
    typer.echo(line, err=True)
    if details:
        typer.echo(details, err=True)


def _os_message(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename is not None else reason


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it again at exit does not fail on the closed pipe."""
    with contextlib.suppress(OSError, ValueError):  # no file descriptor under a test runner: nothing to flush
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


app = typer.Typer(
    name="certbridge",
    cls=Commands,
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: option names never cut at 80 columns, and no rich import
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"certbridge {version('certbridge')}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    pass


@cache
def _console(*, stderr: bool = False) -> Console:
    """Rich consoles for tables and progress; piped output is read in wide logs and editors, not 80 columns."""
    from rich.console import Console

    class Quiet(Console):
        """A console that leaves a closed pipe to Commands.invoke, like every other output."""

        def on_broken_pipe(self) -> None:
            """Let a closed pipe end quietly in Commands.invoke (rich would exit 1)."""
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    if stderr:
        return Quiet(stderr=True)
    return Quiet(width=None if sys.stdout.isatty() else 200)


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="DIR|URL",
        help=f"Store directory, or sparql+http://HOST:PORT/PATH for a SPARQL server."
        f" Default: ${STORE_ENV}, else ~/.local/share/certbridge/store.",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", metavar="DATE", help="Date YYYY-MM-DD (default today).")]
ByOption = Annotated[str, typer.Option("--by", metavar="GROUPING", help=f"One of {', '.join(GROUPINGS)}.")]
JsonOption = Annotated[bool, typer.Option("--json", help="The documented JSON shape.")]
ReleaseOption = Annotated[
    str | None, typer.Option("--release", metavar="TAG", help="Answer from this data release (certbridge releases).")
]
NoteOption = Annotated[str, typer.Option("--note", metavar="TEXT", help="Why (required): logged with the change.")]
WriterOption = Annotated[
    str | None, typer.Option("--writer", metavar="NAME", help="Who makes the change; default: your login name.")
]
BasedOnOption = Annotated[
    str | None,
    typer.Option(
        "--based-on",
        metavar="VERSION",
        help="Refuse the change unless VERSION (as `certbridge info` names it) is still the current store version.",
    ),
]


def _progress(quiet: bool) -> Progress:
    @contextlib.contextmanager
    def step(name: str) -> Iterator[None]:
        if quiet:
            yield
            return
        started = time.perf_counter()
        with _console(stderr=True).status(f"{name} …"):
            yield
        _console(stderr=True).print(f"[green]✓[/green] {name} ({time.perf_counter() - started:.1f} s)")

    return step


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidOption(f"--as-of {text!r} is not a date", hint="give YYYY-MM-DD, e.g. 2025-01-01") from None


@app.command()
def build(
    store: StoreOption = None,
    data: Annotated[Path, typer.Option("--data", metavar="DIR", help="Folder of the CSV tables.")] = DATA_DIR,
    quiet: QuietOption = False,
    discard_changes: Annotated[
        str | None,
        typer.Option(
            "--discard-changes",
            metavar="IDS",
            help="Changesets of the store (comma-separated ids) that DIR lacks and may be dropped.",
        ),
    ] = None,
) -> None:
    """Build a new store version from the CSV tables.

    The tables are converted to RDF, validated with SHACL and reasoned over; the new version is swapped in only
    on success. A store holding changes (writes) that DIR lacks is not replaced: build from `certbridge
    export-tables`, or name the changes to drop with --discard-changes.
    """
    from certbridge.graph import build as builder

    location = resolve_store(store)
    dropped = [name.strip() for name in (discard_changes or "").split(",") if name.strip()]
    result = builder.build(data, location, progress=_progress(quiet), discard_changes=dropped)
    if not quiet:
        _console().print(
            f"built {result.triples:,} triples ({result.reasoning.total:,} inferred) "
            f"in {result.graphs} named graphs at {location}"
        )


@app.command()
def reason(store: StoreOption = None, quiet: QuietOption = False) -> None:
    """Re-run reasoning into a new store version.

    The inferred graph is rebuilt from the asserted ones.
    """
    from certbridge.graph import build as builder

    location = resolve_store(store)
    report = builder.reason(location, progress=_progress(quiet))
    if not quiet:
        _console().print(f"inferred {report.total:,} triples in {report.iterations} passes at {location}")


@app.command("import")
def import_rows(
    file: Annotated[Path, typer.Argument(help="CSV file of new rows, with (some of) the table's columns.")],
    table: Annotated[
        str | None,
        typer.Option(
            "--table", metavar="TABLE", help="Table to add to; default: the file's name, e.g. agreements.csv."
        ),
    ] = None,
    store: StoreOption = None,
    quiet: QuietOption = False,
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help=f"One of {', '.join(IMPORT_FORMATS)} (sssom: alignments rows)."
        ),
    ] = "csv",
    note: NoteOption = "",
    writer: WriterOption = None,
    based_on: BasedOnOption = None,
) -> None:
    """Add rows (agreements, issuers, sanctions, …) to the store.

    The store is validated and re-derived whole with them, or they are rejected whole. An SSSOM mapping set
    (--format sssom) adds its mappings between grades, framework levels, occupations and ISCO-08 groups to
    alignments.csv.
    """
    from certbridge.graph import writes

    location = resolve_store(store)
    if format not in IMPORT_FORMATS:
        raise InvalidOption(f"unknown import format {format!r}", hint=f"use one of {', '.join(IMPORT_FORMATS)}")
    if format == "sssom":
        from certbridge.graph.formats.sssom import alignment_rows

        if table not in (None, "alignments"):
            raise InvalidOption("an SSSOM mapping set adds to alignments", hint="drop --table")
        new, others = alignment_rows(file)
        if others and not quiet:
            _console(stderr=True).print(f"left {others} mapping(s) that are not alignments (bridges, outside links)")
    else:
        new = writes.read_rows(file, table)
    import getpass

    written = writes.add_rows(
        location, new, writer=writer or getpass.getuser(), note=note, based_on=based_on, progress=_progress(quiet)
    )
    if not quiet:
        _print_written(
            written,
            f"added {len(new.rows)} row(s) to {new.table} as {written.changeset.id}: "
            f"{written.triples:,} triples in the new version",
        )


@app.command("export-tables")
def export_tables_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A new or empty folder to write the tables to.")],
    store: StoreOption = None,
) -> None:
    """Write the tables, changes included, as CSV to edit.

    Every change is in them, with the changes log (changes.jsonl): `certbridge build --data DIR` rebuilds
    the same store.
    """
    from certbridge.graph import writes

    written = writes.export_tables(resolve_store(store), folder)
    _console().print(f"wrote {len(written)} file(s) to {folder}")


def _both(message_key: str, **values: object) -> str:
    """A catalogue message in Chinese, then English (the CLI's notices are bilingual)."""
    from certbridge.visualize.catalogue import Language, text

    return f"{text(message_key, Language.ZH, **values)} / {text(message_key, Language.EN, **values)}"


def _assignments(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep or not column.strip():
            raise InvalidOption(f"--set {pair!r} is not COLUMN=VALUE", hint="e.g. --set valid_to=2026-12-31")
        found[column.strip()] = value
    return found


@app.command("correct")
def correct_command(
    table: Annotated[str, typer.Argument(help="The table, e.g. agreements.")],
    key: Annotated[
        str | None, typer.Argument(help="The row's key (its id; several key columns joined by ':', e.g. EQF:4).")
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="COLUMN=VALUE", help="A new value (repeat for several columns)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="CSV",
            help="Corrections as CSV: the key column(s), then each column to rewrite (an empty cell empties it).",
        ),
    ] = None,
    note: NoteOption = "",
    writer: WriterOption = None,
    based_on: BasedOnOption = None,
    store: StoreOption = None,
    quiet: QuietOption = False,
) -> None:
    """Correct fields of existing rows, found by their key.

    The next version is built from the tables with the corrected rows and validated whole (every defect as
    FILE:line: column: message), or nothing changes. The changes log keeps each row before and after.
    """
    import getpass

    from certbridge.graph import writes

    if (file is None) == (key is None):
        raise InvalidOption(
            "name one row (KEY with --set) or give --file", hint="certbridge correct TABLE KEY --set C=V"
        )
    if file is not None:
        corrections = writes.read_corrections(file, table)
    else:
        assert key is not None
        values = _assignments(assignments or [])
        if not values:
            raise InvalidOption("nothing to correct", hint="say what with --set COLUMN=VALUE")
        corrections = writes.Corrections(table, [(key, values)], Path("arguments"), [1])
    written = writes.correct_rows(
        resolve_store(store),
        corrections,
        writer=writer or getpass.getuser(),
        note=note,
        based_on=based_on,
        progress=_progress(quiet),
    )
    if not quiet:
        _print_written(
            written,
            _both(
                "changes.corrected",
                table=table,
                count=len(written.changeset.rows),
                changeset=written.changeset.id,
                version=written.version.name,
            ),
        )


def _print_written(written: Written, summary: str) -> None:
    """What a write made (*summary*), then how it was applied (patched or rebuilt): the same two lines for every
    kind of change."""
    _console().print(summary)
    _console().print(_both(f"writes.applied.{written.applied}"))


@app.command("retire")
def retire_command(
    table: Annotated[str, typer.Argument(help="The record's table, e.g. agreements, sanctions, authorisations.")],
    key: Annotated[str, typer.Argument(help="The record's id.")],
    on: Annotated[str, typer.Option("--on", metavar="DATE", help="The day it stops counting (YYYY[-MM[-DD]]).")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it was retired (required).")],
    source: Annotated[
        str, typer.Option("--source", metavar="IDS", help="The source(s) reporting it (ids, ';'-separated).")
    ],
    note: NoteOption = "",
    writer: WriterOption = None,
    precision: Annotated[
        str, typer.Option("--date-precision", metavar="TEXT", help="How the date is known (day, reported on …).")
    ] = "",
    illustrative: Annotated[
        bool, typer.Option("--illustrative", help="The retirement is illustrative (it cites SRC-ILLUSTRATIVE).")
    ] = False,
    based_on: BasedOnOption = None,
    store: StoreOption = None,
    quiet: QuietOption = False,
) -> None:
    """Retire a record from a day; nothing is deleted.

    An agreement terminated, a sanction lifted, an authorisation ended: a row of retirements.csv is added; route
    lookups as of that day or later no longer use the record, earlier days still do, and every answer about it
    says it is retired, when and why.
    """
    import getpass

    from certbridge.graph import writes

    retirement = writes.Retirement(
        table=table,
        key=key,
        retired_on=on,
        reason=reason,
        source_ids=source,
        date_precision=precision,
        illustrative=illustrative,
        note=note,
    )
    written = writes.retire(
        resolve_store(store),
        retirement,
        writer=writer or getpass.getuser(),
        note=note,
        based_on=based_on,
        progress=_progress(quiet),
    )
    if not quiet:
        _print_written(
            written,
            _both(
                "changes.retired",
                table=table,
                key=key,
                retired_on=on,
                changeset=written.changeset.id,
                version=written.version.name,
            ),
        )


@app.command("changes")
def changes_command(
    store: StoreOption = None,
    as_json: JsonOption = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="VERSION|DATE", help="Only changes after that version, or on or after that day."
        ),
    ] = None,
) -> None:
    """Who changed what, when and why (the changes log).

    The log of the current version: every write since the store was built from its tables, each row it touched
    with its values before and after.
    """
    from certbridge.graph.changes import read_log
    from certbridge.graph.changes import since as changes_since
    from certbridge.graph.store import store_at

    log = changes_since(read_log(store_at(resolve_store(store)).tables()), since)
    if as_json:
        typer.echo(json.dumps([c.to_json() for c in log], ensure_ascii=False, indent=2))
        return
    for changeset in log:
        typer.echo(changeset.summary())
        for row in changeset.rows:
            typer.echo(f"  {changeset.table} {row.key}" + (" (new)" if row.before is None else ""))
            for column, (before, after) in row.changed().items():
                typer.echo(
                    f"    {column}: {before!r} -> {after!r}" if row.before is not None else f"    {column}: {after!r}"
                )
    if not log:
        typer.echo(_both("changes.none"))


@app.command("release")
def release_command(
    tag: Annotated[str, typer.Argument(metavar="TAG", help="The release's name, e.g. 2026-12 (unique).")],
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="What the release is (required).")] = "",
    writer: Annotated[
        str | None,
        typer.Option("--writer", metavar="NAME", help="Who makes the release; default: your login name."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Name the current version as a data release.

    A released version is kept from pruning.
    Reads may then pin it (?release=TAG, certbridge diff TAG current). The number of releases kept is the
    setting CERTBRIDGE_KEEP_RELEASES: a release beyond it lets the oldest go (recorded, never silently).
    """
    import getpass

    from certbridge.graph.store import store_at
    from certbridge.graph.store.releases import make_release, releases

    from .settings import Settings

    settings = Settings.from_environment(store)
    graph_store = store_at(settings.store)
    before = {r.tag for r in releases(graph_store) if r.kept}
    made = make_release(graph_store, tag, note=note, writer=writer or getpass.getuser(), keep=settings.keep_releases)
    typer.echo(_both("release.made", tag=made.tag, version=made.version))
    for gone in releases(graph_store):
        if gone.tag in before and not gone.kept:
            values = {"tag": gone.tag, "version": gone.version, "keep": settings.keep_releases}
            typer.echo(_both("release.let_go", **values))


@app.command("releases")
def releases_command(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """The data releases kept, and those let go.

    Each with its tag, version, date, writer and note.
    """
    from certbridge.graph.store import store_at
    from certbridge.graph.store.releases import releases

    made = releases(store_at(resolve_store(store)))
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in made], ensure_ascii=False, indent=2))
        return
    for release in made:
        if release.kept:
            typer.echo(f"{release.tag}\t{release.version}\t{release.at}\t{release.writer}\t{release.note}")
        else:
            values = {"tag": release.tag, "at": release.let_go_at, "reason": release.let_go_reason}
            typer.echo(_both("releases.let_go", **values))
    if not made:
        typer.echo(_both("releases.none"))


@app.command("diff")
def diff_command(
    source: Annotated[str, typer.Argument(metavar="A", help="The older: current, a release's tag, or a version.")],
    target: Annotated[str, typer.Argument(metavar="B", help="The newer (default: current).")] = "current",
    store: StoreOption = None,
    as_of: AsOfOption = None,
    max_pairs: Annotated[
        int | None,
        typer.Option("--max-pairs", metavar="N", min=1, help="Compare at most N pairs (CERTBRIDGE_DIFF_MAX_PAIRS)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What changed from A to B, and which routes it changed.

    The records added, corrected and retired, and the pairs whose best route appeared, disappeared or changed
    strength, each with the change (changeset, writer, note) that caused it.
    """
    from certbridge.graph.diff import diff

    from .settings import Settings

    settings = Settings.from_environment(store)
    found = diff(settings.store, source, target, as_of=_day(as_of), max_pairs=max_pairs or settings.diff_max_pairs)
    if as_json:
        typer.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    _print_diff(found.to_json())


def _print_diff(body: dict[str, Any]) -> None:
    """A diff's JSON as lines to read: the records, then the route changes, each with its causes."""

    def causes(listed: list[dict[str, Any]]) -> None:
        for cause in listed:
            typer.echo("    " + _both("diff.cause", **cause))
        if not listed:
            typer.echo("    " + _both("diff.no_cause"))

    ends = {side: body[side]["release"] or body[side]["version"] for side in ("from", "to")}
    typer.echo(_both("diff.header", source=ends["from"], target=ends["to"], as_of=body["as_of"]))
    typer.echo(_both("diff.records", count=len(body["records"])))
    for record in body["records"]:
        columns = f" ({', '.join(record['columns'])})" if record["columns"] else ""
        typer.echo(f"  {_both('diff.kind.' + record['kind'])}: {record['table']} {record['key']}{columns}")
        causes(record["causes"])
    typer.echo(_both("diff.routes", count=len(body["routes"]), pairs=body["pairs_compared"]))
    for change in body["routes"]:
        source, target = (change[side]["label_zh"] or change[side]["iri"] for side in ("source", "target"))
        strengths = [(change[when] or {}).get("strength", "-") for when in ("before", "after")]
        typer.echo(f"  {_both('diff.kind.' + change['kind'])}: {source} → {target} ({' → '.join(strengths)})")
        causes(change["causes"])
    if not body["complete"]:
        typer.echo(_both("diff.incomplete", max_pairs=body["max_pairs"]))
    if body["illustrative"] or body["synthetic"]:
        typer.echo(_both("diff.illustrative"))
    if body["proposed"]:
        typer.echo(_both("diff.proposed"))


def _index(store: str | None, release: str | None) -> RoutingIndex:
    """The routing index of the current version, or of the release *release* names (NotFound when not kept)."""
    from certbridge.graph.routing.index import index_for
    from certbridge.graph.store import store_at
    from certbridge.graph.store.releases import version_of

    graph_store = store_at(resolve_store(store))
    return index_for(graph_store, None if release is None else version_of(graph_store, release))


@app.command()
def route(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Certificate type: IRI, id, or search text.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Certificate type or credential: IRI, id, or text.")],
    store: StoreOption = None,
    as_of: AsOfOption = None,
    k: Annotated[int, typer.Option("--k", metavar="N", min=1, max=50, help="How many routes.")] = 3,
    kinds: Annotated[
        str | None,
        typer.Option("--kinds", metavar="KINDS", help=f"Comma-separated hop kinds: {', '.join(HOP_KINDS)}."),
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", metavar="N", min=1, max=12, help="Longest route.")] = 6,
    include_sanctioned: Annotated[bool, typer.Option("--include-sanctioned", help="Allow sanctioned issuers.")] = False,
    national_bank: Annotated[
        bool, typer.Option("--national-question-bank", help="Only issuers using the national question bank.")
    ] = False,
    no_failed_check_years: Annotated[
        int | None,
        typer.Option("--no-failed-check-years", metavar="N", help="Only issuers without a failed check in N years."),
    ] = None,
    unconditional: Annotated[
        bool, typer.Option("--unconditional", help="Only agreements without conditions (no exam still to take).")
    ] = False,
    as_json: JsonOption = False,
    release: ReleaseOption = None,
) -> None:
    """The routes by which FROM is accepted where TO is required.

    Exit 1 when there is no route.
    """
    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.resolve import HELD_KINDS, resolve
    from certbridge.graph.routing.rules import QualityBar

    from .route_text import render

    day = _day(as_of)
    bar = QualityBar(national_bank, no_failed_check_years) if national_bank or no_failed_check_years else None
    index = _index(store, release)
    answer = find_routes(
        index,
        resolve(index, source, kinds=HELD_KINDS),
        resolve(index, target),
        as_of=day,
        kinds=kinds.split(",") if kinds else None,
        max_hops=max_hops,
        k=k,
        exclude_sanctioned=not include_sanctioned,
        quality=bar,
        unconditional=unconditional,
    )
    if as_json:
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render(answer))
    raise typer.Exit(EXIT_OK if answer.routes else EXIT_NEGATIVE)


@app.command("sources")
def sources_command(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Every source and document, with how many records rest on it.

    Kind, address, date and its precision, trust, and the records citing it per table; then the totals per table.
    """
    from rich.table import Table

    from certbridge.graph.sources import source_report
    from certbridge.graph.store import open_store
    from certbridge.visualize.catalogue import message

    report = source_report(open_store(resolve_store(store)))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    names = ("id", "kind", "url", "date", "precision", "trust", "records", "by_table")
    grid = Table(*(f"{message(f'sources.column.{name}').zh} {message(f'sources.column.{name}').en}" for name in names))
    for s in report.sources:
        per_table = ", ".join(f"{table} {n}" for table, n in s.by_table.items())
        grid.add_row(
            s.id,
            s.kind,
            s.url or "(none)",
            s.date or s.date_as_stated or "",
            s.precision or "",
            s.trust or "",
            str(s.records),
            per_table,
        )
    _console().print(grid)
    totals = Table("表 table", f"{message('sources.totals').zh} {message('sources.totals').en}")
    for table, n in report.by_table.items():
        totals.add_row(table, str(n))
    _console().print(totals)


def _print_coverage(table: Coverage, title: str) -> None:
    from rich.table import Table

    total = table.total
    sample = f", a sample of {table.sampled_occupations} occupations" if table.sampled_occupations else ""
    _console().print(
        f"{title}: {total.covered:,} of {total.pairs:,} ordered pairs covered ({total.share:.1%}), "
        f"as of {table.as_of}{sample}"
    )
    grid = Table("from", "to", "pairs", "covered", "share")
    for (a, b), cell in sorted(table.cells.items()):
        grid.add_row(a, b, f"{cell.pairs:,}", f"{cell.covered:,}", f"{cell.share:.1%}")
    _console().print(grid)
    if table.illustrative:
        from certbridge.visualize.catalogue import Language, text

        for language in Language:
            _console().print(text("coverage.cli.flagged", language, count=len(table.flagged)), style="bold yellow")


@app.command()
def coverage(
    store: StoreOption = None,
    by: ByOption = "region",
    as_of: AsOfOption = None,
    sample: Annotated[
        int | None, typer.Option("--sample", metavar="N", help="Count a random sample of N occupations.")
    ] = None,
    as_json: JsonOption = False,
    release: ReleaseOption = None,
) -> None:
    """Share of certificate pairs with a formal-recognition route.

    The pairs are ordered, of one occupation, the first of the same or a higher grade.
    """
    from certbridge.graph.routing.coverage import coverage as coverage_of

    table = coverage_of(_index(store, release), by=by, as_of=_day(as_of), max_occupations=sample)
    if as_json:
        typer.echo(json.dumps(table.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_coverage(table, "coverage")


@app.command("what-if")
def what_if_command(
    agreements: Annotated[
        Path | None, typer.Argument(help="CSV of hypothetical agreements (columns as agreements.csv).")
    ] = None,
    store: StoreOption = None,
    by: ByOption = "region",
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    retire: Annotated[
        str | None,
        typer.Option("--retire", metavar="TABLE:ID", help="A proposed retirement (with --on, --reason, --source)."),
    ] = None,
    on: Annotated[str | None, typer.Option("--on", metavar="DATE", help="The day a retirement counts from.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="Why it would be retired.")] = None,
    source: Annotated[
        str | None, typer.Option("--source", metavar="IDS", help="The source(s) of the retirement.")
    ] = None,
    illustrative: Annotated[
        bool, typer.Option("--illustrative", help="The proposed retirement is illustrative (cites SRC-ILLUSTRATIVE).")
    ] = False,
    correct: Annotated[
        str | None,
        typer.Option("--correct", metavar="TABLE:KEY", help="A proposed correction of a row (with --set)."),
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="COLUMN=VALUE", help="A corrected value (repeat for several columns)."),
    ] = None,
    max_pairs: Annotated[
        int | None,
        typer.Option("--max-pairs", metavar="N", min=1, help="Compare at most N pairs (CERTBRIDGE_DIFF_MAX_PAIRS)."),
    ] = None,
) -> None:
    """What hypothetical agreements or a proposed change would do.

    Coverage after adding hypothetical agreements; or the route diff a proposed retirement or correction would
    make.
    Nothing is written to the store. Hypothetical agreements: coverage before and after, and the pairs they
    connect. --retire or --correct: the change is applied, as `certbridge retire` or `certbridge correct` would,
    to a scratch copy, and compared as `certbridge diff` compares two versions (the same answer as the diff
    after making the change).
    """
    if sum(given is not None for given in (agreements, retire, correct)) != 1:
        raise InvalidOption(
            "give one of: a CSV of hypothetical agreements, --retire TABLE:ID, --correct TABLE:KEY",
            hint="certbridge what-if --retire agreements:IL-AG01 --on 2026-12-31 --reason … --source …",
        )
    if agreements is None:
        retirement = None if retire is None else (retire, on, reason, source, illustrative)
        _what_if_change(store, retirement, correct, assignments or [], as_of, as_json, max_pairs)
        return
    from certbridge.graph.routing.coverage import read_hypothetical, what_if, what_if_json
    from certbridge.graph.routing.index import index_for

    index = index_for(resolve_store(store))
    before, after = what_if(index, read_hypothetical(agreements, index), by=by, as_of=_day(as_of))
    if as_json:
        typer.echo(json.dumps(what_if_json(before, after), ensure_ascii=False, indent=2))
        return
    _print_coverage(before, "before")
    _print_coverage(after, "with the hypothetical agreements")
    _console().print(f"{len(after.newly_connected)} newly connected pair(s):")
    for a, b in after.newly_connected:
        _console().print(f"  {index.certificates[a].label_zh}  →  {index.certificates[b].label_zh}", markup=False)


def _what_if_change(
    store: str | None,
    retire: tuple[str, str | None, str | None, str | None, bool] | None,
    correct: str | None,
    assignments: list[str],
    as_of: str | None,
    as_json: bool,
    max_pairs: int | None,
) -> None:
    """``certbridge what-if --retire`` / ``--correct``: the diff of the proposed change (graph/proposed.py)."""
    import getpass

    from certbridge.graph import writes
    from certbridge.graph.proposed import what_if_change
    from certbridge.graph.store import GraphStore

    from .settings import Settings

    named = retire[0] if retire is not None else correct or ""
    table, _, key = named.partition(":")
    if not table or not key:
        option = "--retire" if retire else "--correct"
        raise InvalidOption(f"{option} {named!r} is not TABLE:KEY", hint=f"e.g. {option} agreements:IL-AG01")
    writer, note = getpass.getuser(), "what-if"
    if retire is not None:
        _, on, reason, source, illustrative = retire
        missing = [name for name, value in (("--on", on), ("--reason", reason), ("--source", source)) if not value]
        if missing:
            raise InvalidOption(f"a proposed retirement needs {', '.join(missing)}", hint="as certbridge retire does")
        retirement = writes.Retirement(
            table=table,
            key=key,
            retired_on=on or "",
            reason=reason or "",
            source_ids=source or "",
            illustrative=illustrative,
        )

        def apply(scratch: GraphStore) -> Changeset:
            return writes.retire(scratch, retirement, writer=writer, note=note).changeset
    else:
        values = _assignments(assignments)
        if not values:
            raise InvalidOption("nothing to correct", hint="say what with --set COLUMN=VALUE")
        corrections = writes.Corrections(table, [(key, values)], Path("arguments"), [1])

        def apply(scratch: GraphStore) -> Changeset:
            return writes.correct_rows(scratch, corrections, writer=writer, note=note).changeset

    settings = Settings.from_environment(store)
    found = what_if_change(settings.store, apply, as_of=_day(as_of), max_pairs=max_pairs or settings.diff_max_pairs)
    if as_json:
        typer.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    _print_diff(found.to_json())


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port to listen on.")] = 8000,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = True,
    workers: Annotated[
        int, typer.Option("--workers", metavar="N", min=1, help="Server processes (each loads the index).")
    ] = 1,
) -> None:
    """Serve the store over HTTP.

    SPARQL at /sparql, REST under /api/v1, OpenAPI at /docs.
    """
    import uvicorn

    from certbridge.graph.store import open_store

    from .app import create_app
    from .serving import run_workers
    from .settings import GRACEFUL_SHUTDOWN_S, Settings

    settings = Settings.from_environment(store)
    open_store(settings.store)  # fail now, with a hint, rather than on the first request
    typer.echo(f"serving {settings.store} at http://{host}:{port}/  (SPARQL: /sparql, API docs: /docs)")
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="info",
            access_log=access_log,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return
    os.environ[STORE_ENV] = str(settings.store)  # the worker processes read their settings from the environment
    run_workers(
        "certbridge.api.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the tables to.")],
    issuers: Annotated[int, typer.Option("--issuers", metavar="N", min=1, help="How many synthetic issuers.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Random seed (same seed, same tables).")] = 1,
    data: Annotated[Path, typer.Option("--data", metavar="DIR", help="Real tables to start from.")] = DATA_DIR,
) -> None:
    """Write a synthetic national-scale data set.

    The real tables plus N synthetic issuers; build a store from them with `build --data`.
    """
    from certbridge.graph.synth import synthesise

    summary = synthesise(data, out, issuers=issuers, seed=seed)
    typer.echo(
        f"{summary.issuers:,} issuers, {summary.certificate_types:,} certificate types, {summary.agreements:,} "
        f"agreements, {summary.sanctions:,} sanctions written to {out}"
    )


def _query_text(sparql: str) -> str:
    """The query itself, or the text of the file named after ``@``."""
    if not sparql.startswith("@"):
        return sparql
    path = Path(sparql[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        from certbridge.examples import EXAMPLES_DIR

        raise MissingInput(
            f"cannot read the query file {path}: {error.strerror or error}",
            hint=f"the path after @ is read from the current folder; the example queries are in {EXAMPLES_DIR}",
        ) from None


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL 1.1 query, or @FILE to read it from a file.")],
    store: StoreOption = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="table, json, csv, tsv, xml; ttl, nt, jsonld, rdfxml for graphs."
        ),
    ] = "table",
    release: ReleaseOption = None,
) -> None:
    """Run a SPARQL query over the store.

    The default graph is the union of all graphs. Exit 1 on no rows or ASK false.
    """
    from certbridge.graph.store import store_at
    from certbridge.graph.store.releases import version_of

    text = _query_text(sparql)
    graph_store = store_at(resolve_store(store))
    opened = graph_store.open() if release is None else graph_store.open_version(version_of(graph_store, release))
    negative = _print_answer(opened, text, format)
    raise typer.Exit(EXIT_NEGATIVE if negative else EXIT_OK)


def _print_answer(store: AnyStore, text: str, format_name: str) -> bool:
    """Print a query's answer; True when it says no.

    A function of its own so that the answer (pyoxigraph objects, which must be dropped on the thread
    that made them) is freed on return, not kept alive by the traceback of the ``typer.Exit`` raised after.
    """
    from certbridge.graph.query import is_negative, run_query, serialize

    answer = run_query(store, text)
    if format_name == "table":
        return _print_table(answer)
    data = serialize(answer, format_name)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return is_negative(answer, data, format_name)


def _print_table(answer: QueryAnswer) -> bool:
    import pyoxigraph as ox
    from rich.table import Table

    from certbridge.graph.query import as_table

    if isinstance(answer, ox.QueryBoolean):
        _console().print("true" if answer else "false")
        return not bool(answer)
    if isinstance(answer, ox.QueryTriples):
        data = answer.serialize(format=ox.RdfFormat.TURTLE) or b""
        _console().print(data.decode(), markup=False, highlight=False)
        return not data.strip()
    result = as_table(answer)
    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*row)
    _console().print(table)
    _console().print(f"{len(result.rows)} row(s)")
    return not result.rows


@app.command("export")
def export_command(
    store: StoreOption = None,
    format: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help=f"One of {', '.join(CLI_EXPORT_FORMATS)}.")
    ] = "ttl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="File to write; default standard output.")
    ] = None,
    occupation: Annotated[
        str | None,
        typer.Option("--occupation", metavar="CODE", help="ctdl only: that occupation's (or group's) certificates."),
    ] = None,
) -> None:
    """Write the whole graph to a file or standard output.

    Turtle, N-Triples, JSON-LD (the union of the graphs) or TriG, N-Quads (named graphs kept); or a part of it
    for other tools: skos (the 2022 classification and ISCO-08 as SKOS concept schemes, Turtle), sssom (every
    alignment between systems: grade bridges, alignments.csv, EQF and ESCO IRIs, as an SSSOM TSV), ctdl
    (certificate types and their issuers as CTDL JSON-LD, streamed; --occupation limits it).
    """
    from certbridge.graph.export import export
    from certbridge.graph.store import open_store

    opened = open_store(resolve_store(store))
    if output is None:
        export(opened, sys.stdout.buffer, format, occupation=occupation)
        sys.stdout.flush()
    else:
        with output.open("wb") as handle:
            export(opened, handle, format, occupation=occupation)


@app.command()
def info(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Counts per class, per named graph and per source.

    And the version served (what a write may be --based-on) and the time of its build.
    """
    from rich.table import Table

    from certbridge.graph.info import describe
    from certbridge.graph.store import store_at

    location = resolve_store(store)
    version, opened = store_at(location).snapshot()
    facts = describe(opened)
    if as_json:
        found = {"store": str(location), "version": version.name, **asdict(facts)}
        _console().print_json(json.dumps(found, ensure_ascii=False))
        return
    _console().print(f"store: {location}\nversion: {version.name}\nbuilt: {facts.built_at}")
    _console().print(f"illustrative records: {facts.illustrative}")
    for title, counts in (("named graph", facts.graphs), ("class", facts.classes), ("source", facts.sources)):
        table = Table(title, "count")
        for name, count in counts.items():
            table.add_row(name, f"{count:,}")
        _console().print(table)


viz_app = typer.Typer(
    help="Write a graph view as one self-contained HTML file.\n\nIt opens from disk, with no server.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(viz_app, name="viz")
OutOption = Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="The HTML file to write.")]
LangOption = Annotated[
    str, typer.Option("--lang", metavar="zh|en", help="Labels first shown: zh or en (the page switches).")
]
MaxNodesOption = Annotated[
    int, typer.Option("--max-nodes", metavar="N", min=10, help="Beyond this, nodes are aggregated.")
]


def _write_view(view: View, out: Path, lang: str) -> None:
    from certbridge.visualize.render import render_html

    if lang not in ("zh", "en"):
        raise InvalidOption(f"--lang {lang!r} is not a language of the page", hint="use zh or en")
    out.write_text(render_html(view, served=False, language=lang), encoding="utf-8")
    if view.kind == "coverage":  # a table, not a graph: say what was drawn
        rows, columns = view.data.get("rows", []), view.data.get("columns", [])
        drawn = f"a heat map of {len(rows)} x {len(columns)} groups"  # type: ignore[arg-type]
    else:
        drawn = f"{len(view.nodes)} nodes, {len(view.edges)} edges"
    flagged = ", resting on illustrative or synthetic records" if view.illustrative or view.synthetic else ""
    typer.echo(f"wrote {out} ({drawn}{flagged})")


@viz_app.command("route")
def viz_route(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Certificate type: IRI, id, or search text.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Certificate type or credential.")],
    out: OutOption,
    store: StoreOption = None,
    as_of: AsOfOption = None,
    k: Annotated[int, typer.Option("--k", metavar="N", min=1, max=10, help="How many routes.")] = 3,
    lang: LangOption = "zh",
) -> None:
    """The route view of FROM -> TO."""
    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.explain import missing_agreement
    from certbridge.graph.routing.index import index_for
    from certbridge.graph.routing.resolve import HELD_KINDS, resolve
    from certbridge.visualize.views import route_facets, route_view

    index = index_for(resolve_store(store))
    answer = find_routes(
        index, resolve(index, source, kinds=HELD_KINDS), resolve(index, target), as_of=_day(as_of), k=k
    )
    missing = None
    if answer.no_route is not None and answer.no_route.missing_agreement:  # its parts, worded in both languages
        missing = missing_agreement(index, answer.source.iri, answer.target.iri, date.fromisoformat(answer.as_of))
    _write_view(route_view(answer, route_facets(index, answer), missing), out, lang)


@viz_app.command("node")
def viz_node(
    entity: Annotated[str, typer.Argument(metavar="ID", help="An instance IRI or kind/key, e.g. organisation/mohrss.")],
    out: OutOption,
    store: StoreOption = None,
    depth: Annotated[int, typer.Option("--depth", metavar="N", min=1, max=3, help="Hops from ID.")] = 1,
    max_nodes: MaxNodesOption = 500,
    lang: LangOption = "zh",
) -> None:
    """The neighbourhood view of ID."""
    from certbridge.graph.iris import from_path
    from certbridge.graph.neighbourhood import neighbourhood
    from certbridge.graph.store import open_store
    from certbridge.visualize.views import node_view

    iri = from_path(entity)
    found = neighbourhood(open_store(resolve_store(store)), iri, depth=depth, limit=max_nodes * 2)
    if found is None:
        raise NotFound(f"nothing is known about <{iri}>", hint="give an IRI or kind/key such as occupation/6-04")
    _write_view(node_view(found.to_json(), max_nodes=max_nodes), out, lang)


@viz_app.command("agreements")
def viz_agreements(
    out: OutOption,
    store: StoreOption = None,
    as_of: AsOfOption = None,
    max_nodes: MaxNodesOption = 500,
    lang: LangOption = "zh",
) -> None:
    """The agreement map (with its year slider)."""
    from certbridge.graph.routing.index import index_for
    from certbridge.visualize.views import agreement_map

    view = agreement_map(index_for(resolve_store(store)), _day(as_of) or date.today(), max_nodes=max_nodes)
    _write_view(view, out, lang)


@viz_app.command("coverage")
def viz_coverage(
    out: OutOption,
    store: StoreOption = None,
    by: ByOption = "region",
    as_of: AsOfOption = None,
    sample: Annotated[
        int | None, typer.Option("--sample", metavar="N", min=1, help="A random sample of N occupations.")
    ] = None,
    lang: LangOption = "zh",
) -> None:
    """The coverage heat map."""
    from certbridge.graph.describe import labels_of
    from certbridge.graph.routing.coverage import coverage as coverage_of
    from certbridge.graph.routing.coverage import group_iris
    from certbridge.graph.routing.index import index_for
    from certbridge.graph.store import open_store
    from certbridge.visualize.views import coverage_view

    location = resolve_store(store)
    index = index_for(location)
    table = coverage_of(index, by=by, as_of=_day(as_of), max_occupations=sample)
    iris = group_iris(index, table)
    labels = labels_of(open_store(location), set(iris.values()))
    _write_view(coverage_view(table, {key: labels.get(iri, (None, None)) for key, iri in iris.items()}), out, lang)


def main() -> None:
    app()
