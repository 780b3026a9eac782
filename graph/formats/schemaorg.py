"""schema.org for search engines and web tools: each entity page embeds what it describes in schema.org's terms, and
the landing page and the VoID describe the whole graph as a ``schema:Dataset``.

A certificate type is an ``EducationalOccupationalCredential``: its grade the ``educationalLevel``, its issuer the
``provider``, the region it is issued in ``validIn``, the parties whose agreements accept its issuer's (or its
region's) certificates ``recognizedBy`` (the graph's ``cb:certificatesRecognisedBy``, derived from the agreements
whatever their dates and conditions: the entity's own page and the routes say when and on what terms), and it is
``about`` an ``Occupation`` whose ``occupationalCategory`` is the 大典 code. Occupations, organisations and every
other kind of record get the schema.org type that fits (``Thing`` when none does). Names are written in the languages
the graph has, each tagged. An illustrative or synthetic record says so at the start of its ``description``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from certbridge.ontology import CB, ID, PREFIXES, SCHEMA

from ..query import as_solutions, named_node
from ..store import AnyStore

CONTEXT = "https://schema.org"
#: the context certbridge reads its own schema.org JSON-LD with, offline: schema.org's terms in certbridge's https
#: namespace, and the properties it writes addresses in read as IRIs, as schema.org's own context does
LOCAL_CONTEXT = {
    "@vocab": str(SCHEMA),
    **{name: {"@id": str(SCHEMA[name]), "@type": "@id"} for name in ("url", "license", "contentUrl")},
}
CLASSIFICATION = {
    "zh": "中华人民共和国职业分类大典（2022年版）",
    "en": "National occupational classification of China (2022)",
}
CREDENTIAL_CATEGORY = {"zh": "职业技能等级证书", "en": "vocational skill level certificate"}
#: the words that start the description of a record that is not a real fact
MARKS = {"illustrative": "示例记录 / ILLUSTRATIVE record", "synthetic": "合成记录 / SYNTHETIC record"}
#: the first segment of an instance IRI -> the schema.org type of its page (certificate types are credentials)
TYPES = {"occupation": "Occupation", "organisation": "Organization", "region": "AdministrativeArea"}


def text(zh: str | None, en: str | None) -> list[dict[str, str]]:
    """Language-tagged values, Chinese first; only the languages given."""
    return [{"@language": lang, "@value": value} for lang, value in (("zh", zh), ("en", en)) if value]


def _value(row: ox.QuerySolution, name: str) -> str | None:
    term = row[name]
    return term.value if term is not None else None


_NAMES = """
SELECT ?x ?zh ?en ?illustrative ?synthetic WHERE {
  ?x ?anyProperty ?anyValue
  OPTIONAL { ?x rdfs:label|skos:prefLabel ?zh FILTER (LANG(?zh) = "zh") }
  OPTIONAL { ?x rdfs:label|skos:prefLabel ?en FILTER (LANG(?en) = "en") }
  BIND (EXISTS { ?x cb:illustrative true } AS ?illustrative)
  BIND (EXISTS { ?x cb:synthetic true } AS ?synthetic)
} LIMIT 1"""

_LINKS = """
SELECT DISTINCT ?x ?role ?node ?zh ?en ?code WHERE {
  { ?x cb:issuedBy ?node BIND ("provider" AS ?role) }
  UNION { ?x cb:atGrade ?node BIND ("educationalLevel" AS ?role) }
  UNION { ?x cb:issuerRegion ?node BIND ("validIn" AS ?role) }
  UNION { ?x cb:certifiesOccupation ?node BIND ("about" AS ?role) OPTIONAL { ?node skos:notation ?code } }
  UNION { { ?x cb:issuedBy ?party } UNION { ?x cb:issuerRegion ?party }
          ?party cb:certificatesRecognisedBy ?node BIND ("recognizedBy" AS ?role) }
  UNION { ?x cb:region ?node BIND ("areaServed" AS ?role) }
  UNION { ?x skos:notation ?code BIND (?x AS ?node) BIND ("occupationalCategory" AS ?role) }
  OPTIONAL { ?node rdfs:label|skos:prefLabel ?zh FILTER (LANG(?zh) = "zh") }
  OPTIONAL { ?node rdfs:label|skos:prefLabel ?en FILTER (LANG(?en) = "en") }
} ORDER BY ?role ?node"""


def _query(store: AnyStore, query: str, node: ox.NamedNode) -> list[ox.QuerySolution]:
    answer = store.query(
        query, use_default_graph_as_union=True, substitutions={ox.Variable("x"): node}, prefixes=PREFIXES
    )
    return list(as_solutions(answer))


def _category(code: str) -> dict[str, Any]:
    return {
        "@type": "CategoryCode",
        "codeValue": code,
        "inCodeSet": {"@type": "CategoryCodeSet", "name": text(CLASSIFICATION["zh"], CLASSIFICATION["en"])},
    }


def _is_credential(store: AnyStore, node: ox.NamedNode) -> bool:
    answer = store.query(
        "ASK { ?x a cb:CertificateType }",
        use_default_graph_as_union=True,
        substitutions={ox.Variable("x"): node},
        prefixes=PREFIXES,
    )
    return bool(answer)


def describe(store: AnyStore, iri: str) -> dict[str, Any] | None:
    """The schema.org JSON-LD of the record *iri* (``"@context": "https://schema.org"``); None when unknown."""
    node = named_node(iri)
    if node is None:
        return None
    names = _query(store, _NAMES, node)
    if not names:
        return None
    row = names[0]
    segment = iri.removeprefix(str(ID)).partition("/")[0]
    credential = _is_credential(store, node)
    kind = "EducationalOccupationalCredential" if credential else TYPES.get(segment, "Thing")
    out: dict[str, Any] = {"@context": CONTEXT, "@type": kind, "@id": iri, "url": iri}
    name = text(_value(row, "zh"), _value(row, "en"))
    if name:
        out["name"] = name
    marks = [
        MARKS[flag] for flag in ("illustrative", "synthetic") if row[flag] is not None and row[flag].value == "true"
    ]
    if marks:
        out["description"] = "；".join(marks)
    if credential:
        out["credentialCategory"] = {
            "@type": "DefinedTerm",
            "@id": str(CB.CertificateType),
            "name": text(CREDENTIAL_CATEGORY["zh"], CREDENTIAL_CATEGORY["en"]),
        }
    seen: set[tuple[str, str]] = set()
    for link in _query(store, _LINKS, node):
        role = link["role"].value
        if (role, link["node"].value) in seen:  # a node with two names in a language: the first is enough
            continue
        seen.add((role, link["node"].value))
        linked = {"@id": link["node"].value, "name": text(_value(link, "zh"), _value(link, "en"))}
        if role == "occupationalCategory":
            if kind == "Occupation":
                out[role] = _category(link["code"].value)
            continue
        if role == "areaServed" and kind != "Organization":
            continue
        if not credential and role in ("provider", "educationalLevel", "validIn", "about", "recognizedBy"):
            continue
        typed = {
            "provider": "Organization",
            "educationalLevel": "DefinedTerm",
            "validIn": "AdministrativeArea",
            "areaServed": "AdministrativeArea",
            "recognizedBy": "Organization",
            "about": "Occupation",
        }[role]
        linked = {"@type": typed, **linked}
        if role == "about" and link["code"] is not None:
            linked["occupationalCategory"] = _category(link["code"].value)
        if role == "recognizedBy" and link["node"].value.startswith(f"{ID}region/"):
            linked["@type"] = "GovernmentOrganization"  # a region party: its government, as the agreement says
        if role == "recognizedBy":
            out.setdefault(role, []).append(linked)
        else:
            out[role] = linked
    return out


@dataclass(frozen=True)
class DatasetFacts:
    """What the Dataset description says, with the addresses of the server that answers."""

    iri: str  #: the dataset's IRI (the VoID's)
    url: str  #: the landing page
    license: str
    downloads: Sequence[tuple[str, str]]  #: (address, media type) of each bulk download
    modified: datetime | None = None


TITLE = {
    "zh": "certbridge：职业技能等级证书及其互认",
    "en": "certbridge: vocational skill certificates and their recognition",
}
ABOUT = {
    "zh": "中国职业技能等级证书、职业、发证机构、职业技能标准与证书互认协议的知识图谱，每一事实附来源。"
    "示例记录与合成记录均有标记。",
    "en": "A knowledge graph of Chinese vocational skill certificates, occupations, issuers, skill standards and the "
    "agreements recognising one certificate where another is required, each fact with its sources. Illustrative "
    "and synthetic records are marked as such.",
}


def dataset(facts: DatasetFacts) -> dict[str, Any]:
    """The ``schema:Dataset`` of the whole graph, as compact JSON-LD with schema.org's context."""
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": facts.iri,
        "name": text(TITLE["zh"], TITLE["en"]),
        "description": text(ABOUT["zh"], ABOUT["en"]),
        "url": facts.url,
        "license": facts.license,
        "inLanguage": ["zh", "en"],
        "isAccessibleForFree": True,
        "keywords": text("职业技能等级证书", "vocational skill certificate") + text("互认", "recognition agreement"),
        "distribution": [
            {"@type": "DataDownload", "contentUrl": address, "encodingFormat": media}
            for address, media in facts.downloads
        ],
    }
    if facts.modified is not None:
        out["dateModified"] = facts.modified.isoformat()
    return out


def as_triples(document: dict[str, Any]) -> list[ox.Triple]:
    """A schema.org JSON-LD document as RDF, read with schema.org's terms in certbridge's namespace (offline)."""
    local = {**document, "@context": LOCAL_CONTEXT}
    nquads = jsonld.to_rdf(local, {"format": "application/n-quads"})
    return [quad.triple for quad in ox.parse(nquads.encode(), ox.RdfFormat.N_TRIPLES)]
