"""Certificate types and their issuers in CTDL (the Credential Transparency Description Language), as JSON-LD.

A certificate type becomes a ``ceterms:Certificate``: its occupation a ``ceterms:CredentialAlignmentObject`` into
the 2022 classification (the 大典 code as codedNotation), its issuer ``ownedBy`` and ``offeredBy`` a
``ceterms:CredentialOrganization`` with the region it works in as its jurisdiction, and its national skill
standard as ``processStandards``. CTIDs are ``ce-`` and the UUID5 of the record's IRI, so the same record always
has the same CTID. Only what the graph holds is written: CTDL's credentialStatusType, and an organisation's
agentType and agentSectorType, have no source in the data and are left out.

The document is streamed node by node; ``occupation`` limits it to one occupation's certificate types (a code of
any level of the classification takes its whole group).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from certbridge.ontology import PREFIXES

from .. import iris
from ..convert.classification import OCCUPATION_SCHEME
from ..store import AnyStore

CONTEXT = "https://credreg.net/ctdl/schema/context/json"
CLASSIFICATION_NAME = {
    "zh": "中华人民共和国职业分类大典（2022年版）",
    "en": "National occupational classification of China (2022)",
}

_CERTIFICATES = """
SELECT ?cert (SAMPLE(?l) AS ?label) ?issuer ?occupation (SAMPLE(?code) AS ?notation) (SAMPLE(?ol) AS ?occupationLabel)
  ?standard (SAMPLE(?gl) AS ?gradeLabel)
WHERE {
  GRAPH ?g { ?cert a cb:CertificateType ; cb:issuedBy ?issuer ; cb:certifiesOccupation ?occupation .
             OPTIONAL { ?cert skos:prefLabel ?l FILTER (lang(?l) = "zh") }
             OPTIONAL { ?cert cb:followsStandard ?standard }
             OPTIONAL { ?cert cb:atGrade ?grade } }
  GRAPH ?og { ?occupation skos:notation ?code ; skos:prefLabel ?ol }
  OPTIONAL { GRAPH ?gg { ?grade skos:prefLabel ?gl FILTER (lang(?gl) = "zh") } }
  %(filter)s
}
GROUP BY ?cert ?issuer ?occupation ?standard
ORDER BY ?cert
"""

_ISSUERS = """
SELECT ?issuer (SAMPLE(?zh) AS ?nameZh) (SAMPLE(?en) AS ?nameEn) (SAMPLE(?rl) AS ?region)
WHERE {
  VALUES ?issuer { %(issuers)s }
  OPTIONAL { GRAPH ?g { ?issuer skos:prefLabel ?zh FILTER (lang(?zh) = "zh") } }
  OPTIONAL { GRAPH ?g2 { ?issuer skos:prefLabel ?en FILTER (lang(?en) = "en") } }
  OPTIONAL { GRAPH ?g3 { ?issuer cb:region ?r } GRAPH ?rg { ?r skos:prefLabel ?rl FILTER (lang(?rl) = "zh") } }
}
GROUP BY ?issuer
ORDER BY ?issuer
"""


def ctid(iri: str) -> str:
    """The record's CTID: ``ce-`` and the UUID5 of its IRI (deterministic, never random).

    >>> ctid("https://w3id.org/certbridge/id/occupation/6-04-02-01") == ctid("https://w3id.org/certbridge/id/occupation/6-04-02-01")
    True
    """
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, iri)}"


def _text(value: Any, lang: str = "zh") -> dict[str, str]:
    return {lang: value.value} if value is not None else {}


def certificates(store: AnyStore, *, occupation: str | None = None) -> Iterator[dict[str, Any]]:
    """The ceterms:Certificate nodes, one per certificate type, in IRI order."""
    where = ""
    if occupation is not None:
        code = json.dumps(occupation)  # a quoted SPARQL string literal
        where = f'FILTER (?code = {code} || STRSTARTS(?code, CONCAT({code}, "-")))'
    for row in store.query(_CERTIFICATES % {"filter": where}, prefixes=PREFIXES):
        iri = row["cert"].value
        name = _text(row["label"])
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "ceterms:Certificate",
            "ceterms:ctid": ctid(iri),
            "ceterms:name": name,
            "ceterms:description": {
                "zh": f"{row['occupationLabel'].value}（{row['notation'].value}）"
                + (f" {row['gradeLabel'].value}" if row["gradeLabel"] is not None else "")
                + " 职业技能等级证书"
            },
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
        if row["standard"] is not None:
            node["ceterms:processStandards"] = row["standard"].value
        yield node


def organisations(store: AnyStore, issuers: list[str]) -> Iterator[dict[str, Any]]:
    """The ceterms:CredentialOrganization nodes of *issuers*, each with its region as jurisdiction where known."""
    for start in range(0, len(issuers), 500):
        values = " ".join(f"<{iri}>" for iri in issuers[start : start + 500])
        for row in store.query(_ISSUERS % {"issuers": values}, prefixes=PREFIXES):
            iri = row["issuer"].value
            name = {**_text(row["nameZh"]), **_text(row["nameEn"], "en")}
            node: dict[str, Any] = {
                "@id": iri,
                "@type": "ceterms:CredentialOrganization",
                "ceterms:ctid": ctid(iri),
                "ceterms:name": name,
                "ceterms:description": name,
                "ceterms:subjectWebpage": iri,
            }
            if row["region"] is not None:
                node["ceterms:jurisdiction"] = [
                    {
                        "@type": "ceterms:JurisdictionProfile",
                        "ceterms:mainJurisdiction": [
                            {
                                "@type": "ceterms:Place",
                                "ceterms:addressRegion": _text(row["region"]),
                                "ceterms:addressCountry": {"en": "CN"},
                            }
                        ],
                    }
                ]
            yield node


def export_ctdl(store: AnyStore, output: BinaryIO, *, occupation: str | None = None) -> None:
    """Write ``{"@context": ..., "@graph": [...]}``, one node at a time: certificates first, then their issuers."""
    output.write(json.dumps({"@context": CONTEXT})[:-1].encode() + b', "@graph": [\n')
    issuers: dict[str, None] = {}
    first = True
    for node in certificates(store, occupation=occupation):
        issuers.update(dict.fromkeys(node["ceterms:ownedBy"]))
        output.write((b"" if first else b",\n") + json.dumps(node, ensure_ascii=False).encode())
        first = False
    for node in organisations(store, sorted(issuers)):
        output.write((b"" if first else b",\n") + json.dumps(node, ensure_ascii=False).encode())
        first = False
    output.write(b"\n]}\n")
