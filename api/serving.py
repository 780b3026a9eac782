"""Run the API in several uvicorn worker processes without Nagle's delay on keep-alive responses.

In its multi-process mode uvicorn binds the listening socket itself, with ``proto`` left at 0; the sockets
accepted from it report proto 0 too, and asyncio only sets TCP_NODELAY on sockets that report IPPROTO_TCP.
Every keep-alive response after the first then waits for the client's delayed ACK, about 40 ms on Linux
(uvicorn issue #3149, open for uvicorn 0.54; measured here under ``wrk``: 44 ms per request with
``--workers 2``, 2 ms with one worker). Re-opening the bound socket from its descriptor lets the kernel report
its real protocol, so asyncio sets TCP_NODELAY as it does for a single worker.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration, binding a listening socket that reports IPPROTO_TCP."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            sock = socket.socket(fileno=sock.detach())  # family, type and protocol read from the descriptor
            sock.set_inheritable(True)
        return sock


def run_workers(app: str, *, workers: int, **options: Any) -> None:
    """``uvicorn.run(app, workers=workers, **options)`` for an import string, with the socket above."""
    config = TcpConfig(app, workers=workers, **options)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[config.bind_socket()]).run()
