"""Incremental reasoning against full reasoning, for single-fact changes on a synthetic world.

Run by hand (not by CI): ``python bench/bench_incremental.py --issuers 200 --changes 20``. It synthesises a world
(``certbridge synth``), builds it, then for each of *changes* asserted triples of the kinds a change touches (an
agreement's party or status, a certificate type's grade or issuer, an occupation's group, a typing) times:

- full: ``materialise`` from the asserted graphs in memory, as a build's reason stage runs it (a few runs: it does
  not depend on the change);
- incremental: ``apply_change`` removing the triple, then adding it back, on a writable copy of the version on disk;
- patch: ``graph/patch.py`` end to end for the first few changes (checkpoint copy, incremental reasoning, record,
  the routing index updated from the previous version's, swap);
- derive vs update, for each of those patches: the routing index read in full from the new version
  (``load_index``) against the previous version's read from its cache and updated for what the change touched
  (``update_index``; checked equal), and, in a serving process, the search index and every occupation's routing
  graph built again (``build_search`` and ``warm``) against carried over from the index served before
  (``carry_over``, the stale graphs then built by ``warm``).

Prints median and p95 of each, and checks the inferred graph after the changes against full reasoning.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<32} n={len(values):>3}  median {statistics.median(values) * 1000:>9.1f} ms"
        f"  p95 {percentile(values, 0.95) * 1000:>9.1f} ms  max {max(values) * 1000:>9.1f} ms"
    )


@contextmanager
def clock(into: dict[str, list[float]], name: str) -> Iterator[None]:
    """The wall time of the block, added to *into* under *name*."""
    started = time.perf_counter()
    yield
    into.setdefault(name, []).append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issuers", type=int, default=200)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--full-runs", type=int, default=3)
    parser.add_argument("--patches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    import pyoxigraph as ox
    from rdflib.namespace import RDF, SKOS

    from certbridge.data import DATA_DIR
    from certbridge.graph.build import build
    from certbridge.graph.iris import BUILD_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
    from certbridge.graph.patch import patch
    from certbridge.graph.reasoning import materialise
    from certbridge.graph.reasoning.incremental import Change, apply_change
    from certbridge.graph.routing import cache, warm
    from certbridge.graph.routing.cache import CACHE_KIND
    from certbridge.graph.routing.carry import carry_over
    from certbridge.graph.routing.index import index_for, load_index
    from certbridge.graph.routing.search import build_search, search_index
    from certbridge.graph.routing.update import update_index
    from certbridge.graph.store import EmbeddedStore
    from certbridge.graph.synth import synthesise
    from certbridge.ontology import CB

    inferred, record = ox.NamedNode(str(INFERRED_GRAPH)), ox.NamedNode(str(BUILD_GRAPH))
    today = date.today()
    kinds = [CB.party, CB.status, CB.atGrade, CB.issuedBy, SKOS.broader, RDF.type, CB.region, CB.followsStandard]
    with tempfile.TemporaryDirectory() as folder:
        data, location = Path(folder) / "data", Path(folder) / "store"
        started = time.perf_counter()
        synthesise(DATA_DIR, data, issuers=arguments.issuers, seed=arguments.seed)
        build(data, location)
        print(
            f"synthesised and built N = {arguments.issuers} in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
        store = EmbeddedStore(location)
        version, current = store.snapshot()
        assert isinstance(current, ox.Store)
        not_asserted = {inferred, record, ox.NamedNode(str(ONTOLOGY_GRAPH))}
        asserted = [q for q in current.quads_for_pattern(None, None, None) if q.graph_name not in not_asserted]
        with_ontology = [
            q for q in current.quads_for_pattern(None, None, None) if q.graph_name not in {inferred, record}
        ]
        print(f"{len(asserted):,} asserted quads", file=sys.stderr)

        full: list[float] = []
        for _ in range(arguments.full_runs):
            memory = ox.Store()
            memory.extend(with_ontology)
            started = time.perf_counter()
            materialise(memory)
            full.append(time.perf_counter() - started)
        expected = {str(q) for q in memory.quads_for_pattern(None, None, None, inferred)}

        chosen = random.Random(arguments.seed)
        by_kind = {kind: [q for q in asserted if q.predicate == ox.NamedNode(str(kind))] for kind in kinds}
        changes = [chosen.choice(by_kind[kind]) for kind in kinds if by_kind[kind] for _ in range(arguments.changes)]
        changes = chosen.sample(changes, min(arguments.changes, len(changes)))
        copy_path = Path(folder) / "copy"
        current.backup(str(copy_path))
        copy = ox.Store(str(copy_path))
        removing, adding, touched = [], [], []
        for quad in changes:
            gone = apply_change(copy, Change(removed=(quad,)))
            back = apply_change(copy, Change(added=(quad,)))
            removing.append(gone.seconds)
            adding.append(back.seconds)
            touched.append(len(gone.added) + len(gone.removed))
        after = {str(q) for q in copy.quads_for_pattern(None, None, None, inferred)}
        del copy, current

        patches: list[float] = []
        steps: dict[str, list[float]] = {}
        served = index_for(store)
        search_index(served)
        warm(served, today)
        compared: dict[str, list[float]] = {}
        equal = True
        for quad in changes[: arguments.patches]:
            started = time.perf_counter()
            patched = patch(store, Change(removed=(quad,)), tables=store.tables())
            patches.append(time.perf_counter() - started)
            for step, seconds in patched.seconds.items():
                steps.setdefault(step, []).append(seconds)
            opened = ox.Store.read_only(str(patched.version))
            with clock(compared, "derive: load_index in full"):
                fresh = load_index(opened)
            with clock(compared, "update: read the previous index"):
                previous = cache.read(store, patched.previous.name)
            assert previous is not None
            with clock(compared, "update: update_index"):
                updated = update_index(previous, opened, patched.touched)
            equal = equal and updated == fresh
            with clock(compared, "serve, fresh: build_search"):
                build_search(fresh)
            with clock(compared, "serve, fresh: warm every graph"):
                warm(fresh, today)
            adopted = patched.derived[CACHE_KIND]
            with clock(compared, "serve, carried: carry_over"):
                carry_over(served, adopted)
            with clock(compared, "serve, carried: warm the stale"):
                warm(adopted, today)
            served = adopted

    print(f"N = {arguments.issuers}: {len(asserted):,} asserted quads, {len(expected):,} inferred")
    print(line("full reasoning (materialise)", full))
    print(line("incremental: remove one triple", removing))
    print(line("incremental: add it back", adding))
    print(line("patch, end to end", patches))
    for step, values in steps.items():
        print(line(f"  patch: {step}", values))
    for step, values in compared.items():
        print(line(step, values))
    print(f"the updated routing index equals the one read in full after every patch: {equal}")
    print(f"inferred triples changed per removal: median {statistics.median(touched):.0f}, max {max(touched)}")
    print(f"after every change and its undoing, the inferred graph equals full reasoning's: {after == expected}")
    if version.name:
        print(f"(version {version.name})", file=sys.stderr)


if __name__ == "__main__":
    main()
