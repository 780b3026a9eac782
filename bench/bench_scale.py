"""Scale benchmark: synthetic national-scale builds, reasoning against owlrl, and route latency.

Run by hand (not by CI): ``python bench/bench_scale.py --sizes 1000,10000,40000 --owlrl-sizes 100,1000``.
Each size runs in its own process, so peak memory is per size. Prints one table; bench/README.md holds
the figures of the last run with the machine it ran on.

What a build figure includes: reading and checking every row of every table (while an in-memory store
loads them), SHACL on the real tables whole and on the first 500 subjects of each larger table, reasoning
(in memory), computing the routing index, and finishing the on-disk store (which a thread loads all along,
from the first converted chunk of a table on). Route latency: ``find_routes`` with k = 3 and evidence, on
pairs of certificate types of one occupation, half with a route and half without, measured after the
routing index is loaded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

AS_OF = date(2025, 6, 1)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def one_size(issuers: int, pairs: int, seed: int) -> dict:
    """Synthesise, build and query at one size (run in a child process)."""
    from certbridge.data import DATA_DIR
    from certbridge.graph.build import build
    from certbridge.graph.routing.index import index_for
    from certbridge.graph.synth import synthesise

    steps: dict[str, dict[str, float]] = {}

    @contextlib.contextmanager
    def step(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        steps[name] = {"seconds": round(time.perf_counter() - started, 2), "peak_mb": round(peak_mb())}

    with tempfile.TemporaryDirectory() as folder:
        data, location = Path(folder) / "data", Path(folder) / "store"
        with step("synthesise tables"):
            summary = synthesise(DATA_DIR, data, issuers=issuers, seed=seed)
        started = time.perf_counter()
        result = build(data, location, progress=step)
        build_seconds = time.perf_counter() - started
        with step("routing index (from the store)"):
            index = index_for(location)
        with step("routing index (from its cache)"):
            index = index_for(location)
        routes = route_latency(index, pairs, seed)
        return {
            "issuers": issuers,
            "certificate_types": summary.certificate_types,
            "agreements": summary.agreements,
            "asserted_triples": result.triples - result.reasoning.total,
            "inferred_triples": result.reasoning.total,
            "reasoning_passes": result.reasoning.iterations,
            "sampled_tables": result.sampled_tables,
            "build_seconds": round(build_seconds, 1),
            "steps": steps,
            "peak_mb": round(peak_mb()),
            "routes": routes,
            "reasoning_seconds": steps.get("reasoning", {}).get("seconds"),
        }


def route_latency(index: object, pairs: int, seed: int) -> dict:
    """``find_routes(k=3)`` over *pairs* pairs of one occupation (drawn by size), half with a route, half without,
    as a server answers them: after ``warm`` has built every occupation's routing graph for the day (timed
    apart) and with the index frozen out of the garbage collector's full collections."""
    import gc

    from certbridge.graph.routing import find_routes, warm

    started = time.perf_counter()
    warmed = warm(index, AS_OF)
    warm_seconds = time.perf_counter() - started
    gc.collect()
    gc.freeze()
    rng = random.Random(seed)
    occupations = [code for code, certs in index.by_occupation.items() if len(certs) > 1]
    weights = [len(index.by_occupation[code]) for code in occupations]
    found: list[float] = []
    missing: list[float] = []
    attempts = 0
    while (len(found) < pairs // 2 or len(missing) < pairs // 2) and attempts < pairs * 20:
        attempts += 1
        code = rng.choices(occupations, weights)[0]
        source, target = rng.sample(index.by_occupation[code], 2)
        started = time.perf_counter()
        answer = find_routes(index, source, target, as_of=AS_OF, k=3)
        elapsed = (time.perf_counter() - started) * 1000
        bucket = found if answer.routes else missing
        if len(bucket) < pairs // 2:
            bucket.append(elapsed)
    latencies = found + missing
    return {
        "warmed_occupations": warmed,
        "warm_seconds": round(warm_seconds, 1),
        "pairs": len(latencies),
        "with_route": len(found),
        "without_route": len(missing),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "max_ms": round(max(latencies), 2),
        "p95_with_route_ms": round(percentile(found, 0.95), 2),
        "p95_without_route_ms": round(percentile(missing, 0.95), 2),
    }


def owlrl_baseline(issuers: int, seed: int, limit: float) -> dict:
    """owlrl's whole-graph OWL-RL closure of the asserted graph at one size, and certbridge's reasoning on it."""
    import owlrl
    import pyoxigraph as ox
    from rdflib import Graph

    from certbridge.data import DATA_DIR
    from certbridge.graph.build import build
    from certbridge.graph.reasoning import INFERRED_GRAPH, materialise
    from certbridge.graph.store import open_store
    from certbridge.graph.synth import synthesise

    with tempfile.TemporaryDirectory() as folder:
        data, location = Path(folder) / "data", Path(folder) / "store"
        synthesise(DATA_DIR, data, issuers=issuers, seed=seed)
        build(data, location)
        store = open_store(location)
        asserted = [
            q for q in store.quads_for_pattern(None, None, None) if q.graph_name != ox.NamedNode(str(INFERRED_GRAPH))
        ]
        memory = ox.Store()
        memory.extend(asserted)
        started = time.perf_counter()
        materialise(memory)
        ours = time.perf_counter() - started
        text = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in asserted)
        graph = Graph().parse(data=text, format="nt")
        started = time.perf_counter()
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
        theirs = time.perf_counter() - started
        return {
            "issuers": issuers,
            "triples": len(asserted),
            "certbridge_seconds": round(ours, 2),
            "owlrl_seconds": round(theirs, 1),
            "ratio": round(theirs / ours, 1),
            "limit": limit,
        }


def child(args: list[str], timeout: float) -> dict | None:
    try:
        done = subprocess.run(
            [sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        print(error.stderr, file=sys.stderr)
        raise
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,40000")
    parser.add_argument("--owlrl-sizes", default="100,1000")
    parser.add_argument("--owlrl-limit", type=float, default=600.0, help="seconds before owlrl is given up")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--routes-on", type=Path, help="only measure route latency on this built store")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--owlrl-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.pairs, args.seed)))
        return
    if args.routes_on:
        from certbridge.graph.routing.index import index_for

        started = time.perf_counter()
        index = index_for(args.routes_on)
        loaded = time.perf_counter() - started
        print(json.dumps({"index_seconds": round(loaded, 1), **route_latency(index, args.pairs, args.seed)}))
        return
    if args.owlrl_one:
        print(json.dumps(owlrl_baseline(args.owlrl_one, args.seed, args.owlrl_limit)))
        return

    print(f"machine: {sys.platform}, python {sys.version.split()[0]}; seed {args.seed}; as of {AS_OF}")
    print(
        "| N issuers | certificate types | asserted | inferred | build s | of which reasoning s | SHACL s "
        "| peak RSS MB | route p50 ms | p95 ms | max ms | p95 with / without route ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for size in (int(s) for s in args.sizes.split(",") if s):
        r = child(["--one", str(size), "--pairs", str(args.pairs), "--seed", str(args.seed)], timeout=3600)
        routes, steps = r["routes"], r["steps"]
        shacl = next((v["seconds"] for k, v in steps.items() if k.startswith("validating")), float("nan"))
        print(
            f"| {size:,} | {r['certificate_types']:,} | {r['asserted_triples']:,} | {r['inferred_triples']:,} "
            f"| {r['build_seconds']} | {r['reasoning_seconds']} | {shacl} | {r['peak_mb']:,} | {routes['p50_ms']} "
            f"| {routes['p95_ms']} | {routes['max_ms']} | {routes['p95_with_route_ms']} / "
            f"{routes['p95_without_route_ms']} ({routes['with_route']}/{routes['without_route']}) |",
            flush=True,
        )
        print(
            "    steps: " + "; ".join(f"{k} {v['seconds']} s ({v['peak_mb']:,} MB)" for k, v in steps.items()),
            flush=True,
        )
    print("\n| N issuers | asserted triples | certbridge reasoning s | owlrl closure s | owlrl / certbridge |")
    print("|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.owlrl_sizes.split(",") if s):
        r = child(
            ["--owlrl-one", str(size), "--seed", str(args.seed), "--owlrl-limit", str(args.owlrl_limit)],
            timeout=args.owlrl_limit + 300,
        )
        if r is None:
            print(f"| {size:,} | | | > {args.owlrl_limit:.0f} (gave up) | |", flush=True)
        else:
            print(
                f"| {size:,} | {r['triples']:,} | {r['certbridge_seconds']} | {r['owlrl_seconds']} | {r['ratio']}× |",
                flush=True,
            )


if __name__ == "__main__":
    main()
