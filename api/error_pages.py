"""Error pages for people: what a browser gets instead of problem+json (the status code kept), in the request's
language, with what to do next: the search box for an unknown id, the candidates of an ambiguous name as links
(the same request with one chosen, and its entity page), a date form for a date that was not one.

Whether a request gets this page or the problem is decided in one place, :func:`api.negotiation.wants_html`
(called by the handlers in :mod:`api.problems`, which also build the problem).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from certbridge.ontology import ID
from certbridge.visualize.catalogue import Language
from certbridge.visualize.errors import Candidate, DateField, ErrorPage, error_body, title
from certbridge.visualize.pagestyle import page_head

from .pages import language_of, page

#: parameters that take a calendar day (a wrong one gets the date form)
DATE_PARAMETERS = frozenset({"as_of", "date", "valid_from", "valid_to"})


def _candidates(request: Request, text: str | None, found: Sequence[Mapping[str, str]]) -> tuple[Candidate, ...]:
    """Each candidate as a link to the same request with the ambiguous parameter set to its id, and to its page."""
    ambiguous = next((name for name, value in request.query_params.multi_items() if value == text), None)
    made = []
    for entry in found:
        iri, label = entry.get("iri", ""), entry.get("label") or entry.get("iri", "")
        retry = None
        if ambiguous is not None and request.method in ("GET", "HEAD"):
            params = [
                (n, iri.rsplit("/", 1)[-1] if n == ambiguous else v) for n, v in request.query_params.multi_items()
            ]
            retry = f"{request.url.path}?{urlencode(params)}"
        own = f"/id/{quote(iri.removeprefix(str(ID)))}" if iri.startswith(str(ID)) else None
        made.append(Candidate(label=label, retry_href=retry, page_href=own))
    return tuple(made)


def _ambiguous_text(detail: str) -> str | None:
    """The text an Ambiguous error quotes first (``'纺纱工' matches 8 entries``)."""
    head = detail.split(" matches ", 1)[0]
    return head[1:-1] if len(head) >= 2 and head[0] == head[-1] and head[0] in "'\"" else None


def error_page(
    request: Request,
    *,
    status: int,
    detail: str,
    slug: str,
    explained_href: str,
    extra: Mapping[str, object],
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The error page for *request*, with status *status* and the problem's *extra* members as material."""
    language: Language = language_of(request)
    dates: list[DateField] = []
    invalid: list[tuple[str, str]] = []
    errors = extra.get("errors")
    for error in errors if isinstance(errors, list) else ():
        if not isinstance(error, dict):
            continue
        place = str(error.get("field", ""))
        name = place.rsplit(".", 1)[-1]
        if place.startswith("query.") and name in DATE_PARAMETERS:
            dates.append(DateField(name=name, sent=request.query_params.get(name, "")))
        else:
            invalid.append((place, str(error.get("message", ""))))
    found = extra.get("candidates")
    text = _ambiguous_text(detail) if found else None
    candidates = _candidates(request, text, found) if isinstance(found, list) else ()
    shown = ErrorPage(
        status=status,
        slug=slug,
        detail=detail,
        explained_href=explained_href,
        ambiguous_text=text,
        candidates=candidates,
        path=request.url.path,
        kept=tuple((n, v) for n, v in request.query_params.multi_items() if n != "lang"),
        dates=tuple(dates) if request.method in ("GET", "HEAD") else (),
        invalid=tuple(invalid),
    )
    response = page(
        request,
        title=title(shown, language),
        body=error_body(shown, language),
        head=page_head(),
        status_code=status,
    )
    response.headers.update({**(headers or {}), "Vary": "Accept"})
    return response
