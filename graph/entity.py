"""What an entity page tells a person about one record: its names, its facts with every property and value named in
both languages (never a bare IRI or a reification's internals), its sources, and its marks (illustrative, synthetic,
retired).

:mod:`describe` answers the API's statement list; this module answers the reader's view of the same statements,
built with keywords from a few queries. Reified statements (``rdf:Statement``, the reasoner's record of an inferred
link) are not facts of the entity: :mod:`neighbourhood` shows them as the relations they state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

from certbridge.ontology import CB, ID, SCHEMA

from .query import as_solutions, compact, named_node
from .store import AnyStore

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCTERMS = "http://purl.org/dc/terms/"
_TYPE = _RDF + "type"
_SOURCE = _DCTERMS + "source"
#: properties the page shows elsewhere (the title, the marks, the sources, the kind) or uses to show others
_SHOWN_ELSEWHERE = frozenset(
    {
        _RDFS + "label",
        _SKOS + "prefLabel",
        _SOURCE,
        str(CB.illustrative),
        str(CB.synthetic),
        str(CB.datePrecision),
        _TYPE,
        # the reasoner's closures of the classification: the direct broader and narrower links say the same
        _SKOS + "broaderTransitive",
        _SKOS + "narrowerTransitive",
    }
)
#: statuses after which a record no longer holds (a standard replaced by a newer edition is retired too)
RETIRED_STATUSES = frozenset({"expired", "revoked"})
#: the record kinds that have entity pages, by the first segment of their IRIs under /id/
PAGE_KINDS = ("certificate-type", "organisation", "agreement", "occupation", "standard")


@dataclass(frozen=True, slots=True, kw_only=True)
class Value:
    """One value of a fact: a literal (``text``, with its language tag if any), or a linked record with its names."""

    text: str
    iri: str | None = None
    label_zh: str | None = None
    label_en: str | None = None
    language: str | None = None
    #: the linked record is one with a page under /id/ (the page links to it)
    linkable: bool = False


@dataclass(slots=True, kw_only=True)
class Fact:
    """A property of the entity with its name in both languages and every value it has."""

    predicate: str
    name_zh: str | None
    name_en: str | None
    values: list[Value] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFacts:
    """A source the record rests on: the document, where to read it, who published it, when, and how far to trust
    it (``date`` already cut to its precision)."""

    iri: str
    title: str | None
    url: str | None
    publisher: str | None
    date: str | None
    trust_zh: str | None
    trust_en: str | None
    trust_note: str | None


@dataclass(slots=True, kw_only=True)
class EntityFacts:
    """An entity as its page shows it."""

    iri: str
    #: the first segment of its IRI under /id/ (certificate-type, organisation, agreement, occupation, standard …)
    kind: str
    label_zh: str | None
    label_en: str | None
    #: the names of its classes in the certbridge ontology, (zh, en)
    classes: list[tuple[str | None, str | None]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    sources: list[SourceFacts] = field(default_factory=list)
    illustrative: bool = False
    synthetic: bool = False
    retired: bool = False
    #: the day it stops counting, as stated, and why, when retired by a row of retirements.csv (``cb:retiredOn``)
    retired_on: str | None = None
    retirement_reason: str | None = None
    #: the precision of its dcterms:date ("year", "month", "day"), so the date is shown no finer than known
    date_precision: str | None = None
    #: for a reified statement: the two records it relates (its page links them)
    facts_of_statement: list[Value] = field(default_factory=list)


def at_precision(value: str, precision: str | None) -> str:
    """A date cut to the precision it is known at.

    >>> at_precision("2019-08-01", "month"), at_precision("2019-08-01", "year"), at_precision("2019-08-01", None)
    ('2019-08', '2019', '2019-08-01')
    """
    return {"year": value[:4], "month": value[:7]}.get(precision or "", value)


def _kind(iri: str) -> str:
    return iri.removeprefix(str(ID)).split("/", 1)[0] if iri.startswith(str(ID)) else ""


def _literal_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> tuple[str, str | None]:
    if isinstance(term, ox.Literal):
        return term.value, term.language
    return (term.value if isinstance(term, ox.NamedNode) else compact(term)), None


def entity_facts(store: AnyStore, iri: str, *, today: date | None = None) -> EntityFacts | None:
    """The page's view of *iri*; None when the store says nothing about it."""
    node = named_node(iri)
    if node is None:
        return None
    binding: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {ox.Variable("x"): node}
    rows = as_solutions(
        store.query(
            f"""SELECT ?x ?p ?o ?pzh ?pen ?ozh ?oen ?statement WHERE {{ ?x ?p ?o
            OPTIONAL {{ ?p <{_RDFS}label> ?pzh FILTER (LANG(?pzh) = "zh") }}
            OPTIONAL {{ ?p <{_RDFS}label> ?pen FILTER (LANG(?pen) = "en") }}
            OPTIONAL {{ ?o <{_RDFS}label>|<{_SKOS}prefLabel> ?ozh FILTER (LANG(?ozh) = "zh") }}
            OPTIONAL {{ ?o <{_RDFS}label>|<{_SKOS}prefLabel> ?oen FILTER (LANG(?oen) = "en") }}
            BIND (EXISTS {{ ?o a <{_RDF}Statement> }} AS ?statement) }}""",
            use_default_graph_as_union=True,
            substitutions=binding,
        )
    )
    found = EntityFacts(iri=iri, kind=_kind(iri), label_zh=None, label_en=None)
    facts: dict[str, Fact] = {}
    seen: set[tuple[str, str, str | None]] = set()
    statuses: set[str] = set()
    source_iris: set[str] = set()
    valid_to: list[str] = []
    any_row = False
    for row in rows:
        any_row = True
        predicate, obj = row["p"].value, row["o"]
        text, language = _literal_text(obj)
        if (predicate, text, language) in seen or (row["statement"] is not None and row["statement"].value == "true"):
            continue
        seen.add((predicate, text, language))
        if predicate in (_RDFS + "label", _SKOS + "prefLabel") and language in ("zh", "en"):
            if language == "zh":
                found.label_zh = found.label_zh or text
            else:
                found.label_en = found.label_en or text
        elif predicate in (str(CB.illustrative), str(CB.synthetic)):
            setattr(found, predicate.rsplit("#", 1)[1], text == "true")
        elif predicate == str(CB.datePrecision):
            found.date_precision = text
        elif predicate == _SOURCE:
            source_iris.add(text)
        elif predicate == _TYPE and text.startswith(str(CB)):
            label = (_value(row, "ozh"), _value(row, "oen"))
            if label not in found.classes and any(label):
                found.classes.append(label)
        elif predicate == str(CB.status):
            statuses.add(text.rsplit("status-", 1)[-1])
        elif predicate == str(CB.replacedBy):
            statuses.add("expired")
        if predicate == str(CB.validTo):
            valid_to.append(text)
        if predicate == str(CB.retiredOn):
            found.retired_on = text
        elif predicate == str(CB.retirementReason):
            found.retirement_reason = found.retirement_reason or text
        if predicate in _SHOWN_ELSEWHERE:
            continue
        fact = facts.setdefault(
            predicate,
            Fact(predicate=compact(ox.NamedNode(predicate)), name_zh=_value(row, "pzh"), name_en=_value(row, "pen")),
        )
        is_iri = isinstance(obj, ox.NamedNode)
        fact.values.append(
            Value(
                text=text,
                iri=text if is_iri else None,
                label_zh=_value(row, "ozh"),
                label_en=_value(row, "oen"),
                language=language,
                linkable=is_iri and _kind(text) in (*PAGE_KINDS, "region"),
            )
        )
    if not any_row:
        return None
    if any(fact.predicate == "rdf:subject" for fact in facts.values()):
        _as_relation(found, facts)
    day = (today or date.today()).isoformat()
    found.retired = bool(statuses & RETIRED_STATUSES) or any(end[:10] < day for end in valid_to)
    # a partial date compares as its first day ("2026-06" <= "2026-06-01"): retired from the earliest day it may mean
    found.retired |= found.retired_on is not None and found.retired_on[:10] <= day
    dated = facts.get(_DCTERMS + "date")
    if dated is not None:  # shown no finer than it is known
        dated.values = [
            Value(text=at_precision(v.text, found.date_precision), language=v.language) for v in dated.values
        ]
    found.facts = sorted(facts.values(), key=lambda f: f.predicate)
    found.sources = [source_facts(store, source) for source in sorted(source_iris)]
    return found


def _as_relation(found: EntityFacts, facts: dict[str, Fact]) -> None:
    """A reified statement (the reasoner's record of an inferred link) is shown as the relation it states: its
    name is "subject relation object" in each language, and its rdf:subject, rdf:predicate and rdf:object are
    read as that sentence, not listed as properties."""
    parts = [facts.pop(_RDF + name, None) for name in ("subject", "predicate", "object")]
    if any(part is None or not part.values for part in parts):
        return
    ends = [part.values[0] for part in parts if part is not None]
    found.kind = "statement"
    found.label_zh = " ".join(v.label_zh or v.label_en or v.text.rsplit("/", 1)[-1] for v in ends)
    found.label_en = " ".join(v.label_en or v.label_zh or v.text.rsplit("/", 1)[-1] for v in ends)
    found.facts_of_statement = [ends[0], ends[2]]


def _value(row: ox.QuerySolution, name: str) -> str | None:
    term = row[name]
    return term.value if term is not None else None


def source_facts(store: AnyStore, iri: str) -> SourceFacts:
    """A source's title, address, publisher, date (at its precision) and trust with its name in both languages."""
    values: dict[str, list[str]] = defaultdict(list)
    for quad in store.quads_for_pattern(ox.NamedNode(iri), None, None):
        values[quad.predicate.value].append(quad.object.value)  # type: ignore[union-attr]  # no RDF-star is stored
    trust = values.get(str(CB.trust), [None])[0]
    trust_zh = trust_en = None
    if trust is not None:
        for quad in store.quads_for_pattern(ox.NamedNode(trust), ox.NamedNode(_SKOS + "prefLabel"), None):
            if isinstance(quad.object, ox.Literal) and quad.object.language == "zh":
                trust_zh = quad.object.value
            elif isinstance(quad.object, ox.Literal) and quad.object.language == "en":
                trust_en = quad.object.value
    first = {key: (found[0] if found else None) for key, found in values.items()}
    stated = first.get(_DCTERMS + "date")
    return SourceFacts(
        iri=iri,
        title=first.get(_DCTERMS + "title"),
        url=first.get(str(SCHEMA.url)),
        publisher=first.get(_DCTERMS + "publisher"),
        date=at_precision(stated, first.get(str(CB.datePrecision))) if stated else None,
        trust_zh=trust_zh or (trust.rsplit("trust-", 1)[-1] if trust else None),
        trust_en=trust_en or (trust.rsplit("trust-", 1)[-1] if trust else None),
        trust_note=first.get(str(CB.trustNote)),
    )
