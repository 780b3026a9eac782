"""What the web-service benchmarks share: ``certbridge serve`` on loopback, wrk with a latency report, the
server's memory, and the route lookups they load it with (bench_api.py, bench_changes.py)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx

#: the server's SPARQL time limit in the benchmarks. The slow query of bench_api.py's step 5 takes about 3 s alone,
#: but its worker runs in the idle scheduling class, so while route lookups keep both cores busy it gets almost no
#: CPU and finishes after the load stops (at a 20 s limit, with nice 10 workers, one was stopped: a correct 400, but
#: then the load is not the one meant)
TIME_LIMIT_S = 60

REPORT_LUA = """
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "errors": %d, "non2xx": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(store: Path, port: int, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """``certbridge serve`` on *store* at a loopback *port* (access log off), once it answers; *env*: more settings."""
    env = {**os.environ, "CERTBRIDGE_SPARQL_TIMEOUT_S": str(TIME_LIMIT_S), **(env or {})}
    command = [sys.executable, "-m", "certbridge.api", "serve", "--store", str(store), "--port", str(port)]
    command += ["--no-access-log", "--workers", str(workers)]
    log = os.environ.get("BENCH_SERVER_LOG")  # the server's stderr (its tracebacks), kept when named
    process = subprocess.Popen(command, env=env, stderr=open(log, "a") if log else subprocess.DEVNULL)  # noqa: SIM115
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    break
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def rss_mb(pid: int) -> float:
    """RSS of the server process and its children (uvicorn workers, SPARQL workers), summed, now."""
    return _summed(pid, "VmRSS:")


def peak_rss_mb(pid: int) -> float:
    """Peak RSS of the server process and its children (uvicorn workers, SPARQL workers), summed."""
    return _summed(pid, "VmHWM:")


def _summed(pid: int, field: str) -> float:
    total = 0.0
    with contextlib.suppress(OSError):  # a child that ended meanwhile
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _summed(int(child), field)
    return total


def wrk(base: str, paths: list[str], seconds: int, connections: int) -> dict:
    """wrk on *paths* (in turn, from a random start) for *seconds*: its latency report as a dict."""
    with wrk_running(base, paths, connections, seconds=seconds) as result:
        pass
    return result


@contextlib.contextmanager
def wrk_running(base: str, paths: list[str], connections: int, *, seconds: int | None = None) -> Iterator[dict]:
    """wrk on *paths* while the block runs (stopped by SIGINT at its end, when wrk reports), or for *seconds*; the
    dict yielded holds the report once the block is left."""
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        script, listing = Path(folder) / "report.lua", Path(folder) / "paths.txt"
        script.write_text(REPORT_LUA)
        listing.write_text("\n".join(paths) + "\n")
        duration = f"-d{seconds if seconds is not None else 24 * 3600}s"
        command = ["wrk", f"-c{connections}", "-t2", duration, "--timeout", "10s", "-s", str(script)]
        process = subprocess.Popen([*command, base, "--", str(listing)], stdout=subprocess.PIPE, text=True)
        try:
            yield result
        finally:
            if seconds is None:
                process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=None if seconds is not None else 60)
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    result.update(json.loads(line.removeprefix("RESULT ")))
    result["per_second"] = round(result["requests"] / result["seconds"], 1)


def route_paths(store: Path, count: int, seed: int) -> list[str]:
    """Pairs of certificate types: half within one occupation (most routes live there), half at random."""
    from certbridge.graph.routing.index import index_for

    index = index_for(store)
    rng = random.Random(seed)
    by_occupation: dict[str, list[str]] = {}
    for cert in index.certificates.values():
        by_occupation.setdefault(cert.occupation, []).append(cert.iri)
    groups = [g for g in by_occupation.values() if len(g) > 1]
    everything = list(index.certificates)
    paths = []
    for n in range(count):
        a, b = rng.sample(rng.choice(groups), 2) if n % 2 == 0 else rng.sample(everything, 2)
        # as of today, the service's default (and the day its routing graphs are warmed for)
        paths.append("/api/v1/routes?" + urlencode({"from": a, "to": b}))
    return paths
