"""Ids and search text never change a query's meaning: they reach the store as bindings or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from helpers.serving import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbridge.api.settings import Settings
from certbridge.graph.describe import describe
from certbridge.graph.neighbourhood import neighbourhood
from certbridge.graph.store import open_store
from certbridge.ontology import ID

KNOWN = "hengfeng"  # an issuer of the mini data
HOSTILE = [
    f"{KNOWN}> ?p ?o }} UNION {{ ?s ?p ?o",
    f"{KNOWN}>}} ; DROP ALL ; #",
    f'{KNOWN}" ) }} SELECT * WHERE {{ ?s ?p ?o',
    f"{KNOWN}\n}} UNION {{ ?s ?p ?o }}",
    f"{KNOWN}' OR '1'='1",
    "{}",
    ">",
    "SELECT * WHERE { ?s ?p ?o }",
    f"{KNOWN}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    f"{KNOWN}%3E%20%3Fp%20%3Fo",
    f"{KNOWN}\\u003E ?p ?o",
]


@pytest.fixture(scope="module")
def http(mini_store: Path) -> Iterator[httpx.Client]:
    with serving(Settings(mini_store)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_the_known_issuer_is_found(http: httpx.Client) -> None:
    """The control: the plain id answers, so a 404 below means the hostile text was not let through."""
    assert http.get(f"/api/v1/issuers/{KNOWN}").status_code == 200


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_ids_are_unknown_entities(http: httpx.Client, text: str) -> None:
    path = quote(text, safe="")
    for url in (f"/api/v1/issuers/{path}", f"/id/organisation/{path}"):
        response = http.get(url, headers={"Accept": "text/turtle"})
        assert response.status_code == 404, (url, response.status_code, response.text[:200])
    response = http.get("/api/v1/neighbourhood", params={"id": f"organisation/{text}"})
    assert response.status_code == 404
    response = http.get("/api/v1/routes", params={"from": text, "to": "IL-CT-js-hrss-spinner-senior-technician"})
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_search_text_matches_nothing(http: httpx.Client, text: str) -> None:
    response = http.get("/api/v1/search", params={"q": text})
    assert response.status_code == 200 and response.json()["results"] == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.lists(st.sampled_from([*"<>{}\"'\\ \n\t#;?.*|^`", " UNION ", "SELECT", "DROP ALL"])).map("".join))
def test_describe_only_answers_for_the_exact_iri(mini_store: Path, suffix: str) -> None:
    store = open_store(mini_store)
    iri = f"{ID}organisation/{KNOWN}{suffix}"
    exact = suffix == ""
    assert (describe(store, iri) is not None) == exact
    assert (neighbourhood(store, iri) is not None) == exact
