"""Web-service benchmark: route lookups, search and SPARQL under load, against a trivial endpoint of the same app.

Run by hand (not by CI), on a built store, with Debian's ``wrk`` installed::

    python bench/bench_api.py --store syn40k-store [--seconds 20] [--connections 32]

It starts ``certbridge serve`` on a loopback port (access log off), warms it up (routing index and
search text loaded), then in one run:

1. ``wrk`` on ``GET /api/v1/health`` (the baseline: same app, same server, no work);
2. ``wrk`` on ``GET /api/v1/routes`` over many different pairs (half of one occupation, half random), as of
   today (the default, and the day the server warms every occupation's routing graph for);
3. ``wrk`` on ``GET /api/v1/search`` over Chinese, English, code and pinyin queries;
4. the example queries of examples/ through ``/sparql`` (httpx, sequential) and directly on the store
   (pyoxigraph in this process, serialised to SPARQL JSON like the endpoint does): median each, ratio;
5. ``wrk`` on route lookups again while a client keeps a slow SPARQL query running in a loop (a few seconds
   each, under the time limit), once sent by ``GET`` and once by ``POST`` (the form YASGUI and most clients
   send): p95 against the quiet figure of step 2, and the answers the slow query got.

wrk reports latency percentiles through a Lua ``done`` hook; errors are socket errors plus non-2xx
answers. Server memory is the peak RSS of the server process (VmHWM), read at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
from bench_scale import percentile
from load import TIME_LIMIT_S, free_port, peak_rss_mb, route_paths, server, wrk

#: a query of a few seconds at N = 40,000 (about 3 s alone: well under the time limit): it counts every triple
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def search_paths(store: Path, count: int, seed: int) -> list[str]:
    """Search texts from the data: Chinese and English label words, occupation codes, pinyin initials."""
    from pypinyin import Style, lazy_pinyin

    from certbridge.graph.routing.index import index_for

    index = index_for(store)
    rng = random.Random(seed)
    labels = [zh for zh in index.occupation_labels.values() if zh]
    codes = list(index.occupation_labels)
    texts = []
    for n in range(count):
        kind = n % 4
        if kind == 0:
            texts.append(rng.choice(labels))
        elif kind == 1:
            texts.append(rng.choice(["senior technician", "technician", "Jiangsu", "Guangdong", "intermediate"]))
        elif kind == 2:
            texts.append(rng.choice(codes))
        else:
            texts.append("".join(s[0] for s in lazy_pinyin(rng.choice(labels), style=Style.NORMAL)))
    return ["/api/v1/search?" + urlencode({"q": text, "limit": 20}) for text in texts]


def sequential(base: str, paths: list[str]) -> dict:
    """One request at a time (no queueing): the latency a single user sees."""
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
    }


def sparql_overhead(store: Path, base: str, repeats: int) -> list[dict]:
    """Each example query, directly on the store and through /sparql, median of *repeats* runs each."""
    import pyoxigraph as ox

    from certbridge.examples import EXAMPLES_DIR
    from certbridge.graph.store import open_store
    from certbridge.ontology import PREFIXES

    direct_store = open_store(store)
    rows = []
    with httpx.Client(base_url=base, timeout=TIME_LIMIT_S + 30) as client:  # the server's time limit answers first
        for path in sorted(EXAMPLES_DIR.glob("*.rq")):
            text = path.read_text(encoding="utf-8")
            first = client.post("/sparql", data={"query": text})
            if first.status_code != 200:  # over the time limit (or the row cap): not timed
                rows.append({"query": path.stem, "direct_ms": None, "endpoint_ms": None, "ratio": None})
                print(f"  {path.stem}: HTTP {first.status_code}: {first.json().get('detail')}", flush=True)
                continue
            for _ in range(2):  # every worker process has opened the store and seen the query once
                client.post("/sparql", data={"query": text})
            direct, served = [], []
            for _ in range(repeats):
                started = time.perf_counter()
                answer = direct_store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
                if isinstance(answer, ox.QueryTriples):
                    answer.serialize(format=ox.RdfFormat.TURTLE)
                else:
                    answer.serialize(format=ox.QueryResultsFormat.JSON)
                direct.append(time.perf_counter() - started)
                started = time.perf_counter()
                response = client.post("/sparql", data={"query": text})
                served.append(time.perf_counter() - started)
                if response.status_code != 200:
                    print(f"  {path.name}: HTTP {response.status_code}: {response.text[:200]}", flush=True)
            d, s = statistics.median(direct) * 1000, statistics.median(served) * 1000
            rows.append(
                {"query": path.stem, "direct_ms": round(d, 1), "endpoint_ms": round(s, 1), "ratio": round(s / d, 2)}
            )
    return rows


@contextlib.contextmanager
def slow_queries(base: str, method: str) -> Iterator[list[int]]:
    """A client that keeps a slow query running, sent by *method* (GET or POST form), until the block ends."""
    statuses: list[int] = []
    stop = threading.Event()

    def loop() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                if method == "POST":
                    response = client.post("/sparql", data={"query": SLOW_QUERY})
                else:
                    response = client.get("/sparql", params={"query": SLOW_QUERY})
                statuses.append(response.status_code)
                if response.status_code != 200:  # say why: a time-out, the memory limit, a saturated pool
                    print(f"  slow {method} query: HTTP {response.status_code}: {response.text[:300]}", flush=True)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    time.sleep(1.0)
    try:
        yield statuses
    finally:
        stop.set()
        thread.join(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="server processes (certbridge serve --workers)")
    parser.add_argument(
        "--quick", action="store_true", help="only the health and route rows (while trying a change; no report table)"
    )
    parser.add_argument(
        "--no-examples",
        action="store_true",
        help="leave out step 4 (the example queries: several minutes at N = 40,000, some at the time limit)",
    )
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    routes, searches = route_paths(args.store, args.pairs, args.seed), search_paths(args.store, 400, args.seed)
    with server(args.store, port, args.workers) as process:
        started = time.perf_counter()
        httpx.get(base + routes[0], timeout=600)  # loads the routing index (from its cache when built before)
        httpx.get(base + searches[0], timeout=600)
        warm = time.perf_counter() - started
        for path in routes[:200]:  # touches the occupation graphs of the first pairs, as a running service has
            httpx.get(base + path, timeout=60)
        results = {"warm_up_s": round(warm, 1)}
        print(f"warm-up {results['warm_up_s']} s", flush=True)
        for name, paths in (("health", ["/api/v1/health"]), ("routes", routes), ("search", searches)):
            if args.quick and name == "search":
                continue
            results[name] = wrk(base, paths, args.seconds, args.connections)
            print(name, results[name], flush=True)
        if args.quick:
            share = results["routes"]["per_second"] / results["health"]["per_second"]
            print(f"routes at {share:.0%} of the baseline", flush=True)
            return
        results["search_one_at_a_time"] = sequential(base, searches)
        results["routes_one_at_a_time"] = sequential(base, routes[:400])
        print("one at a time", results["search_one_at_a_time"], results["routes_one_at_a_time"], flush=True)
        for method in ("GET", "POST"):
            with slow_queries(base, method) as statuses:
                results[f"routes_with_slow_{method}"] = wrk(base, routes, args.seconds, args.connections)
            results[f"slow_{method}_statuses"] = {str(code): statuses.count(code) for code in sorted(set(statuses))}
            print(
                f"with a slow {method} query",
                results[f"routes_with_slow_{method}"],
                results[f"slow_{method}_statuses"],
                flush=True,
            )
        results["sparql"] = [] if args.no_examples else sparql_overhead(args.store, base, args.repeats)
        results["server_peak_rss_mb"] = round(peak_rss_mb(process.pid))
    print(json.dumps(results, indent=2))
    report(results)


def report(results: dict) -> None:
    health, routes = results["health"], results["routes"]
    print(
        f"\nwarm-up (index + search text): {results['warm_up_s']} s; server peak RSS {results['server_peak_rss_mb']} MB"
    )
    print(f"{'load (wrk)':<28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    for name in ("health", "routes", "search", "routes_with_slow_GET", "routes_with_slow_POST"):
        r = results[name]
        errors = r["errors"] + r["non2xx"]
        figures = [r[key] for key in ("per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms")] + [errors]
        print(f"{name:<28} " + " ".join(f"{value:>8}" for value in figures))
    print(f"routes throughput / health: {routes['per_second'] / health['per_second']:.0%}")
    one = results["search_one_at_a_time"]
    print(f"search one request at a time: p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms, max {one['max_ms']} ms")
    for method in ("GET", "POST"):
        slow = results[f"routes_with_slow_{method}"]
        ratio, share = slow["p95_ms"] / routes["p95_ms"], slow["per_second"] / health["per_second"]
        statuses = results[f"slow_{method}_statuses"]
        # an answer other than 200 to the slow query (a time-out, a 503) counts as an error as well
        errors = slow["errors"] + slow["non2xx"] + sum(n for code, n in statuses.items() if code != "200")
        print(f"with a slow {method} query running: routes p95 / quiet {ratio:.2f}x (goal <= 1.5x), throughput /")
        print(f"  health {share:.0%} (goal >= 50%), errors {errors} (goal 0); slow query answers {statuses}")
        verdict = ratio <= 1.5 and share >= 0.5 and errors == 0
        print(f"  {'all three goals met' if verdict else 'NOT all goals met'}")
    if results["sparql"]:
        print(f"\n{'example query':<44} {'direct ms':>10} {'/sparql ms':>11} {'ratio':>6}")
    for row in results["sparql"]:
        figures = [row[key] if row[key] is not None else "over limit" for key in ("direct_ms", "endpoint_ms", "ratio")]
        print(f"{row['query']:<44} {figures[0]:>10} {figures[1]:>11} {figures[2]:>6}")


if __name__ == "__main__":
    main()
