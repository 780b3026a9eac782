"""The linked-data side of the web service, against a real server on loopback: the JSON-LD context and the framed
kinds' schemas, and framed JSON-LD at /id/."""

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
