"""Compare two builds of the same tables: the same store contents and the same route answers (for refactorings).

Run by hand, once with the code before a change and once after, on stores built from the same tables::

    python bench/compare_snapshot.py --store STORE --out before.json     # with the code before
    python bench/compare_snapshot.py --store STORE2 --out after.json     # with the code after
    python bench/compare_snapshot.py --compare before.json after.json

The snapshot holds a digest of every graph's quads, blank-node labels and build records (times, file paths,
version names) aside, and the route JSON of a fixed, seeded sample of pairs (within occupations, every hop kind
set used, two dates, unconditional or not), so a difference names the graph or the pair that changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path

BUILD_GRAPH_SUFFIX = "/graph/build"
_BLANK = re.compile(r"_:[A-Za-z0-9]+")


def quad_digests(store_path: Path) -> dict[str, dict[str, object]]:
    """Per named graph: the number of quads and a digest of their sorted N-Quads, blank nodes relabelled."""
    from certbridge.graph.store import open_store

    store = open_store(store_path)
    by_graph: dict[str, list[str]] = {}
    for quad in store.quads_for_pattern(None, None, None):
        graph = str(quad.graph_name)
        if graph.endswith(BUILD_GRAPH_SUFFIX + ">"):
            continue  # when, from which files, under which version name: differs by construction
        line = f"{quad.subject} {quad.predicate} {quad.object}"
        by_graph.setdefault(graph, []).append(_BLANK.sub("_:b", line))
    out = {}
    for graph, lines in sorted(by_graph.items()):
        lines.sort()
        out[graph] = {"quads": len(lines), "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest()}
    return out


def route_answers(store_path: Path, pairs: int, seed: int) -> dict[str, object]:
    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.index import index_for

    index = index_for(store_path)
    rng = random.Random(seed)
    by_occupation: dict[str, list[str]] = {}
    for cert in sorted(index.certificates.values(), key=lambda c: c.iri):
        by_occupation.setdefault(cert.occupation, []).append(cert.iri)
    groups = [members for _, members in sorted(by_occupation.items()) if len(members) > 1]
    kind_sets = [None, ["formal-recognition"], ["formal-recognition", "same-qualification"], ["grade-dominance"]]
    answers = {}
    for n in range(pairs):
        a, b = rng.sample(rng.choice(groups), 2)
        kinds = kind_sets[n % len(kind_sets)]
        day = (date(2024, 1, 1), date(2026, 12, 1))[n % 2]
        unconditional = n % 5 == 0
        found = find_routes(index, a, b, as_of=day, kinds=kinds, k=3, unconditional=unconditional)
        answers[f"{a} {b} {day} {kinds} {unconditional}"] = found.to_json()
    return answers


def compare(before: dict, after: dict) -> int:
    differences = 0
    for graph in sorted(set(before["graphs"]) | set(after["graphs"])):
        if before["graphs"].get(graph) != after["graphs"].get(graph):
            differences += 1
            print(f"graph {graph}: {before['graphs'].get(graph)} -> {after['graphs'].get(graph)}")
    changed = [key for key in before["routes"] if before["routes"][key] != after["routes"].get(key)]
    for key in changed[:10]:
        print(f"route answer differs: {key}")
    differences += len(changed) + len(set(after["routes"]) - set(before["routes"]))
    kinds = Counter(bool(answer["routes"]) for answer in before["routes"].values())
    print(
        f"{len(before['graphs'])} graphs, {sum(g['quads'] for g in before['graphs'].values()):,} quads; "
        f"{len(before['routes'])} route answers ({kinds[True]} with routes, {kinds[False]} without): "
        + ("identical" if not differences else f"{differences} differences")
    )
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(path.read_text()) for path in args.compare)
        sys.exit(compare(before, after))
    snapshot = {"graphs": quad_digests(args.store), "routes": route_answers(args.store, args.pairs, args.seed)}
    args.out.write_text(json.dumps(snapshot, ensure_ascii=False, sort_keys=True))
    print(f"{args.out}: {len(snapshot['graphs'])} graphs, {len(snapshot['routes'])} route answers")


if __name__ == "__main__":
    main()
