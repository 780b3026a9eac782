"""Compact JSON-LD with certbridge's context (graph/formats/jsonld.py): the context is the ontology's, a framed entity
says exactly what the store says (expanded back by pyld, offline, and compared triple by triple), every framed kind
validates against its published JSON Schema, and the whole-graph export is the union of the graphs."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from helpers.data import Cli
from jsonschema import Draft202012Validator
from pyld import jsonld

from certbridge.graph.formats.jsonld import (
    KINDS,
    OPTIONS,
    build_context,
    context,
    description,
    framed,
    load_locally,
    schema,
)
from certbridge.graph.store import AnyStore, open_store
from certbridge.ontology import CONTEXT_FILE, CONTEXT_IRI, ID, PREFIXES

#: at most this many records of each kind are framed and checked (occupations number in the thousands)
PER_KIND = 25


def triples_of(document: Any) -> set[tuple[str, str, str]]:
    """A JSON-LD document's triples, by pyld with the offline loader, as N-Triples terms (no blank nodes here)."""
    nquads = jsonld.to_rdf(document, {**OPTIONS, "format": "application/n-quads"})
    parsed = ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS)
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in parsed}


def as_strings(triples: list[ox.Triple]) -> set[tuple[str, str, str]]:
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in triples}


def records(store: AnyStore, segment: str, limit: int = PER_KIND) -> list[str]:
    answer = store.query(
        f"SELECT DISTINCT ?x WHERE {{ ?x ?p ?o FILTER STRSTARTS(STR(?x), {json.dumps(f'{ID}{segment}/')}) }} "
        f"ORDER BY ?x LIMIT {limit}",
        use_default_graph_as_union=True,
    )
    return [row["x"].value for row in answer]


@pytest.fixture(scope="module")
def store(real_store: Path) -> AnyStore:
    return open_store(real_store)


@pytest.fixture(scope="module")
def samples(store: AnyStore) -> dict[str, list[str]]:
    found = {segment: records(store, segment) for segment in KINDS}
    assert all(found.values()), {segment: len(iris) for segment, iris in found.items()}
    return found


def every_sample(samples: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    for segment, iris in samples.items():
        for iri in iris:
            yield segment, iri


def test_the_shipped_context_is_the_ontology_s() -> None:
    """Regenerate with ``python -m certbridge.graph.formats.jsonld`` when the ontology changes."""
    assert json.loads(CONTEXT_FILE.read_text(encoding="utf-8")) == build_context() == context()


def test_the_context_names_every_term_the_records_use(store: AnyStore) -> None:
    """Every predicate and class of an instance record has a term, so a compact form never falls back to an IRI."""
    used = store.query(
        f"""SELECT DISTINCT ?term WHERE {{ {{ ?x ?term ?o FILTER (?term != rdf:type) }} UNION {{ ?x a ?term }}
             FILTER STRSTARTS(STR(?x), "{ID}") }}""",
        use_default_graph_as_union=True,
        prefixes=PREFIXES,
    )
    ctx = context()["@context"]
    named: set[str] = set()
    for term, definition in ctx.items():
        if term.startswith("@"):
            continue
        curie = definition if isinstance(definition, str) else definition.get("@id", "")
        prefix, _, local = curie.partition(":")
        if prefix in ctx and isinstance(ctx[prefix], str):
            named.add(ctx[prefix] + local)
    missing = sorted(row["term"].value for row in used if row["term"].value not in named)
    # classes of other vocabularies that reasoning adds (prov:Entity, skos:Concept ...) compact to prefixed names
    assert [iri for iri in missing if iri.startswith(PREFIXES["cb"])] == []
    assert len(named) > 120


def test_a_framed_record_says_exactly_what_the_store_says(store: AnyStore, samples: dict[str, list[str]]) -> None:
    """The differential test: pyld expands the framed document back into triples, and they are the node's own
    statements (asked of the store here, independently) plus the names and marks of the nodes it links to."""
    checked = 0
    for _segment, iri in every_sample(samples):
        document = framed(store, iri)
        assert document is not None, iri
        assert document["@context"] == CONTEXT_IRI and document["@id"] == iri
        back = triples_of(document)
        assert back == as_strings(description(store, iri)), iri
        own = store.query(
            "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }",
            use_default_graph_as_union=True,
            substitutions={ox.Variable("x"): ox.NamedNode(iri)},
        )
        assert {t for t in back if t[0] == f"<{iri}>"} == as_strings(list(own)), iri
        checked += 1
    assert checked >= len(KINDS) * 2


def test_a_framed_certificate_type_reads_as_json(store: AnyStore, samples: dict[str, list[str]]) -> None:
    certificate = next(iri for iri in samples["certificate-type"] if "/IL-CT-" in iri)
    document = framed(store, certificate)
    assert document is not None
    assert "CertificateType" in document["type"]
    assert document["name"]["zh"] and document["name"]["en"]
    assert document["illustrative"] is True  # an illustrative record stays marked
    assert "（示例）" in document["name"]["zh"]
    occupation = document["certifiesOccupation"]
    assert occupation["@id"].startswith(f"{ID}occupation/") and occupation["name"]["zh"]
    assert occupation["notation"] == occupation["@id"].rsplit("/", 1)[-1]
    assert document["issuedBy"]["name"]["zh"] and document["atGrade"]["name"]["en"]


@pytest.mark.parametrize("segment", list(KINDS))
def test_every_framed_kind_validates_against_its_schema(
    store: AnyStore, samples: dict[str, list[str]], segment: str
) -> None:
    validator = Draft202012Validator(schema(KINDS[segment]))
    Draft202012Validator.check_schema(validator.schema)
    for iri in samples[segment]:
        document = framed(store, iri)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == [], (iri, errors[:5])


def test_the_schemas_can_fail(store: AnyStore, samples: dict[str, list[str]]) -> None:
    validator = Draft202012Validator(schema(KINDS["certificate-type"]))
    document = framed(store, samples["certificate-type"][0])
    assert document is not None
    broken = {key: value for key, value in document.items() if key != "issuedBy"}
    broken["cb:madeUp"] = "x"  # a statement the context has no term for
    broken["name"] = {"zh": 1}
    assert len(list(validator.iter_errors(broken))) == 3
    assert list(validator.iter_errors({**document, "@id": f"{ID}occupation/1"}))  # not a certificate type's IRI


def test_nothing_is_fetched(store: AnyStore, samples: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The context comes from the package: framing and expanding work with every socket refused."""
    with pytest.raises(jsonld.JsonLdError):
        load_locally("https://schema.org/")

    def refused(*args: object, **kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "socket", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    document = framed(store, samples["organisation"][0])
    assert document is not None and triples_of(document)


def test_the_export_is_the_union_of_the_graphs(cli: Cli, mini_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.jsonld"
    assert cli("export", "--store", mini_store, "--format", "jsonld", "-o", out).exit_code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["@context"] == context()["@context"]  # inline: the file reads offline
    nodes = document["@graph"]
    assert len({node["@id"] for node in nodes}) == len(nodes)  # one node per subject
    store = open_store(mini_store)
    union = store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    expected = {(str(r["s"]), str(r["p"]), str(r["o"])) for r in union}
    back = triples_of(document)
    named = lambda triples: {t for t in triples if not t[0].startswith("_:") and not t[2].startswith("_:")}  # noqa: E731
    assert named(back) == named(expected)
    assert len(back) == len(expected)  # the blank nodes (the ontology's lists) are all there too
    certificate = next(node for node in nodes if node["@id"].endswith("IL-CT-hengfeng-spinner-senior-technician"))
    assert certificate["issuedBy"] == f"{ID}organisation/hengfeng" and certificate["illustrative"] is True


def test_the_export_keeps_values_its_terms_cannot_hold() -> None:
    """The whole-graph writer compacts by the context's terms itself; a value of another kind than its term's (a
    date under a language map, text under a link, a URL that is not xsd:anyURI) goes under a prefixed name, and
    native JSON only where the lexical form is canonical: pyld's expansion gives back every triple."""
    from io import BytesIO

    from certbridge.graph.formats.jsonld import export_jsonld

    xsd, cb, skos = PREFIXES["xsd"], PREFIXES["cb"], PREFIXES["skos"]
    node, other, graph = ox.NamedNode(f"{ID}x/1"), ox.BlankNode("b1"), ox.NamedNode("urn:graph")
    odd = [
        (f"{skos}prefLabel", ox.Literal("2020", datatype=ox.NamedNode(f"{xsd}gYear"))),
        (f"{skos}prefLabel", ox.Literal("无语言")),
        (f"{skos}prefLabel", ox.Literal("名", language="zh")),
        (f"{skos}prefLabel", ox.NamedNode(f"{ID}y")),
        (f"{cb}issuedBy", ox.Literal("not a link")),
        (f"{cb}issuedBy", other),
        ("https://schema.org/url", ox.Literal("http://example.org/a", datatype=ox.NamedNode(f"{xsd}anyURI"))),
        ("https://schema.org/url", ox.Literal("http://example.org/b")),
        (f"{cb}rank", ox.Literal("007", datatype=ox.NamedNode(f"{xsd}integer"))),
        (f"{cb}rank", ox.Literal("7", datatype=ox.NamedNode(f"{xsd}integer"))),
        (f"{cb}illustrative", ox.Literal("1", datatype=ox.NamedNode(f"{xsd}boolean"))),
        ("http://example.org/no-prefix#p", ox.Literal("x", language="en")),
        (PREFIXES["rdf"] + "type", ox.NamedNode("http://example.org/Thing")),
    ]
    store = ox.Store()
    for predicate, value in odd:
        store.add(ox.Quad(node, ox.NamedNode(predicate), value, graph))
    store.add(ox.Quad(other, ox.NamedNode(f"{skos}prefLabel"), ox.Literal("b", language="en"), graph))
    out = BytesIO()
    export_jsonld(store, out)
    document = json.loads(out.getvalue())
    back = jsonld.to_rdf(document, {"format": "application/n-quads"})
    parsed = {(str(q.subject), str(q.predicate), str(q.object)) for q in ox.parse(back.encode(), ox.RdfFormat.N_QUADS)}
    stored = {(str(q.subject), str(q.predicate), str(q.object)) for q in store}  # as the store keeps them
    link = f"<{cb}issuedBy>"
    named = {t for t in stored if not t[0].startswith("_:") and not (t[1] == link and t[2].startswith("_:"))}
    assert named <= parsed and len(parsed) == len(stored)  # the store keeps "007" and "7" as one integer
    assert any(t[1] == link and t[2].startswith("_:") for t in parsed)
    keys = set(document["@graph"][-1]) | set(document["@graph"][0])
    assert {"skos:prefLabel", "cb:issuedBy", "schema:url", "http://example.org/no-prefix#p"} <= keys
