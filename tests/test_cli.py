"""The command line: formats, exit codes (0 ok, 1 negative answer, 2 error) and messages."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from conftest import Cli

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
        "SELECT ?code WHERE { ?r a cb:Region ; skos:notation ?code } ORDER BY ?code",
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
    result = cli("query", "--store", mini_store, "-f", "ttl", "CONSTRUCT { ?r a cb:Region } WHERE { ?r a cb:Region }")
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
    assert facts["built_at"].startswith("20")
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
