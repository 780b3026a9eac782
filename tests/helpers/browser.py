"""Debian's chromium driven by Playwright, with every request that is not to loopback aborted, and screenshots
saved under artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


playwright_api = pytest.importorskip("playwright.sync_api")


class Page:
    """A browser page that blocks non-loopback requests and collects console errors."""

    def __init__(self, browser: object) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: object) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("file", "data", "blob") or url.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, url: str) -> dict:
        self.page.goto(url)
        self.page.wait_for_function("window.certbridgeView && window.certbridgeView.stable", timeout=30_000)
        return self.state()

    def state(self) -> dict:
        return self.page.evaluate(
            "({nodes: certbridgeView.nodes, edges: certbridgeView.edges, language: certbridgeView.language,"
            " expanded: certbridgeView.expanded, errors: certbridgeView.errors})"
        )

    def drawn_pixels(self) -> int:
        return self.page.evaluate(
            """() => { const c = document.querySelector('#network canvas');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
        )

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        assert self.blocked == [], f"the page tried to reach the internet: {self.blocked}"
        assert self.errors == [], f"browser console errors: {self.errors}"
        self.context.close()
