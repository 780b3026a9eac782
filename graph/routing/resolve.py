"""Turn what a user typed (an IRI, an id, or search text) into the IRI of a certificate type or credential."""

from __future__ import annotations

from certbridge.ontology import ID

from ..errors import Ambiguous, NotFound
from .records import RoutingIndex
from .search import search

#: what a route may end at (a certificate type, or a title or level reached by a bridge), and start at
TARGET_KINDS = ("certificate-type", "credential")
HELD_KINDS = ("certificate-type",)

CANDIDATE_LIMIT = 20


def direct(index: RoutingIndex, text: str) -> str | None:
    """The IRI *text* is or names by id (dictionary lookups, no search), or None."""
    text = text.strip()
    for iri in (text, f"{ID}certificate-type/{text}", f"{ID}credential/{text}"):
        if iri in index.certificates or iri in index.credentials:
            return iri
    return None


def certificate_pair(index: RoutingIndex, source: str, target: str) -> tuple[str, str] | None:
    """Both texts name certificate types directly (by id or IRI; not a credential): the IRIs, else None.

    The lookup a server can answer at once from its warmed graphs, without search or a thread.
    """
    pair = direct(index, source), direct(index, target)
    if pair[0] in index.certificates and pair[1] in index.certificates:
        return pair[0], pair[1]
    return None


def resolve(index: RoutingIndex, text: str, *, kinds: tuple[str, ...] = TARGET_KINDS) -> str:
    """The IRI of the certificate type (or, when *kinds* allows, credential) *text* names; raise NotFound, or
    Ambiguous listing the candidates. A route starts at a certificate held: resolve its text with ``HELD_KINDS``.

    >>> resolve(RoutingIndex(), "nothing")
    Traceback (most recent call last):
    certbridge.graph.errors.NotFound: no certificate type or credential matches 'nothing'
    """
    named = direct(index, text)
    if named is not None:
        if "credential" not in kinds and named not in index.certificates:
            raise NotFound(
                f"{text.strip()!r} is a title or level: it can be required, but not held as a certificate",
                hint="start from a certificate type",
            )
        return named
    text = text.strip()
    matches = [(iri, label) for iri, label, _ in search(index, text, limit=500, kinds=kinds)]
    if not matches:
        raise NotFound(f"no certificate type or credential matches {text!r}", hint="try fewer words, or an id")
    exact = [m for m in matches if text in (m[1],)]
    if len(matches) == 1 or len(exact) == 1:
        return (exact or matches)[0][0]
    raise Ambiguous(text, sorted(matches)[:CANDIDATE_LIMIT])
