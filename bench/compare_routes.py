"""Route answers for a fixed, seeded sample of questions, written to a file, to show a refactoring changed none.

Run by hand, before and after a change that must keep routing's behaviour:

    python bench/compare_routes.py --store S --out /tmp/routes-before.json          # on the code before
    python bench/compare_routes.py --store S --out /tmp/routes-after.json --against /tmp/routes-before.json

With ``--build DIR`` the synthetic data set is made first (``certbridge synth --issuers N --seed 1``, then
``certbridge build``) into DIR/tables and the store S. The questions are drawn once (seeded: pairs of certificate
types of one occupation, occupations drawn by size, a few hop-kind sets, days and ``unconditional``, some with a
title or level as target) and written into the output; ``--against`` asks the baseline's questions again, so both
files answer the same ones. Each answer is ``RouteAnswer.to_json()`` serialised as the REST API does
(``to_json_bytes``), byte for byte; beside them the route view of each answer, the coverage table and a what-if.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

AS_OF = ("2020-01-01", "2024-06-30", "2025-06-01")
KIND_SETS = (
    None,
    ("formal-recognition",),
    ("formal-recognition", "grade-dominance"),
    ("same-qualification", "grade-dominance", "cross-system-bridge"),
)


def build(store: Path, tables: Path, issuers: int) -> None:
    command = [sys.executable, "-m", "certbridge.api"]
    subprocess.run([*command, "synth", "--issuers", str(issuers), "--seed", "1", "--out", str(tables)], check=True)
    subprocess.run([*command, "build", "--data", str(tables), "--store", str(store), "--quiet"], check=True)


def questions(index: object, count: int, seed: int) -> list[dict]:
    """*count* questions: pairs within one occupation (drawn by its size), each with its options."""
    rng = random.Random(seed)
    by_occupation = {code: sorted(iris) for code, iris in index.by_occupation.items() if len(iris) > 1}  # type: ignore[attr-defined]
    codes = sorted(by_occupation)
    weights = [len(by_occupation[code]) for code in codes]
    credentials = sorted({b.credential for bridges in index.bridges.values() for b in bridges})  # type: ignore[attr-defined]
    found = []
    for number in range(count):
        code = rng.choices(codes, weights)[0]
        source, target = rng.sample(by_occupation[code], 2)
        if credentials and number % 15 == 14:
            target = rng.choice(credentials)
        found.append(
            {
                "source": source,
                "target": target,
                "as_of": rng.choice(AS_OF),
                "kinds": rng.choice(KIND_SETS),
                "unconditional": rng.random() < 0.2,
                "k": rng.choice((1, 3, 5)),
                "max_hops": rng.choice((3, 6)),
            }
        )
    return found


def route_view_json(index: object, answer: object) -> dict:
    """The route view of *answer*, built from the answer record, or from its JSON where the views took that (before
    the views were built from the typed answer)."""
    from certbridge.visualize.views import route_facets, route_view

    takes_json = "dict" in str(inspect.signature(route_view).parameters["answer"].annotation)
    given = answer.to_json() if takes_json else answer  # type: ignore[attr-defined]
    return route_view(given, route_facets(index, given)).to_json()  # type: ignore[arg-type]


def answers(store: Path, asked: list[dict]) -> dict:
    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.coverage import coverage, read_hypothetical, what_if
    from certbridge.graph.routing.index import index_for

    index = index_for(store)
    routes, views, started = [], [], time.perf_counter()
    for question in asked:
        answer = find_routes(
            index,
            question["source"],
            question["target"],
            as_of=date.fromisoformat(question["as_of"]),
            kinds=question["kinds"],
            k=question["k"],
            max_hops=question["max_hops"],
            unconditional=question["unconditional"],
        )
        routes.append(answer.to_json_bytes().decode())
        views.append(json.dumps(route_view_json(index, answer), ensure_ascii=False))
    elapsed = time.perf_counter() - started
    day = date(2025, 6, 1)
    table = coverage(index, by="region", as_of=day, max_occupations=30)
    regions = sorted(index.region_labels)[:2]
    hypothetical = (
        "id,direction,party_refs,recognising_refs,recognised_refs,scope_occupation_codes,scope_min_grade,"
        "scope_max_grade,scope_issuer_kinds,valid_from,valid_to\nWI1,mutual,"
        + ";".join(f"region:{r.rsplit('/', 1)[-1]}" for r in regions)
        + ",,,,,,,2020-01-01,\n"
    ).encode()
    agreements = read_hypothetical(Path("what-if.csv"), index, content=hypothetical)
    before, after = what_if(index, agreements, by="region", as_of=day, max_occupations=30)
    return {
        "questions": asked,
        "routes": routes,
        "views": views,
        "coverage": table.to_json(),
        "what_if": {"before": before.to_json(), "after": after.to_json()},
        "found": sum('"found":true' in route for route in routes),
        "seconds": round(elapsed, 2),
    }


#: names two copies disagreed on, settled in the views in favour of the ontology's label: a view matches the old
#: one as it was, or with these replaced
RENAMED = {"跨体系衔接": "跨体系贯通"}


def _renamed(view: str) -> str:
    for before, after in RENAMED.items():
        view = view.replace(before, after)
    return view


def compare(new: dict, old: dict) -> int:
    differing = 0
    for part in ("routes", "views"):
        for number, (a, b) in enumerate(zip(new[part], old[part], strict=True)):
            if a != b and (part == "routes" or a != _renamed(b)):
                differing += 1
                if differing <= 5:
                    print(f"{part}[{number}] differs: {old['questions'][number]}")
    for part in ("coverage", "what_if"):
        if new[part] != old[part]:
            differing += 1
            print(f"{part} differs")
    print(f"{len(new['routes'])} answers ({new['found']} with a route): {differing} difference(s)")
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path, help="a baseline written before: ask its questions, compare")
    parser.add_argument("--build", type=Path, metavar="DIR", help="synthesise and build the store first")
    parser.add_argument("--issuers", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.build:
        build(args.store, args.build / "tables", args.issuers)
    old = json.loads(args.against.read_text()) if args.against else None
    if old is not None:
        asked = old["questions"]
    else:
        from certbridge.graph.routing.index import index_for

        asked = questions(index_for(args.store), args.pairs, args.seed)
    result = answers(args.store, asked)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=0))
    print(f"wrote {args.out}: {result['found']} of {len(asked)} with a route, {result['seconds']} s of routing")
    return compare(result, old) if old is not None else 0


if __name__ == "__main__":
    raise SystemExit(main())
