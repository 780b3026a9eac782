"""Instance IRIs, minted deterministically from codes and ids (never random).

>>> str(occupation("6-04-02-01"))
'https://w3id.org/certbridge/id/occupation/6-04-02-01'
>>> str(reference("region:440000"))
'https://w3id.org/certbridge/id/region/440000'
"""

from __future__ import annotations

from rdflib import URIRef

from certbridge.ontology import GRAPH, ID, VOC


def _mint(kind: str, key: str) -> URIRef:
    # not through ID's cache: minting half a million certificate types there would evict every term it holds
    return URIRef(f"{ID}{kind}/{key}")


def from_path(text: str) -> str:
    """An IRI given whole, or the IRI of a path under the id space (``occupation/6-04-02-01``: how the CLI and the
    views name an entity)."""
    return text if text.startswith(("http://", "https://")) else under_id(text)


def under_id(path: str) -> str:
    """The IRI of a path under the id space, whatever the path says (how an /id/ URL names its entity)."""
    return f"{ID}{path.lstrip('/')}"


def occupation(code: str) -> URIRef:
    return _mint("occupation", code)


def isco(code: str) -> URIRef:
    return _mint("isco08", code)


def region(code: str) -> URIRef:
    return _mint("region", code)


def grade(key: str) -> URIRef:
    return _mint("grade", key)


def credential(key: str) -> URIRef:
    return _mint("credential", key)


def framework(key: str) -> URIRef:
    return _mint("framework", key)


def framework_level(framework_key: str, level: int | str) -> URIRef:
    return _mint("framework-level", f"{framework_key}-{level}")


def scheme(key: str) -> URIRef:
    return _mint("scheme", key)


def vocab(scheme_key: str, code: str) -> URIRef:
    return VOC[f"{scheme_key}-{code}"]


def record(kind: str, key: str) -> URIRef:
    """IRI of a record of a table whose rows carry their own ``id`` (standards, issuers, agreements ...)."""
    return _mint(kind, key)


def named_graph(table: str) -> URIRef:
    return GRAPH[f"data/{table}"]


#: The named graphs a build writes besides one per table.
ONTOLOGY_GRAPH = GRAPH["ontology"]
INFERRED_GRAPH = GRAPH["inferred"]
BUILD_GRAPH = GRAPH["build"]
BUILD_ACTIVITY = GRAPH["build#activity"]


#: The rules the inferred graph names as the plans of what it derived (prov:Plan), and route evidence cites.
SAME_QUALIFICATION_RULE = ID["rule/same-qualification"]
MUTUAL_AGREEMENT_RULE = ID["rule/mutual-agreement"]
ONE_WAY_AGREEMENT_RULE = ID["rule/one-way-agreement"]


#: Prefixes of the typed references used in polymorphic columns (party_refs, from_ref, ...).
REFERENCE_KINDS = {
    "region": region,
    "org": lambda key: record("organisation", key),
    "grade": grade,
    "credential": credential,
    "framework": framework,
    "occupation": occupation,
    "isco": isco,
}


def reference(text: str) -> URIRef:
    """IRI of a typed reference such as ``region:440000`` or ``org:gd-hrss``."""
    kind, _, key = text.partition(":")
    if kind == "framework-level":
        framework_key, _, level = key.rpartition("-")
        return framework_level(framework_key, level)
    return REFERENCE_KINDS[kind](key)
