"""Certificate types, their issuers and the recognition agreements in CTDL (the Credential Transparency Description
Language), as JSON-LD.

A certificate type becomes a ``ceterms:Certificate`` (``ceterms:credentialType`` ``ceterms:Certificate``): its
occupation a ``ceterms:CredentialAlignmentObject`` into the 2022 classification (the 大典 code as codedNotation), its
grade ``ceterms:audienceLevelType`` (CTDL's "type of level indicating a point in a progression"; an alignment to
certbridge's grade, not to CTDL's AudienceLevel terms, which no source maps the grades onto), its issuer ``ownedBy``
and ``offeredBy`` a ``ceterms:CredentialOrganization`` with the region it works in as its jurisdiction, and its
national skill standard as ``processStandards``.

A recognition agreement becomes ``ceterms:RecognizeAction`` nodes, one per recognising party: CTDL's schema
(https://credreg.net/ctdl/schema/encoding/json, the snapshot vendored in tests/fixtures/ctdl/) defines it as the
"Action by an independent, neutral, and authoritative agent acknowledging the validity of a resource", with
``actingAgent`` the party that recognises, ``object`` the party whose certificates it recognises, ``startDate`` and
``endDate``, and ``evidenceOfAction`` the sources. A one-way agreement gives one action per recognising party; a
mutual one gives each party an action recognising the others. Agreements that recognise no certificates
(cooperation only) or do not say who recognises whom are left out. A party that is a region (the source names a
province, not a body) is a ``ceterms:Organization`` named after it, with the region as its jurisdiction.

CTIDs are ``ce-`` and a UUID made from the record's IRI (its UUID5, with the version bits of a UUID4, the form CTDL's
CTID grammar names), so the same record always has the same CTID. Only what the graph holds is written: CTDL's
credentialStatusType, and an organisation's agentType and agentSectorType, have no source in the data and are left
out. An illustrative or synthetic record says so at the start of its description.

The document is streamed node by node; ``occupation`` limits it to one occupation's certificate types (a code of
any level of the classification takes its whole group) and the agreements are then left out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from certbridge.ontology import PREFIXES

from .. import iris
from ..convert.classification import OCCUPATION_SCHEME
from ..query import as_solutions, named_node
from ..store import AnyStore

CONTEXT = "https://credreg.net/ctdl/schema/context/json"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
CLASSIFICATION_NAME = {
    "zh": "中华人民共和国职业分类大典（2022年版）",
    "en": "National occupational classification of China (2022)",
}

#: the words that start the description of a record that is not a real fact
MARKS = {"illustrative": "示例记录 / ILLUSTRATIVE record. ", "synthetic": "合成记录 / SYNTHETIC record. "}

_CERTIFICATES = """
SELECT ?cert (SAMPLE(?l) AS ?label) ?issuer ?occupation (SAMPLE(?code) AS ?notation) (SAMPLE(?ol) AS ?occupationLabel)
  ?standard ?grade (SAMPLE(?gl) AS ?gradeLabel) (SAMPLE(?gle) AS ?gradeLabelEn) (SAMPLE(?ladder) AS ?gradeLadder)
  (SAMPLE(?ill) AS ?illustrative) (SAMPLE(?syn) AS ?synthetic)
WHERE {
  GRAPH ?g { ?cert a cb:CertificateType ; cb:issuedBy ?issuer ; cb:certifiesOccupation ?occupation .
             OPTIONAL { ?cert skos:prefLabel ?l FILTER (lang(?l) = "zh") }
             OPTIONAL { ?cert cb:followsStandard ?standard }
             OPTIONAL { ?cert cb:atGrade ?grade }
             OPTIONAL { ?cert cb:illustrative ?ill } OPTIONAL { ?cert cb:synthetic ?syn } }
  GRAPH ?og { ?occupation skos:notation ?code ; skos:prefLabel ?ol }
  OPTIONAL { GRAPH ?gg { ?grade skos:prefLabel ?gl FILTER (lang(?gl) = "zh") } }
  OPTIONAL { GRAPH ?gg2 { ?grade skos:prefLabel ?gle FILTER (lang(?gle) = "en") } }
  OPTIONAL { GRAPH ?gg3 { ?grade skos:inScheme ?ladder } }
  %(filter)s
}
GROUP BY ?cert ?issuer ?occupation ?standard ?grade
ORDER BY ?cert
"""

_ISSUERS = """
SELECT ?issuer (SAMPLE(?zh) AS ?nameZh) (SAMPLE(?en) AS ?nameEn) (SAMPLE(?rl) AS ?region)
  (SAMPLE(?ill) AS ?illustrative) (SAMPLE(?syn) AS ?synthetic) (SAMPLE(?isRegion) AS ?regionParty)
WHERE {
  VALUES ?issuer { %(issuers)s }
  OPTIONAL { GRAPH ?g { ?issuer skos:prefLabel ?zh FILTER (lang(?zh) = "zh") } }
  OPTIONAL { GRAPH ?g2 { ?issuer skos:prefLabel ?en FILTER (lang(?en) = "en") } }
  OPTIONAL { GRAPH ?g3 { ?issuer cb:region ?r } GRAPH ?rg { ?r skos:prefLabel ?rl FILTER (lang(?rl) = "zh") } }
  OPTIONAL { GRAPH ?g4 { ?issuer cb:illustrative ?ill } } OPTIONAL { GRAPH ?g5 { ?issuer cb:synthetic ?syn } }
  OPTIONAL { GRAPH ?g6 { ?issuer a cb:Region } BIND (true AS ?isRegion) }
}
GROUP BY ?issuer
ORDER BY ?issuer
"""

_AGREEMENTS = """
SELECT ?agreement ?direction (SAMPLE(?zh) AS ?nameZh) (SAMPLE(?en) AS ?nameEn) (SAMPLE(?from) AS ?validFrom)
  (SAMPLE(?to) AS ?validTo) (SAMPLE(?st) AS ?status) (SAMPLE(?number) AS ?documentNumber)
  (SAMPLE(?ill) AS ?illustrative) (SAMPLE(?syn) AS ?synthetic)
WHERE {
  GRAPH ?g { ?agreement a cb:RecognitionAgreement ; cb:recognisesCertificates true ; cb:direction ?direction .
    OPTIONAL { ?agreement skos:prefLabel ?zh FILTER (lang(?zh) = "zh") }
    OPTIONAL { ?agreement skos:prefLabel ?en FILTER (lang(?en) = "en") }
    OPTIONAL { ?agreement cb:validFrom ?from } OPTIONAL { ?agreement cb:validTo ?to }
    OPTIONAL { ?agreement cb:status ?st } OPTIONAL { ?agreement cb:documentNumber ?number }
    OPTIONAL { ?agreement cb:illustrative ?ill } OPTIONAL { ?agreement cb:synthetic ?syn } }
  FILTER (?direction IN (<%(mutual)s>, <%(one_way)s>))
  %(filter)s
}
GROUP BY ?agreement ?direction
ORDER BY ?agreement
"""

_SIDES = """
SELECT ?role ?party WHERE {
  VALUES ?role { cb:party cb:recognisingParty cb:recognisedParty }
  GRAPH ?g { <%(agreement)s> ?role ?party }
} ORDER BY ?role ?party
"""

_EVIDENCE = """
SELECT DISTINCT ?source ?url WHERE {
  GRAPH ?g { <%(agreement)s> dcterms:source ?source }
  OPTIONAL { GRAPH ?sg { ?source schema:url ?url } }
} ORDER BY ?source
"""


def ctid(iri: str) -> str:
    """The record's CTID: ``ce-`` and the UUID5 of its IRI with the version bits of a UUID4 (CTDL's grammar: "a
    standard UUID v4 prefixed with ce-"), so it is deterministic, never random.

    >>> ctid("https://w3id.org/certbridge/id/occupation/6-04-02-01") == ctid("https://w3id.org/certbridge/id/occupation/6-04-02-01")
    True
    >>> uuid.UUID(ctid("https://w3id.org/certbridge/id/occupation/6-04-02-01")[3:]).version
    4
    """
    return f"ce-{uuid.UUID(bytes=uuid.uuid5(uuid.NAMESPACE_URL, iri).bytes, version=4)}"


def _text(value: Any, lang: str = "zh") -> dict[str, str]:
    return {lang: value.value} if value is not None else {}


def _marked(row: Any, text: dict[str, str]) -> dict[str, str]:
    """*text* (a language map) with the illustrative or synthetic mark in front, when the record has one."""
    mark = "".join(MARKS[flag] for flag in ("illustrative", "synthetic") if _true(row[flag]))
    return {lang: mark + value for lang, value in text.items()} if mark else text


def _true(term: Any) -> bool:
    return term is not None and term.value == "true"


def certificates(
    store: AnyStore, *, occupation: str | None = None, only: str | None = None
) -> Iterator[dict[str, Any]]:
    """The ceterms:Certificate nodes, one per certificate type, in IRI order (*only*: that certificate type's)."""
    where = ""
    if occupation is not None:
        code = json.dumps(occupation)  # a quoted SPARQL string literal
        where = f'FILTER (?code = {code} || STRSTARTS(?code, CONCAT({code}, "-")))'
    if only is not None:
        where = f"FILTER (?cert = <{_checked(only)}>)"
    for row in as_solutions(store.query(_CERTIFICATES % {"filter": where}, prefixes=PREFIXES)):
        iri = row["cert"].value
        name = _text(row["label"])
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "ceterms:Certificate",
            "ceterms:ctid": ctid(iri),
            "ceterms:credentialType": "ceterms:Certificate",
            "ceterms:name": name,
            "ceterms:description": _marked(
                row,
                {
                    "zh": f"{row['occupationLabel'].value}（{row['notation'].value}）"
                    + (f" {row['gradeLabel'].value}" if row["gradeLabel"] is not None else "")
                    + " 职业技能等级证书"
                },
            ),
            "ceterms:subjectWebpage": iri,
            "ceterms:occupationType": [
                {
                    "@type": "ceterms:CredentialAlignmentObject",
                    "ceterms:framework": str(iris.scheme(OCCUPATION_SCHEME)),
                    "ceterms:frameworkName": CLASSIFICATION_NAME,
                    "ceterms:targetNode": row["occupation"].value,
                    "ceterms:codedNotation": row["notation"].value,
                    "ceterms:targetNodeName": _text(row["occupationLabel"]),
                }
            ],
            "ceterms:ownedBy": [row["issuer"].value],
            "ceterms:offeredBy": [row["issuer"].value],
        }
        if row["grade"] is not None:
            level: dict[str, Any] = {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:targetNode": row["grade"].value,
                "ceterms:targetNodeName": {**_text(row["gradeLabel"]), **_text(row["gradeLabelEn"], "en")},
            }
            if row["gradeLadder"] is not None:
                level["ceterms:framework"] = row["gradeLadder"].value
            node["ceterms:audienceLevelType"] = [level]
        if row["standard"] is not None:
            node["ceterms:processStandards"] = row["standard"].value
        yield node


def organisations(store: AnyStore, issuers: list[str]) -> Iterator[dict[str, Any]]:
    """The ceterms:CredentialOrganization nodes of *issuers*, each with its region as jurisdiction where known."""
    for start in range(0, len(issuers), 500):
        values = " ".join(f"<{iri}>" for iri in issuers[start : start + 500])
        for row in as_solutions(store.query(_ISSUERS % {"issuers": values}, prefixes=PREFIXES)):
            iri = row["issuer"].value
            name = {**_text(row["nameZh"]), **_text(row["nameEn"], "en")}
            region_party = _true(row["regionParty"])
            node: dict[str, Any] = {
                "@id": iri,
                "@type": "ceterms:Organization" if region_party else "ceterms:CredentialOrganization",
                "ceterms:ctid": ctid(iri),
                "ceterms:name": name,
                "ceterms:description": _marked(row, _region_party(name) if region_party else name),
                "ceterms:subjectWebpage": iri,
            }
            region = row["nameZh"] if region_party else row["region"]  # a region party's place is itself
            if region is not None:
                node["ceterms:jurisdiction"] = [
                    {
                        "@type": "ceterms:JurisdictionProfile",
                        "ceterms:mainJurisdiction": [
                            {
                                "@type": "ceterms:Place",
                                "ceterms:addressRegion": _text(region),
                                "ceterms:addressCountry": {"en": "CN"},
                            }
                        ],
                    }
                ]
            yield node


def _region_party(name: dict[str, str]) -> dict[str, str]:
    """What a region party is, said in its description (CTDL's agents are organisations, the source names a region)."""
    zh = name.get("zh", name.get("en", ""))
    return {
        "zh": f"{zh}（协议中作为一方的地区，指其政府）",
        "en": f"{name.get('en', zh)} (a region named as a party to an agreement: its government)",
    }


def _checked(iri: str) -> str:
    node = named_node(iri)
    if node is None:
        raise ValueError(f"not a plain IRI: {iri!r}")
    return node.value


def recognitions(store: AnyStore, *, only: str | None = None) -> Iterator[dict[str, Any]]:
    """The ceterms:RecognizeAction nodes of the agreements that recognise certificates, one per recognising party."""
    where = f"FILTER (?agreement = <{_checked(only)}>)" if only is not None else ""
    directions = {"mutual": iris.vocab("direction", "mutual"), "one_way": iris.vocab("direction", "one-way")}
    for row in as_solutions(store.query(_AGREEMENTS % {"filter": where, **directions}, prefixes=PREFIXES)):
        agreement = row["agreement"].value
        sides: dict[str, list[str]] = {}
        for side in as_solutions(store.query(_SIDES % {"agreement": agreement}, prefixes=PREFIXES)):
            sides.setdefault(side["role"].value.rsplit("#", 1)[-1], []).append(side["party"].value)
        evidence = [
            (source["url"] or source["source"]).value
            for source in as_solutions(store.query(_EVIDENCE % {"agreement": agreement}, prefixes=PREFIXES))
        ]
        mutual = row["direction"].value == str(directions["mutual"])
        parties = sides.get("party", [])
        if mutual:
            pairs = [(party, [other for other in parties if other != party]) for party in parties]
        else:
            pairs = [(party, sides.get("recognisedParty", [])) for party in sides.get("recognisingParty", [])]
        for acting, objects in pairs:
            if not objects:
                continue
            yield _action(row, agreement, acting, objects, evidence, mutual=mutual)


def _action(
    row: Any, agreement: str, acting: str, objects: list[str], evidence: list[str], *, mutual: bool
) -> dict[str, Any]:
    name = {**_text(row["nameZh"]), **_text(row["nameEn"], "en")}
    said = [f"{'互认 / mutual' if mutual else '单向 / one-way'}"]
    if row["status"] is not None:
        said.append(f"状态 / status: {row['status'].value.rsplit('/', 1)[-1].removeprefix('status-')}")
    if row["documentNumber"] is not None:
        said.append(f"文号 / document: {row['documentNumber'].value}")
    node: dict[str, Any] = {
        "@id": f"{agreement}#recognition-by-{acting.rsplit('/', 1)[-1]}",
        "@type": "ceterms:RecognizeAction",
        "ceterms:ctid": ctid(f"{agreement}#recognition-by-{acting}"),
        "ceterms:name": name,
        "ceterms:actingAgent": [acting],
        "ceterms:object": objects,
    }
    for column, term in (("validFrom", "ceterms:startDate"), ("validTo", "ceterms:endDate")):
        value = row[column]
        if value is None:
            continue
        if value.datatype.value == XSD_DATE:
            node[term] = value.value
        else:  # a month or a year: CTDL's dates are days, so the date is said in words
            said.append(f"{'生效 / from' if column == 'validFrom' else '失效 / to'}: {value.value}")
    node["ceterms:description"] = _marked(row, {"zh": f"{name.get('zh', agreement)}（{'；'.join(said)}）"})
    if evidence:
        node["ceterms:evidenceOfAction"] = evidence
    return node


def _write(output: BinaryIO, nodes: Iterable[dict[str, Any]], first: bool) -> bool:
    for node in nodes:
        output.write((b"" if first else b",\n") + json.dumps(node, ensure_ascii=False).encode())
        first = False
    return first


def nodes_of(store: AnyStore, iri: str) -> list[dict[str, Any]]:
    """The CTDL nodes of one record: a certificate type's Certificate, an organisation's (or a region party's)
    organisation, an agreement's RecognizeActions; empty for any other record (or text that is not a plain IRI)."""
    if named_node(iri) is None:
        return []
    found: list[dict[str, Any]] = list(certificates(store, only=iri)) or list(recognitions(store, only=iri))
    if found or not iri.startswith(tuple(str(iris.record(kind, "")) for kind in ("organisation", "region"))):
        return found
    return [node for node in organisations(store, [_checked(iri)]) if node["ceterms:name"]]


def export_ctdl(store: AnyStore, output: BinaryIO, *, occupation: str | None = None) -> None:
    """Write ``{"@context": ..., "@graph": [...]}``, one node at a time: certificates, the agreements' recognitions
    (not when limited to an occupation: an agreement is between parties, not about one occupation's certificates),
    then the organisations they name."""
    output.write(json.dumps({"@context": CONTEXT})[:-1].encode() + b', "@graph": [\n')
    agents: dict[str, None] = {}
    first = True
    for node in certificates(store, occupation=occupation):
        agents.update(dict.fromkeys(node["ceterms:ownedBy"]))
        first = _write(output, [node], first)
    if occupation is None:
        for node in recognitions(store):
            agents.update(dict.fromkeys([*node["ceterms:actingAgent"], *node["ceterms:object"]]))
            first = _write(output, [node], first)
    first = _write(output, organisations(store, sorted(agents)), first)
    output.write(b"\n]}\n")
