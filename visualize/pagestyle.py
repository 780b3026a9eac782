"""What the pages made in this package add to the shell's head: their stylesheet (static/pages.css, inlined so
that nothing is fetched) and an empty icon (so a browser asks the server for no /favicon.ico)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

HERE = Path(__file__).parent


@cache
def page_head() -> str:
    """The ``<head>`` elements of the entity, coverage, what-if and error pages."""
    css = (HERE / "static" / "pages.css").read_text(encoding="utf-8")
    return f'<link rel="icon" href="data:,"><style>{css}</style>'
