"""The body of an error page for people: what went wrong in their language, the technical detail, and what to do
next (search for an unknown id, pick one of the candidates of an ambiguous name, write a date as expected, come
back later). Pure: built from an :class:`ErrorPage` the API fills from the problem; words from
visualize/messages/errors.yaml.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .catalogue import Language, catalogue, text


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One entry an ambiguous name matched: its label, the same request with it chosen, and its page."""

    label: str
    retry_href: str | None
    page_href: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DateField:
    """A date parameter that was not a date, with what was sent."""

    name: str
    sent: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorPage:
    """What an error page says; the next steps shown are those the problem has material for."""

    status: int
    #: the problem type's slug (not-found, ambiguous, invalid-parameters …)
    slug: str
    detail: str
    #: the page explaining the problem type (/problems/…)
    explained_href: str
    #: the text that matched several entries, and the entries
    ambiguous_text: str | None = None
    candidates: tuple[Candidate, ...] = ()
    #: the request's path and its other parameters, for the form that asks again with a corrected date
    path: str = "/"
    kept: tuple[tuple[str, str], ...] = ()
    dates: tuple[DateField, ...] = ()
    #: other invalid parameters: (field, message)
    invalid: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def title(error: ErrorPage, language: Language) -> str:
    """The page's heading: the problem type's name in *language*."""
    key = f"error.title.{error.slug}"
    return text(key if key in catalogue() else "error.title.bad-request", language)


def _e(value: str) -> str:
    return html.escape(value)


def search_form(language: Language, query: str = "") -> str:
    """The search box of the 404 page and the search page: a GET to /search in the page's language."""
    return (
        '<form class="search" role="search" action="/search" method="get">'
        f'<label for="error-search">{_e(text("error.search.label", language))}</label> '
        f'<input id="error-search" name="q" type="search" value="{_e(query)}" required>'
        f'<input type="hidden" name="lang" value="{language.value}"> '
        f'<button type="submit">{_e(text("error.search.button", language))}</button></form>'
    )


def _next_steps(error: ErrorPage, language: Language) -> str:
    if error.candidates:
        items = []
        for candidate in error.candidates:
            links = [
                f'<a class="{kind}" href="{_e(href)}">{_e(name)}</a>'
                for kind, href, name in (
                    ("retry", candidate.retry_href, candidate.label),
                    ("entity", candidate.page_href, text("error.next.candidate.page", language)),
                )
                if href
            ]
            if not candidate.retry_href:
                links.insert(0, _e(candidate.label))
            items.append(f"<li>{' · '.join(links)}</li>")
        intro = text("error.next.ambiguous", language, text=error.ambiguous_text or "")
        return f"<p>{_e(intro)}</p><ul class='candidates'>{''.join(items)}</ul>"
    if error.dates:
        hidden = "".join(
            f'<input type="hidden" name="{_e(name)}" value="{_e(value)}">'
            for name, value in error.kept
            if name not in {d.name for d in error.dates}
        )
        inputs = "".join(
            f'<label for="date-{_e(d.name)}">{_e(text("error.next.date.field", language, field=d.name))}</label>'
            f'<input id="date-{_e(d.name)}" type="date" name="{_e(d.name)}" required>'
            f" <small>{_e(d.sent)}</small>"
            for d in error.dates
        )
        return (
            f"<p>{_e(text('error.next.date', language))}</p>"
            f'<form class="stacked" action="{_e(error.path)}" method="get">{hidden}{inputs}'
            f'<button type="submit">{_e(text("error.next.date.button", language))}</button></form>'
        )
    if error.status == 404:
        return f"<p>{_e(text('error.next.search', language))}</p>{search_form(language)}"
    if error.invalid:
        rows = "".join(f"<li><code>{_e(name)}</code>: {_e(message)}</li>" for name, message in error.invalid)
        return f"<p>{_e(text('error.next.parameters', language))}</p><ul>{rows}</ul>"
    if error.status >= 500:
        return f"<p>{_e(text('error.next.later', language))}</p>"
    return ""


def error_body(error: ErrorPage, language: Language) -> str:
    """The HTML of the page's body (escaped here)."""
    steps = _next_steps(error, language)
    return (
        f'<article class="error-page error-{_e(error.slug)}">'
        f'<p class="status">{_e(text("error.status", language, status=error.status))}</p>'
        f"<h1>{_e(title(error, language))}</h1>"
        + (f'<section class="next"><h2>{_e(text("error.next", language))}</h2>{steps}</section>' if steps else "")
        + f'<details class="detail-box"><summary>{_e(text("error.detail", language))}</summary>'
        f'<pre class="detail">{_e(error.detail)}</pre></details>'
        f'<p><a href="{_e(error.explained_href)}?lang={language.value}">{_e(text("error.next.explained", language))}'
        f'</a> · <a href="/?lang={language.value}">{_e(text("error.next.home", language))}</a></p>'
        "</article>"
    )
