"""Answer-page benchmark: time from submitting the question on / to the answer drawn and stable, in Debian's
chromium driven by Playwright, against opening the landing page in the same run as the baseline.

Run by hand (not by CI) on a built store::

    python bench/bench_answer.py --store syn40k-store [--runs 20]

It serves the store (``certbridge serve``, loopback) and, *runs* times in a fresh browser context each (after one
run that warms the server and is not counted):

- **landing**: navigation start -> the landing page's load event (``loadEventEnd`` of its navigation entry);
- **answer**: the form submitted (``Date.now()`` in the page just before the button is pressed, the two boxes
  filled as a pick fills them: text and id) -> the answer page's drawing placed and stable
  (``performance.timeOrigin + certbridgeAnswer.stableAt``), for a pair with routes and a pair without one.

It prints the median and p95 of each, in milliseconds, and the routes and nodes drawn. The issue asks for the
answer within 1 s at N = 40,000. A screenshot of each answer goes to artifacts/bench/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import free_port, server
from bench_scale import percentile

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "bench"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
DAY = date(2025, 6, 1)


def questions(store: Path) -> dict[str, tuple[str, str]]:
    """Two questions picked from the store's routing index: the first pair (busiest occupations first) with a
    route of more than one hop if there is one (else of one), and a pair of the same occupation with none."""
    from certbridge.graph.routing import find_routes
    from certbridge.graph.routing.index import index_for

    index = index_for(store)
    routed: tuple[str, str] | None = None  # the first pair with a route
    longer: tuple[str, str] | None = None  # the first whose best route has more than one hop
    unrouted: tuple[str, str] | None = None
    for code in sorted(index.by_occupation, key=lambda c: -len(index.by_occupation[c]))[:50]:
        members = [iri for iri in index.by_occupation[code][:20] if iri in index.certificates]
        for a in members:
            for b in members:
                if a == b:
                    continue
                answer = find_routes(index, a, b, as_of=DAY, k=3)
                if answer.routes:
                    routed = routed or (a, b)
                    if len(answer.routes[0].hops) > 1:
                        longer = longer or (a, b)
                else:
                    unrouted = unrouted or (a, b)
        if longer and unrouted:
            break
    routed = longer or routed
    assert routed, "no connected pair found"
    found = {"answer (routes)": routed}
    if unrouted:
        found["answer (no route)"] = unrouted
    return found


def short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    asked = questions(args.store)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {"landing (baseline)": [], **{name: [] for name in asked}}
    drawn: dict[str, dict] = {}
    with server(args.store, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for run in range(args.runs + 1):  # the first run warms the server's caches and is not counted
            for name, (source, target) in asked.items():
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                page.goto(f"{base}/?lang=zh", wait_until="load")
                landing = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                if run and name == next(iter(asked)):
                    times["landing (baseline)"].append(landing)
                for box, iri in (("from", source), ("to", target)):  # as a pick fills a box: its text and id
                    page.evaluate(
                        """([box, id]) => { const t = document.getElementById(box + '-text');
                             const h = document.getElementById(box + '-id');
                             t.value = id; h.value = id; h.dataset.label = id; }""",
                        [box, short(iri)],
                    )
                page.fill("#as-of", DAY.isoformat())
                submitted = page.evaluate("Date.now()")
                page.click("button.ask", no_wait_after=True)
                page.wait_for_function("window.certbridgeAnswer && certbridgeAnswer.stable", timeout=600_000)
                state = page.evaluate(
                    "({at: performance.timeOrigin + certbridgeAnswer.stableAt,"
                    " routes: document.querySelectorAll('.route-card').length,"
                    " nodes: certbridgeAnswer.network.body.data.nodes.length, url: location.search})"
                )
                assert urlencode({"from": short(source)}) in state["url"], state["url"]
                if run:
                    times[name].append(state["at"] - submitted)
                else:
                    page.screenshot(path=str(ARTIFACTS / f"answer-{name.split('(')[1][:-1].replace(' ', '-')}.png"))
                drawn[name] = {"routes": state["routes"], "nodes": state["nodes"]}
                context.close()
        browser.close()
    results = {
        name: {
            "median_ms": round(statistics.median(values)),
            "p95_ms": round(percentile(values, 0.95)),
            "runs": len(values),
            **drawn.get(name, {}),
        }
        for name, values in times.items()
    }
    print(json.dumps({"store": str(args.store), "questions": asked, "results": results}, indent=2))
    print(f"\n{'page':<22} {'median ms':>10} {'p95 ms':>8} {'routes':>7} {'nodes':>6}")
    for name, r in results.items():
        print(f"{name:<22} {r['median_ms']:>10} {r['p95_ms']:>8} {r.get('routes', ''):>7} {r.get('nodes', ''):>6}")


if __name__ == "__main__":
    main()
