"""The linked-data side of the web service, against a real server on loopback: the JSON-LD context and the framed
kinds' schemas, framed JSON-LD at /id/, and one record's CTDL at /api/v1/ctdl/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from pyld import jsonld
from rdflib import Graph, URIRef

from certbridge.api.settings import Settings
from certbridge.graph.formats.ctdl import CONTEXT as CTDL_CONTEXT
from certbridge.ontology import CONTEXT_FILE, CONTEXT_IRI, ID
from test_api import is_problem, serving

CERTIFICATE = "certificate-type/IL-CT-hengfeng-spinner-senior-technician"


@pytest.fixture(scope="module")
def base_url(mini_store: Path) -> Iterator[str]:
    with serving(Settings(mini_store)) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def served_loader(http: httpx.Client) -> Any:
    """A pyld document loader that reads certbridge's context from the server under test (loopback) and nothing
    else: what a consumer's processor does once the context IRI resolves to a certbridge server."""

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        assert url == CONTEXT_IRI, f"tried to load {url}"
        response = http.get("/ns/context.jsonld")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": response.json(),
        }

    return load


def test_the_context_is_served_as_shipped(http: httpx.Client) -> None:
    response = http.get("/ns/context.jsonld")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    assert response.content == CONTEXT_FILE.read_bytes()
    assert response.json()["@context"]["issuedBy"] == {"@id": "cb:issuedBy", "@type": "@id"}


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (CERTIFICATE, "certificate-type"),
        ("occupation/6-04-02-01", "occupation"),
        ("organisation/hengfeng", "organisation"),
        ("agreement/IL-AG01", "agreement"),
    ],
)
def test_id_negotiates_framed_json_ld_that_its_schema_accepts(http: httpx.Client, path: str, kind: str) -> None:
    response = http.get(f"/id/{path}", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    assert "Accept" in response.headers["vary"]
    document = response.json()
    assert document["@context"] == CONTEXT_IRI and document["@id"] == f"{ID}{path}"
    assert "name" in document or "label" in document
    published = http.get(f"/schemas/{kind}.json")
    assert published.headers["content-type"].startswith("application/schema+json")
    errors = [error.message for error in Draft202012Validator(published.json()).iter_errors(document)]
    assert errors == []
    # the context the server publishes expands it to the same triples as the record's Turtle
    expanded = jsonld.to_rdf(document, {"documentLoader": served_loader(http), "format": "application/n-quads"})
    from_json_ld = Graph().parse(data=expanded, format="nquads")
    turtle = Graph().parse(data=http.get(f"/id/{path}", headers={"Accept": "text/turtle"}).text, format="turtle")
    own = Graph()
    for triple in from_json_ld.triples((URIRef(f"{ID}{path}"), None, None)):
        own.add(triple)
    assert set(own) == set(turtle)


def test_a_browser_still_gets_html_and_turtle_stays_the_default(http: httpx.Client) -> None:
    assert (
        http.get(f"/id/{CERTIFICATE}", headers={"Accept": "text/html"}).headers["content-type"].startswith("text/html")
    )
    assert http.get(f"/id/{CERTIFICATE}").headers["content-type"].startswith("text/turtle")


def test_unknown_schema_kind_is_a_422(http: httpx.Client) -> None:
    is_problem(http.get("/schemas/grade.json"), 422)


def test_ctdl_of_one_certificate_type(http: httpx.Client) -> None:
    response = http.get(f"/api/v1/ctdl/{CERTIFICATE}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    body = response.json()
    assert body["@context"] == CTDL_CONTEXT
    (node,) = body["@graph"]
    assert node["@type"] == "ceterms:Certificate" and node["ceterms:credentialType"] == "ceterms:Certificate"
    assert node["ceterms:description"]["zh"].startswith("示例记录")  # illustrative, and says so
    (level,) = node["ceterms:audienceLevelType"]
    assert level["ceterms:targetNode"] == f"{ID}grade/senior-technician"


def test_ctdl_of_an_agreement_is_its_recognitions(http: httpx.Client) -> None:
    actions = http.get("/api/v1/ctdl/agreement/IL-AG02").json()["@graph"]
    (action,) = actions  # one-way: Hebei recognises Shandong's certificates
    assert action["@type"] == "ceterms:RecognizeAction"
    assert action["ceterms:actingAgent"] == [f"{ID}region/130000"] and action["ceterms:object"] == [
        f"{ID}region/370000"
    ]
    assert action["ceterms:endDate"] == "2020-12-31"
    mutual = http.get("/api/v1/ctdl/agreement/IL-AG01").json()["@graph"]
    assert {a["ceterms:actingAgent"][0] for a in mutual} == {f"{ID}region/370000", f"{ID}region/320000"}
    is_problem(http.get("/api/v1/ctdl/agreement/MR09"), 404)  # cooperation only: no recognition
    is_problem(http.get("/api/v1/ctdl/occupation/6-04-02-01"), 404)
    is_problem(http.get("/api/v1/ctdl/%20not%20an%20iri"), 404)
