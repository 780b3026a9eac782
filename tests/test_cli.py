"""The command line: formats, exit codes (0 ok, 1 negative answer, 2 error) and messages."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from helpers.data import Cli
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from certbridge.api.cli import app
from certbridge.graph.build import build
from certbridge.graph.choices import GROUPINGS
from certbridge.graph.errors import InvalidOption, MissingInput
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.coverage import coverage
from certbridge.graph.routing.index import index_for

COUNT_OCCUPATIONS = "SELECT (COUNT(?o) AS ?n) WHERE { ?o a cb:Occupation }"


def test_query_table_format(cli: Cli, mini_store: Path) -> None:
    result = cli("query", "--store", mini_store, COUNT_OCCUPATIONS)
    assert result.exit_code == 0, result.output
    assert "5" in result.stdout and "1 row(s)" in result.stdout


def test_query_json_is_sparql_results_json(cli: Cli, mini_store: Path) -> None:
    result = cli(
        "query",
        "--store",
        mini_store,
        "--format",
        "json",
        "SELECT ?c ?grade WHERE { ?c a cb:CertificateType ; cb:atGrade ?grade } ORDER BY ?c",
    )
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["head"]["vars"] == ["c", "grade"]
    assert len(body["results"]["bindings"]) == 8
    assert body["results"]["bindings"][0]["grade"]["type"] == "uri"


def test_query_csv(cli: Cli, mini_store: Path) -> None:
    result = cli(
        "query",
        "--store",
        mini_store,
        "--format",
        "csv",
        "SELECT ?code WHERE { ?r a cb:ProvinceLevelDivision ; skos:notation ?code } ORDER BY ?code",
    )
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["code"]
    assert len(rows) == 35 and rows[1] == ["110000"]


def test_query_from_file(cli: Cli, mini_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(COUNT_OCCUPATIONS, encoding="utf-8")
    assert cli("query", "--store", mini_store, "-f", "csv", f"@{path}").stdout.splitlines()[1] == "5"


def test_ask_false_and_no_rows_exit_1(cli: Cli, mini_store: Path) -> None:
    assert cli("query", "--store", mini_store, "ASK { ?x a cb:Nothing }").exit_code == 1
    assert cli("query", "--store", mini_store, "ASK { ?x a cb:Occupation }").exit_code == 0


@pytest.mark.parametrize("fmt", ["table", "json", "xml", "csv", "tsv"])
def test_no_rows_exit_1_in_every_format(cli: Cli, mini_store: Path, fmt: str) -> None:
    assert cli("query", "--store", mini_store, "-f", fmt, "SELECT ?x WHERE { ?x a cb:Nothing }").exit_code == 1
    assert cli("query", "--store", mini_store, "-f", fmt, "SELECT ?x WHERE { ?x a cb:Region }").exit_code == 0


def test_construct_as_turtle(cli: Cli, mini_store: Path) -> None:
    result = cli(
        "query",
        "--store",
        mini_store,
        "-f",
        "ttl",
        "CONSTRUCT { ?r a cb:Region } WHERE { ?r a cb:ProvinceLevelDivision }",
    )
    assert result.exit_code == 0
    assert len(Graph().parse(data=result.stdout, format="turtle")) == 34


def test_syntax_error_exit_2_with_parser_message(cli: Cli, mini_store: Path) -> None:
    result = cli("query", "--store", mini_store, "SELEC ?x WHERE { ?x ?p ?o }")
    assert result.exit_code == 2
    assert "SPARQL syntax error" in result.stderr and "Traceback" not in result.output


def test_missing_store_exit_2_with_hint(cli: Cli, tmp_path: Path) -> None:
    result = cli("query", "--store", tmp_path / "nothing", COUNT_OCCUPATIONS)
    assert result.exit_code == 2
    assert "no certbridge store" in result.stderr and "certbridge build --store" in result.stderr


def test_store_from_environment(cli: Cli, mini_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTBRIDGE_STORE", str(mini_store))
    assert cli("query", "-f", "csv", COUNT_OCCUPATIONS).stdout.splitlines()[1] == "5"


def test_store_default_location(cli: Cli, mini_store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CERTBRIDGE_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    result = cli("query", COUNT_OCCUPATIONS)
    assert result.exit_code == 2 and str(tmp_path / "certbridge" / "store") in result.stderr


@pytest.mark.parametrize(("fmt", "parse_as"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_export_union_formats_parse_back(cli: Cli, mini_store: Path, tmp_path: Path, fmt: str, parse_as: str) -> None:
    out = tmp_path / f"export.{fmt}"
    assert cli("export", "--store", mini_store, "--format", fmt, "-o", out).exit_code == 0
    graph = Graph().parse(out, format=parse_as)
    expected = int(
        cli(
            "query",
            "--store",
            mini_store,
            "-f",
            "csv",
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }",
        ).stdout.split()[1]
    )
    assert len(graph) == expected


@pytest.mark.parametrize(("fmt", "parse_as"), [("trig", "trig"), ("nq", "nquads")])
def test_export_dataset_formats_keep_named_graphs(
    cli: Cli, mini_store: Path, tmp_path: Path, fmt: str, parse_as: str
) -> None:
    out = tmp_path / f"export.{fmt}"
    assert cli("export", "--store", mini_store, "--format", fmt, "-o", out).exit_code == 0
    dataset = Dataset()
    dataset.parse(out, format=parse_as)
    names = {str(g.identifier) for g in dataset.graphs()}
    assert "https://w3id.org/certbridge/graph/ontology" in names
    assert "https://w3id.org/certbridge/graph/data/agreements" in names


def test_export_unknown_format_exit_2(cli: Cli, mini_store: Path) -> None:
    result = cli("export", "--store", mini_store, "--format", "xlsx")
    assert result.exit_code == 2 and "unknown export format" in result.stderr


def test_info_json(cli: Cli, mini_store: Path) -> None:
    result = cli("info", "--store", mini_store, "--json")
    assert result.exit_code == 0
    facts = json.loads(result.stdout)
    assert facts["classes"]["cb:Occupation"] == 5
    assert facts["classes"]["cb:RecognitionAgreement"] == 5
    assert facts["graphs"]["cbg:ontology"] > 500
    assert facts["built_at"].startswith("20") and facts["version"].startswith("v-")
    assert facts["illustrative"] > 0
    assert facts["sources"]["src:SRC-ILLUSTRATIVE"] == facts["illustrative"] - 1  # the source itself is marked too


def test_info_table(cli: Cli, mini_store: Path) -> None:
    result = cli("info", "--store", mini_store)
    assert result.exit_code == 0 and "data:occupations" in result.stdout


def test_build_reports_progress_unless_quiet(cli: Cli, mini_data: Path, tmp_path: Path) -> None:
    loud = cli("build", "--data", mini_data, "--store", tmp_path / "a")
    assert "validating with SHACL" in loud.stderr and "built" in loud.stdout
    quiet = cli("build", "--quiet", "--data", mini_data, "--store", tmp_path / "b")
    assert quiet.stdout == "" and quiet.stderr == ""


def test_reason_rebuilds_the_inferred_graph_in_a_new_version(cli: Cli, mini_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert cli("build", "--quiet", "--data", mini_data, "--store", store).exit_code == 0
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH cbg:inferred { ?s ?p ?o } }"
    before = cli("query", "--store", store, "-f", "csv", count).stdout
    version = (store / "current").readlink()
    result = cli("reason", "--store", store)
    assert result.exit_code == 0 and "inferred" in result.stdout
    assert (store / "current").readlink() != version
    assert cli("query", "--store", store, "-f", "csv", count).stdout == before


# -- starting fast, failing cleanly --------------------------------------------------------------------------------

#: what `import certbridge.api.cli`, `--help` and `--version` must not load: the domain and the web stack
HEAVY = ("pypinyin", "networkx", "rdflib", "pyshacl", "pyoxigraph", "fastapi", "starlette", "uvicorn", "rich")
LOADED_MODULES = """
import json, sys
import certbridge.api.cli
if len(sys.argv) > 1:
    try:
        certbridge.api.cli.app(sys.argv[1:])
    except SystemExit:
        pass
sys.stderr.write(json.dumps(sorted(sys.modules)))
"""


HENGFENG = "https://w3id.org/certbridge/id/certificate-type/IL-CT-hengfeng-spinner-technician"


def certbridge_process(*args: object, **options: Any) -> subprocess.Popen[bytes]:
    """The installed command line as a real process (what a shell runs), not the in-process runner."""
    return subprocess.Popen([sys.executable, "-m", "certbridge.api", *map(str, args)], **options)


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"]], ids=["import", "--help", "--version"])
def test_startup_loads_neither_the_domain_nor_the_web_stack(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", LOADED_MODULES, *argv], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stderr))
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}
    assert "certbridge.graph.build" not in loaded and "certbridge.graph.store" not in loaded
    if argv:
        assert done.stdout.strip()  # the help or the version was printed (the app ran)


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"certbridge {version('certbridge')}"


def command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command, e.g. ("query",), ("viz", "route")."""
    top = typer.main.get_command(app)
    assert isinstance(top, TyperGroup)
    paths: list[tuple[str, ...]] = []
    for name, command in top.commands.items():
        paths.append((name,))
        if isinstance(command, TyperGroup):
            paths += [(name, sub) for sub in command.commands]
    return paths


def command_at(path: tuple[str, ...]) -> TyperCommand | TyperGroup:
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    assert isinstance(command, TyperCommand | TyperGroup)
    return command


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_help_reads_at_80_columns(cli: Cli, path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*path, "--help")
    assert result.exit_code == 0 and result.stdout.startswith(f"Usage: certbridge {' '.join(path)} ")
    assert "<bool>" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    names = [name for param in command_at(path).params for name in (*param.opts, *param.secondary_opts)]
    for name in (name for name in names if name.startswith("-")):
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", result.stdout), f"{name} cut or missing"


def test_top_level_help_names_every_command(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("--help")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: certbridge ")
    description, listing = result.stdout.split("\nOptions:", 1)
    for path in command_paths():
        assert re.search(rf"(?<![\w-]){re.escape(path[-1])}(?![\w-])", description), path  # the summary
        if len(path) == 1:
            assert re.search(rf"^  {re.escape(path[0])}  ", listing, re.M), path  # the Commands section
    assert "--version" in listing
    for group in ((), ("viz",)):  # each command's summary whole, not cut to fit
        commands = cli(*group, "--help").stdout.split("\nCommands:\n", 1)[1]
        assert commands.strip() and not re.search(r"\.\.\.$", commands, re.M), commands


def test_missing_query_file_is_one_line_exit_2(cli: Cli, mini_store: Path) -> None:
    result = cli("query", "--store", mini_store, "@examples/nope.rq")
    assert result.exit_code == 2 and result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: cannot read the query file examples/nope.rq") and "(hint: " in first
    assert len(result.stderr.splitlines()) == 1


def test_missing_data_folder_is_one_line_exit_2_and_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = cli("build", "--data", tmp_path / "nonexistent", "--store", store)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: no folder of tables at {tmp_path / 'nonexistent'} (hint: give --data the folder of the CSV tables)"
    ]
    assert not store.exists()


def test_build_counts_the_named_graphs_it_stored(cli: Cli, mini_data: Path, tmp_path: Path) -> None:
    assert (mini_data / "alignments.csv").read_text(encoding="utf-8").count("\n") == 1  # a table without rows
    result = cli("build", "--data", mini_data, "--store", tmp_path / "store")
    assert result.exit_code == 0, result.output
    said = re.search(r"in (\d+) named graphs", result.stdout)
    stored = cli("query", "--store", tmp_path / "store", "-f", "csv", "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }")
    assert said and int(said.group(1)) == len(stored.stdout.splitlines()) - 1


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (("query", "SELEC ?x WHERE {}"), "error: SPARQL syntax error"),
        (("coverage", "--by", "colour"), "error: unknown grouping 'colour'; use region,"),
        (("route", "--kinds", "teleport", HENGFENG, HENGFENG), "error: unknown hop kind(s) ['teleport']; use formal-"),
        (("route", "--as-of", "2025-13-01", "a", "b"), "error: --as-of '2025-13-01' is not a date (hint: "),
        (("route", "纺纱工", "高级技师"), "error: '纺纱工' matches "),
        (("export", "-f", "xlsx"), "error: unknown export format 'xlsx'; use one of ttl,"),
        (("export", "-o", "{tmp}/no/such/folder/out.ttl"), "error: {tmp}/no/such/folder/out.ttl: No such file"),
        (("viz", "agreements", "-o", "{tmp}/map.html", "--lang", "fr"), "error: --lang 'fr' is not a language"),
        (("viz", "node", "nothing/here", "-o", "{tmp}/node.html"), "error: nothing is known about <https://"),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else None,
)
def test_errors_are_one_line_with_exit_2(
    cli: Cli, mini_store: Path, tmp_path: Path, args: tuple[str, ...], first_line: str
) -> None:
    args = tuple(arg.replace("{tmp}", str(tmp_path)) for arg in args)
    result = cli(*args[:2], "--store", mini_store, *args[2:]) if args[0] == "viz" else cli(*args, "--store", mini_store)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0].startswith(first_line.replace("{tmp}", str(tmp_path))), result.stderr
    assert "Traceback" not in result.output


def test_a_bad_server_setting_is_one_line_exit_2(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTBRIDGE_SERVER_AUTH", "kerberos")
    result = cli("info", "--store", "sparql+http://127.0.0.1:9/sparql")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: CERTBRIDGE_SERVER_AUTH='kerberos' must be digest or basic"]


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=12).filter(lambda t: not t.startswith("-") and not _is_date(t) and "\x00" not in t))
def test_any_text_that_is_not_a_date_is_a_one_line_error(mini_store: Path, text: str) -> None:
    result = CliRunner().invoke(app, ["route", "--store", str(mini_store), "--as-of", text, "a", "b"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: --as-of {text!r} is not a date")
    assert result.exception is None or isinstance(result.exception, SystemExit)


@settings(max_examples=15, deadline=None)
@given(
    st.text(min_size=1, max_size=20).filter(lambda t: t not in GROUPINGS and not t.startswith("-") and "\x00" not in t)
)
def test_any_unknown_grouping_is_a_one_line_error(mini_store: Path, by: str) -> None:
    result = CliRunner().invoke(app, ["coverage", "--store", str(mini_store), "--by", by])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: unknown grouping {by!r}; use {', '.join(GROUPINGS)}")


def test_the_domain_raises_option_errors_as_certbridge_errors(mini_store: Path) -> None:
    """They reach the CLI as CertbridgeErrors and stay ValueErrors, which the web service's handlers catch."""
    index = index_for(mini_store)
    with pytest.raises(InvalidOption, match="unknown grouping") as raised:
        coverage(index, by="colour")
    assert isinstance(raised.value, ValueError)
    source = next(iter(index.certificates))
    with pytest.raises(InvalidOption, match="unknown hop kind"):
        find_routes(index, source, source, kinds=["teleport"])
    with pytest.raises(MissingInput, match="no folder of tables"):
        build(mini_store / "no-tables", mini_store.parent / "never")
    assert not (mini_store.parent / "never").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("export",),
        ("export", "--format", "nq"),
        ("query", "SELECT * WHERE { ?s ?p ?o }"),  # the rich table
        ("query", "--format", "csv", "SELECT * WHERE { ?s ?p ?o }"),
    ],
    ids=" ".join,
)
def test_a_reader_that_stops_early_ends_it_quietly_with_0(mini_store: Path, args: tuple[str, ...]) -> None:
    """`certbridge export | head -c 100`: the reader leaves long before the writer is done."""
    with certbridge_process(*args, "--store", mini_store, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        reader = subprocess.run([sys.executable, "-c", "import sys; sys.stdin.buffer.read(100)"], stdin=writer.stdout)
        writer.stdout.close()  # only the reader held the pipe open, and it has left: the pipe is closed
        errors = writer.stderr.read()
        assert writer.wait(timeout=60) == 0 and reader.returncode == 0
    assert errors == b""


def test_the_output_the_reader_stopped_is_larger_than_a_pipe_holds(cli: Cli, mini_store: Path) -> None:
    """Else the writer above could finish before the reader leaves, and never meet the closed pipe."""
    whole = cli("query", "--store", mini_store, "--format", "csv", "SELECT * WHERE { ?s ?p ?o }").stdout
    assert len(whole.encode()) > 4 * 65536
    assert len(cli("export", "--store", mini_store, "--format", "nt").stdout.encode()) > 4 * 65536
