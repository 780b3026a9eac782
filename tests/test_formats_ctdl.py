"""`certbridge export --format ctdl`: certificate types and issuers as CTDL JSON-LD, checked against the Credential
Registry's own terms (tests/fixtures/ctdl/registry_terms.json: the class, property and required-property names
of its JSON schemas for credentials and organisations, at the commit named in the file)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from helpers.data import Cli
from rdflib import Graph

from certbridge.graph.formats.ctdl import ctid

TERMS = json.loads((Path(__file__).parent / "fixtures" / "ctdl" / "registry_terms.json").read_text(encoding="utf-8"))
CLASSES: dict[str, dict[str, list[str]]] = TERMS["classes"]
#: required by the registry's schemas, but with no source in certbridge's data, so left out rather than made up
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
        allowed = set(CLASSES[kind]["properties"]) | {"@id"}
        problems += [f"{kind} has no property {name}" for name in node if name not in allowed]
        missing = set(CLASSES[kind]["required"]) - set(node) - NOT_IN_THE_DATA.get(kind, set())
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
    assert set(organisations) == {i for c in certificates for i in c["ceterms:ownedBy"]}
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
        assert node["ceterms:ctid"] == "ce-" + str(uuid.uuid5(uuid.NAMESPACE_URL, node["@id"])) == ctid(node["@id"])


def test_is_json_ld(mini_ctdl: dict[str, Any]) -> None:
    """With CTDL's prefix in place of the remote context (no network in tests), rdflib reads it as RDF."""
    local = {**mini_ctdl, "@context": {"ceterms": "https://purl.org/ctdl/terms/"}}
    graph = Graph().parse(data=json.dumps(local), format="json-ld")
    assert len(graph) > len(mini_ctdl["@graph"])


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
