"""A compact, in-memory index of what routing needs, read from the store with SPARQL queries and index scans.

The index holds plain records (certificate types by occupation, issuers with their authorisations,
sanctions and checks, agreements with parties and scope), not an RDF graph. It is cached on disk per
store version (``STORE/cache/<version>.routing.pickle``), so it is rebuilt only when the store changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from certbridge.ontology import CB, PREFIXES

from .. import store as stores
from ..convert.issuers import ISSUER_KINDS, ORGANISATION_KINDS
from ..dates import PartialDate
from .model import Condition, Endpoint, Source

_KIND_BY_CLASS = {str(cls): kind for kind, cls in ORGANISATION_KINDS.items()}
_ISSUER_CLASSES = tuple(str(ORGANISATION_KINDS[kind]) for kind in ISSUER_KINDS)


@dataclass(slots=True)
class Certificate:
    iri: str
    label_zh: str | None
    label_en: str | None
    issuer: str
    occupation: str  # 2022 code
    grade: str
    qualification: str | None
    standard: str | None
    illustrative: bool
    synthetic: bool = False


@dataclass(slots=True)
class Issuer:
    iri: str
    label_zh: str | None
    label_en: str | None
    kind: str
    region: str | None
    question_bank: str | None
    illustrative: bool
    authorisations: list[tuple[PartialDate | None, PartialDate | None, str]] = field(default_factory=list)
    sanctions: list[tuple[PartialDate, str, str]] = field(default_factory=list)
    checks: list[tuple[PartialDate, str]] = field(default_factory=list)
    synthetic: bool = False
    #: when a source last reported its authorisations' status (the latest such date), if recorded
    last_confirmed: PartialDate | None = None


@dataclass(slots=True)
class Agreement:
    iri: str
    label_zh: str | None
    label_en: str | None
    direction: str
    mechanism: str | None
    status: str
    recognises: bool
    parties: frozenset[str]
    recognising: frozenset[str]
    recognised: frozenset[str]
    scope_codes: tuple[str, ...]
    min_grade: str | None
    max_grade: str | None
    issuer_kinds: frozenset[str]
    valid_from: PartialDate | None
    valid_to: PartialDate | None
    date: PartialDate | None
    date_as_stated: str | None
    document_number: str | None
    sources: tuple[Source, ...]
    illustrative: bool
    synthetic: bool = False
    #: what a holder recognised under it must still do (cb:hasCondition); empty when the source states none
    conditions: tuple[Condition, ...] = ()
    #: False when the source's list of occupations was not seen: only the listed ones are covered
    scope_known: bool = True

    def covers_occupation(self, code: str) -> bool:
        """True when the scope names no occupation (and no unseen list), or this one or a group above it (6-04
        covers 6-04-02-01)."""
        if not self.scope_codes:
            return self.scope_known
        return any(code == scope or code.startswith(scope + "-") for scope in self.scope_codes)


@dataclass(slots=True)
class Grade:
    iri: str
    ladder: str
    rank: int
    label_zh: str | None
    label_en: str | None
    sources: tuple[Source, ...]


@dataclass(slots=True)
class Qualification:
    iri: str
    label_zh: str | None
    label_en: str | None
    standard: str
    standard_label: str | None
    edition: str | None
    document_number: str | None
    sources: tuple[Source, ...]


@dataclass(slots=True)
class Bridge:
    iri: str
    grade: str
    credential: str
    relation: str
    years: int | None
    condition: str | None
    document_number: str | None
    sources: tuple[Source, ...]


@dataclass
class RoutingIndex:
    certificates: dict[str, Certificate] = field(default_factory=dict)
    by_occupation: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    issuers: dict[str, Issuer] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    grades: dict[str, Grade] = field(default_factory=dict)
    qualifications: dict[str, Qualification] = field(default_factory=dict)
    bridges: dict[str, list[Bridge]] = field(default_factory=lambda: defaultdict(list))
    credentials: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    occupation_labels: dict[str, str] = field(default_factory=dict)
    region_labels: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: region -> the region above it (a county's city, a city's province), for the divisions below the provinces
    region_parents: dict[str, str] = field(default_factory=dict)
    #: labels of organisations that are parties to agreements without issuing (ministries, governments)
    party_labels: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: routing graphs built from this index, per (graph kind, GraphOptions); not pickled
    graphs: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)
    #: the search index (search.SearchIndex), built on first search; not pickled
    search_text: object | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "graphs": OrderedDict(), "search_text": None}

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
            return Endpoint(iri, cert.label_zh, cert.label_en, "certificate-type", cert.illustrative, cert.synthetic)
        if iri in self.credentials:
            return Endpoint(iri, *self.credentials[iri], "credential")
        raise KeyError(iri)


def _rows(store: stores.AnyStore, query: str, **options: object) -> Iterator[ox.QuerySolution]:
    yield from store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True, **options)


def _v(solution: ox.QuerySolution, name: str) -> str | None:
    term = solution[name]
    return None if term is None else term.value


def _date(value: str | None) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def _pairs(store: stores.AnyStore, predicate: str) -> Iterator[tuple[str, ox.Term]]:
    """(subject IRI, object) of every triple with *predicate*, in any graph: a plain index scan.

    Why not SPARQL: at national scale (600,000 certificate types) a SELECT with a few OPTIONALs over
    the union of the graphs takes minutes in Oxigraph, while a scan per predicate takes seconds.
    """
    for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
        yield quad.subject.value, quad.object


def _sources(store: stores.AnyStore, uncited: set[str]) -> dict[str, list[Source]]:
    """Sources of every record but the *uncited* ones, keyed by the record IRI.

    Routing cites the sources of grades, standards, agreements and bridges; the certificate types' (600,000
    records at national scale, whose hops cite these) are left out, which saves a set per record."""
    cited: dict[str, set[str]] = defaultdict(set)
    for subject, source in _pairs(store, str(DCTERMS.source)):
        if subject not in uncited:
            cited[subject].add(source.value)
    details: dict[str, Source] = {}
    for source in {s for sources in cited.values() for s in sources}:
        found = {"title": None, "url": None, "trust": None, "number": None}
        for row in _rows(
            store,
            """SELECT ?s ?title ?url ?trust ?number WHERE { OPTIONAL { ?s dcterms:title ?title }
                OPTIONAL { ?s schema:url ?url } OPTIONAL { ?s cb:trust/skos:notation ?trust }
                OPTIONAL { ?s cb:documentNumber ?number } }""",
            substitutions={ox.Variable("s"): ox.NamedNode(source)},
        ):
            found = {key: _v(row, key) for key in found}
        details[source] = Source(source, found["title"], found["url"], found["trust"], found["number"])
    return {subject: [details[s] for s in sorted(sources)] for subject, sources in cited.items()}


def _certificate_types(store: stores.AnyStore) -> set[str]:
    return {
        quad.subject.value
        for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(CB.CertificateType)))
    }


def _load_certificates(store: stores.AnyStore, index: RoutingIndex, members: set[str]) -> None:
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
            iri,
            labels[iri].get("zh"),
            labels[iri].get("en"),
            issuer[iri],
            code,
            grade[iri],
            qualification.get(iri),
            standard.get(iri),
            illustrative.get(iri) == "true",
            synthetic=synthetic.get(iri) == "true",
        )
        index.by_occupation[code].append(iri)


def _labels(row: ox.QuerySolution) -> tuple[str | None, str | None]:
    return _v(row, "zh"), _v(row, "en")


_LABELS = """OPTIONAL { ?x rdfs:label ?zh FILTER (LANG(?zh) = "zh") }
             OPTIONAL { ?x rdfs:label ?en FILTER (LANG(?en) = "en") }"""


def load_index(store: stores.AnyStore) -> RoutingIndex:
    """Read everything routing needs from *store* (a few SPARQL queries; seconds at national scale).

    It reads the asserted graphs and the domain rules' inferences (qualifications, party-level recognition)
    and never needs the OWL rules' conclusions, whose premises it reads instead (an issuer by its kind class,
    a party by its sub-properties): the embedded build indexes its in-memory store before those conclusions,
    millions of triples at national scale, are loaded anywhere but on disk (tested both ways).
    """
    index = RoutingIndex()
    certificate_types = _certificate_types(store)
    sources = _sources(store, uncited=certificate_types)

    def cite(iri: str) -> tuple[Source, ...]:
        return tuple(sources.get(iri, ()))

    for row in _rows(
        store,
        f"""SELECT ?x ?ladder ?rank ?zh ?en WHERE {{ ?x a cb:GradeLevel ; cb:rank ?rank ;
            skos:inScheme ?ladder . {_LABELS} }}""",
    ):
        iri = _v(row, "x")
        ladder = "technical" if _v(row, "ladder").endswith("technical-skill-levels") else "worker"
        index.grades[iri] = Grade(iri, ladder, int(_v(row, "rank")), *_labels(row), cite(iri))

    for row in _rows(
        store,
        f"""SELECT ?x ?kind ?region ?bank ?ill ?syn ?zh ?en WHERE {{ ?x a ?kind .
            FILTER (?kind IN ({", ".join(f"<{c}>" for c in _ISSUER_CLASSES)}))
            OPTIONAL {{ ?x cb:region ?region }} OPTIONAL {{ ?x cb:questionBank/skos:notation ?bank }}
            OPTIONAL {{ ?x cb:illustrative ?ill }} OPTIONAL {{ ?x cb:synthetic ?syn }} {_LABELS} }}""",
    ):
        iri = _v(row, "x")
        index.issuers[iri] = Issuer(
            iri,
            *_labels(row),
            _KIND_BY_CLASS[_v(row, "kind")],
            _v(row, "region"),
            _v(row, "bank"),
            _v(row, "ill") == "true",
            synthetic=_v(row, "syn") == "true",
        )
    for row in _rows(
        store,
        """SELECT ?i ?from ?to ?status ?confirmed WHERE { ?a a cb:Authorisation ; cb:authorisationOf ?i ;
            cb:status/skos:notation ?status . OPTIONAL { ?a cb:validFrom ?from } OPTIONAL { ?a cb:validTo ?to }
            OPTIONAL { ?a cb:lastConfirmed ?confirmed } }""",
    ):
        if (issuer := index.issuers.get(_v(row, "i"))) is not None:
            issuer.authorisations.append((_date(_v(row, "from")), _date(_v(row, "to")), _v(row, "status")))
            confirmed = _date(_v(row, "confirmed"))
            if confirmed and (issuer.last_confirmed is None or confirmed.latest() > issuer.last_confirmed.latest()):
                issuer.last_confirmed = confirmed
    for row in _rows(
        store,
        """SELECT ?i ?date ?reason ?status WHERE { ?s a cb:Sanction ; cb:sanctionedIssuer ?i ;
            cb:sanctionDate ?date ; cb:sanctionReason ?reason ; cb:resultingStatus/skos:notation ?status }""",
    ):
        if (issuer := index.issuers.get(_v(row, "i"))) is not None:
            issuer.sanctions.append((PartialDate.parse(_v(row, "date")), _v(row, "reason"), _v(row, "status")))
    for row in _rows(
        store,
        """SELECT ?i ?date ?result WHERE { ?c a cb:QualityCheck ; cb:checkedIssuer ?i ;
            cb:checkDate ?date ; cb:checkResult ?result }""",
    ):
        if (issuer := index.issuers.get(_v(row, "i"))) is not None:
            issuer.checks.append((PartialDate.parse(_v(row, "date")), _v(row, "result")))

    for row in _rows(
        store,
        f"""SELECT ?x ?std ?stdlabel ?edition ?number ?zh ?en WHERE {{ ?x a cb:Qualification ;
            cb:qualificationStandard ?std . ?std rdfs:label ?stdlabel .
            OPTIONAL {{ ?std cb:editionYear ?edition }} OPTIONAL {{ ?std cb:documentNumber ?number }} {_LABELS} }}""",
    ):
        iri, standard = _v(row, "x"), _v(row, "std")
        index.qualifications[iri] = Qualification(
            iri, *_labels(row), standard, _v(row, "stdlabel"), _v(row, "edition"), _v(row, "number"), cite(standard)
        )

    _load_certificates(store, index, certificate_types)

    multi = defaultdict(lambda: defaultdict(set))
    for row in _rows(
        store,
        """SELECT ?a ?p ?o WHERE { ?a a cb:RecognitionAgreement ; ?p ?o .
            FILTER (?p IN (cb:party, cb:recognisingParty, cb:recognisedParty, cb:scopeIssuerKind)) }""",
    ):
        multi[_v(row, "a")][_v(row, "p")].add(_v(row, "o"))
    for values in multi.values():  # a recognising or recognised party is a party (stated, not left to inference)
        values[str(CB.party)] |= values[str(CB.recognisingParty)] | values[str(CB.recognisedParty)]
    for row in _rows(store, """SELECT ?a ?code WHERE { ?a cb:scopeOccupation/skos:notation ?code }"""):
        multi[_v(row, "a")]["scope"].add(_v(row, "code"))
    conditions: dict[str, list[Condition]] = defaultdict(list)
    for row in _rows(
        store,
        """SELECT ?a ?kind ?text WHERE { ?a cb:hasCondition ?c . ?c cb:conditionKind/skos:notation ?kind .
            OPTIONAL { ?c cb:condition ?text } } ORDER BY ?a ?kind""",
    ):
        conditions[_v(row, "a")].append(Condition(_v(row, "kind"), _v(row, "text"), _v(row, "a")))
    for row in _rows(
        store,
        f"""SELECT ?x ?direction ?mechanism ?status ?recognises ?min ?max ?from ?to ?date ?stated ?number ?ill ?syn
            ?known ?zh ?en WHERE {{ ?x a cb:RecognitionAgreement ; cb:direction/skos:notation ?direction ;
            cb:status/skos:notation ?status ; cb:recognisesCertificates ?recognises .
            OPTIONAL {{ ?x cb:mechanism/skos:notation ?mechanism }} OPTIONAL {{ ?x cb:scopeMinGrade ?min }}
            OPTIONAL {{ ?x cb:scopeMaxGrade ?max }} OPTIONAL {{ ?x cb:validFrom ?from }}
            OPTIONAL {{ ?x cb:validTo ?to }}
            OPTIONAL {{ ?x dcterms:date ?date }} OPTIONAL {{ ?x cb:dateAsStated ?stated }}
            OPTIONAL {{ ?x cb:documentNumber ?number }} OPTIONAL {{ ?x cb:illustrative ?ill }}
            OPTIONAL {{ ?x cb:synthetic ?syn }} OPTIONAL {{ ?x cb:scopeListKnown ?known }} {_LABELS} }}""",
    ):
        iri = _v(row, "x")
        values = multi[iri]
        kinds = frozenset(_KIND_BY_CLASS[k] for k in values[str(CB.scopeIssuerKind)] if k in _KIND_BY_CLASS)
        index.agreements[iri] = Agreement(
            iri,
            *_labels(row),
            _v(row, "direction"),
            _v(row, "mechanism"),
            _v(row, "status"),
            _v(row, "recognises") == "true",
            frozenset(values[str(CB.party)]),
            frozenset(values[str(CB.recognisingParty)]),
            frozenset(values[str(CB.recognisedParty)]),
            tuple(sorted(values["scope"])),
            _v(row, "min"),
            _v(row, "max"),
            kinds,
            _date(_v(row, "from")),
            _date(_v(row, "to")),
            _date(_v(row, "date")),
            _v(row, "stated"),
            _v(row, "number"),
            cite(iri),
            _v(row, "ill") == "true",
            synthetic=_v(row, "syn") == "true",
            conditions=tuple(conditions.get(iri, ())),
            scope_known=_v(row, "known") != "false",
        )

    for row in _rows(
        store,
        """SELECT ?x ?grade ?cred ?relation ?years ?condition ?number WHERE {
            ?x a cb:CrossSystemBridge ; cb:bridgeFrom ?grade ; cb:bridgeTo ?cred ; cb:bridgeRelation ?relation .
            ?grade a cb:GradeLevel . OPTIONAL { ?x cb:minimumYearsHeld ?years }
            OPTIONAL { ?x cb:condition ?condition } OPTIONAL { ?x dcterms:source/cb:documentNumber ?number } }""",
    ):
        iri = _v(row, "x")
        years = _v(row, "years")
        index.bridges[_v(row, "grade")].append(
            Bridge(
                iri,
                _v(row, "grade"),
                _v(row, "cred"),
                _v(row, "relation"),
                int(years) if years else None,
                _v(row, "condition"),
                _v(row, "number"),
                cite(iri),
            )
        )
    for row in _rows(
        store,
        f"""SELECT ?x ?zh ?en WHERE {{ {{ ?x a cb:ProfessionalTitle }} UNION {{ ?x a cb:EducationLevel }}
            UNION {{ ?x a cb:FrameworkLevel }} {_LABELS} }}""",
    ):
        index.credentials[_v(row, "x")] = _labels(row)
    for row in _rows(store, """SELECT ?code ?zh WHERE { ?x a cb:Occupation ; skos:notation ?code ; rdfs:label ?zh }"""):
        index.occupation_labels[_v(row, "code")] = _v(row, "zh")
    for row in _rows(store, f"""SELECT ?x ?zh ?en WHERE {{ ?x a cb:Region . {_LABELS} }}"""):
        index.region_labels[_v(row, "x")] = _labels(row)
    for subject, parent in _pairs(store, str(SKOS.broader)):
        if subject in index.region_labels and parent.value in index.region_labels:
            index.region_parents[subject] = parent.value
    organisations = ", ".join(f"<{c}>" for c in _KIND_BY_CLASS)
    for row in _rows(
        store,
        f"""SELECT ?x ?zh ?en WHERE {{ ?a cb:party ?x . ?x a ?kind FILTER (?kind IN ({organisations})) {_LABELS} }}""",
    ):
        if _v(row, "x") not in index.issuers:
            index.party_labels[_v(row, "x")] = _labels(row)
    return index


def _layout() -> str:
    """A fingerprint of the record layouts: a cache written by other code is never loaded."""
    records = (Certificate, Issuer, Agreement, Grade, Qualification, Bridge, RoutingIndex, Source)
    text = repr([(cls.__name__, [f.name for f in fields(cls)]) for cls in records])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cache_path(location: stores.Location, version_name: str) -> Path:
    return stores.local_dir(location) / stores.CACHE_DIR / f"{version_name}.routing.pickle"


def write_cache(location: stores.Location, index: RoutingIndex, *, version_name: str | None = None) -> None:
    """Keep *index* as the routing index of the store's current version, or of the version *version_name*
    that a build is about to make current (the embedded build writes it while its disk load finishes)."""
    if version_name is None:
        version = stores.current_version(location)
        if version is None:
            return
        version_name = version.name
    cache = _cache_path(location, version_name)
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        with partial.open("wb") as handle:
            pickle.dump((_layout(), index), handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)


def forget_cache(location: stores.Location, version_name: str) -> None:
    """Remove the cached index of a version that was never made current (a build that failed late)."""
    _cache_path(location, version_name).unlink(missing_ok=True)


def index_for(location: stores.Location) -> RoutingIndex:
    """The index of the store's current version, from the on-disk cache when it is there."""
    version = stores.current_version(location)
    store = stores.open_store(location)
    assert version is not None
    cache = _cache_path(location, version.name)
    if cache.is_file():
        with contextlib.suppress(Exception), cache.open("rb") as handle:
            layout, index = pickle.load(handle)
            if layout == _layout():
                return index
    index = load_index(store)
    write_cache(location, index)
    return index
