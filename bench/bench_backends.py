"""Backend benchmark: the same synthetic graph built and queried on the embedded store, Virtuoso and Oxigraph server.

Run by hand (not by CI): ``python bench/bench_backends.py --sizes 10000,40000``. Needs ``virtuoso-t`` (Debian's
virtuoso-opensource-7-bin) and the ``oxigraph`` command (``pip install oxigraph``). For each size the tables are
synthesised once; each backend then gets a fresh server (started with scripts/, stopped after) and its own
child process, so that client peak memory is per backend.

Figures per backend: build time split into loading (embedded: into memory; servers: Graph Store Protocol PUT
per graph, counted afterwards) and reasoning (embedded: in memory; servers: SPARQL updates the server runs),
the routing index read from the store, route latency p50/p95 (``find_routes`` k = 3 on the index in memory:
the same engine whatever the backend), each example query's median latency through ``run_query``, the client's
peak RSS and the server's RSS after the run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench_scale import peak_mb, route_latency

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
BACKENDS = ("embedded", "virtuoso", "oxigraph")


def _started(script: str, env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [str(SCRIPTS / script)], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@contextlib.contextmanager
def server(backend: str, folder: Path) -> Iterator[tuple[str, dict[str, str], int | None]]:
    """(store location, settings for the environment, server PID) of a fresh server (or the embedded store)."""
    if backend == "embedded":
        yield str(folder / "store"), {}, None
        return
    if backend == "virtuoso":
        env = {
            "VIRT_DIR": str(folder / "virtuoso"),
            "VIRT_SQL_PORT": "11411",
            "VIRT_HTTP_PORT": "18491",
            "VIRT_MAX_ROWS": "50000000",
            "VIRT_BUFFERS": "340000",
        }
        values = _started("virtuoso-start.sh", env)
        settings = {"CERTBRIDGE_SERVER_USER": "dba", "CERTBRIDGE_SERVER_PASSWORD": values["VIRT_DBA_PASSWORD"]}
        try:
            yield f"sparql+http://127.0.0.1:{values['VIRT_HTTP_PORT']}/sparql", settings, int(values["VIRT_PID"])
        finally:
            subprocess.run([str(SCRIPTS / "virtuoso-stop.sh"), "--rm"], env={**os.environ, "VIRT_DIR": env["VIRT_DIR"]})
        return
    binary = Path(sys.executable).parent / "oxigraph"
    env = {"OXI_DIR": str(folder / "oxigraph"), "OXI_PORT": "17591", "OXIGRAPH": str(binary)}
    values = _started("oxigraph-start.sh", env)
    try:
        yield f"sparql+http://127.0.0.1:{values['OXI_PORT']}/query", {}, int(values["OXI_PID"])
    finally:
        subprocess.run([str(SCRIPTS / "oxigraph-stop.sh"), "--rm"], env={**os.environ, "OXI_DIR": env["OXI_DIR"]})


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    return None


def one_backend(data: Path, store: str, pairs: int, seed: int) -> dict:
    """Build, index, route and query on one backend (run in a child process; settings come from the environment)."""
    from certbridge.api.settings import resolve_store
    from certbridge.graph.build import build
    from certbridge.graph.routing.index import load_index
    from certbridge.graph.store import open_store

    location = resolve_store(store)
    steps: dict[str, float] = {}

    @contextlib.contextmanager
    def step(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        steps[name] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    result = build(data, location, progress=step)
    build_seconds = time.perf_counter() - started
    opened = open_store(location)
    started = time.perf_counter()
    index = load_index(opened)
    index_seconds = time.perf_counter() - started
    routes = route_latency(index, pairs, seed)
    return {
        "triples": result.triples,
        "inferred": result.reasoning.total,
        "build_seconds": round(build_seconds, 1),
        "loading_seconds": round(sum(v for k, v in steps.items() if k.startswith("loading") and "ontol" not in k), 1),
        "reasoning_seconds": next((v for k, v in steps.items() if k.startswith("reasoning")), None),
        "reasoning_by_rule": {k: round(v, 1) for k, v in result.reasoning.seconds_by_rule.items() if v >= 0.5},
        "steps": steps,
        "index_seconds": round(index_seconds, 1),
        "routes": routes,
        "client_peak_mb": round(peak_mb()),
    }


def one_query(store: str, name: str, repeats: int) -> dict:
    """Median latency of one example query (run in a child process, so that a slow one can be given up)."""
    from certbridge.api.settings import resolve_store
    from certbridge.examples import examples
    from certbridge.graph.query import run_query
    from certbridge.graph.store import open_store

    opened = open_store(resolve_store(store))
    text = next(e["query"] for e in examples() if e["name"] == name)
    times, count = [], 0
    for _ in range(repeats):
        began = time.perf_counter()
        try:
            answer = run_query(opened, text)
            count = sum(1 for _ in answer) if hasattr(answer, "variables") else 1
        except Exception as error:  # a failing query is reported, not fatal
            return {"error": str(error).splitlines()[0][:120]}
        times.append((time.perf_counter() - began) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "rows": count}


def query_latencies(store: str, env: dict[str, str], repeats: int, limit: float) -> dict[str, dict]:
    from certbridge.examples import examples

    found = {}
    for example in examples():
        command = [sys.executable, __file__, "--query", store, example["name"], "--repeats", str(repeats)]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=limit)
            found[example["name"]] = json.loads(done.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            found[example["name"]] = {"error": f"gave up after {limit:.0f} s"}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,40000")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each example query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--query-limit", type=float, default=120.0, help="seconds before an example query is given up")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--query", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query:
        print(json.dumps(one_query(*args.query, args.repeats)))
        return
    if args.one:
        data, store = args.one
        print(json.dumps(one_backend(Path(data), store, args.pairs, args.seed)))
        return

    from certbridge.data import DATA_DIR
    from certbridge.graph.synth import synthesise

    print(f"machine: {sys.platform}, python {sys.version.split()[0]}, {os.cpu_count()} cores; seed {args.seed}")
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        with tempfile.TemporaryDirectory(prefix="certbridge-bench-") as folder:
            data = Path(folder) / "data"
            synthesise(DATA_DIR, data, issuers=size, seed=args.seed)
            for backend in args.backends.split(","):
                work = Path(folder) / backend
                work.mkdir()
                with server(backend, work) as (store, settings, pid):
                    env = {**os.environ, **settings, "CERTBRIDGE_SERVER_WORKDIR": str(work / "workdir")}
                    command = [
                        sys.executable,
                        __file__,
                        "--one",
                        str(data),
                        store,
                        "--pairs",
                        str(args.pairs),
                        "--seed",
                        str(args.seed),
                    ]
                    done = subprocess.run(command, env=env, capture_output=True, text=True)
                    if done.returncode != 0:
                        print(f"{backend} at N = {size:,} failed:\n{done.stderr[-2000:]}", flush=True)
                        continue
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    result["queries"] = query_latencies(store, env, args.repeats, args.query_limit)
                    result.update(size=size, backend=backend, server_rss_mb=rss_mb(pid))
                    rows.append(result)
                    print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
    report(rows)


def report(rows: list[dict]) -> None:
    print(
        "\nexample queries: the median of each example query over the repeats; a query given up after the limit"
        " or failing is named\n"
        "| N issuers | backend | triples | build s | loading s | reasoning s | index from store s "
        "| route p50 / p95 ms | example queries median / max of medians ms | client peak MB | server RSS MB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for r in rows:
        medians = [q["median_ms"] for q in r["queries"].values() if "median_ms" in q]
        failed = [name for name, q in r["queries"].items() if "error" in q]
        print(
            f"| {r['size']:,} | {r['backend']} | {r['triples']:,} | {r['build_seconds']} | {r['loading_seconds']} "
            f"| {r['reasoning_seconds']} | {r['index_seconds']} | {r['routes']['p50_ms']} / {r['routes']['p95_ms']} "
            f"| {statistics.median(medians):.1f} / {max(medians):.1f}"
            + (f" ({len(failed)} failed: {', '.join(failed)})" if failed else "")
            + f" | {r['client_peak_mb']:,} | {r['server_rss_mb'] or '—'} |"
        )
    print("\nexample query medians (ms), per backend:")
    names = sorted({name for r in rows for name in r["queries"]})
    for r in rows:
        cells = [str(r["queries"].get(n, {}).get("median_ms", "err")) for n in names]
        listed = ", ".join(f"{n} {c}" for n, c in zip(names, cells, strict=True))
        print(f"  N={r['size']:,} {r['backend']}: {listed}")


if __name__ == "__main__":
    main()
