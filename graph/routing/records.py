"""The records of the routing index: what routing knows of certificate types, issuers, agreements, grades ...

Plain data, read from the store once per version (``load.py``) and kept on disk (``cache.py``), so that a
route query never touches RDF. Records are built with keywords. ``RoutingIndex`` holds them, plus what is
derived from them while the process runs (``Derived``), which is never cached on disk nor compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from ..dates import PartialDate
from .model import Condition, Endpoint, Source

if TYPE_CHECKING:
    from .cache import Lineage
    from .graphs import GraphCache
    from .search import SearchIndex
    from .update import Changed


@dataclass(frozen=True, slots=True, kw_only=True)
class Retired:
    """A record's retirement (data/retirements.csv): it stops counting from *on* (a partial date: from its
    earliest day), for *reason*, as the retirement *by* (its IRI) records with its source."""

    on: PartialDate
    reason: str | None
    by: str

    def counts_on(self, day: date) -> bool:
        """True on the days before the retirement (the record still counts then)."""
        return day < self.on.earliest()

    def describe(self) -> str:
        return f"retired on {self.on}" + (f" ({self.reason})" if self.reason else "")


def still_counts(retired: Retired | None, day: date) -> bool:
    """True when a record with *retired* (None: never retired) counts on *day*."""
    return retired is None or retired.counts_on(day)


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate:
    """A certificate type: one issuer's certificate for one occupation at one grade."""

    iri: str
    label_zh: str | None
    label_en: str | None
    issuer: str
    occupation: str  # the 2022 classification's code
    grade: str
    qualification: str | None = None
    standard: str | None = None
    illustrative: bool = False
    synthetic: bool = False
    retired: Retired | None = None

    def __reduce__(self) -> tuple[Callable[..., Certificate], tuple[str | bool | Retired | None, ...]]:
        """Pickled as its values: a frozen dataclass unpickles by one ``object.__setattr__`` a field, which made
        reading a cached index of 600,000 certificate types half as slow again."""
        return _certificate, (
            self.iri,
            self.label_zh,
            self.label_en,
            self.issuer,
            self.occupation,
            self.grade,
            self.qualification,
            self.standard,
            self.illustrative,
            self.synthetic,
            self.retired,
        )


def _certificate(
    iri: str,
    label_zh: str | None,
    label_en: str | None,
    issuer: str,
    occupation: str,
    grade: str,
    qualification: str | None,
    standard: str | None,
    illustrative: bool,
    synthetic: bool,
    retired: Retired | None = None,
) -> Certificate:
    return Certificate(
        iri=iri,
        label_zh=label_zh,
        label_en=label_en,
        issuer=issuer,
        occupation=occupation,
        grade=grade,
        qualification=qualification,
        standard=standard,
        illustrative=illustrative,
        synthetic=synthetic,
        retired=retired,
    )


class Authorisation(NamedTuple):
    """A period in which an issuer may issue (or a record-filing), with its status."""

    valid_from: PartialDate | None
    valid_to: PartialDate | None
    status: str
    #: ended by a retirement (from that day it no longer counts)
    retired: Retired | None = None


class Sanction(NamedTuple):
    when: PartialDate
    reason: str
    status: str  # the status it resulted in (suspended, revoked)
    #: lifted by a retirement (from that day it no longer counts)
    retired: Retired | None = None


class QualityCheck(NamedTuple):
    when: PartialDate
    result: str  # pass, fail or rectify
    #: withdrawn by a retirement (from that day it no longer counts)
    retired: Retired | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Issuer:
    iri: str
    label_zh: str | None
    label_en: str | None
    kind: str
    region: str | None = None
    question_bank: str | None = None
    illustrative: bool = False
    authorisations: tuple[Authorisation, ...] = ()
    sanctions: tuple[Sanction, ...] = ()
    checks: tuple[QualityCheck, ...] = ()
    synthetic: bool = False
    #: when a source last reported its authorisations' status (the latest such date), if recorded
    last_confirmed: PartialDate | None = None
    retired: Retired | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Agreement:
    """A recognition agreement as routing reads it: parties and sides, scope, validity, evidence."""

    iri: str
    label_zh: str | None
    label_en: str | None
    direction: str  # mutual, one-way or not-stated (choices.Direction)
    status: str
    recognises: bool
    parties: frozenset[str]
    #: the two sides of a one-way agreement (empty for a mutual one)
    recognising: frozenset[str] = frozenset()
    recognised: frozenset[str] = frozenset()
    mechanism: str | None = None
    scope_codes: tuple[str, ...] = ()
    min_grade: str | None = None
    max_grade: str | None = None
    issuer_kinds: frozenset[str] = frozenset()
    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = None
    date: PartialDate | None = None
    date_as_stated: str | None = None
    document_number: str | None = None
    sources: tuple[Source, ...] = ()
    illustrative: bool = False
    synthetic: bool = False
    #: what a holder recognised under it must still do (cb:hasCondition); empty when the source states none
    conditions: tuple[Condition, ...] = ()
    #: False when the source's list of occupations was not seen: only the listed ones are covered
    scope_known: bool = True
    retired: Retired | None = None

    def covers_occupation(self, code: str) -> bool:
        """True when the scope names no occupation (and no unseen list), or this one or a group above it (6-04
        covers 6-04-02-01)."""
        if not self.scope_codes:
            return self.scope_known
        return any(code == scope or code.startswith(scope + "-") for scope in self.scope_codes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grade:
    iri: str
    ladder: str  # "worker" (the skill grades) or "technical" (the technical-skill levels)
    rank: int
    label_zh: str | None
    label_en: str | None
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Qualification:
    """The certificate types of one occupation and grade under one national standard (cb:Qualification)."""

    iri: str
    label_zh: str | None
    label_en: str | None
    standard: str
    standard_label: str | None
    edition: str | None = None
    document_number: str | None = None
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge:
    """A sourced rule from a grade to a title, an education level or a framework level."""

    iri: str
    grade: str
    credential: str
    relation: str
    years: int | None = None
    condition: str | None = None
    document_number: str | None = None
    sources: tuple[Source, ...] = ()
    retired: Retired | None = None


def _graph_cache() -> GraphCache:
    """An empty graph cache (graphs.py reads the records of this module: imported on first use)."""
    from .graphs import GraphCache

    return GraphCache()


@dataclass(slots=True, eq=False)
class Derived:
    """What the process derives from an index on first use and keeps while it lives: the routing graphs and their
    profiles (each a bounded LRU, ``graphs.GraphCache``) and the search index (and, for an index updated after a
    change, what changed).

    Why a field of the index rather than a cache beside it: every routing and search function takes the index,
    and these belong to that index alone (an index changed for a what-if gets new ones), so keeping them on it
    needs no registry to clean up. They are never pickled (``RoutingIndex.__getstate__``) nor compared.
    """

    graphs: GraphCache = field(default_factory=_graph_cache)
    #: what those graphs are built from, per occupation and day (``graphs.Profiles``): kept by a change of
    #: agreements alone, which drops the graphs
    profiles: GraphCache = field(default_factory=_graph_cache)
    search: SearchIndex | None = None
    #: (day, unconditional only, formal recognition allowed) -> the agreements acting on that day in the graphs of
    #: the occupations they cover (graphs.py ``_acting``): worked out once for all of a day's graphs
    acting: dict[tuple[date, bool, bool], tuple[Agreement, ...]] = field(default_factory=dict)
    #: what the update that made this index from the previous version's changed (update.py), for carrying that
    #: index's graphs and search index over (carry.py); None for an index read in full
    changed: Changed | None = None
    #: what the index's cache file descends from (cache.py): the full one and the records changed since; None for an
    #: index not read from a cache nor saved to one
    lineage: Lineage | None = None

    def drop_graphs(self) -> None:
        """Drop the routing graphs and what they are built from (profiles, agreements acting on a day): for an
        index whose records were changed in place, as tests do (a change makes a new index, carry.py)."""
        self.graphs.clear()
        self.profiles.clear()
        self.acting.clear()


@dataclass(kw_only=True)
class RoutingIndex:
    """Everything routing and search read, keyed by IRI (occupations by their code)."""

    certificates: dict[str, Certificate] = field(default_factory=dict)
    by_occupation: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    issuers: dict[str, Issuer] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    grades: dict[str, Grade] = field(default_factory=dict)
    qualifications: dict[str, Qualification] = field(default_factory=dict)
    #: grade -> the bridges from it
    bridges: defaultdict[str, list[Bridge]] = field(default_factory=lambda: defaultdict(list))
    #: titles, education levels and framework levels: (label zh, label en)
    credentials: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    occupation_labels: dict[str, str] = field(default_factory=dict)
    region_labels: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: region -> the region above it (a county's city, a city's province), for the divisions below the provinces
    region_parents: dict[str, str] = field(default_factory=dict)
    #: labels of organisations that are parties to agreements without issuing (ministries, governments)
    party_labels: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: derived while the process runs; not pickled, not compared
    derived: Derived = field(default_factory=Derived, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "derived": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, derived=Derived())

    def enclosing_regions(self, region: str | None) -> tuple[str, ...]:
        """*region* and every region above it, innermost first (an issuer in Zhuhai is in Guangdong too)."""
        found: list[str] = []
        while region is not None and region not in found:
            found.append(region)
            region = self.region_parents.get(region)
        return tuple(found)

    def province_of(self, region: str | None) -> str | None:
        """The province-level division *region* lies in (itself for a province): what regional groupings use."""
        regions = self.enclosing_regions(region)
        return regions[-1] if regions else None

    def endpoint(self, iri: str) -> Endpoint:
        """A certificate type or a credential (title, level) as a route names it. Raises KeyError."""
        if iri in self.certificates:
            cert = self.certificates[iri]
            return Endpoint(
                iri=iri,
                label_zh=cert.label_zh,
                label_en=cert.label_en,
                node_type="certificate-type",
                illustrative=cert.illustrative,
                synthetic=cert.synthetic,
            )
        if iri in self.credentials:
            zh, en = self.credentials[iri]
            return Endpoint(iri=iri, label_zh=zh, label_en=en, node_type="credential")
        raise KeyError(iri)


#: every record the index pickles: their layouts make the cache's fingerprint (``cache._layout``)
RECORDS: tuple[type, ...] = (
    Retired,
    Certificate,
    Issuer,
    Authorisation,
    Sanction,
    QualityCheck,
    Agreement,
    Grade,
    Qualification,
    Bridge,
    RoutingIndex,
    Source,
    Condition,
)
