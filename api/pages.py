"""Pages for people: the language a request is answered in, and the shell around a page's body.

The language is the ``lang`` parameter when given (and then remembered in a cookie), else the remembered one, else
Chinese. Every page for people goes through :func:`page`, so each has the same header, switch, banner and footer.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from certbridge.visualize.catalogue import Language
from certbridge.visualize.page import PageShell, render_page

#: the cookie that remembers the language a visitor chose (a year; no other cookie is set)
LANGUAGE_COOKIE = "certbridge_lang"
LANGUAGE_COOKIE_AGE_S = 365 * 24 * 3600


def language_of(request: Request) -> Language:
    """The language to answer *request* in: ``?lang=``, then the remembered choice, then Chinese."""
    return Language.chosen(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def switch_href(request: Request, language: Language) -> str:
    """The URL of the same page in the other language (the same query, ``lang`` replaced)."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name != "lang"]
    return f"{request.url.path}?{urlencode([*kept, ('lang', language.other.value)])}"


def page(
    request: Request,
    *,
    title: str,
    body: str,
    illustrative: bool = False,
    version: str | None = None,
    head: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The HTML response of a page for people: *body* (HTML the caller escaped) inside the shared shell, in the
    request's language; a ``lang`` parameter is remembered in a cookie."""
    shell = shell_of(request, title=title, body=body, illustrative=illustrative, version=version, head=head)
    return respond(request, render_page(shell), status_code=status_code)


def shell_of(
    request: Request,
    *,
    title: str,
    body: str = "",
    illustrative: bool = False,
    version: str | None = None,
    head: str = "",
) -> PageShell:
    """The shell of a page answering *request*: its language and the switch's link from the request."""
    language = language_of(request)
    return PageShell(
        title=title,
        body=body,
        language=language,
        switch_href=switch_href(request, language),
        illustrative=illustrative,
        version=version,
        head=head,
    )


def respond(request: Request, rendered: str, *, status_code: int = 200) -> HTMLResponse:
    """The HTML response of a page for people rendered in the request's language (by :func:`page`, or a graph view
    in the shell): its language, caching by its own text, and a ``lang`` parameter remembered in a cookie."""
    language = language_of(request)
    response = HTMLResponse(rendered, status_code=status_code)
    response.headers["Content-Language"] = language.value
    # The same address answers in the language a cookie remembers, so a cache must not hand one visitor's language
    # to another (private), nor reuse a page without asking (no-cache); the validator is the page's own text, not
    # the store version alone, which both languages share.
    response.headers["Vary"] = "Cookie"
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["ETag"] = f'W/"page-{hashlib.blake2b(rendered.encode(), digest_size=12).hexdigest()}"'
    if request.query_params.get("lang") in {member.value for member in Language}:
        response.set_cookie(LANGUAGE_COOKIE, language.value, max_age=LANGUAGE_COOKIE_AGE_S, samesite="lax")
    return response
