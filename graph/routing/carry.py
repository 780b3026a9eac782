"""The routing graphs and search index of an index updated after a change, carried over from the index before it.

A serving process holds, besides the index, what it derived from it (``Derived``): a routing graph per occupation
(and day and options), warmed for every occupation at startup, and the search index, whose pinyin takes seconds
at national scale. After a change made in the process (api/state.py adopts the updated index), the graphs the
change left right are kept (the same objects) and the others dropped, to be built again (by the serving process's
warming on its event loop, or by a lookup that needs one first: a graph dropped for nothing costs CPU while writes
run); the search index is rebuilt from the texts of the records the change did not touch, the changed records'
texts worked out again.
What the change touched is what the update changed (``Derived.changed``, update.py).

Which graphs the change made stale is decided graph by graph, from its options and what it reads of the records
the change changed (``Staleness``): of a certificate type of its occupation, its issuer, grade and qualification,
and whether it counts on the graph's day; of an issuer of those, whether its certificate types are left out on
the day (standing, quality bar), its kind, its region, whether a party to some agreement; of an agreement,
whether it acts in the graph (covers the occupation, in force on the day, ...) and then its sides, grade range
and issuer kinds. Not its labels, dates or conditions as such: the evidence an answer shows is read from the
index when it is given. A change to a grade or a region's place drops every graph, to a bridge every graph
towards a credential.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from certbridge.ontology import ID

from .graphs import (
    GraphCache,
    GraphOptions,
    agreement_reads,
    certificate_reads,
    issuer_reads,
    parties,
)
from .records import Agreement, Certificate, Issuer, RoutingIndex
from .search import Haystack, SearchIndex, assemble, certificate_ids, haystack
from .update import Changed


def carry_over(previous: RoutingIndex, after: RoutingIndex) -> None:
    """Give *after* (updated from *previous* by update.py) the graphs and search index of *previous* the change
    did not make stale. Nothing of *previous* is changed: requests still reading it keep what they read."""
    changed = after.derived.changed
    if changed is None:
        return  # read in full: nothing known of what changed
    after.derived.graphs, after.derived.profiles = kept_graphs(previous, after, changed)
    if previous.derived.search is not None:
        after.derived.search = updated_search(previous.derived.search, previous, after, changed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Staleness:
    """What a change did to the records routing graphs read, for deciding graph by graph which it made stale.

    A graph is stale when something it reads for its options (occupation, day, hop kinds, exclusions, quality
    bar, credential) differs before and after: what it reads of a certificate type, an issuer or an agreement
    is graphs.py's ``certificate_reads``, ``issuer_reads`` and ``agreement_reads``. So a correction of an
    agreement's end date within the future, an issuer's new label or a sanction from after the graph's day
    leaves the graph as it was, even of an agreement covering every occupation. A grade or a region's place
    changed still makes every graph stale, a bridge every graph towards a credential.
    """

    #: a grade or a region's place changed: every graph is stale
    everything: bool = False
    #: a bridge changed: every graph towards a credential is stale
    bridges: bool = False
    #: occupation -> (before, after) of each certificate type of it the change changed (either record of it)
    certificates: dict[str, list[tuple[Certificate | None, Certificate | None]]] = field(default_factory=dict)
    #: occupation -> (before, a party before, after, a party after) of each issuer of its certificate types the
    #: change changed, or made or unmade a party to some agreement
    issuers: dict[str, list[tuple[Issuer | None, bool, Issuer | None, bool]]] = field(default_factory=dict)
    #: (before, after) of each agreement the change changed
    agreements: tuple[tuple[Agreement | None, Agreement | None], ...] = ()

    @classmethod
    def of(cls, previous: RoutingIndex, after: RoutingIndex, changed: Changed) -> Staleness:
        """What *changed* (update.py) did between *previous* and *after*."""
        if changed["grades"] or changed["region_parents"]:
            return cls(everything=True)
        certificates: dict[str, list[tuple[Certificate | None, Certificate | None]]] = defaultdict(list)
        for iri in changed["certificates"]:
            pair = (previous.certificates.get(iri), after.certificates.get(iri))
            for code in {cert.occupation for cert in pair if cert is not None}:
                certificates[code].append(pair)
        was, now = (parties(previous), parties(after)) if changed["agreements"] else (frozenset(), frozenset())
        issuers: dict[str, list[tuple[Issuer | None, bool, Issuer | None, bool]]] = defaultdict(list)
        for issuer in changed["issuers"] | (was ^ now):
            records = (previous.issuers.get(issuer), issuer in was, after.issuers.get(issuer), issuer in now)
            for code in _occupations_of(previous, issuer):
                issuers[code].append(records)
        return cls(
            bridges=bool(changed["bridges"]),
            certificates=dict(certificates),
            issuers=dict(issuers),
            agreements=tuple(
                (previous.agreements.get(iri), after.agreements.get(iri)) for iri in changed["agreements"]
            ),
        )

    def stale(self, options: GraphOptions, *, agreements: bool = True) -> bool:
        """Whether the change made the graph for *options* stale (of either kind: both read the same); without
        *agreements*, whether it made its profiles stale (``graphs.Profiles``: all but what agreements decide)."""
        if self.everything or (self.bridges and options.credential):
            return True
        code = options.occupation
        if any(
            certificate_reads(a, options) != certificate_reads(b, options) for a, b in self.certificates.get(code, ())
        ):
            return True
        for before, was, now, is_party in self.issuers.get(code, ()):
            if issuer_reads(before, options, party=was) != issuer_reads(now, options, party=is_party):
                return True
        if not agreements:
            return False
        return any(agreement_reads(a, options) != agreement_reads(b, options) for a, b in self.agreements)


def kept_graphs(previous: RoutingIndex, after: RoutingIndex, changed: Changed) -> tuple[GraphCache, GraphCache]:
    """The routing graphs of *previous* still right for *after*, in their LRU order: those whose reads
    (``Staleness``) the change left as they were; and likewise the profiles they are built from."""
    staleness = Staleness.of(previous, after, changed)
    if staleness.everything:
        return GraphCache(), GraphCache()
    return (
        previous.derived.graphs.kept(lambda key: not staleness.stale(key[1])),
        previous.derived.profiles.kept(lambda key: not staleness.stale(key[1], agreements=False)),
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
    if not changed["occupation_labels"] and not changed["issuers"]:
        # the occupations' and issuers' entries come first and are as they were: taken over whole (tens of
        # thousands at national scale, after every change)
        head = len(occupation_texts) + len(issuer_texts)
        kept = found.entries
        entries.extend(zip(kept.keys[:head], found.labels[:head], found.kinds[:head], kept.texts[:head], strict=True))
    else:
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
    """The searchable text of every key of *table* (in its order): *kept*'s for a key not *changed*, all of them
    at once when *kept* holds the same keys and none changed (an issuer's texts, when the change touched none)."""
    if not changed and kept.keys == list(table):
        return dict(zip(kept.keys, kept.texts, strict=True))
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


def _occupations_of(index: RoutingIndex, issuer: str) -> set[str]:
    """The occupations of *issuer*'s certificate types (from the search index's list of them, when built)."""
    if index.derived.search is not None:
        return {index.certificates[iri].occupation for iri in index.derived.search.by_issuer.get(issuer, ())}
    return {cert.occupation for cert in index.certificates.values() if cert.issuer == issuer}


__all__ = ["Staleness", "carry_over", "kept_graphs", "updated_search"]
