"""Turn what a user typed (an IRI, an id, or search text) into the IRI of a certificate type or credential."""

from __future__ import annotations

from certbridge.ontology import ID

from ..errors import Ambiguous, NotFound
from .index import RoutingIndex

CANDIDATE_LIMIT = 20


def resolve(index: RoutingIndex, text: str) -> str:
    """The IRI *text* names; raise NotFound, or Ambiguous listing the candidates.

    >>> resolve(RoutingIndex(), "nothing")
    Traceback (most recent call last):
    certbridge.graph.errors.NotFound: no certificate type or credential matches 'nothing'
    """
    text = text.strip()
    for iri in (text, f"{ID}certificate-type/{text}", f"{ID}credential/{text}"):
        if iri in index.certificates or iri in index.credentials:
            return iri
    matches = search(index, text)
    if not matches:
        raise NotFound(f"no certificate type or credential matches {text!r}", hint="try fewer words, or an id")
    exact = [m for m in matches if text in (m[1],)]
    if len(matches) == 1 or len(exact) == 1:
        return (exact or matches)[0][0]
    raise Ambiguous(text, sorted(matches)[:CANDIDATE_LIMIT])


def search(index: RoutingIndex, text: str, *, limit: int | None = None) -> list[tuple[str, str]]:
    """(IRI, label) of the certificate types and credentials whose IRI or labels contain every word of *text*."""
    terms = text.casefold().split()
    labelled = [(iri, cert.label_zh, cert.label_en) for iri, cert in index.certificates.items()]
    labelled += [(iri, zh, en) for iri, (zh, en) in index.credentials.items()]
    found = []
    for iri, zh, en in labelled:
        if all(term in f"{iri} {zh or ''} {en or ''}".casefold() for term in terms):
            found.append((iri, zh or en or iri))
            if limit is not None and len(found) >= limit:
                break
    return found
