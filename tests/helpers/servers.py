"""SPARQL servers for the store-contract tests: the ones .ci/run started, else ones started here.

.ci/run starts Virtuoso with scripts/virtuoso-start.sh and passes it on as
``CERTBRIDGE_TEST_VIRTUOSO=http://127.0.0.1:PORT`` and ``CERTBRIDGE_TEST_VIRTUOSO_PASSWORD``; an
Oxigraph server likewise as ``CERTBRIDGE_TEST_OXIGRAPH``. Without them, a server whose binary is
installed is started here (and stopped at the end of the session) with the same scripts. A backend
that is neither given nor installed is skipped locally and fails under CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from certbridge.graph.remote.location import RemoteLocation, parse_location

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
#: the row cap of the Virtuoso the tests use: low enough that a test can exceed it on the real data
VIRTUOSO_MAX_ROWS = 50_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not available under CI (.ci/run should have started it)")
    pytest.skip(f"{what} is not available here")


def _started(script: str, env: dict[str, str]) -> dict[str, str]:
    """Run a start script and read the KEY=VALUE lines it prints."""
    done = subprocess.run(
        [str(SCRIPTS / script)], env={**os.environ, **env}, capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{done.stderr}")
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@contextmanager
def virtuoso() -> Iterator[tuple[str, str]]:
    """(base URL, dba password) of a Virtuoso."""
    given = os.environ.get("CERTBRIDGE_TEST_VIRTUOSO")
    if given:
        yield given.rstrip("/"), os.environ["CERTBRIDGE_TEST_VIRTUOSO_PASSWORD"]
        return
    if shutil.which("virtuoso-t") is None:
        _unavailable("Virtuoso (virtuoso-opensource-7-bin)")
    folder = tempfile.mkdtemp(prefix="certbridge-virtuoso-")
    env = {
        "VIRT_DIR": folder,
        "VIRT_SQL_PORT": str(_free_port()),
        "VIRT_HTTP_PORT": str(_free_port()),
        "VIRT_MAX_ROWS": str(VIRTUOSO_MAX_ROWS),
        "VIRT_BUFFERS": "40000",
    }
    values = _started("virtuoso-start.sh", env)
    try:
        yield f"http://127.0.0.1:{values['VIRT_HTTP_PORT']}", values["VIRT_DBA_PASSWORD"]
    finally:
        subprocess.run([str(SCRIPTS / "virtuoso-stop.sh"), "--rm"], env={**os.environ, "VIRT_DIR": folder}, check=False)


@contextmanager
def oxigraph() -> Iterator[str]:
    """Base URL of an Oxigraph server."""
    given = os.environ.get("CERTBRIDGE_TEST_OXIGRAPH")
    if given:
        yield given.rstrip("/")
        return
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists() and shutil.which("oxigraph") is None:
        _unavailable("Oxigraph server (pip install oxigraph)")
    folder = tempfile.mkdtemp(prefix="certbridge-oxigraph-")
    env = {"OXI_DIR": folder, "OXI_PORT": str(_free_port()), "OXIGRAPH": str(binary) if binary.exists() else "oxigraph"}
    values = _started("oxigraph-start.sh", env)
    try:
        yield f"http://127.0.0.1:{values['OXI_PORT']}"
    finally:
        subprocess.run([str(SCRIPTS / "oxigraph-stop.sh"), "--rm"], env={**os.environ, "OXI_DIR": folder}, check=False)


def virtuoso_location(base: str, password: str, workdir: Path, **options: object) -> RemoteLocation:
    return parse_location(f"sparql+{base}/sparql", workdir_base=workdir, user="dba", password=password, **options)


def oxigraph_location(base: str, workdir: Path, **options: object) -> RemoteLocation:
    return parse_location(f"sparql+{base}/query", workdir_base=workdir, **options)
