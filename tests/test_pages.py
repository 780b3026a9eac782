"""The shell of the pages for people: the language chosen and remembered, the switch, the banner, the footer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from helpers.serving import serving

from certbridge.api.pages import LANGUAGE_COOKIE, language_of, page
from certbridge.api.settings import Settings
from certbridge.visualize.catalogue import Language, message


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/p")
    def shown(request: Request, flagged: bool = False) -> object:
        return page(request, title="T", body="<p id='body'>x</p>", illustrative=flagged, version="v-1")

    @app.get("/lang")
    def which(request: Request) -> str:
        return language_of(request).value

    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    """A real server on loopback with two routes that use the shell (no store needed)."""
    with serving(Settings(tmp_path / "no-store"), app=_app()) as url, httpx.Client(base_url=url) as http:
        yield http


def test_chinese_by_default_english_by_parameter_and_the_choice_is_remembered(client: httpx.Client) -> None:
    first = client.get("/p")
    assert first.headers["content-language"] == "zh" and '<html lang="zh">' in first.text
    assert message("shell.tagline").zh in first.text and message("shell.tagline").en not in first.text
    assert LANGUAGE_COOKIE not in first.cookies  # nothing chosen, nothing remembered
    english = client.get("/p", params={"lang": "en", "flagged": "true"})
    assert english.headers["content-language"] == "en" and message("shell.tagline").en in english.text
    assert english.cookies[LANGUAGE_COOKIE] == "en"
    assert client.get("/lang").json() == "en"  # the cookie is sent back: remembered
    assert client.get("/lang", params={"lang": "zh"}).json() == "zh"  # a parameter wins over the cookie


def test_the_switch_keeps_the_query_and_the_banner_shows_only_when_flagged(client: httpx.Client) -> None:
    shown = client.get("/p", params={"flagged": "true", "lang": "zh"}).text
    assert 'href="/p?flagged=true&amp;lang=en"' in shown
    assert message("shell.illustrative").zh in shown and "v-1" in shown and "<p id='body'>x</p>" in shown
    assert message("shell.illustrative").zh not in client.get("/p").text
    client.cookies.set(LANGUAGE_COOKIE, "xx")
    assert Language.chosen(client.get("/lang").json()) is Language.ZH


def test_the_shell_asks_for_nothing_outside_and_its_search_box_leads_to_search(client: httpx.Client) -> None:
    shown = client.get("/p").text
    assert '<form class="site-search" role="search" action="/search" method="get">' in shown
    assert 'name="q"' in shown and '<link rel="icon" href="data:,">' in shown  # no favicon request either
    assert not re.search(r"""(src|href)=["']https?://""", shown), "the shell loads nothing from elsewhere"


def test_a_page_is_private_revalidated_and_validated_by_its_own_text(client: httpx.Client) -> None:
    """The address is the same in both languages (the cookie decides), so a shared cache must not keep it."""
    chinese = client.get("/p")
    client.cookies.set(LANGUAGE_COOKIE, "en")
    english = client.get("/p")
    assert chinese.headers["etag"] != english.headers["etag"]
    for response in (chinese, english):
        assert "Cookie" in response.headers["vary"]
        assert response.headers["cache-control"] == "private, no-cache"
