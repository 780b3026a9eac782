"""`certbridge serve --workers N`: several uvicorn processes, and TCP_NODELAY on the connections they accept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from certbridge.api.serving import TcpConfig
from certbridge.graph.routing import find_routes
from certbridge.graph.routing.index import index_for

CT = "https://w3id.org/certbridge/id/certificate-type/"
SOURCE, TARGET = f"{CT}IL-CT-hengfeng-spinner-senior-technician", f"{CT}IL-CT-js-hrss-spinner-senior-technician"


def accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on *listener* (as uvicorn's workers serve it)."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(main())
    return seen[0]


def test_the_workers_socket_reports_tcp_so_accepted_connections_get_nodelay() -> None:
    listener = TcpConfig("certbridge.api.app:app_from_environment", host="127.0.0.1", port=0).bind_socket()
    assert (listener.family, listener.proto) == (socket.AF_INET, socket.IPPROTO_TCP)
    assert listener.get_inheritable(), "the worker processes must inherit it"
    assert accepted_nodelay(listener) == 1


@contextlib.contextmanager
def served_by_workers(store: Path, workers: int) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "certbridge.api", "serve", "--store", str(store), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers), "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


@pytest.mark.slow
def test_two_workers_answer_routes_as_the_library_does(mini_store: Path) -> None:
    answer = find_routes(index_for(mini_store), SOURCE, TARGET, as_of=date(2025, 1, 1))
    expected = json.loads(json.dumps(answer.to_json()))  # as it travels: tuples become lists
    with served_by_workers(mini_store, 2) as url, httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(6):  # on one keep-alive connection (the path that waited for delayed ACKs)
            answer = http.get("/api/v1/routes", params={"from": SOURCE, "to": TARGET, "as_of": "2025-01-01"})
            assert answer.status_code == 200, answer.text
            assert answer.json() == expected
