"""The linked-data side of the web service, against a real server on loopback: the JSON-LD context and the framed
kinds' schemas, framed JSON-LD at /id/, one record's CTDL at /api/v1/ctdl/, and the schema.org JSON-LD search engines
read from the pages (extracted with extruct, as a crawler would) and from the VoID."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import extruct
import httpx
import pytest
from helpers.serving import is_problem, serving
from jsonschema import Draft202012Validator
from pyld import jsonld
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from certbridge.api.landing import EXAMPLES, LINKS
from certbridge.api.settings import Settings
from certbridge.graph.formats import schemaorg
from certbridge.graph.formats.ctdl import CONTEXT as CTDL_CONTEXT
from certbridge.ontology import CONTEXT_FILE, CONTEXT_IRI, ID
from certbridge.visualize.catalogue import message

SCHEMA = Namespace("https://schema.org/")
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


def json_ld_of(page: str, base_url: str) -> list[dict[str, Any]]:
    return extruct.extract(page, base_url=base_url, syntaxes=["json-ld"], uniform=False)["json-ld"]


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
    # a line break in the id (schemathesis found it): the id is not found, rather than the path taken for an entity's
    is_problem(http.get("/api/v1/ctdl/a%0Ab"), 404)
    is_problem(http.get("/id/certificate-type/a%0Ab"), 404)


def test_the_landing_page_asks_the_question_and_describes_the_dataset(http: httpx.Client, base_url: str) -> None:
    response = http.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    question = message("landing.question")
    assert question.zh in page and question.en not in page  # Chinese by default
    assert question.en in http.get("/", params={"lang": "en"}).text
    assert all(f"href='{link}'" in page for link, _ in LINKS)
    english = http.get("/", params={"lang": "en"}).text
    for key, href in EXAMPLES:  # the README's two worked questions; the illustrative one says so in both languages
        assert html.escape(href) in page and message(key).zh in page and html.escape(message(key).en) in english
    assert "示例" in message("landing.illustrative").zh and "not real facts" in message("landing.illustrative").en
    (dataset,) = json_ld_of(page, base_url)
    assert dataset["@type"] == "Dataset" and dataset["@context"] == "https://schema.org"
    assert dataset["@id"] == f"{base_url}/.well-known/void#dataset"
    assert {name["@language"] for name in dataset["name"]} == {"zh", "en"} and dataset["description"]
    assert dataset["license"] == f"{base_url}/api/v1/download/SOURCES.md"
    downloads = {d["contentUrl"]: d["encodingFormat"] for d in dataset["distribution"]}
    assert downloads[f"{base_url}/api/v1/download/graph.ttl"] == "text/turtle"
    for link in (*(href for href, _ in LINKS), *downloads):
        assert http.get(link).status_code == 200, link


def test_the_void_types_the_dataset_schema_dataset_too(http: httpx.Client, base_url: str) -> None:
    void = Graph().parse(data=http.get("/.well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle")
    node = URIRef(f"{base_url}/.well-known/void#dataset")
    assert (node, RDF.type, SCHEMA.Dataset) in void
    assert (node, SCHEMA.name, Literal(schemaorg.TITLE["zh"], lang="zh")) in void
    assert (node, SCHEMA.license, URIRef(f"{base_url}/api/v1/download/SOURCES.md")) in void
    assert len(list(void.objects(node, SCHEMA.distribution))) == 5
    # the landing page and the VoID say the same of the dataset (read with schema.org's terms, offline)
    (dataset,) = json_ld_of(http.get("/").text, base_url)
    landing = Graph().parse(
        data=jsonld.to_rdf({**dataset, "@context": schemaorg.LOCAL_CONTEXT}, {"format": "application/n-quads"}),
        format="nquads",
    )
    said = {(p, o) for _, p, o in landing.triples((node, None, None)) if not isinstance(o, BNode)}
    assert len(said) > 8 and said <= set(void.predicate_objects(node))


def test_an_entity_page_embeds_its_schema_org_credential(http: httpx.Client, base_url: str) -> None:
    page = http.get(f"/id/{CERTIFICATE}", headers={"Accept": "text/html"}).text
    (credential,) = json_ld_of(page, base_url)
    assert credential["@type"] == "EducationalOccupationalCredential" and credential["@id"] == f"{ID}{CERTIFICATE}"
    assert credential["description"].startswith("示例记录 / ILLUSTRATIVE")
    assert credential["credentialCategory"]["@type"] == "DefinedTerm"
    assert credential["educationalLevel"]["@id"] == f"{ID}grade/senior-technician"
    assert {n["@language"] for n in credential["educationalLevel"]["name"]} == {"zh", "en"}
    assert credential["provider"]["@id"] == f"{ID}organisation/hengfeng"
    assert credential["validIn"]["@type"] == "AdministrativeArea"
    occupation = credential["about"]
    assert occupation["@type"] == "Occupation" and occupation["occupationalCategory"]["codeValue"] == "6-04-02-01"


def test_recognised_by_comes_from_the_agreements(http: httpx.Client, base_url: str) -> None:
    """A Shandong issuer's certificate type is recognised by Jiangsu (IL-AG01, mutual) and Hebei (IL-AG02, one-way);
    Hebei's own certificates are recognised by no one (one-way stays one-way)."""
    page = http.get(f"/id/{CERTIFICATE}", headers={"Accept": "text/html"}).text
    (credential,) = json_ld_of(page, base_url)
    by = {party["@id"] for party in credential.get("recognizedBy", [])}
    assert {f"{ID}region/320000", f"{ID}region/130000"} <= by


@pytest.mark.parametrize(
    ("path", "kind"), [("occupation/6-04-02-01", "Occupation"), ("organisation/hengfeng", "Organization")]
)
def test_other_pages_embed_their_schema_org_type(http: httpx.Client, base_url: str, path: str, kind: str) -> None:
    (thing,) = json_ld_of(http.get(f"/id/{path}", headers={"Accept": "text/html"}).text, base_url)
    assert thing["@type"] == kind and thing["name"]
    if kind == "Occupation":
        assert thing["occupationalCategory"]["codeValue"] == "6-04-02-01"
