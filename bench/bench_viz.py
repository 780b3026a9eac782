"""Graph-view benchmark: time from navigation to a stable drawing, in Debian's chromium driven by Playwright.

Run by hand (not by CI) on a built store::

    python bench/bench_viz.py --store syn10k-store [--runs 7]

It serves the store (``certbridge serve``, loopback), then for each view loads the page *runs* times in a
fresh browser context and reports the median and p95 of "navigation start -> physics stabilised and
switched off" (``performance.timeOrigin`` to the page's own ``stableAt`` mark), with the number of nodes
and edges drawn. Views: a route view (a connected pair), the neighbourhood of the occupation with the
most certificate types (capped at the 500-node setting, the rest aggregated), the agreement map and the
coverage heat map (on a sample of occupations). A screenshot of each goes to artifacts/bench/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import free_port, server
from bench_scale import percentile

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "bench"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


def pages(store: Path) -> dict[str, str]:
    """The URLs to time: picked from the store's routing index."""
    from datetime import date

    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.index import index_for

    index = index_for(store)
    busiest = max(index.by_occupation, key=lambda code: len(index.by_occupation[code]))
    day = date(2025, 6, 1)
    pair = None
    for code in sorted(index.by_occupation, key=lambda c: -len(index.by_occupation[c]))[:50]:
        members = index.by_occupation[code]
        for a in members[:20]:
            for b in members[:20]:
                if a != b and find_routes(index, a, b, as_of=day, k=1).routes:
                    pair = (a, b)
                    break
            if pair:
                break
        if pair:
            break
    assert pair, "no connected pair found"
    return {
        "route": "/viz/route?" + urlencode({"from": pair[0], "to": pair[1], "as_of": day.isoformat()}),
        "neighbourhood (busiest occupation)": "/viz/node?" + urlencode({"id": f"occupation/{busiest}"}),
        "agreement map": "/viz/agreements?as_of=2025-06-01",
        "coverage (sample of 40 occupations)": "/viz/coverage?as_of=2025-06-01&sample=40",
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    urls = pages(args.store)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results = {}
    with server(args.store, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, path in urls.items():
            times, state = [], {}
            for run in range(args.runs + 1):  # the first run warms the server's caches and is not counted
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.goto(base + path, timeout=600_000)
                page.wait_for_function("window.certbridgeView && certbridgeView.stable", timeout=600_000)
                state = page.evaluate(
                    "({ms: certbridgeView.stableAt, nodes: certbridgeView.nodes, edges: certbridgeView.edges,"
                    " aggregated: [...document.querySelectorAll('.aggregated')].map(e => e.textContent)})"
                )
                if run:
                    times.append(state["ms"])
                else:
                    page.screenshot(path=str(ARTIFACTS / f"{name.split(' ')[0]}.png"), full_page=True)
                context.close()
            results[name] = {
                "median_ms": round(statistics.median(times)),
                "p95_ms": round(percentile(times, 0.95)),
                "nodes": state["nodes"],
                "edges": state["edges"],
                "aggregated": state["aggregated"],
            }
        browser.close()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n{'view':<40} {'median ms':>10} {'p95 ms':>8} {'nodes':>6} {'edges':>6}")
    for name, r in results.items():
        print(f"{name:<40} {r['median_ms']:>10} {r['p95_ms']:>8} {r['nodes']:>6} {r['edges']:>6}")


if __name__ == "__main__":
    main()
