"""Search over certificate types, occupations, issuers, agreements and credentials, fast at national scale.

Why not one text per certificate type: 600,000 certificate types make a linear scan of their labels
take about half a second per query. A certificate type's label is its issuer's, its occupation's and
its grade's names put together, so each word of the query is matched against those few thousand
names (Chinese, English, pinyin syllables and initials, ids and codes), and the certificate types are
then enumerated from the most selective word's matches. A word is matched within one of the names
(or the certificate type's own id), not across two of them.

Answers are ranked (``ranked_search``): an exact id, code or name first, then names that start with
the text, then names that contain it, and last the matches found only through pinyin (Chinese and
English names before their romanisation).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import cached_property
from itertools import accumulate

from pypinyin import Style, lazy_pinyin

from certbridge.ontology import ID

from .records import Retired, RoutingIndex


class SearchKind(StrEnum):
    """What a search may find (``type=``)."""

    CERTIFICATE_TYPE = "certificate-type"
    OCCUPATION = "occupation"
    ISSUER = "issuer"
    AGREEMENT = "agreement"
    CREDENTIAL = "credential"


#: the kinds' names, as ``search`` takes them
KINDS: tuple[str, ...] = tuple(kind.value for kind in SearchKind)


def haystack(*texts: str | None) -> str:
    """The searchable text of a name: the texts, and the pinyin (syllables and initials) of the Chinese ones."""
    parts = [t for t in texts if t]
    chinese = [t for t in parts if any("\u4e00" <= ch <= "\u9fff" for ch in t)]
    for text in chinese:
        parts.append("".join(lazy_pinyin(text)))
        parts.append("".join(lazy_pinyin(text, style=Style.FIRST_LETTER)))
    return " ".join(parts).casefold()


class Haystack:
    """Many texts in one string, so that finding a word is one C-level ``str.find`` per hit, not a Python loop."""

    def __init__(self, keys: list[str], texts: list[str]) -> None:
        self.keys = keys
        self.texts = [text.replace("\n", " ") for text in texts]
        # where each text starts in ``joined`` (each is followed by a newline), summed in C: a serving process
        # makes these again after every change (carry.py), tens of thousands of texts at national scale
        self.starts: list[int] = list(accumulate(map((1).__add__, map(len, self.texts)), initial=0))[:-1]
        self.joined = "\n".join(self.texts)

    def hits(self, term: str) -> Iterator[int]:
        """Positions (in order, each once) of the texts that contain *term*."""
        position = 0
        while (found := self.joined.find(term, position)) >= 0:
            number = bisect_right(self.starts, found) - 1
            yield number
            position = self.starts[number + 1] if number + 1 < len(self.starts) else len(self.joined)

    def keys_with(self, term: str, cap: int) -> set[str] | None:
        """The keys of the texts that contain *term*, or None when more than *cap* do (a broad word)."""
        found: set[str] = set()
        for number in self.hits(term):
            if len(found) >= cap:
                return None
            found.add(self.keys[number])
        return found

    @cached_property
    def _position(self) -> dict[str, int]:
        return {key: number for number, key in enumerate(self.keys)}

    def text_of(self, key: str) -> str:
        number = self._position.get(key)
        return "" if number is None else self.texts[number]


@dataclass
class SearchIndex:
    """The names to match words against, and the certificate types behind each name."""

    entries: Haystack  # occupations, issuers, agreements, credentials as results
    kinds: list[str]
    labels: list[str]
    issuers: Haystack  # issuer IRI -> names
    occupations: Haystack  # occupation code -> names
    grades: Haystack  # grade IRI -> names
    ids: Haystack  # certificate type IRI -> its id
    by_issuer: dict[str, list[str]] = field(default_factory=dict)
    by_grade: dict[str, list[str]] = field(default_factory=dict)


def build_search(index: RoutingIndex) -> SearchIndex:
    entries: list[tuple[str, str, str, str]] = []  # (iri, label, kind, text)
    occupation_texts = {code: haystack(code, zh) for code, zh in index.occupation_labels.items()}
    for code, text in occupation_texts.items():
        entries.append((f"{ID}occupation/{code}", f"{code} {index.occupation_labels[code]}", "occupation", text))
    issuer_texts = {
        iri: haystack(iri.rsplit("/", 1)[-1], issuer.label_zh, issuer.label_en) for iri, issuer in index.issuers.items()
    }
    for iri, text in issuer_texts.items():
        issuer = index.issuers[iri]
        entries.append((iri, issuer.label_zh or issuer.label_en or iri, "issuer", text))
    for iri, agreement in index.agreements.items():
        text = haystack(iri.rsplit("/", 1)[-1], agreement.label_zh, agreement.label_en, agreement.document_number)
        entries.append((iri, agreement.label_zh or agreement.label_en or iri, "agreement", text))
    for iri, (zh, en) in index.credentials.items():
        entries.append((iri, zh or en or iri, "credential", haystack(iri.rsplit("/", 1)[-1], zh, en)))
    by_issuer: dict[str, list[str]] = defaultdict(list)
    by_grade: dict[str, list[str]] = defaultdict(list)
    for iri, cert in index.certificates.items():
        by_issuer[cert.issuer].append(iri)
        by_grade[cert.grade].append(iri)
    grades = {iri: haystack(g.label_zh, g.label_en) for iri, g in index.grades.items()}
    return assemble(
        entries,
        issuer_texts=issuer_texts,
        occupation_texts=occupation_texts,
        grade_texts=grades,
        ids=certificate_ids(list(index.certificates)),
        by_issuer=dict(by_issuer),
        by_grade=dict(by_grade),
    )


def certificate_ids(certificates: list[str]) -> Haystack:
    """The ids of the certificate types (*certificates*, their IRIs) as a search matches them."""
    return Haystack(certificates, [iri.rsplit("/", 1)[-1].casefold() for iri in certificates])


def assemble(
    entries: list[tuple[str, str, str, str]],
    *,
    issuer_texts: dict[str, str],
    occupation_texts: dict[str, str],
    grade_texts: dict[str, str],
    ids: Haystack,
    by_issuer: dict[str, list[str]],
    by_grade: dict[str, list[str]],
) -> SearchIndex:
    """A search index from its parts: *entries* as (iri, label, kind, text), the texts of issuers, occupations and
    grades by key; one place for its layout, shared by ``build_search`` and the carrying over after a change
    (carry.py)."""
    return SearchIndex(
        Haystack([e[0] for e in entries], [e[3] for e in entries]),
        [e[2] for e in entries],
        [e[1] for e in entries],
        Haystack(list(issuer_texts), list(issuer_texts.values())),
        Haystack(list(occupation_texts), list(occupation_texts.values())),
        Haystack(list(grade_texts), list(grade_texts.values())),
        ids,
        by_issuer,
        by_grade,
    )


_BUILDING = threading.Lock()


def search_index(index: RoutingIndex) -> SearchIndex:
    """The search index of *index*, built on first use (a few seconds at national scale) and kept with it.

    Built under a lock: without it, the first burst of concurrent searches each built their own copy.
    """
    derived = index.derived
    if derived.search is None:
        with _BUILDING:
            if derived.search is None:
                derived.search = build_search(index)
    return derived.search


def search(
    index: RoutingIndex, text: str, *, limit: int = 20, kinds: Iterable[str] = KINDS
) -> list[tuple[str, str, str]]:
    """(IRI, label, kind) of entries that contain every word of *text*; certificate types last, up to *limit*."""
    terms = sorted(set(text.casefold().split()), key=len, reverse=True)  # the longest word is the rarest, mostly
    wanted = set(kinds)
    if not terms or limit < 1:
        return []
    found = search_index(index)
    results: list[tuple[str, str, str]] = []
    for number in found.entries.hits(terms[0]):
        if found.kinds[number] in wanted and all(term in found.entries.texts[number] for term in terms[1:]):
            results.append((found.entries.keys[number], found.labels[number], found.kinds[number]))
            if len(results) >= limit:
                return results
    if "certificate-type" in wanted:
        for iri in _certificates(index, found, terms):
            cert = index.certificates[iri]
            results.append((iri, cert.label_zh or cert.label_en or iri, "certificate-type"))
            if len(results) >= limit:
                break
    return results


#: a word found in more names than this is "broad": checked per candidate instead of collected
BROAD = 2_000


@dataclass
class _Word:
    term: str
    may_be_id: bool
    issuers: set[str] | None = None  # None: broad
    occupations: set[str] | None = None
    grades: set[str] | None = None

    @property
    def broad(self) -> bool:
        return self.issuers is None or self.occupations is None or self.grades is None


def _certificates(index: RoutingIndex, found: SearchIndex, terms: list[str]) -> Iterator[str]:
    """Certificate types every term matches (in their issuer, occupation or grade name, or their id)."""
    words = [
        _Word(
            term,
            _looks_like_id(term),
            found.issuers.keys_with(term, BROAD),
            found.occupations.keys_with(term, BROAD),
            found.grades.keys_with(term, BROAD),
        )
        for term in terms
    ]

    def size(word: _Word) -> float:
        if word.broad:
            return float("inf")
        return (  # a word that is not broad has all three sets
            sum(len(found.by_issuer.get(i, ())) for i in word.issuers or ())
            + sum(len(index.by_occupation.get(o, ())) for o in word.occupations or ())
            + sum(len(found.by_grade.get(g, ())) for g in word.grades or ())
        )

    # enumerate from the most selective word; one that may be an id is also looked up among the ids
    words.sort(key=lambda w: (w.may_be_id, size(w)))
    first = words[0]
    if first.broad:
        candidates: Iterable[str] = iter(index.certificates)
        rest = words
    else:
        candidates = _chain(
            (found.by_issuer.get(i, ()) for i in sorted(first.issuers or ())),
            (index.by_occupation.get(o, ()) for o in sorted(first.occupations or ())),
            (found.by_grade.get(g, ()) for g in sorted(first.grades or ())),
            [(found.ids.keys[n] for n in found.ids.hits(first.term))] if first.may_be_id else (),
        )
        rest = words[1:]
    seen: set[str] = set()
    for iri in candidates:
        if iri in seen:
            continue
        seen.add(iri)
        if all(_matches(index, found, iri, word) for word in rest):
            yield iri


def _matches(index: RoutingIndex, found: SearchIndex, iri: str, word: _Word) -> bool:
    cert = index.certificates[iri]
    if word.term in iri.rsplit("/", 1)[-1].casefold():
        return True
    if word.broad:
        return (
            word.term in found.issuers.text_of(cert.issuer)
            or word.term in found.occupations.text_of(cert.occupation)
            or word.term in found.grades.text_of(cert.grade)
        )
    return (
        cert.issuer in (word.issuers or ())
        or cert.occupation in (word.occupations or ())
        or cert.grade in (word.grades or ())
    )


def _looks_like_id(term: str) -> bool:
    """Ids of certificate types carry ASCII letters with digits or hyphens (IL-CT-…, SYN-C0552503)."""
    return term.isascii() and any(ch.isdigit() or ch == "-" for ch in term) and len(term) >= 3


def _chain(*groups: Iterable[Iterable[str]]) -> Iterator[str]:
    for group in groups:
        for members in group:
            yield from members


class Match(IntEnum):
    """How well an entry matches the text, best first (the order of a ranked answer)."""

    EXACT = 0  # the text is the entry's id, code or a whole name
    PREFIX = 1  # a name or the id starts with the text
    SUBSTRING = 2  # every word is in a name or the id
    PINYIN = 3  # some word is found only in the pinyin of a Chinese name

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Hit:
    iri: str
    label: str
    kind: str
    match: Match
    #: set for a retired record (data/retirements.csv): it still answers, saying so
    retired: Retired | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a ranked answer; ``total`` counts every match (a lower bound when not ``total_exact``)."""

    hits: list[Hit]
    total: int
    total_exact: bool
    offset: int
    limit: int


#: at most this many matches are ranked; a broader text (one word matching most of 600,000 certificate
#: types) is ranked among the first found, and its total is then reported as a lower bound. Ranking costs about
#: 10 us a match in Python: at 10,000 a broad text took 100-150 ms at national scale (search p95 10 -> 100 ms)
RANKED = 2_000


def ranked_search(
    index: RoutingIndex, text: str, *, offset: int = 0, limit: int = 20, kinds: Iterable[str] = KINDS
) -> SearchPage:
    """The matches of *text* (as ``search`` finds them), best first, from *offset* on, at most *limit*."""
    found = search(index, text, limit=RANKED + 1, kinds=kinds)
    exact_total = len(found) <= RANKED
    query = " ".join(text.casefold().split())
    terms = query.split()
    ranked = sorted(
        (
            Hit(
                iri=iri,
                label=label,
                kind=kind,
                match=_match(index, iri, kind, query, terms),
                retired=retired_of(index, iri, kind),
            )
            for iri, label, kind in found[:RANKED]
        ),
        key=lambda hit: (hit.match, len(hit.label), hit.label, hit.iri),
    )
    page = ranked[offset : offset + limit]
    return SearchPage(hits=page, total=len(found), total_exact=exact_total, offset=offset, limit=limit)


def retired_of(index: RoutingIndex, iri: str, kind: str) -> Retired | None:
    """The retirement of a certificate type, issuer or agreement the search found (None for the others)."""
    if kind == SearchKind.CERTIFICATE_TYPE:
        return index.certificates[iri].retired
    if kind == SearchKind.ISSUER:
        return index.issuers[iri].retired
    if kind == SearchKind.AGREEMENT:
        return index.agreements[iri].retired
    return None


def _match(index: RoutingIndex, iri: str, kind: str, query: str, terms: list[str]) -> Match:
    """How *iri* matches: its ids and codes and its own names are compared whole and as prefixes; the names it is
    matched through (issuer, occupation and grade of a certificate type) count for the substring rank."""
    if kind == SearchKind.CERTIFICATE_TYPE:  # most of a broad answer: its own names decide, mostly
        cert = index.certificates[iri]
        own = [text.casefold() for text in (iri.rsplit("/", 1)[-1], cert.label_zh, cert.label_en) if text]
        if query in own:
            return Match.EXACT
        if any(text.startswith(query) for text in own):
            return Match.PREFIX
        # its label is its issuer's, occupation's and grade's names put together: where every word is found in
        # it, the names it is found through need not be looked at (the answer is the same)
        if all(any(term in text for text in own) for term in terms):
            return Match.SUBSTRING
    ids, names, others = _names(index, iri, kind)
    own = [text.casefold() for text in (*ids, *names) if text]
    if query in own:
        return Match.EXACT
    if any(text.startswith(query) for text in own):
        return Match.PREFIX
    plain = [*own, *(text.casefold() for text in others if text)]
    if all(any(term in text for text in plain) for term in terms):
        return Match.SUBSTRING
    return Match.PINYIN


def _names(index: RoutingIndex, iri: str, kind: str) -> tuple[list[str], list[str | None], list[str | None]]:
    """(ids and codes, own names, names it is found through) of an entry, without pinyin."""
    key = iri.rsplit("/", 1)[-1]
    if kind == SearchKind.OCCUPATION:
        return [key], [index.occupation_labels.get(key)], []
    if kind == SearchKind.ISSUER:
        issuer = index.issuers[iri]
        return [key], [issuer.label_zh, issuer.label_en], []
    if kind == SearchKind.AGREEMENT:
        agreement = index.agreements[iri]
        return [key, agreement.document_number or ""], [agreement.label_zh, agreement.label_en], []
    if kind == SearchKind.CREDENTIAL:
        return [key], list(index.credentials[iri]), []
    cert = index.certificates[iri]
    issuer, grade = index.issuers[cert.issuer], index.grades[cert.grade]
    through = [
        cert.issuer.rsplit("/", 1)[-1],
        issuer.label_zh,
        issuer.label_en,
        cert.occupation,
        index.occupation_labels.get(cert.occupation),
        grade.label_zh,
        grade.label_en,
    ]
    return [key], [cert.label_zh, cert.label_en], through
