"""Changes benchmark (issue 18): 20 changes of mixed kinds applied one at a time to a serving store under load.

Run by hand (not by CI), with Debian's ``wrk`` installed, on tables, a built store, or a synthetic world::

    python bench/bench_changes.py --tables syn40k-tables [--work DIR]
    python bench/bench_changes.py --store syn40k-store [--work DIR]     # its tables, exported, are built afresh
    python bench/bench_changes.py --issuers 50 --changes 4 --seconds 3  # a tiny synthetic world: does it work?
    python bench/bench_changes.py --served syn40k-store --seconds 10     # a copy served as it is: no rebuild

In one run, on a store of its own under ``--work`` (a given store is never written):

1. ``certbridge build`` of the tables, timed (wall time, peak RSS): the full-rebuild baseline;
2. ``certbridge serve`` on loopback with a writer's token, warmed up (routing index loaded);
3. route p95 under ``wrk -c32`` with nothing else going on (quiet);
4. the changes, one at a time through the API while wrk keeps loading route lookups: each chosen from the data so
   that its effect on one route lookup is known beforehand (an agreement retired leaves the route's evidence, the
   same agreement added again under a new id comes back; an agreement's ``valid_to`` corrected shows in the
   evidence; a sanction added on the source's issuer, or its only authorisation ended by a correction, leaves no
   route, and the sanction retired or the authorisation restored brings it back; a certificate type retired leaves
   no route). For each: the time from sending the write to the route lookup showing its effect (polled every
   50 ms), and how the write was applied when its answer says (``applied``);
5. the server's memory (RSS of the process and its children) before the changes, at its peak while they ran
   (sampled every 100 ms) and after;
6. a table: write-to-visible p50/p95/max, each change, extra memory, route p95 quiet vs during the changes, and
   the rebuild baseline. The goals (issue 18, N = 40,000): p95 ≤ 5 s, extra memory ≤ 1 GB, route p95 ≤ 2× quiet.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from bench_scale import percentile
from load import free_port, route_paths, rss_mb, server, wrk, wrk_running

TOKEN = "bench-changes-token"
WRITER = "bench"
#: how long a change may take to show before it is reported as never seen
VISIBLE_WITHIN_S = 600
#: pairs tried for one change before its kind is passed over (a small world may have none that fits)
PAIR_ATTEMPTS = 20_000
#: the kinds whose next change acts on their pair (passed over together)
COUPLED = ("retire-agreement", "add-sanction", "end-authorisation")
#: the changes of one round, in order: each needs a fresh pair (a round of 8; the run cycles through them)
ROUND = (
    "retire-agreement",
    "add-agreement",
    "correct-agreement",
    "add-sanction",
    "retire-sanction",
    "end-authorisation",
    "restore-authorisation",
    "retire-certificate-type",
)


def certbridge(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "certbridge.api", *arguments]


def timed_build(tables: Path, store: Path) -> dict[str, float]:
    """``certbridge build`` of *tables* into *store*: wall time and the build process's peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(certbridge("build", "--data", str(tables), "--store", str(store), "-q"))
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"certbridge build failed ({process.returncode})")
    return {"seconds": round(time.perf_counter() - started, 1), "peak_mb": round(usage.ru_maxrss / 1024)}


# -- the changes, chosen from the data -----------------------------------------------------------------------


def tail(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def agreements_of(answer: dict[str, Any]) -> set[str]:
    return {tail(step["evidence"]["iri"]) for route in answer["routes"] for step in route["steps"]}


@dataclass
class Change:
    """One change: the request that makes it, and the route lookup that shows it (``seen`` on its answer)."""

    kind: str
    pair: tuple[str, str]
    method_path: str
    body: dict[str, Any]
    seen: Callable[[dict[str, Any]], bool]
    what: str
    figures: dict[str, Any] = field(default_factory=dict)


def _rows(tables: Path, table: str) -> list[dict[str, str]]:
    path = tables / f"{table}.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def plan(store: Path, count: int, seed: int) -> list[Change]:
    """*count* changes cycling through ROUND, each on a pair of its own whose route (as of today) goes through an
    agreement, pairs sharing no issuer and no agreement (so that no change touches another's lookup)."""
    import random

    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.index import index_for
    from certbridge.graph.store import store_at

    index = index_for(store)
    tables = store_at(store).tables()
    agreements = {row["id"]: row for row in _rows(tables, "agreements")}
    authorisations: dict[str, list[dict[str, str]]] = {}
    for row in _rows(tables, "authorisations"):
        authorisations.setdefault(row["issuer_id"], []).append(row)
    today = date.today()
    yesterday = (today - timedelta(days=1)).isoformat()
    rng = random.Random(seed)
    groups = [sorted(certs) for certs in index.by_occupation.values() if len(certs) > 1]
    used_issuers: set[str] = set()
    used_agreements: set[str] = set()
    changes: list[Change] = []
    retired_agreement: tuple[tuple[str, str], dict[str, str]] | None = None
    sanction_of: tuple[tuple[str, str], str] | None = None
    ended: tuple[tuple[str, str], dict[str, str]] | None = None
    candidates = agreement_pairs(index, rng)
    attempts, step = 0, 0  # step: the place in ROUND; a kind no pair fits after PAIR_ATTEMPTS is passed over
    while len(changes) < count and step < count * 4:
        kind = ROUND[step % len(ROUND)]
        if attempts >= PAIR_ATTEMPTS:
            print(f"no pair of its own for a {kind} change: passed over", flush=True)
            attempts, step = 0, step + (2 if kind in COUPLED else 1)
            continue
        # the second change of a couple acts on the first's pair
        if kind == "add-agreement" and retired_agreement is not None:
            pair, row = retired_agreement
            # marked illustrative, citing the illustrative source: a benchmark's record, not a fact
            copy = {**row, "id": f"{row['id']}-BENCH", "illustrative": "yes", "source_ids": "SRC-ILLUSTRATIVE"}
            step, attempts = step + 1, 0
            changes.append(
                Change(
                    kind,
                    pair,
                    "/api/v1/agreements",
                    copy,
                    lambda a, i=copy["id"]: i in agreements_of(a),
                    f"agreement {row['id']} added again as {copy['id']}",
                )
            )
            continue
        if kind == "retire-sanction" and sanction_of is not None:
            pair, sanction = sanction_of
            body = _retirement(today)
            step, attempts = step + 1, 0
            changes.append(
                Change(
                    kind,
                    pair,
                    f"/api/v1/tables/sanctions/rows/{sanction}/retire",
                    body,
                    lambda a: a["found"],
                    f"sanction {sanction} retired",
                )
            )
            continue
        if kind == "restore-authorisation" and ended is not None:
            pair, row = ended
            body = {"valid_to": row["valid_to"]}
            step, attempts = step + 1, 0
            changes.append(
                Change(
                    kind,
                    pair,
                    f"/api/v1/tables/authorisations/rows/{row['id']}",
                    body,
                    lambda a: a["found"],
                    f"authorisation {row['id']} valid_to restored",
                )
            )
            continue
        attempts += 1
        on_agreement = kind in ("retire-agreement", "correct-agreement")
        if on_agreement:  # few pairs drawn at random have a route through an agreement: take them from its parties
            if not candidates:
                attempts = PAIR_ATTEMPTS
                continue
            source, target = candidates.pop()
        else:
            source, target = rng.sample(rng.choice(groups), 2)
        issuers = {index.certificates[source].issuer, index.certificates[target].issuer}
        if issuers & used_issuers:
            continue
        answer = find_routes(index, source, target, as_of=today, k=3).to_json()
        through = {a for a in agreements_of(answer) if a in agreements}
        if not answer["routes"] or (on_agreement and not through) or through & used_agreements:
            continue
        pair = (source, target)
        issuer = tail(index.certificates[source].issuer)
        agreement = sorted(through)[0] if through else ""
        if kind == "retire-agreement":
            retired_agreement = (pair, agreements[agreement])
            change = Change(
                kind,
                pair,
                f"/api/v1/tables/agreements/rows/{agreement}/retire",
                _retirement(today),
                lambda a, i=agreement: i not in agreements_of(a),
                f"agreement {agreement} retired",
            )
        elif kind == "correct-agreement":
            change = Change(
                kind,
                pair,
                f"/api/v1/tables/agreements/rows/{agreement}",
                {"valid_to": "2099-12-31"},
                lambda a, i=agreement: any(
                    s["evidence"]["valid_to"] == "2099-12-31" and tail(s["evidence"]["iri"]) == i
                    for r in a["routes"]
                    for s in r["steps"]
                ),
                f"agreement {agreement} valid_to corrected",
            )
            if agreements[agreement].get("valid_to") == "2099-12-31" or agreements[agreement]["valid_from"] > "2099":
                continue
        elif kind == "add-sanction":
            sanction = f"SA-bench-{len(changes)}"
            sanction_of = (pair, sanction)
            body = {
                "id": sanction,
                "issuer_id": issuer,
                "date": today.isoformat(),
                "reason": "excessive-issuance",
                "resulting_status": "revoked",
                "description": "BENCHMARK: revoked to measure a change",
                "illustrative": "yes",
                "source_ids": "SRC-ILLUSTRATIVE",
            }
            change = Change(kind, pair, "/api/v1/sanctions", body, lambda a: not a["found"], f"sanction on {issuer}")
        elif kind == "end-authorisation":
            held = authorisations.get(issuer, [])
            if len(held) != 1 or not held[0]["valid_from"] or held[0]["valid_from"] >= yesterday:
                continue
            ended = (pair, held[0])
            change = Change(
                kind,
                pair,
                f"/api/v1/tables/authorisations/rows/{held[0]['id']}",
                {"valid_to": yesterday},
                lambda a: not a["found"],
                f"authorisation {held[0]['id']} of {issuer} ended",
            )
        else:  # retire-certificate-type
            change = Change(
                kind,
                pair,
                f"/api/v1/tables/certificate_types/rows/{tail(target)}/retire",
                _retirement(today),
                lambda a: not a["found"],
                f"certificate type {tail(target)} retired",
            )
        used_issuers |= issuers
        used_agreements |= through
        step, attempts = step + 1, 0
        changes.append(change)
    if len(changes) < count:
        print(f"only {len(changes)} of {count} changes found a pair of their own", flush=True)
    return changes


def agreement_pairs(index: Any, rng: Any, per_source: int = 5) -> list[tuple[str, str]]:
    """Pairs of one occupation whose certificate types' issuers (or their regions) are different parties of one
    agreement, shuffled: the pairs an agreement may route (``plan`` keeps those whose route it is on)."""
    by_party: dict[str, list[Any]] = {}
    for cert in index.certificates.values():
        issuer = index.issuers.get(cert.issuer)
        for party in {cert.issuer, *([issuer.region] if issuer is not None and issuer.region else [])}:
            by_party.setdefault(tail(party), []).append(cert)
    pairs: set[tuple[str, str]] = set()
    for agreement in index.agreements.values():
        sides = [by_party.get(tail(party), []) for party in agreement.parties]
        for one, other in ((a, b) for a in sides for b in sides if a is not b):
            by_occupation: dict[str, list[Any]] = {}
            for cert in other:
                by_occupation.setdefault(cert.occupation, []).append(cert)
            for source in one:
                targets = by_occupation.get(source.occupation, [])
                for target in rng.sample(targets, min(per_source, len(targets))):
                    if target.issuer != source.issuer:
                        pairs.add((source.iri, target.iri))
    shuffled = sorted(pairs)
    rng.shuffle(shuffled)
    return shuffled


def _retirement(day: date) -> dict[str, Any]:
    return {
        "retired_on": day.isoformat(),
        "reason": "benchmark change",
        "source_ids": ["SRC-ILLUSTRATIVE"],
        "illustrative": True,
    }


# -- applying them ---------------------------------------------------------------------------------------------


def apply(http: httpx.Client, change: Change) -> None:
    """Send the change, then poll its route lookup until it shows; its figures in ``change.figures``."""
    params = {"from": change.pair[0], "to": change.pair[1]}
    started = time.perf_counter()
    answer = http.post(change.method_path, json=change.body, params={"note": f"benchmark: {change.what}"})
    written = time.perf_counter() - started
    if answer.status_code != 201:
        change.figures = {"error": f"HTTP {answer.status_code}: {answer.text[:300]}"}
        return
    while time.perf_counter() - started < VISIBLE_WITHIN_S:
        lookup = http.get("/api/v1/routes", params=params)
        if lookup.status_code == 200 and change.seen(lookup.json()):
            change.figures = {
                "write_s": round(written, 2),
                "visible_s": round(time.perf_counter() - started, 2),
                "applied": answer.json().get("applied", "—"),
            }
            return
        time.sleep(0.05)
    change.figures = {"write_s": round(written, 2), "error": f"not visible within {VISIBLE_WITHIN_S} s"}


@contextlib.contextmanager
def memory_sampled(pid: int) -> Iterator[dict[str, float]]:
    """The server's RSS before the block, its peak while the block runs (every 100 ms) and after."""
    figures = {"before_mb": rss_mb(pid), "peak_mb": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            figures["peak_mb"] = max(figures["peak_mb"], rss_mb(pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield figures
    finally:
        stop.set()
        thread.join()
        figures["after_mb"] = rss_mb(pid)
        figures["peak_mb"] = max(figures["peak_mb"], figures["after_mb"], figures["before_mb"])
        figures["extra_mb"] = figures["peak_mb"] - figures["before_mb"]


def tables_to_build(args: argparse.Namespace, work: Path) -> Path:
    """The tables the run builds: given, exported from a given store, or synthesised."""
    if args.tables is not None:
        return args.tables
    tables = work / "tables"
    if args.store is not None:
        command = certbridge("export-tables", str(tables), "--store", str(args.store))
    else:
        command = certbridge("synth", "--out", str(tables), "--issuers", str(args.issuers), "--seed", str(args.seed))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--tables", type=Path, help="a folder of tables (e.g. from certbridge synth)")
    given.add_argument("--store", type=Path, help="a built store: its tables are exported and built afresh")
    given.add_argument("--issuers", type=int, help="synthesise a world of N issuers first")
    given.add_argument(
        "--served",
        type=Path,
        help="a built store, a copy of which is served as it is: no rebuild baseline (the serving side, quickly)",
    )
    parser.add_argument("--work", type=Path, help="where the run's own store goes (default: a temporary folder)")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20, help="wrk's quiet run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=2000, help="route lookups wrk cycles through")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-changes-", dir=args.work) as folder:
        work = Path(folder)
        store = work / "store"
        results: dict[str, Any] = {"rebuild": None}
        if args.served is not None:
            subprocess.run(["cp", "-a", str(args.served), str(store)], check=True)  # its links (current) as they are
        else:
            results["rebuild"] = timed_build(tables_to_build(args, work), store)
            print("rebuild baseline", results["rebuild"], flush=True)
        changes = plan(store, args.changes, args.seed)
        paths = route_paths(store, args.pairs, args.seed)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with (
            server(store, port, env={"CERTBRIDGE_WRITERS": f"{WRITER}={TOKEN}"}) as process,
            httpx.Client(base_url=base, timeout=VISIBLE_WITHIN_S, headers={"Authorization": f"Bearer {TOKEN}"}) as http,
        ):
            http.get(paths[0])  # loads the routing index
            for path in paths[:200]:
                http.get(path)
            results["quiet"] = wrk(base, paths, args.seconds, args.connections)
            print("quiet", results["quiet"], flush=True)
            with memory_sampled(process.pid) as memory, wrk_running(base, paths, args.connections) as during:
                for change in changes:
                    apply(http, change)
                    print(f"{change.kind:<26} {change.what}: {change.figures}", flush=True)
            results["during"], results["memory"] = during, memory
        results["changes"] = [{"kind": c.kind, "what": c.what, **c.figures} for c in changes]
        results["client_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    report(results)


def report(results: dict[str, Any]) -> None:
    changes = results["changes"]
    visible = [c["visible_s"] for c in changes if "visible_s" in c]
    print(f"\n{'change':<26} {'write s':>8} {'visible s':>10} {'applied':>10}  what")
    for c in changes:
        print(
            f"{c['kind']:<26} {c.get('write_s', '—'):>8} {c.get('visible_s', '—'):>10} {c.get('applied', '—'):>10}  "
            f"{c['what']}{'  ' + c['error'] if 'error' in c else ''}"
        )
    failed = len(changes) - len(visible)
    if visible:
        p50, p95 = statistics.median(visible), percentile(visible, 0.95)
        print(f"write to visible: p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(visible):.2f} s (goal p95 <= 5 s)", end="")
        print(f"; {failed} not seen" if failed else "")
    memory = results["memory"]
    print(
        f"server RSS: before {memory['before_mb']:.0f} MB, peak {memory['peak_mb']:.0f} MB, after "
        f"{memory['after_mb']:.0f} MB; extra {memory['extra_mb']:.0f} MB (goal <= 1,024 MB)"
    )
    quiet, during = results["quiet"], results["during"]
    ratio = during["p95_ms"] / quiet["p95_ms"] if quiet["p95_ms"] else float("nan")
    print(
        f"route p95: quiet {quiet['p95_ms']} ms, during the changes {during['p95_ms']} ms: {ratio:.2f}x (goal <= 2x); "
        f"errors during {during['errors'] + during['non2xx']}"
    )
    rebuild = results["rebuild"]
    if rebuild is not None:
        print(f"full rebuild (certbridge build): {rebuild['seconds']} s, peak RSS {rebuild['peak_mb']} MB")


if __name__ == "__main__":
    main()
