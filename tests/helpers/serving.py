"""A real certbridge web service on a free loopback port, in-process (uvicorn) or as a process
(`certbridge serve`), and what its answers look like."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from certbridge.api.app import create_app
from certbridge.api.settings import Settings

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?o a cb:Occupation }"


@contextlib.contextmanager
def serving(settings: Settings, *, app: FastAPI | None = None) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, for the duration of the block (of *app*, if given: one
    made by ``create_app(settings)`` whose dependencies a test overrides)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = app if app is not None else create_app(settings)
    server = uvicorn.Server(uvicorn.Config(served, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def is_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


BIN = Path(sys.executable).parent


TOKEN = "schemathesis-write-token"


@dataclass(frozen=True, slots=True)
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
