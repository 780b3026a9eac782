"""The docs stay true: README commands match CI, every command, table column and example is documented and runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from helpers.data import Cli

from certbridge.api.cli import app
from certbridge.graph.convert import TABLES
from certbridge.graph.query import run_query
from certbridge.graph.store import open_store
from certbridge.graph.tables import ErrorLog, read_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = sorted((ROOT / "examples").glob("*.rq"))


def shell_blocks(text: str) -> list[str]:
    return [
        line
        for block in re.findall(r"```sh\n(.*?)```", text, re.S)
        for line in block.splitlines()
        if line and not line.startswith("#")
    ]


def test_readme_first_screen_has_the_two_commands_and_ci_runs_the_test_one() -> None:
    first_screen = README[: README.index("## Example queries")]
    run_command, test_command = shell_blocks(first_screen)[:2]
    assert "certbridge build" in run_command and "pip install ." in run_command and "certbridge serve" in run_command
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_readme_query_files_exist() -> None:
    named = re.findall(r"@(examples/\S+\.rq)", README)
    assert named and all((ROOT / name).is_file() for name in named)


def test_every_command_is_in_the_readme() -> None:
    names = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert names
    for name in names:
        assert f"certbridge {name}" in README, name


@pytest.mark.parametrize("table", TABLES)
def test_every_table_column_is_documented(table: str) -> None:
    doc = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    heading = next(h for h in re.findall(r"^## (.+)$", doc, re.M) if f"{table}.csv" in h)
    section = doc.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    header = read_table(ROOT / "data" / f"{table}.csv", [], ErrorLog()).header
    missing = [column for column in header if f"`{column}`" not in section]
    assert not missing, f"{table}.csv columns not described in data/README.md: {missing}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_runs(mini_store: Path, example: Path) -> None:
    list(run_query(open_store(mini_store), example.read_text(encoding="utf-8")))


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_answers_on_the_real_data(real_store: Path, example: Path, cli: Cli) -> None:
    result = cli("query", "--store", real_store, "-f", "csv", f"@{example}")
    assert result.exit_code in (0, 1), result.output  # 1: a correct query may find nothing (e.g. this year)


def test_every_subpackage_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    mapped = config["package-dir"]
    found = set()
    for package, folder in mapped.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *relative.parts]))
    assert found == listed
