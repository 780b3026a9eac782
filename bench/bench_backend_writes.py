"""How long a write takes on each backend, on the shipped data: one add, one correction, one retirement.

Run by hand (not by CI): ``python bench/bench_backend_writes.py [--backends embedded,virtuoso,oxigraph]``. Needs
what bench_backends.py needs (``virtuoso-t``; the ``oxigraph`` command). Each backend gets a fresh server, the
shipped tables built into it, then three writes through graph/writes.py, one after the other: an illustrative
Fujian-Taiwan agreement added, its ``valid_from`` corrected, the agreement retired. For each: the write's wall
time (the call returning: the new version current), then the routing index of the new version read
(``index_for``: what the first route lookup after the write waits for), and, on a server, how long readers were
told there is no build (a thread asks the server for its current version every 50 ms while the write runs: a
server write replaces the graphs one by one, so the build record goes first and comes back last).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from bench_backends import BACKENDS, server


def _agreement() -> dict[str, str]:
    return {
        "id": "IL-AG-FJ-TW",
        "name_zh": "示例：闽台厨师证书互认",
        "name_en": "ILLUSTRATIVE: Fujian-Taiwan mutual recognition of cook certificates",
        "date": "2025-01-01",
        "date_precision": "day",
        "party_refs": "region:350000;region:710000",
        "direction": "mutual",
        "mechanism": "equivalence",
        "recognises_certificates": "yes",
        "scope_occupation_codes": "4-03",
        "valid_from": "2025-01-01",
        "status": "issued",
        "source_ids": "SRC-ILLUSTRATIVE",
        "trust": "low",
        "illustrative": "yes",
    }


class _Blind:
    """Seconds during which a reader of the store found no current version (polled every 50 ms)."""

    def __init__(self, location: object) -> None:
        from certbridge.graph.store import store_at

        self._store = store_at(location)  # type: ignore[arg-type]
        self._stop = threading.Event()
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._store.forget_version()
            started = time.perf_counter()
            missing = self._store.current_version() is None
            self._stop.wait(0.05)
            if missing:
                self.seconds += time.perf_counter() - started

    def __enter__(self) -> _Blind:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._store.close()


def one_backend(store: str, folder: Path) -> dict[str, object]:
    """Build the shipped data, then time each of the three writes (settings come from the environment)."""
    from certbridge.api.settings import resolve_store
    from certbridge.data import DATA_DIR
    from certbridge.graph import writes
    from certbridge.graph.build import build
    from certbridge.graph.routing.index import index_for
    from certbridge.graph.store import store_at

    location = resolve_store(store)
    started = time.perf_counter()
    build(DATA_DIR, location)
    figures: dict[str, object] = {"build_s": round(time.perf_counter() - started, 1)}
    path = folder / "agreements.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(_agreement()))
        writer.writeheader()
        writer.writerow(_agreement())
    changes = {
        "add": lambda: writes.add_rows(location, writes.read_rows(path), writer="bench", note="add"),
        "correct": lambda: writes.correct_rows(
            location,
            writes.Corrections("agreements", [("IL-AG-FJ-TW", {"valid_from": "2030-01-01"})], Path("bench"), [1]),
            writer="bench",
            note="correct",
        ),
        "retire": lambda: writes.retire(
            location,
            writes.Retirement(
                table="agreements",
                key="IL-AG-FJ-TW",
                retired_on="2031-01-01",
                reason="terminated",
                source_ids="SRC-ILLUSTRATIVE",
                illustrative=True,
            ),
            writer="bench",
            note="retire",
        ),
    }
    graph_store = store_at(location)
    for kind, change in changes.items():
        with _Blind(location) as blind:
            started = time.perf_counter()
            written = change()
            write_s = time.perf_counter() - started
        started = time.perf_counter()
        index_for(graph_store)
        figures[kind] = {
            "write_s": round(write_s, 1),
            "applied": str(getattr(written, "applied", "rebuilt")),
            "index_s": round(time.perf_counter() - started, 1),
            "no_build_seen_s": round(blind.seconds, 1),
        }
    graph_store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    arguments = parser.parse_args()
    results = {}
    for backend in arguments.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-writes-{backend}-") as name:
            folder = Path(name)
            with server(backend, folder) as (store, settings, _pid):
                os.environ.update(settings)
                os.environ["CERTBRIDGE_SERVER_WORKDIR"] = str(folder / "workdir")
                results[backend] = one_backend(store, folder)
                for key in settings:
                    os.environ.pop(key, None)
        print(backend, json.dumps(results[backend]), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
