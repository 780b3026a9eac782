"""Turn what a user typed (an IRI, an id, or search text) into the IRI of a certificate type or credential."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

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
    """(IRI, label) of the certificate types and credentials whose IRI, labels or the pinyin of their Chinese
    label (syllables "fangshagong" or initials "fsg") contain every word of *text*."""
    terms = text.casefold().split()
    found = []
    for iri, label, haystack in _haystacks(index):
        if all(term in haystack for term in terms):
            found.append((iri, label))
            if limit is not None and len(found) >= limit:
                break
    return found


def _haystacks(index: RoutingIndex) -> list[tuple[str, str, str]]:
    """Searchable text per entity, built once per index (pinyin is slow to compute)."""
    cached = index.search_text
    if cached is None:
        labelled = [(iri, cert.label_zh, cert.label_en) for iri, cert in index.certificates.items()]
        labelled += [(iri, zh, en) for iri, (zh, en) in index.credentials.items()]
        cached = []
        for iri, zh, en in labelled:
            syllables = "".join(lazy_pinyin(zh or ""))
            initials = "".join(lazy_pinyin(zh or "", style=Style.FIRST_LETTER))
            cached.append((iri, zh or en or iri, f"{iri} {zh or ''} {en or ''} {syllables} {initials}".casefold()))
        index.search_text = cached
    return cached
