"""In-process benchmark: the server-side CPU of one route lookup against one health check, on the same world.

Run by hand (not by CI), on a built store::

    python bench/bench_request_cpu.py --store syn3k-store [--pairs 3000] [--rounds 3] [--profile 30]

No network and no server: each request is handed to the ASGI app (every middleware, FastAPI's parameter
parsing, the route, the serialisation) as uvicorn hands it, and the process CPU time it took is measured. The
route requests are those of ``bench_api.py`` (the same pairs, the same seed: half within one occupation, half at
random, as of today); health is the baseline of that benchmark. Blocks of each kind alternate, so both see the
same machine. The ratio of the means compares what the app itself spends; it is not a throughput: under ``wrk``
the sockets, the HTTP parsing and two server processes sharing the cores with wrk add to both kinds.

``--profile N`` then runs the route requests once more under cProfile and prints the N costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench_api import route_paths
from bench_scale import percentile

from certbridge.api.app import create_app
from certbridge.api.settings import Settings
from certbridge.api.state import state_of

BLOCK = 250
HEALTH = "/api/v1/health"


def scope_of(target: str) -> dict:
    """The ASGI scope uvicorn builds for ``GET target`` from wrk (its headers: Host, no Accept)."""
    parts = urlsplit(target)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(b"host", b"127.0.0.1:8000")],
        "state": {},
    }


async def one(app, target: str) -> tuple[int, int, int]:
    """(status, body bytes, CPU ns) of one request through the app."""
    status, size = 0, 0

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            size += len(message.get("body", b""))

    started = time.process_time_ns()
    await app(scope_of(target), receive, send)
    return status, size, time.process_time_ns() - started


async def measure(app, routes: list[str], rounds: int) -> dict[str, list[float]]:
    """Per-request CPU (ms) of health and routes, in alternating blocks of BLOCK requests."""
    times: dict[str, list[float]] = {"health": [], "routes": []}
    for _ in range(rounds):
        for start in range(0, len(routes), BLOCK):
            block = routes[start : start + BLOCK]
            for name, targets in (("health", [HEALTH] * len(block)), ("routes", block)):
                for target in targets:
                    status, _, spent = await one(app, target)
                    if status != 200:
                        raise SystemExit(f"{target}: HTTP {status}")
                    times[name].append(spent / 1e6)
    return times


async def profile(app, routes: list[str], top: int) -> None:
    """The route requests once more under cProfile: the *top* functions by own time, then by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for target in routes:
        await one(app, target)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    """Load the world as the server's start-up does, warm it as bench_api.py does, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="then profile routes, top N functions")
    args = parser.parse_args()
    routes = route_paths(args.store, args.pairs, args.seed)
    app = create_app(Settings(args.store, sparql_workers=1))
    state = state_of(app)
    state.index()  # what the server's start-up does: the index, search text, the graphs of today, gc.freeze
    state.pool()  # health reports the workers
    try:
        loop = asyncio.new_event_loop()
        for target in routes[:200]:  # as bench_api.py warms the server
            loop.run_until_complete(one(app, target))
        times = loop.run_until_complete(measure(app, routes, args.rounds))
        print(f"{args.store}: {len(routes)} route pairs, {args.rounds} rounds, blocks of {BLOCK} alternating")
        print(f"{'request':<8} {'n':>6} {'mean ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for name, values in times.items():
            figures = [statistics.fmean(values), statistics.median(values), percentile(values, 0.95)]
            figures.append(percentile(values, 0.99))
            print(f"{name:<8} {len(values):>6} " + " ".join(f"{value:>8.3f}" for value in figures))
        ratio = statistics.fmean(times["health"]) / statistics.fmean(times["routes"])
        print(f"health CPU / route CPU (means): {ratio:.0%}")
        if args.profile:
            loop.run_until_complete(profile(app, routes, args.profile))
    finally:
        state.close()


if __name__ == "__main__":
    main()
