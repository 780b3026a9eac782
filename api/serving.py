"""Run the API in several uvicorn worker processes, each with a listening socket of its own.

uvicorn's multi-process mode shares one listening socket between the workers. Whichever worker wakes first
accepts every connection waiting, so a burst of new keep-alive connections can all land on one worker: under
``wrk -c32`` with two workers, about one run in two had one worker serving nearly all connections, at half the
throughput (the health baseline measured 1,664 and 4,016 requests/s in consecutive runs). Here each worker binds
its own socket to the same port with SO_REUSEPORT, and the kernel spreads new connections over them.

Each socket is created with ``IPPROTO_TCP`` stated, so that asyncio sets TCP_NODELAY on the connections it
accepts (it only does so for sockets that report that protocol; uvicorn's own multi-process socket reported
0, and every keep-alive response then waited for the client's delayed ACK, about 40 ms: uvicorn issue #3149).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import signal
import socket
from types import FrameType
from typing import Any

import uvicorn


def reuse_port_listener(host: str, port: int) -> socket.socket:
    """A TCP socket bound to *host*:*port* with SO_REUSEPORT (one per worker), reporting IPPROTO_TCP."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    """One worker: its own socket on the shared port, then uvicorn's server on it."""
    sock = reuse_port_listener(host, port)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, **options)).run(sockets=[sock])


def run_workers(app: str, *, workers: int, host: str, port: int, **options: Any) -> None:
    """``uvicorn.run(app, workers=workers, ...)`` for an import string, with a listening socket per worker.

    Interrupt or terminate this process to stop the workers (each shuts down gracefully). If one worker
    exits, the others are stopped too and this returns, rather than serving on with less capacity unnoticed.
    """
    try:
        reuse_port_listener(host, port).close()  # fail here, naming the address, if the port is taken
    except OSError as error:
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve, args=(app, host, port, options)) for _ in range(workers)]
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        while not stopping and all(process.is_alive() for process in processes):
            multiprocessing.connection.wait([process.sentinel for process in processes], timeout=0.5)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)
