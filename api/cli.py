"""The `certbridge` command line: build, query, export, info.

Exit codes: 0 ok; 1 ran, but the answer is negative (ASK false, no rows); 2 error (bad input,
SHACL violations, no store, invalid SPARQL, usage).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.table import Table

from certbridge.data import DATA_DIR
from certbridge.graph import build as builder
from certbridge.graph import writes
from certbridge.graph.errors import CertbridgeError, DataError, NotFound
from certbridge.graph.export import EXPORT_FORMATS, export
from certbridge.graph.info import describe
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.query import as_table, is_negative, run_query, serialize
from certbridge.graph.routing import HOP_KINDS, find_routes
from certbridge.graph.routing.coverage import GROUPINGS, Coverage, read_hypothetical, what_if
from certbridge.graph.routing.coverage import coverage as coverage_of
from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.resolve import resolve
from certbridge.graph.routing.rules import QualityBar
from certbridge.graph.store import AnyStore, Location, open_store
from certbridge.graph.synth import synthesise
from certbridge.ontology import ID
from certbridge.visualize.model import View
from certbridge.visualize.render import render_html
from certbridge.visualize.views import agreement_map, coverage_view, node_view, route_facets, route_view

from .route_text import render
from .settings import GRACEFUL_SHUTDOWN_S, STORE_ENV, Settings, resolve_store

EXIT_OK, EXIT_NEGATIVE, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="certbridge",
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output is read in wide logs and editors, not an 80-column terminal.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=f"Store directory, or sparql+http://HOST:PORT/PATH for a SPARQL server."
        f" Default: ${STORE_ENV}, else ~/.local/share/certbridge/store.",
    ),
]


def fail(error: CertbridgeError) -> typer.Exit:
    """Print a CertbridgeError for people (no traceback) and return the exit to raise."""
    if isinstance(error, DataError):
        for item in error.errors:
            typer.echo(str(item), err=True)
        typer.echo(f"error: {len(error.errors)} defect(s) in the input tables", err=True)
    else:
        typer.echo(f"error: {error.message}", err=True)
    if error.hint:
        typer.echo(f"hint: {error.hint}", err=True)
    return typer.Exit(EXIT_ERROR)


def _location(store: str | None) -> Location:
    """The store location, or exit with the setting that is wrong (a bad server URL, auth kind, ...)."""
    try:
        return resolve_store(store)
    except ValueError as error:
        raise fail(CertbridgeError(str(error))) from None


def _progress(quiet: bool):
    @contextlib.contextmanager
    def step(name: str) -> Iterator[None]:
        if quiet:
            yield
            return
        started = time.perf_counter()
        with err.status(f"{name} …"):
            yield
        err.print(f"[green]✓[/green] {name} ({time.perf_counter() - started:.1f} s)")

    return step


@app.command()
def build(
    store: StoreOption = None,
    data: Annotated[Path, typer.Option("--data", help="Folder of the CSV tables.")] = DATA_DIR,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Convert the tables to RDF, validate with SHACL and write a new store version (swapped in on success)."""
    location = _location(store)
    try:
        result = builder.build(data, location, progress=_progress(quiet))
    except CertbridgeError as error:
        raise fail(error) from None
    if not quiet:
        out.print(
            f"built {result.triples:,} triples ({result.reasoning.total:,} inferred) "
            f"in {len(result.triples_by_graph)} named graphs at {location}"
        )


@app.command()
def reason(
    store: StoreOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Re-run reasoning alone into a new store version (the inferred graph is rebuilt from the asserted ones)."""
    location = _location(store)
    try:
        report = builder.reason(location, progress=_progress(quiet))
    except CertbridgeError as error:
        raise fail(error) from None
    if not quiet:
        out.print(f"inferred {report.total:,} triples in {report.iterations} passes at {location}")


@app.command("import")
def import_rows(
    file: Annotated[Path, typer.Argument(help="CSV file of new rows, with (some of) the table's columns.")],
    table: Annotated[
        str | None, typer.Option("--table", help="Table to add to; default: the file's name, e.g. agreements.csv.")
    ] = None,
    store: StoreOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Add rows (agreements, issuers, sanctions, …) to the store: validated and re-derived whole, or rejected whole."""
    location = _location(store)
    try:
        new = writes.read_rows(file, table)
        result = writes.add_rows(location, new, progress=_progress(quiet))
    except CertbridgeError as error:
        raise fail(error) from None
    if not quiet:
        out.print(f"added {len(new.rows)} row(s) to {new.table}: {result.triples:,} triples in the new version")


@app.command()
def route(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Certificate type: IRI, id, or search text.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Certificate type or credential: IRI, id, or text.")],
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many routes.")] = 3,
    kinds: Annotated[
        str | None, typer.Option("--kinds", help=f"Comma-separated hop kinds: {', '.join(HOP_KINDS)}.")
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=12)] = 6,
    include_sanctioned: Annotated[bool, typer.Option("--include-sanctioned", help="Allow sanctioned issuers.")] = False,
    national_bank: Annotated[bool, typer.Option("--national-question-bank", help="Only issuers using it.")] = False,
    no_failed_check_years: Annotated[
        int | None, typer.Option("--no-failed-check-years", help="Only issuers without a failed check in N years.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The documented JSON shape.")] = False,
) -> None:
    """Is FROM accepted where TO is required, and by which route? Exit 1 when there is no route."""
    try:
        day = _day(as_of)
    except CertbridgeError as error:
        raise fail(error) from None
    bar = QualityBar(national_bank, no_failed_check_years) if national_bank or no_failed_check_years else None
    try:
        index = index_for(_location(store))
        answer = find_routes(
            index,
            resolve(index, source),
            resolve(index, target),
            as_of=day,
            kinds=kinds.split(",") if kinds else None,
            max_hops=max_hops,
            k=k,
            exclude_sanctioned=not include_sanctioned,
            quality=bar,
        )
    except CertbridgeError as error:
        raise fail(error) from None
    except ValueError as error:
        raise fail(CertbridgeError(str(error))) from None
    if as_json:
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render(answer))
    raise typer.Exit(EXIT_OK if answer.routes else EXIT_NEGATIVE)


def _print_coverage(table: Coverage, title: str) -> None:
    total = table.total
    sample = f", a sample of {table.sampled_occupations} occupations" if table.sampled_occupations else ""
    out.print(
        f"{title}: {total.covered:,} of {total.pairs:,} ordered pairs covered ({total.share:.1%}), "
        f"as of {table.as_of}{sample}"
    )
    grid = Table("from", "to", "pairs", "covered", "share")
    for (a, b), cell in sorted(table.cells.items()):
        grid.add_row(a, b, f"{cell.pairs:,}", f"{cell.covered:,}", f"{cell.share:.1%}")
    out.print(grid)


@app.command()
def coverage(
    store: StoreOption = None,
    by: Annotated[str, typer.Option("--by", help=", ".join(GROUPINGS))] = "region",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    sample: Annotated[int | None, typer.Option("--sample", help="Count a random sample of N occupations.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Share of ordered pairs (same occupation, same or higher grade) with a formal-recognition route."""
    try:
        table = coverage_of(index_for(_location(store)), by=by, as_of=_day(as_of), max_occupations=sample)
    except (CertbridgeError, ValueError) as error:
        raise fail(error if isinstance(error, CertbridgeError) else CertbridgeError(str(error))) from None
    if as_json:
        typer.echo(json.dumps(table.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_coverage(table, "coverage")


@app.command("what-if")
def what_if_command(
    agreements: Annotated[Path, typer.Argument(help="CSV of hypothetical agreements (columns as agreements.csv).")],
    store: StoreOption = None,
    by: Annotated[str, typer.Option("--by", help=", ".join(GROUPINGS))] = "region",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Coverage after adding hypothetical agreements (never written to the store), and the pairs they connect."""
    try:
        index = index_for(_location(store))
        before, after = what_if(index, read_hypothetical(agreements, index), by=by, as_of=_day(as_of))
    except (CertbridgeError, ValueError) as error:
        raise fail(error if isinstance(error, CertbridgeError) else CertbridgeError(str(error))) from None
    if as_json:
        typer.echo(json.dumps({"before": before.to_json(), "after": after.to_json()}, ensure_ascii=False, indent=2))
        return
    _print_coverage(before, "before")
    _print_coverage(after, "with the hypothetical agreements")
    out.print(f"{len(after.newly_connected)} newly connected pair(s):")
    for a, b in after.newly_connected:
        out.print(f"  {index.certificates[a].label_zh}  →  {index.certificates[b].label_zh}", markup=False)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise CertbridgeError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Server processes (each loads the index).")] = 1,
) -> None:
    """Serve the store over HTTP: SPARQL at /sparql, REST under /api/v1, OpenAPI at /docs."""
    import uvicorn

    from .app import create_app
    from .serving import run_workers

    try:
        settings = Settings.from_environment(store)
        open_store(settings.store)  # fail now, with a hint, rather than on the first request
    except CertbridgeError as error:
        raise fail(error) from None
    except ValueError as error:
        raise fail(CertbridgeError(str(error))) from None
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
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the tables to.")],
    issuers: Annotated[int, typer.Option("--issuers", min=1, help="How many synthetic issuers.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same tables).")] = 1,
    data: Annotated[Path, typer.Option("--data", help="Real tables to start from.")] = DATA_DIR,
) -> None:
    """Write a synthetic national-scale data set (real tables plus N synthetic issuers), then build it with --data."""
    summary = synthesise(data, out, issuers=issuers, seed=seed)
    typer.echo(
        f"{summary.issuers:,} issuers, {summary.certificate_types:,} certificate types, {summary.agreements:,} "
        f"agreements, {summary.sanctions:,} sanctions written to {out}"
    )


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL 1.1 query, or @FILE to read it from a file.")],
    store: StoreOption = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv, tsv, xml; ttl, nt, jsonld for graphs.")
    ] = "table",
) -> None:
    """Run a SPARQL query over the store (default graph = union of all graphs). Exit 1 on no rows or ASK false."""
    text = Path(sparql[1:]).read_text(encoding="utf-8") if sparql.startswith("@") else sparql
    try:
        negative = _print_answer(open_store(_location(store)), text, format)
    except CertbridgeError as error:
        raise fail(error) from None
    raise typer.Exit(EXIT_NEGATIVE if negative else EXIT_OK)


def _print_answer(store: AnyStore, text: str, format_name: str) -> bool:
    """Print a query's answer; True when it says no.

    A function of its own so that the answer (pyoxigraph objects, which must be dropped on the thread
    that made them) is freed on return, not kept alive by the traceback of the ``typer.Exit`` raised after.
    """
    answer = run_query(store, text)
    if format_name == "table":
        return _print_table(answer)
    data = serialize(answer, format_name)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return is_negative(answer, data, format_name)


def _print_table(answer) -> bool:
    if isinstance(answer, ox.QueryBoolean):
        out.print("true" if answer else "false")
        return not bool(answer)
    if isinstance(answer, ox.QueryTriples):
        data = answer.serialize(format=ox.RdfFormat.TURTLE) or b""
        out.print(data.decode(), markup=False, highlight=False)
        return not data.strip()
    result = as_table(answer)
    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*row)
    out.print(table)
    out.print(f"{len(result.rows)} row(s)")
    return not result.rows


@app.command("export")
def export_command(
    store: StoreOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help=", ".join(EXPORT_FORMATS))] = "ttl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default standard output.")
    ] = None,
) -> None:
    """Write the whole graph as Turtle, N-Triples, JSON-LD (union of graphs) or TriG, N-Quads (named graphs kept)."""
    try:
        opened = open_store(_location(store))
        if output is None:
            export(opened, sys.stdout.buffer, format)
            sys.stdout.flush()
        else:
            with output.open("wb") as handle:
                export(opened, handle, format)
    except CertbridgeError as error:
        raise fail(error) from None


@app.command()
def info(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Counts per class, per named graph and per source, and the time of the last build."""
    location = _location(store)
    try:
        facts = describe(open_store(location))
    except CertbridgeError as error:
        raise fail(error) from None
    if as_json:
        out.print_json(json.dumps({"store": str(location), **asdict(facts)}, ensure_ascii=False))
        return
    out.print(f"store: {location}\nbuilt: {facts.built_at}\nillustrative records: {facts.illustrative}")
    for title, counts in (("named graph", facts.graphs), ("class", facts.classes), ("source", facts.sources)):
        table = Table(title, "count")
        for name, count in counts.items():
            table.add_row(name, f"{count:,}")
        out.print(table)


viz_app = typer.Typer(help="Write a graph view as one self-contained HTML file (opens from disk, no server).")
app.add_typer(viz_app, name="viz")
OutOption = Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")]
LangOption = Annotated[str, typer.Option("--lang", help="Labels first shown: zh or en (the page switches).")]
MaxNodesOption = Annotated[int, typer.Option("--max-nodes", min=10, help="Beyond this, nodes are aggregated.")]


def _write_view(view: View, out: Path, lang: str) -> None:
    if lang not in ("zh", "en"):
        raise fail(CertbridgeError(f"--lang {lang!r}: use zh or en"))
    out.write_text(render_html(view, served=False, language=lang), encoding="utf-8")
    typer.echo(f"wrote {out} ({len(view.nodes)} nodes, {len(view.edges)} edges)")


@viz_app.command("route")
def viz_route(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Certificate type: IRI, id, or search text.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Certificate type or credential.")],
    out: OutOption,
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=10)] = 3,
    lang: LangOption = "zh",
) -> None:
    """The route view of FROM -> TO."""
    try:
        index = index_for(_location(store))
        answer = find_routes(index, resolve(index, source), resolve(index, target), as_of=_day(as_of), k=k)
    except CertbridgeError as error:
        raise fail(error) from None
    body = answer.to_json()
    _write_view(route_view(body, route_facets(index, body)), out, lang)


@viz_app.command("node")
def viz_node(
    entity: Annotated[str, typer.Argument(metavar="ID", help="An instance IRI or kind/key, e.g. organisation/mohrss.")],
    out: OutOption,
    store: StoreOption = None,
    depth: Annotated[int, typer.Option("--depth", min=1, max=3)] = 1,
    max_nodes: MaxNodesOption = 500,
    lang: LangOption = "zh",
) -> None:
    """The neighbourhood view of ID."""
    iri = entity if entity.startswith("http") else f"{ID}{entity}"
    try:
        found = neighbourhood(open_store(_location(store)), iri, depth=depth, limit=max_nodes * 2)
    except CertbridgeError as error:
        raise fail(error) from None
    if found is None:
        raise fail(NotFound(f"nothing is known about <{iri}>", hint="give an IRI or kind/key such as occupation/6-04"))
    _write_view(node_view(found.to_json(), max_nodes=max_nodes), out, lang)


@viz_app.command("agreements")
def viz_agreements(
    out: OutOption,
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    max_nodes: MaxNodesOption = 500,
    lang: LangOption = "zh",
) -> None:
    """The agreement map (with its year slider)."""
    try:
        view = agreement_map(index_for(_location(store)), _day(as_of) or date.today(), max_nodes=max_nodes)
    except CertbridgeError as error:
        raise fail(error) from None
    _write_view(view, out, lang)


@viz_app.command("coverage")
def viz_coverage(
    out: OutOption,
    store: StoreOption = None,
    by: Annotated[str, typer.Option("--by", help=", ".join(GROUPINGS))] = "region",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=1, help="A random sample of N occupations.")] = None,
    lang: LangOption = "zh",
) -> None:
    """The coverage heat map."""
    try:
        table = coverage_of(index_for(_location(store)), by=by, as_of=_day(as_of), max_occupations=sample)
    except CertbridgeError as error:
        raise fail(error) from None
    except ValueError as error:
        raise fail(CertbridgeError(str(error))) from None
    _write_view(coverage_view(table), out, lang)


def main() -> None:
    app()
