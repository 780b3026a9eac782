"""Search: the fast component-wise search agrees with a brute-force scan, and finds what people type."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.graph.routing.index import index_for
from certbridge.graph.routing.records import RoutingIndex
from certbridge.graph.routing.search import RANKED, Match, haystack, ranked_search, search, search_index


@pytest.fixture(scope="module")
def index(real_store: Path) -> RoutingIndex:
    return index_for(real_store)


def brute_force(index: RoutingIndex, text: str) -> set[str]:
    """Every entry and certificate type that contains every word, by scanning each one's names."""
    terms = text.casefold().split()
    found = set()
    for code, zh in index.occupation_labels.items():
        if all(t in haystack(code, zh) for t in terms):
            found.add(f"https://w3id.org/certbridge/id/occupation/{code}")
    for iri, issuer in index.issuers.items():
        if all(t in haystack(iri.rsplit("/", 1)[-1], issuer.label_zh, issuer.label_en) for t in terms):
            found.add(iri)
    for iri, a in index.agreements.items():
        if all(t in haystack(iri.rsplit("/", 1)[-1], a.label_zh, a.label_en, a.document_number) for t in terms):
            found.add(iri)
    for iri, (zh, en) in index.credentials.items():
        if all(t in haystack(iri.rsplit("/", 1)[-1], zh, en) for t in terms):
            found.add(iri)
    for iri, cert in index.certificates.items():
        issuer, grade = index.issuers[cert.issuer], index.grades[cert.grade]
        names = [
            haystack(cert.issuer.rsplit("/", 1)[-1], issuer.label_zh, issuer.label_en),
            haystack(cert.occupation, index.occupation_labels.get(cert.occupation)),
            haystack(grade.label_zh, grade.label_en),
            iri.rsplit("/", 1)[-1].casefold(),
        ]
        if all(any(t in name for name in names) for t in terms):
            found.add(iri)
    return found


WORDS = [
    "纺纱",
    "工",
    "高级技师",
    "技师",
    "江苏",
    "恒丰",
    "fsg",
    "fangsha",
    "jishi",
    "senior",
    "technician",
    "6-04",
    "6-04-02-01",
    "il-ct",
    "hrss",
    "广东",
    "澳门",
    "mr0",
    "工程师",
    "engineer",
    "示例",
    "x",
    "厅",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
def test_search_agrees_with_brute_force(index: RoutingIndex, words: list[str]) -> None:
    text = " ".join(words)
    got = {iri for iri, _, _ in search(index, text, limit=100_000)}
    assert got == brute_force(index, text)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("纺纱工 高级技师 恒丰", "certificate-type", "IL-CT-hengfeng-spinner-senior-technician"),
        ("fsg gjjs hengfeng", "certificate-type", "IL-CT-hengfeng-spinner-senior-technician"),
        ("6-04-02-01", "occupation", "occupation/6-04-02-01"),
        ("纺纱工", "occupation", "occupation/6-04-02-01"),
        ("Macao", "issuer", "organisation/mo-women"),  # mo-dsal is a party to arrangements, not an issuer
        ("3112", "agreement", "agreement/MR01"),
        ("工程师", "credential", "credential/"),
    ],
)
def test_what_people_type_finds_the_entry(index: RoutingIndex, text: str, kind: str, expected: str) -> None:
    found = search(index, text, limit=50, kinds=[kind])
    assert found and all(k == kind for _, _, k in found)
    assert any(expected in iri for iri, _, _ in found), found


def test_the_search_index_is_built_once(index: RoutingIndex) -> None:
    assert search_index(index) is search_index(index)


# -- ranking: best match first, paged


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2), size=st.integers(1, 7))
def test_ranked_pages_are_the_matches_best_first(index: RoutingIndex, words: list[str], size: int) -> None:
    text = " ".join(words)
    whole = ranked_search(index, text, limit=RANKED)
    assert whole.total == len(whole.hits) and whole.total_exact
    assert {hit.iri for hit in whole.hits} == {iri for iri, _, _ in search(index, text, limit=100_000)}
    assert [hit.match for hit in whole.hits] == sorted(hit.match for hit in whole.hits)
    paged = [hit for offset in range(0, min(whole.total, 5 * size), size) for hit in _page(index, text, offset, size)]
    assert paged == whole.hits[: len(paged)]


def _page(index: RoutingIndex, text: str, offset: int, size: int) -> list:
    page = ranked_search(index, text, offset=offset, limit=size)
    assert page.offset == offset and page.limit == size and len(page.hits) <= size
    return page.hits


@pytest.mark.parametrize(
    ("text", "first", "match"),
    [
        ("6-04-02-01", "occupation/6-04-02-01", Match.EXACT),  # a code
        ("IL-CT-hengfeng-spinner-senior-technician", "IL-CT-hengfeng-spinner-senior-technician", Match.EXACT),  # id
        ("hengfeng", "organisation/hengfeng", Match.EXACT),  # an issuer's id before its certificate types
        ("纺纱工", "occupation/6-04-02-01", Match.EXACT),  # a whole name
        ("德州恒丰", "organisation/hengfeng", Match.PREFIX),
        ("fangshagong", "occupation/6-04-02-01", Match.PINYIN),
    ],
)
def test_the_best_match_comes_first(index: RoutingIndex, text: str, first: str, match: Match) -> None:
    hits = ranked_search(index, text, limit=5).hits
    assert hits[0].iri.endswith(first) and hits[0].match == match, hits


def test_chinese_and_english_matches_come_before_pinyin_ones(index: RoutingIndex) -> None:
    """ "gong" is in English names (Hong Kong) and in the pinyin of many Chinese ones (工)."""
    hits = ranked_search(index, "kong", limit=RANKED).hits
    kinds = [hit.match for hit in hits]
    assert Match.PINYIN in kinds and kinds[0] < Match.PINYIN
    assert kinds.index(Match.PINYIN) == sum(kind < Match.PINYIN for kind in kinds)
