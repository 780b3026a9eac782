"""Shared fixtures: the mini and real data sets built into real on-disk stores, a CLI runner, and `certbridge serve`
over a private mini store (the schemathesis run and the generated client share it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.data import MINI_DATA, Cli
from helpers.serving import BIN, TOKEN, Served, _free_port
from hypothesis import settings
from typer.testing import CliRunner, Result

from certbridge.api.cli import app
from certbridge.data import DATA_DIR
from certbridge.graph.build import build

# CI runs the same examples every time (a failure there must be reproducible); locally they vary.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`certbridge serve` over a private mini store (writes change it), with the write token set."""
    folder = tmp_path_factory.mktemp("served")
    store = folder / "store"
    build(MINI_DATA, store)
    port = _free_port()
    log = folder / "server.log"
    env = {**os.environ, "CERTBRIDGE_WRITE_TOKEN": TOKEN, "CERTBRIDGE_SPARQL_WORKERS": "1"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [BIN / "certbridge", "serve", "--store", store, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "certbridge serve did not start:\n" + log.read_text()
            time.sleep(0.2)
        yield Served(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, for the browser tests of one module (tests/helpers/browser.py; imported here
    only when a test asks for it, so that the rest of the suite runs without Playwright)."""
    from helpers.browser import CHROMIUM, CHROMIUM_ARGS, playwright_api

    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page (its own context) that blocks every request leaving the machine (helpers.browser.Page)."""
    from helpers.browser import Page

    opened = Page(browser)
    yield opened
    opened.close()
