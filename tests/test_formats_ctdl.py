"""`certbridge export --format ctdl`: certificate types, issuers and recognition agreements as CTDL JSON-LD, checked
against CTDL's own published files, vendored in tests/fixtures/ctdl/ (README.md there says where each comes from):
the JSON-LD context (expanding the export with it drops no term and keeps each value's kind), the schema's classes
and the properties each may carry, and the Credential Registry's required properties. When the ctdl-validate
package is installed, its checks run too."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from helpers.data import Cli
from pyld import jsonld
from rdflib import Graph

from certbridge.graph.formats.ctdl import CONTEXT, ctid
from certbridge.ontology import ID

FIXTURES = Path(__file__).parent / "fixtures" / "ctdl"
TERMS = json.loads((FIXTURES / "registry_terms.json").read_text(encoding="utf-8"))
#: the registry's required properties, per class (its JSON schemas for credentials and organisations)
REQUIRED: dict[str, list[str]] = {name: kind["required"] for name, kind in TERMS["classes"].items()}
#: CTDL's classes and the properties it declares for each (its schema, schema_terms.json)
SCHEMA_TERMS = json.loads((FIXTURES / "schema_terms.json").read_text(encoding="utf-8"))
CLASSES: dict[str, list[str]] = SCHEMA_TERMS["classes"]
CTDL_CONTEXT = json.loads((FIXTURES / "context.json").read_text(encoding="utf-8"))
#: required by the registry's schemas, but with no source in certbridge's data, so left out rather than made up
#: the bits a UUID's version and variant take (the rest of a CTID is its IRI's UUID5)
VERSION_BITS = (0xF << 76) | (0x3 << 62)
NOT_IN_THE_DATA = {
    "ceterms:Certificate": {"ceterms:credentialStatusType"},
    "ceterms:CredentialOrganization": {"ceterms:agentSectorType", "ceterms:agentType"},
}


def exported(cli: Cli, store: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "ctdl.json"
    result = cli("export", "--store", store, "--format", "ctdl", "-o", out, *args)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def nodes(value: Any) -> list[dict[str, Any]]:
    """Every typed object in the document, nested ones included."""
    found = []
    if isinstance(value, dict):
        if "@type" in value:
            found.append(value)
        for item in value.values():
            found += nodes(item)
    elif isinstance(value, list):
        for item in value:
            found += nodes(item)
    return found


def term_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for node in nodes(document["@graph"]):
        kind = node["@type"]
        if kind not in CLASSES:
            problems.append(f"{kind} is not a class this export may use")
            continue
        allowed = set(CLASSES[kind]) | {"@id", "@type"}
        problems += [f"{kind} has no property {name}" for name in node if name not in allowed]
        missing = set(REQUIRED.get(kind, ())) - {"@id", "@type"} - set(node) - NOT_IN_THE_DATA.get(kind, set())
        problems += [f"{node.get('@id', kind)} lacks {name}" for name in sorted(missing)]
    return problems


@pytest.fixture
def mini_ctdl(cli: Cli, mini_store: Path, tmp_path: Path) -> dict[str, Any]:
    return exported(cli, mini_store, tmp_path)


def test_uses_only_registry_terms(mini_ctdl: dict[str, Any]) -> None:
    assert mini_ctdl["@context"] == "https://credreg.net/ctdl/schema/context/json"
    assert term_problems(mini_ctdl) == []


def test_the_check_can_fail(mini_ctdl: dict[str, Any]) -> None:
    certificate = next(n for n in mini_ctdl["@graph"] if n["@type"] == "ceterms:Certificate")
    certificate["ceterms:occupationCode"] = "6-04-02-01"  # not a CTDL term
    del certificate["ceterms:name"]
    assert len(term_problems(mini_ctdl)) == 2


def test_certificates_align_to_the_classification_and_point_at_their_issuers(mini_ctdl: dict[str, Any]) -> None:
    graph = mini_ctdl["@graph"]
    certificates = [n for n in graph if n["@type"] == "ceterms:Certificate"]
    organisations = {n["@id"]: n for n in graph if n["@type"] == "ceterms:CredentialOrganization"}
    assert certificates and organisations
    for certificate in certificates:
        (alignment,) = certificate["ceterms:occupationType"]
        assert alignment["ceterms:codedNotation"] == alignment["ceterms:targetNode"].rsplit("/", 1)[-1]
        assert certificate["ceterms:ownedBy"] == certificate["ceterms:offeredBy"]
        assert set(certificate["ceterms:ownedBy"]) <= organisations.keys()
    owners = {i for c in certificates for i in c["ceterms:ownedBy"]}
    parties = {
        agent
        for n in graph
        if n["@type"] == "ceterms:RecognizeAction"
        for agent in (*n["ceterms:actingAgent"], *n["ceterms:object"])
    }
    assert owners <= set(organisations) <= owners | parties
    jurisdictions = [o for o in organisations.values() if "ceterms:jurisdiction" in o]
    assert jurisdictions and all(
        o["ceterms:jurisdiction"][0]["ceterms:mainJurisdiction"][0]["ceterms:addressRegion"]["zh"].endswith(
            ("省", "市", "自治区", "特别行政区")
        )
        for o in jurisdictions
    )


def test_ctids_are_deterministic(cli: Cli, mini_store: Path, tmp_path: Path, mini_ctdl: dict[str, Any]) -> None:
    (tmp_path / "again").mkdir()
    again = exported(cli, mini_store, tmp_path / "again")
    assert [n["ceterms:ctid"] for n in again["@graph"]] == [n["ceterms:ctid"] for n in mini_ctdl["@graph"]]
    for node in mini_ctdl["@graph"]:
        if node["@type"] == "ceterms:RecognizeAction":
            continue  # one per recognising party of an agreement: tested below
        five = uuid.uuid5(uuid.NAMESPACE_URL, node["@id"])
        made = uuid.UUID(node["ceterms:ctid"].removeprefix("ce-"))
        assert made.version == 4 and made.int & ~VERSION_BITS == five.int & ~VERSION_BITS
        assert node["ceterms:ctid"] == ctid(node["@id"])
    ctids = [n["ceterms:ctid"] for n in mini_ctdl["@graph"]]
    assert len(set(ctids)) == len(ctids)


def test_is_json_ld(mini_ctdl: dict[str, Any]) -> None:
    """With CTDL's own context in place of the remote one (no network in tests), rdflib reads it as RDF."""
    local = {**mini_ctdl, "@context": CTDL_CONTEXT["@context"]}
    graph = Graph().parse(data=json.dumps(local), format="json-ld")
    assert len(graph) > len(mini_ctdl["@graph"])


def property_keys(value: Any, context: dict[str, Any], language_map: bool = False) -> int:
    """How many properties a JSON-LD document states, over every node object (a language map's keys are languages)."""
    if isinstance(value, list):
        return sum(property_keys(item, context) for item in value)
    if not isinstance(value, dict) or language_map:
        return 0
    total = 0
    for key, item in value.items():
        if key == "@context":
            continue
        total += not key.startswith("@")
        definition = context.get(key)
        total += property_keys(
            item, context, isinstance(definition, dict) and definition.get("@container") == "@language"
        )
    return total


def expanded_keys(document: dict[str, Any]) -> tuple[int, int]:
    """(properties the document states, properties left after pyld expands it with CTDL's context, offline)."""

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        assert url == CONTEXT, url  # nothing else is loaded, and that one from the vendored copy
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": CTDL_CONTEXT}

    expanded = jsonld.expand(document, {"documentLoader": load})
    return property_keys(document, CTDL_CONTEXT["@context"]), property_keys(expanded, {})


def test_expanding_with_ctdl_s_context_drops_no_term(mini_ctdl: dict[str, Any]) -> None:
    """JSON-LD expansion drops every key its context cannot map: none is dropped, so every term is CTDL's (with
    the schema check above, a CTDL term the class may carry)."""
    written, kept = expanded_keys(mini_ctdl)
    assert written == kept
    broken = json.loads(json.dumps(mini_ctdl))
    broken["@graph"][0]["occupationCode"] = "6-04-02-01"  # a key in no context
    written, kept = expanded_keys(broken)
    assert written == kept + 1


def test_values_have_the_kind_ctdl_s_context_gives_them(mini_ctdl: dict[str, Any]) -> None:
    """Terms CTDL types as IRIs hold IRIs, its dates hold days, its language maps hold language maps."""
    context = CTDL_CONTEXT["@context"]
    for node in nodes(mini_ctdl["@graph"]):
        for key, value in node.items():
            definition = context.get(key, {})
            if not isinstance(definition, dict):
                continue
            values = value if isinstance(value, list) else [value]
            if definition.get("@type") == "@id":
                assert all(isinstance(v, dict) or v.startswith(("http", "ceterms:")) for v in values), (key, value)
            if definition.get("@type") == "xsd:date":
                assert all(len(v) == 10 and v[4] == v[7] == "-" for v in values), (key, value)
            if definition.get("@container") == "@language":
                assert isinstance(value, dict) and set(value) <= {"zh", "en"}, (key, value)


def test_agreements_are_recognize_actions(mini_ctdl: dict[str, Any]) -> None:
    actions = [n for n in mini_ctdl["@graph"] if n["@type"] == "ceterms:RecognizeAction"]
    by_agreement: dict[str, list[dict[str, Any]]] = {}
    for action in actions:
        by_agreement.setdefault(action["@id"].split("#")[0].rsplit("/", 1)[-1], []).append(action)
    # MR09 is cooperation only; MR11 is mutual between four offices, IL-AG01 between two regions
    assert {key: len(found) for key, found in by_agreement.items()} == {
        "IL-AG01": 2,
        "IL-AG02": 1,
        "MR01": 1,
        "MR11": 4,
    }
    (one_way,) = by_agreement["MR01"]
    assert one_way["ceterms:actingAgent"] == [f"{ID}region/440000"] and one_way["ceterms:object"] == [
        f"{ID}region/820000"
    ]
    assert all(a["ceterms:evidenceOfAction"] for a in actions)  # every agreement cites its source
    (expired,) = by_agreement["IL-AG02"]
    assert expired["ceterms:endDate"] == "2020-12-31" and "expired" in expired["ceterms:description"]["zh"]
    assert expired["ceterms:description"]["zh"].startswith("示例记录 / ILLUSTRATIVE")
    organisations = {n["@id"] for n in mini_ctdl["@graph"] if n["@type"].endswith("Organization")}
    assert {agent for a in actions for agent in (*a["ceterms:actingAgent"], *a["ceterms:object"])} <= organisations
    regions = [n for n in mini_ctdl["@graph"] if n["@type"] == "ceterms:Organization"]
    assert regions and all("its government" in n["ceterms:description"]["en"] for n in regions)


def test_ctdl_validate_finds_no_error(mini_ctdl: dict[str, Any]) -> None:
    """ctdl-validate (PyPI; declared for Python 3.12 but it runs on 3.11: pip install --ignore-requires-python
    ctdl-validate) checks identifier kinds, CTIDs, domains, ranges and references against its own copy of CTDL."""
    validator = pytest.importorskip("ctdl_validate")
    findings = validator.validate_document(mini_ctdl)
    serious = [f.render_text() for f in findings if f.severity.value in ("ERROR", "WARNING")]
    assert serious == []


@pytest.mark.parametrize("code,some", [("6-04", True), ("6-04-02-01", True), ("4", False), ("6-04-02-0", False)])
def test_occupation_limits_it(cli: Cli, mini_store: Path, tmp_path: Path, code: str, some: bool) -> None:
    graph = exported(cli, mini_store, tmp_path, "--occupation", code)["@graph"]
    assert bool(graph) is some
    assert all(
        n["ceterms:occupationType"][0]["ceterms:codedNotation"].startswith(code)
        for n in graph
        if n["@type"] == "ceterms:Certificate"
    )


def test_occupation_with_another_format_is_refused(cli: Cli, mini_store: Path) -> None:
    result = cli("export", "--store", mini_store, "--format", "ttl", "--occupation", "6-04")
    assert result.exit_code == 2 and "--occupation applies to the ctdl export" in result.stderr
