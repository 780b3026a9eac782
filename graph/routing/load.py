"""Reading the routing index from a store: one SPARQL query per ``queries/*.rq`` file, and index scans.

It reads the asserted graphs and the domain rules' inferences (qualifications, party-level recognition) and never
needs the OWL rules' conclusions, whose premises it reads instead (an issuer by its kind class, a party by its
sub-properties): the embedded build indexes its in-memory store before those conclusions, millions of triples at
national scale, are loaded anywhere but on disk (tested both ways).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import cache
from importlib.resources import files
from operator import itemgetter
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from certbridge.ontology import CB, PREFIXES

from .. import store as stores
from ..convert.issuers import ISSUER_KINDS, ORGANISATION_KINDS
from ..dates import PartialDate
from .model import Condition, Source
from .records import (
    Agreement,
    Authorisation,
    Bridge,
    Certificate,
    Grade,
    Issuer,
    Qualification,
    QualityCheck,
    Retired,
    RoutingIndex,
    Sanction,
)

_KIND_BY_CLASS = {str(cls): kind for kind, cls in ORGANISATION_KINDS.items()}
_ISSUER_CLASSES = tuple(str(ORGANISATION_KINDS[kind]) for kind in ISSUER_KINDS)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
#: an object of a triple
_Object = ox.NamedNode | ox.BlankNode | ox.Literal
#: the sources of a record, by its IRI
_Cite = Callable[[str], tuple[Source, ...]]


@cache
def query(name: str) -> str:
    """The text of ``queries/<name>.rq``, its ``{{placeholders}}`` filled with lists of class IRIs."""
    text = (files(__package__) / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    fills = {
        "issuer_classes": _iri_list(_ISSUER_CLASSES),
        "organisation_classes": _iri_list(_KIND_BY_CLASS),
    }
    return _PLACEHOLDER.sub(lambda match: fills[match.group(1)], text)


def _iri_list(iris: Iterable[str]) -> str:
    return ", ".join(f"<{iri}>" for iri in iris)


def _rows(store: stores.AnyStore, name: str, **options: Any) -> Iterator[ox.QuerySolution]:
    """The rows of ``queries/<name>.rq`` in the order of their values.

    Why ordered: where a record has two values of a property read as one (two Chinese labels, say), the last row
    read wins, and the store's order is its own: a store holding only some records (update.py) answered another."""
    solutions = store.query(query(name), prefixes=PREFIXES, use_default_graph_as_union=True, **options)
    assert isinstance(solutions, ox.QuerySolutions), name  # every query here is a SELECT
    names = solutions.variables
    yield from sorted(solutions, key=lambda row: tuple("" if row[v] is None else str(row[v]) for v in names))


def _optional(row: ox.QuerySolution, name: str) -> str | None:
    term = row[name]
    return None if term is None else term.value


def _text(row: ox.QuerySolution, name: str) -> str:
    """A variable every row binds (not under OPTIONAL)."""
    term = row[name]
    assert term is not None, name
    value: str = term.value
    return value


def _date(value: str | None) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def _labels(row: ox.QuerySolution) -> tuple[str | None, str | None]:
    return _optional(row, "zh"), _optional(row, "en")


def _pairs(store: stores.AnyStore, predicate: str) -> Iterator[tuple[str, _Object]]:
    """(subject IRI, object) of every triple with *predicate*, in any graph: a plain index scan.

    Why not SPARQL: at national scale (600,000 certificate types) a SELECT with a few OPTIONALs over
    the union of the graphs takes minutes in Oxigraph, while a scan per predicate takes seconds.
    """
    for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
        yield quad.subject.value, quad.object  # type: ignore[union-attr,misc]  # no RDF-star triple is ever stored


def load_index(store: stores.AnyStore) -> RoutingIndex:
    """Read everything routing needs from *store* (a few SPARQL queries; seconds at national scale)."""
    index = RoutingIndex()
    retired = _retirements(store)
    certificate_types = _certificate_types(store)
    sources = _sources(store, uncited=certificate_types)

    def cite(iri: str) -> tuple[Source, ...]:
        return tuple(sources.get(iri, ()))

    for row in _rows(store, "grades"):
        iri = _text(row, "x")
        ladder = "technical" if _text(row, "ladder").endswith("technical-skill-levels") else "worker"
        zh, en = _labels(row)
        index.grades[iri] = Grade(
            iri=iri, ladder=ladder, rank=int(_text(row, "rank")), label_zh=zh, label_en=en, sources=cite(iri)
        )
    _load_issuers(store, index, retired)
    for row in _rows(store, "qualifications"):
        iri, standard = _text(row, "x"), _text(row, "std")
        zh, en = _labels(row)
        index.qualifications[iri] = Qualification(
            iri=iri,
            label_zh=zh,
            label_en=en,
            standard=standard,
            standard_label=_optional(row, "stdlabel"),
            edition=_optional(row, "edition"),
            document_number=_optional(row, "number"),
            sources=cite(standard),
        )
    _load_certificates(store, index, certificate_types, retired)
    _load_agreements(store, index, cite, retired)
    for row in _rows(store, "bridges"):
        iri, grade = _text(row, "x"), _text(row, "grade")
        years = _optional(row, "years")
        index.bridges[grade].append(
            Bridge(
                iri=iri,
                grade=grade,
                credential=_text(row, "cred"),
                relation=_text(row, "relation"),
                years=int(years) if years else None,
                condition=_optional(row, "condition"),
                document_number=_optional(row, "number"),
                sources=cite(iri),
                retired=retired.get(iri),
            )
        )
    for row in _rows(store, "credentials"):
        index.credentials[_text(row, "x")] = _labels(row)
    for row in _rows(store, "occupation-labels"):
        index.occupation_labels[_text(row, "code")] = _text(row, "zh")
    for row in _rows(store, "region-labels"):
        index.region_labels[_text(row, "x")] = _labels(row)
    for subject, parent in _pairs(store, str(SKOS.broader)):
        if subject in index.region_labels and parent.value in index.region_labels:
            index.region_parents[subject] = parent.value
    for row in _rows(store, "party-labels"):
        if _text(row, "x") not in index.issuers:
            index.party_labels[_text(row, "x")] = _labels(row)
    in_order(index)
    return index


def in_order(index: RoutingIndex, tables: Iterable[str] | None = None) -> None:
    """Every table of *index* in the order of its keys, and each grade's bridges in the order of their IRIs.

    Why: the store answers in an order of its own, and search and routing visit records in the order they are
    held (the first hits of a broad search, equally good routes); an index updated after a change (update.py)
    holds them in this order too, so that it answers as the index read afresh does. *tables*: only these (and
    the bridges), rather than every table."""
    for name in ORDERED_TABLES if tables is None else tables:
        table: dict[str, Any] = getattr(index, name)
        ordered = sorted(table.items(), key=itemgetter(0))
        table.clear()
        table.update(ordered)
    for grade, bridges in index.bridges.items():
        index.bridges[grade] = sorted(bridges, key=lambda bridge: bridge.iri)


#: the tables of the index kept in the order of their keys (``in_order``)
ORDERED_TABLES = (
    "certificates",
    "by_occupation",
    "issuers",
    "agreements",
    "grades",
    "qualifications",
    "bridges",
    "credentials",
    "occupation_labels",
    "region_labels",
    "region_parents",
    "party_labels",
)


def _retirements(store: stores.AnyStore) -> dict[str, Retired]:
    """Every retired record's retirement, by the record's IRI."""
    return {
        _text(row, "x"): Retired(
            on=PartialDate.parse(_text(row, "on")), reason=_optional(row, "reason"), by=_text(row, "by")
        )
        for row in _rows(store, "retirements")
    }


def _sources(store: stores.AnyStore, uncited: set[str]) -> dict[str, list[Source]]:
    """Sources of every record but the *uncited* ones, keyed by the record IRI.

    Routing cites the sources of grades, standards, agreements and bridges; the certificate types' (600,000
    records at national scale, whose hops cite these) are left out, which saves a set per record."""
    cited: dict[str, set[str]] = defaultdict(set)
    for subject, cites in _pairs(store, str(DCTERMS.source)):
        if subject not in uncited:
            cited[subject].add(cites.value)
    details: dict[str, Source] = {}
    for source in {s for sources in cited.values() for s in sources}:
        found: dict[str, str | None] = {"title": None, "url": None, "trust": None, "number": None}
        for row in _rows(store, "source-details", substitutions={ox.Variable("s"): ox.NamedNode(source)}):
            found = {key: _optional(row, key) for key in found}
        details[source] = Source(
            iri=source, title=found["title"], url=found["url"], trust=found["trust"], document_number=found["number"]
        )
    return {subject: [details[s] for s in sorted(sources)] for subject, sources in cited.items()}


def _certificate_types(store: stores.AnyStore) -> set[str]:
    return {
        quad.subject.value  # type: ignore[union-attr]  # no RDF-star triple is ever stored
        for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(CB.CertificateType)))
    }


def _load_issuers(store: stores.AnyStore, index: RoutingIndex, retired: dict[str, Retired]) -> None:
    """Issuers, then their authorisations, sanctions and quality checks (each gathered first: records are frozen)."""
    found: dict[str, Issuer] = {}
    for row in _rows(store, "issuers"):
        iri = _text(row, "x")
        zh, en = _labels(row)
        found[iri] = Issuer(
            iri=iri,
            label_zh=zh,
            label_en=en,
            kind=_KIND_BY_CLASS[_text(row, "kind")],
            region=_optional(row, "region"),
            question_bank=_optional(row, "bank"),
            illustrative=_optional(row, "ill") == "true",
            synthetic=_optional(row, "syn") == "true",
            retired=retired.get(iri),
        )
    authorisations: dict[str, list[Authorisation]] = defaultdict(list)
    last_confirmed: dict[str, PartialDate] = {}
    for row in sorted(_rows(store, "authorisations"), key=lambda row: _text(row, "a")):
        iri = _text(row, "i")
        if iri in found:
            status = _text(row, "status")
            authorisations[iri].append(
                Authorisation(
                    _date(_optional(row, "from")), _date(_optional(row, "to")), status, retired.get(_text(row, "a"))
                )
            )
            confirmed = _date(_optional(row, "confirmed"))
            latest = last_confirmed.get(iri)
            if confirmed and (latest is None or confirmed.latest() > latest.latest()):
                last_confirmed[iri] = confirmed
    sanctions: dict[str, list[Sanction]] = defaultdict(list)
    for row in sorted(_rows(store, "sanctions"), key=lambda row: _text(row, "s")):
        if (iri := _text(row, "i")) in found:
            when = PartialDate.parse(_text(row, "date"))
            sanctions[iri].append(
                Sanction(when, _text(row, "reason"), _text(row, "status"), retired.get(_text(row, "s")))
            )
    checks: dict[str, list[QualityCheck]] = defaultdict(list)
    for row in sorted(_rows(store, "quality-checks"), key=lambda row: _text(row, "c")):
        if (iri := _text(row, "i")) in found:
            when = PartialDate.parse(_text(row, "date"))
            checks[iri].append(QualityCheck(when, _text(row, "result"), retired.get(_text(row, "c"))))
    for iri, issuer in found.items():
        index.issuers[iri] = replace(
            issuer,
            authorisations=tuple(authorisations.get(iri, ())),
            sanctions=tuple(sanctions.get(iri, ())),
            checks=tuple(checks.get(iri, ())),
            last_confirmed=last_confirmed.get(iri),
        )


def _load_certificates(
    store: stores.AnyStore, index: RoutingIndex, members: set[str], retired: dict[str, Retired]
) -> None:
    """Certificate types (*members*), assembled from one scan per property (see :func:`_pairs`)."""
    notation = {s: o.value for s, o in _pairs(store, str(SKOS.notation))}

    shared: dict[str, str] = {}  # one string per issuer, grade, qualification ... (not one per certificate type)

    def values(predicate: str) -> dict[str, str]:
        return {s: shared.setdefault(value := o.value, value) for s, o in _pairs(store, predicate) if s in members}

    issuer, grade = values(str(CB.issuedBy)), values(str(CB.atGrade))
    occupation = {s: notation.get(o) for s, o in values(str(CB.certifiesOccupation)).items()}
    qualification, standard = values(str(CB.qualification)), values(str(CB.followsStandard))
    illustrative, synthetic = values(str(CB.illustrative)), values(str(CB.synthetic))
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for s, o in _pairs(store, str(RDFS.label)):
        if s in members and isinstance(o, ox.Literal) and o.language in ("zh", "en"):
            labels[s][o.language] = o.value
    for iri in sorted(members):
        code = occupation.get(iri)
        if code is None or iri not in issuer or iri not in grade:
            continue  # the shapes require all three; a record without them is not routable
        index.certificates[iri] = Certificate(
            iri=iri,
            label_zh=labels[iri].get("zh"),
            label_en=labels[iri].get("en"),
            issuer=issuer[iri],
            occupation=code,
            grade=grade[iri],
            qualification=qualification.get(iri),
            standard=standard.get(iri),
            illustrative=illustrative.get(iri) == "true",
            synthetic=synthetic.get(iri) == "true",
            retired=retired.get(iri),
        )
        index.by_occupation[code].append(iri)


def _load_agreements(store: stores.AnyStore, index: RoutingIndex, cite: _Cite, retired: dict[str, Retired]) -> None:
    """Agreements: their many-valued properties (parties, sides, scope, issuer kinds, conditions) read first."""
    multi: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in _rows(store, "agreement-parties"):
        multi[_text(row, "a")][_text(row, "p")].add(_text(row, "o"))
    for values in multi.values():  # a recognising or recognised party is a party (stated, not left to inference)
        values[str(CB.party)] |= values[str(CB.recognisingParty)] | values[str(CB.recognisedParty)]
    for row in _rows(store, "agreement-scopes"):
        multi[_text(row, "a")]["scope"].add(_text(row, "code"))
    conditions: dict[str, list[Condition]] = defaultdict(list)
    for row in _rows(store, "agreement-conditions"):
        agreement = _text(row, "a")
        conditions[agreement].append(
            Condition(kind=_text(row, "kind"), text=_optional(row, "text"), agreement=agreement)
        )
    for row in _rows(store, "agreements"):
        iri = _text(row, "x")
        values = multi[iri]
        zh, en = _labels(row)
        index.agreements[iri] = Agreement(
            iri=iri,
            label_zh=zh,
            label_en=en,
            direction=_text(row, "direction"),
            mechanism=_optional(row, "mechanism"),
            status=_text(row, "status"),
            recognises=_text(row, "recognises") == "true",
            parties=frozenset(values[str(CB.party)]),
            recognising=frozenset(values[str(CB.recognisingParty)]),
            recognised=frozenset(values[str(CB.recognisedParty)]),
            scope_codes=tuple(sorted(values["scope"])),
            min_grade=_optional(row, "min"),
            max_grade=_optional(row, "max"),
            issuer_kinds=frozenset(_KIND_BY_CLASS[k] for k in values[str(CB.scopeIssuerKind)] if k in _KIND_BY_CLASS),
            valid_from=_date(_optional(row, "from")),
            valid_to=_date(_optional(row, "to")),
            date=_date(_optional(row, "date")),
            date_as_stated=_optional(row, "stated"),
            document_number=_optional(row, "number"),
            sources=cite(iri),
            illustrative=_optional(row, "ill") == "true",
            synthetic=_optional(row, "syn") == "true",
            conditions=tuple(conditions.get(iri, ())),
            scope_known=_optional(row, "known") != "false",
            retired=retired.get(iri),
        )
