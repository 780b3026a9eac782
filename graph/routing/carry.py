"""The routing graphs and search index of an index updated after a change, carried over from the index before it.

A serving process holds, besides the index, what it derived from it (``Derived``): a routing graph per occupation
(and day and options), warmed for every occupation at startup, and the search index, whose pinyin takes seconds
at national scale. After a change made in the process (api/state.py adopts the updated index), the graphs of the
occupations the change did not touch are kept (the same objects) and the others dropped, to be built again on
first use; the search index is rebuilt from the texts of the records the change did not touch, the changed
records' texts worked out again. Which ones the change touched is what the update changed (``Derived.changed``,
update.py).

A routing graph of an occupation reads its certificate types, their issuers (standing, quality, kind, region,
whether a party to some agreement), the agreements covering the occupation, the grades, the regions above the
issuers' and, for a credential, the bridges; a change to any of these drops it.
"""

from __future__ import annotations

from bisect import insort
from collections import OrderedDict
from collections.abc import Callable, Mapping

from certbridge.ontology import ID

from .graphs import CachedGraph, GraphKey, cached_graphs
from .records import Agreement, RoutingIndex
from .search import Haystack, SearchIndex, assemble, certificate_ids, haystack
from .update import Changed


def carry_over(previous: RoutingIndex, after: RoutingIndex) -> None:
    """Give *after* (updated from *previous* by update.py) the graphs and search index of *previous* the change
    did not make stale. Nothing of *previous* is changed: requests still reading it keep what they read."""
    changed = after.derived.changed
    if changed is None:
        return  # read in full: nothing known of what changed
    after.derived.graphs = kept_graphs(previous, after, changed)
    if previous.derived.search is not None:
        after.derived.search = updated_search(previous.derived.search, previous, after, changed)


def stale_occupations(previous: RoutingIndex, after: RoutingIndex, changed: Changed) -> set[str] | None:
    """The occupations whose routing graphs the change made stale, or None for all of them (a grade, a region's
    place, or an agreement covering every occupation changed)."""
    if changed["grades"] or changed["region_parents"]:
        return None
    stale: set[str] = set()
    for iri in changed["certificates"]:
        stale |= {cert.occupation for cert in (previous.certificates.get(iri), after.certificates.get(iri)) if cert}
    issuers = set(changed["issuers"]) | (_parties(previous) ^ _parties(after))
    if issuers and previous.derived.search is not None:  # each issuer's certificate types, kept with the search
        by_issuer = previous.derived.search.by_issuer
        stale |= {previous.certificates[iri].occupation for issuer in issuers for iri in by_issuer.get(issuer, ())}
    elif issuers:
        stale |= {cert.occupation for cert in previous.certificates.values() if cert.issuer in issuers}
    codes = previous.by_occupation.keys() | after.by_occupation.keys()
    for iri in changed["agreements"]:
        for agreement in (previous.agreements.get(iri), after.agreements.get(iri)):
            if agreement is not None:
                if not agreement.scope_codes:
                    return None  # it covers every occupation (or, its list unseen, none: either way, any)
                stale |= {code for code in codes if _covers(agreement, code)}
    return stale


def kept_graphs(previous: RoutingIndex, after: RoutingIndex, changed: Changed) -> OrderedDict[GraphKey, CachedGraph]:
    """The routing graphs of *previous* still right for *after*, in their LRU order."""
    stale = stale_occupations(previous, after, changed)
    if stale is None:
        return OrderedDict()
    bridges = bool(changed["bridges"])
    return OrderedDict(
        (key, graph)
        for key, graph in cached_graphs(previous)
        if key[1].occupation not in stale and not (bridges and key[1].credential)
    )


def updated_search(found: SearchIndex, previous: RoutingIndex, after: RoutingIndex, changed: Changed) -> SearchIndex:
    """The search index of *after* (equal to ``build_search(after)``), from *found*, that of *previous*: the texts
    of unchanged records (their pinyin) kept, the ids and each issuer's and grade's certificate types kept unless
    certificate types changed."""
    occupation_texts = _texts(
        found.occupations,
        after.occupation_labels,
        changed["occupation_labels"],
        lambda code: haystack(code, after.occupation_labels[code]),
    )
    issuer_texts = _texts(
        found.issuers,
        after.issuers,
        changed["issuers"],
        lambda iri: haystack(iri.rsplit("/", 1)[-1], after.issuers[iri].label_zh, after.issuers[iri].label_en),
    )
    entries: list[tuple[str, str, str, str]] = []  # (iri, label, kind, text), in build_search's order
    for code, text in occupation_texts.items():
        entries.append((f"{ID}occupation/{code}", f"{code} {after.occupation_labels[code]}", "occupation", text))
    for iri, text in issuer_texts.items():
        issuer = after.issuers[iri]
        entries.append((iri, issuer.label_zh or issuer.label_en or iri, "issuer", text))
    agreement_texts = _texts(found.entries, after.agreements, changed["agreements"], lambda iri: _agreement(after, iri))
    for iri, text in agreement_texts.items():
        agreement = after.agreements[iri]
        entries.append((iri, agreement.label_zh or agreement.label_en or iri, "agreement", text))
    credential_texts = _texts(
        found.entries,
        after.credentials,
        changed["credentials"],
        lambda iri: haystack(iri.rsplit("/", 1)[-1], *after.credentials[iri]),
    )
    for iri, text in credential_texts.items():
        zh, en = after.credentials[iri]
        entries.append((iri, zh or en or iri, "credential", text))
    grades = _texts(
        found.grades,
        after.grades,
        changed["grades"],
        lambda iri: haystack(after.grades[iri].label_zh, after.grades[iri].label_en),
    )
    by_issuer, by_grade, ids = found.by_issuer, found.by_grade, found.ids
    if changed["certificates"]:
        by_issuer, by_grade = dict(by_issuer), dict(by_grade)
        for iri in changed["certificates"]:
            before, now = previous.certificates.get(iri), after.certificates.get(iri)
            _move(by_issuer, iri, before.issuer if before else None, now.issuer if now else None)
            _move(by_grade, iri, before.grade if before else None, now.grade if now else None)
        if previous.certificates.keys() != after.certificates.keys():
            ids = certificate_ids(list(after.certificates))
    return assemble(
        entries,
        issuer_texts=issuer_texts,
        occupation_texts=occupation_texts,
        grade_texts=grades,
        ids=ids,
        by_issuer=by_issuer,
        by_grade=by_grade,
    )


def _texts(
    kept: Haystack, table: Mapping[str, object], changed: frozenset[str], text: Callable[[str], str]
) -> dict[str, str]:
    """The searchable text of every key of *table* (in its order): *kept*'s for a key not *changed*."""
    return {key: text(key) if key in changed else _kept(kept, key, text) for key in table}


def _kept(kept: Haystack, key: str, text: Callable[[str], str]) -> str:
    """*kept*'s text of *key*; worked out when it has none (a record that was not searchable before)."""
    return kept.text_of(key) or text(key)


def _agreement(after: RoutingIndex, iri: str) -> str:
    agreement = after.agreements[iri]
    return haystack(iri.rsplit("/", 1)[-1], agreement.label_zh, agreement.label_en, agreement.document_number)


def _move(table: dict[str, list[str]], iri: str, old: str | None, new: str | None) -> None:
    """*iri* out of *old*'s list and into *new*'s (lists in IRI order; a list changed is a new list)."""
    if old is not None:
        members = [member for member in table.get(old, ()) if member != iri]
        if members:
            table[old] = members
        else:
            table.pop(old, None)
    if new is not None:
        members = list(table.get(new, ()))
        insort(members, iri)
        table[new] = members


def _parties(index: RoutingIndex) -> set[str]:
    """Every party to some agreement (as ``graphs._incidence`` works it out: an issuer there is a party)."""
    return {p for a in index.agreements.values() for p in a.parties | a.recognising | a.recognised}


def _covers(agreement: Agreement, code: str) -> bool:
    return agreement.covers_occupation(code)


__all__ = ["carry_over", "kept_graphs", "stale_occupations", "updated_search"]
