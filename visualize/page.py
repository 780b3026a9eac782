"""The shell every page for people shares, rendered from a :class:`PageShell`: the header (site name, the language
switch, a search box), the navigation, the illustrative banner when what the page shows rests on illustrative or
synthetic records, and a footer naming the data version. Pages fill the body; every word of the shell is in the
catalogue (visualize/messages/shell.yaml), and its stylesheet is inlined (no asset to fetch, so it works offline).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .catalogue import Language, catalogue

HERE = Path(__file__).parent

#: the navigation: where each link goes and the catalogue key of its words
NAVIGATION = (
    ("/", "nav.home"),
    ("/viz/agreements", "links.agreements"),
    ("/viz/coverage", "links.coverage"),
    ("/query", "links.query"),
    ("/docs", "links.docs"),
    ("/sources", "links.sources"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PageShell:
    """What the shell needs to know about one page; *body* is HTML the page made (escaped by it)."""

    title: str
    body: str
    language: Language
    #: the same page in the other language (the switch's link)
    switch_href: str
    #: the page rests on illustrative or synthetic records: the banner says so
    illustrative: bool = False
    #: the store version the page was made from (the footer names it)
    version: str | None = None
    #: extra elements for the head (scripts, JSON-LD), made by the page
    head: str = ""


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


@cache
def _stylesheet() -> str:
    return (HERE / "static" / "site.css").read_text(encoding="utf-8")


def render_page(shell: PageShell) -> str:
    """The whole HTML document of a page."""
    words = {key: message.in_language(shell.language) for key, message in catalogue().items()}
    return (
        _environment()
        .get_template("page.html")
        .render(
            shell=shell,
            body=Markup(shell.body),  # the page escaped what it put there
            head=Markup(shell.head),
            words=words,
            navigation=NAVIGATION,
            stylesheet=Markup(_stylesheet()),  # the package's own file
        )
    )
