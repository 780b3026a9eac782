"""`certbridge serve --workers N`: several uvicorn processes, a listening socket each, and TCP_NODELAY on the
connections they accept."""

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

from certbridge.api.serving import reuse_port_listener
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
    listener = reuse_port_listener("127.0.0.1", 0)
    assert (listener.family, listener.proto) == (socket.AF_INET, socket.IPPROTO_TCP)
    assert accepted_nodelay(listener) == 1


def test_new_connections_are_spread_over_the_workers_sockets() -> None:
    """Two workers' sockets on one port both get connections (one shared socket once let a single worker take a
    whole burst of them)."""
    first = reuse_port_listener("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = reuse_port_listener("127.0.0.1", port)
    for listener in (first, second):
        listener.listen(64)
        listener.setblocking(False)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    accepted = {0: 0, 1: 0}
    for n, listener in enumerate((first, second)):
        with contextlib.suppress(BlockingIOError):
            while True:
                connection, _ = listener.accept()
                connection.close()
                accepted[n] += 1
    for client in clients:
        client.close()
    first.close()
    second.close()
    assert sum(accepted.values()) == 40
    assert min(accepted.values()) > 0, accepted  # all on one socket: probability 2**-39 with fair hashing


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
