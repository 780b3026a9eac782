"""Shared fixtures: the mini and real data sets built into real on-disk stores, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner, Result

from certbridge.api.cli import app
from certbridge.data import DATA_DIR
from certbridge.graph.build import build

# CI runs the same examples every time (a failure there must be reproducible); locally they vary.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
MINI_DATA = FIXTURES / "mini"

Cli = Callable[..., Result]


@pytest.fixture
def cli() -> Cli:
    """Run the certbridge CLI in-process: ``cli("query", "--store", path, "SELECT ...")``."""
    runner = CliRunner()

    def run(*args: object) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)

    return run


@pytest.fixture
def mini_data(tmp_path: Path) -> Path:
    """A private copy of the small valid data set, safe to modify."""
    target = tmp_path / "data"
    shutil.copytree(MINI_DATA, target)
    return target


@pytest.fixture(scope="session")
def mini_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    location = tmp_path_factory.mktemp("mini") / "store"
    build(MINI_DATA, location)
    return location


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real + illustrative data of data/, built once per test session."""
    location = tmp_path_factory.mktemp("real") / "store"
    build(DATA_DIR, location)
    return location
