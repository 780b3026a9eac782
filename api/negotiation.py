"""Content negotiation: which offered format an Accept header prefers, read by python-mimeparse.

python-mimeparse gives each offered type the q of the most specific media range that matches it (RFC 9110,
12.5.1), so ``text/turtle;q=0, */*`` refuses Turtle and q=0 always means "not this". werkzeug's Accept classes
were not chosen: they take the first matching range by descending q, so there ``*/*`` would win over
``text/turtle;q=0``. The formats are pyoxigraph's own (the one table is certbridge.graph.query), and an exact media
type in the header is read with their ``from_media_type``, which maps the aliases as Oxigraph's server does:
``application/json`` is SPARQL JSON results or JSON-LD, ``application/xml`` SPARQL XML results or RDF/XML,
``text/plain`` CSV results or N-Triples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias, TypeVar

import mimeparse
import pyoxigraph as ox

from certbridge.graph.query import GRAPH_FORMATS, RESULT_FORMATS

from .problems import Problem

Format: TypeAlias = ox.QueryResultsFormat | ox.RdfFormat
#: what a resource offers: a pyoxigraph format, or a plain media type (the HTML page of a resource)
Offer: TypeAlias = Format | str
#: the kind of offer a caller passes (say ox.QueryResultsFormat), and so gets back
OfferT = TypeVar("OfferT", bound=Offer)

HTML = "text/html"
#: SELECT and ASK answers, the default first
RESULTS: tuple[ox.QueryResultsFormat, ...] = tuple(RESULT_FORMATS.values())
#: graphs (CONSTRUCT, DESCRIBE, the RDF of a resource, of a named graph, of the descriptions), the default first
GRAPHS: tuple[ox.RdfFormat, ...] = tuple(GRAPH_FORMATS.values())
#: a format's short name, as the query workers and ``?accept=`` know it
NAMES: dict[Format, str] = {
    **{fmt: name for name, fmt in RESULT_FORMATS.items()},
    **{fmt: name for name, fmt in GRAPH_FORMATS.items()},
}
#: the header every negotiated answer carries, so that caches keep one copy per Accept
VARY = {"Vary": "Accept"}

_Range: TypeAlias = tuple[str, str, dict[str, str]]


def media_type(offer: Offer) -> str:
    """The media type of an offer, without parameters (pyoxigraph's CSV and TSV carry a charset)."""
    return offer if isinstance(offer, str) else offer.media_type.partition(";")[0].strip()


def _named(media: str, offered: Sequence[Offer]) -> Offer | None:
    """The offered format an exact media type names, directly or by one of Oxigraph's aliases."""
    for offer in offered:
        if offer == media or (not isinstance(offer, str) and type(offer).from_media_type(media) == offer):
            return offer
    return None


def _ranges(accept: str, offered: Sequence[Offer]) -> list[_Range]:
    """The header's media ranges, each alias rewritten as the media type of the format it names.

    A range that does not parse is ignored, as RFC 9110 allows for a header it cannot read.
    """
    ranges = []
    for part in accept.split(","):
        if not part.strip():
            continue
        try:
            kind, subtype, params = mimeparse.parse_media_range(part)
        except ValueError:  # mimeparse.MimeTypeParseException is one
            continue
        kind, subtype = kind.lower(), subtype.lower()
        if "*" not in (kind, subtype):
            named = _named(f"{kind}/{subtype}", offered)
            if named is not None:
                kind, _, subtype = media_type(named).partition("/")
        ranges.append((kind, subtype, params))
    return ranges


def qualities(accept: str | None, offered: Sequence[OfferT]) -> dict[OfferT, float]:
    """The q the header gives each offered format (0 for the ones it does not accept)."""
    if accept is None or not accept.strip():
        return {offer: 1.0 for offer in offered}
    ranges = _ranges(accept, offered)
    return {offer: mimeparse.quality_parsed(media_type(offer), ranges) for offer in offered}


def negotiate(accept: str | None, offered: Sequence[OfferT]) -> OfferT | None:
    """The offered format with the highest q (the earlier offered on a tie); None when none is acceptable.

    Without an Accept header, the first offered.
    """
    best: OfferT | None = None
    best_q = 0.0
    for offer, q in qualities(accept, offered).items():
        if q > best_q:
            best, best_q = offer, q
    return best


#: what an error answer can be: a problem for programs, a page for people
_ERROR_FORMATS = ("application/problem+json", "application/json", HTML)


def wants_html(accept: str | None) -> bool:
    """True when an Accept header prefers HTML to JSON (a browser's does): the one decision between a page for
    people and problem+json for programs, for errors and for pages that have both forms. No header, ``*/*`` and
    ties go to JSON; q=0 refuses HTML as everywhere else."""
    return negotiate(accept, _ERROR_FORMATS) == HTML


def not_acceptable(offered: Sequence[Offer]) -> Problem:
    return Problem(
        406,
        f"没有可接受的格式 / none of the offered formats is acceptable; offered: "
        f"{', '.join(media_type(offer) for offer in offered)}",
    )


def choose(accept: str | None, offered: Sequence[OfferT]) -> OfferT:
    """:func:`negotiate`, raising the 406 problem when nothing offered is acceptable."""
    chosen = negotiate(accept, offered)
    if chosen is None:
        raise not_acceptable(offered)
    return chosen
