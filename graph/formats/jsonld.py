"""Compact JSON-LD with certbridge's published context, so a consumer reads ``"name": {"zh": …, "en": …}`` and
``"issuedBy": {"@id": …, "name": …}`` instead of expanded triples.

The context (ontology/context.jsonld, served at /ns/context.jsonld) is generated from the ontology: every cb: class
and property is a term of its own name (object properties take IRIs), the labels and texts the data writes in
several languages are language maps, and the outside vocabularies the data uses keep their usual names. A test keeps
the shipped file equal to :func:`build_context`; regenerate it with ``python -m certbridge.graph.formats.jsonld``.

One entity is framed with pyld: its own statements, with each node it links to embedded with that node's labels
(and illustrative or synthetic marks), so an answer can be read without a second request. The whole graph is a
``@graph`` of compact nodes, one per subject, links left as IRIs (every node is in the document), with the context
written inline so that the file reads offline; it is written from the context's terms directly, as pyld's compaction
took ten times as long, and the tests expand it with pyld and compare it with the store. pyld is given a document
loader that knows only the context: nothing is ever fetched from the network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

import pyoxigraph as ox
from pyld import jsonld
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from certbridge.ontology import BASE, CB, CONTEXT_FILE, CONTEXT_IRI, ID, ONTOLOGY_FILE, PREFIXES

from ..query import as_solutions, as_triples, named_node
from ..store import AnyStore

#: the vocabularies whose prefixes the context declares (no instance prefixes: an @id would be shortened by them)
VOCABULARY_PREFIXES = ("cb", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "schema", "org", "foaf")
#: terms of outside vocabularies: name -> (IRI as prefix:name, kind) where kind is "iri", "text" (a language map),
#: "anyURI" (an xsd:anyURI literal, written as a plain string) or "value" (literals as they come)
OUTSIDE_TERMS: dict[str, tuple[str, str]] = {
    "name": ("skos:prefLabel", "text"),
    "label": ("rdfs:label", "text"),
    "altName": ("skos:altLabel", "text"),
    "comment": ("rdfs:comment", "text"),
    "definition": ("skos:definition", "text"),
    "scopeNote": ("skos:scopeNote", "text"),
    "title": ("dcterms:title", "text"),
    "description": ("dcterms:description", "text"),
    "notation": ("skos:notation", "value"),
    "broader": ("skos:broader", "iri"),
    "narrower": ("skos:narrower", "iri"),
    "broaderTransitive": ("skos:broaderTransitive", "iri"),
    "narrowerTransitive": ("skos:narrowerTransitive", "iri"),
    "hasTopConcept": ("skos:hasTopConcept", "iri"),
    "inScheme": ("skos:inScheme", "iri"),
    "topConceptOf": ("skos:topConceptOf", "iri"),
    "exactMatch": ("skos:exactMatch", "iri"),
    "closeMatch": ("skos:closeMatch", "iri"),
    "broadMatch": ("skos:broadMatch", "iri"),
    "narrowMatch": ("skos:narrowMatch", "iri"),
    "relatedMatch": ("skos:relatedMatch", "iri"),
    "source": ("dcterms:source", "iri"),
    "publisher": ("dcterms:publisher", "value"),
    "contributor": ("dcterms:contributor", "value"),
    "issued": ("dcterms:issued", "value"),
    "date": ("dcterms:date", "value"),
    "identifier": ("dcterms:identifier", "value"),
    "bibliographicCitation": ("dcterms:bibliographicCitation", "value"),
    "spatial": ("dcterms:spatial", "value"),
    "extent": ("dcterms:extent", "value"),
    "documentType": ("dcterms:type", "value"),
    "wasDerivedFrom": ("prov:wasDerivedFrom", "iri"),
    "wasGeneratedBy": ("prov:wasGeneratedBy", "iri"),
    "used": ("prov:used", "iri"),
    "endedAtTime": ("prov:endedAtTime", "value"),
    "url": ("schema:url", "anyURI"),
    "foundingDate": ("schema:foundingDate", "value"),
    "sameAs": ("owl:sameAs", "iri"),
}
#: cb: datatype properties whose values the converters write with a language tag
TEXT_PROPERTIES = ("certifiesJobType", "condition", "issuingAuthorityText", "nameTranslatedInto", "scopeText")
#: what an embedded (linked) node brings along: its names and whether it is a made-up record
EMBEDDED = ("skos:prefLabel", "rdfs:label", "dcterms:title", "skos:notation", "cb:illustrative", "cb:synthetic")


def _expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return PREFIXES[prefix] + local


def build_context() -> dict[str, Any]:
    """The JSON-LD context, made from the ontology's terms and :data:`OUTSIDE_TERMS`."""
    ontology = Graph().parse(ONTOLOGY_FILE, format="turtle")
    terms: dict[str, Any] = {"@version": 1.1, "type": "@type"}
    terms.update({prefix: PREFIXES[prefix] for prefix in VOCABULARY_PREFIXES})
    entries: dict[str, Any] = {}
    for name, (curie, kind) in OUTSIDE_TERMS.items():
        entries[name] = _entry(curie, kind)
    namespace = str(CB)
    declared = (
        (OWL.Class, "class"),
        (OWL.ObjectProperty, "iri"),
        (OWL.DatatypeProperty, "value"),
        (OWL.AnnotationProperty, "value"),
    )
    for owl_type, kind in declared:
        for term in sorted(ontology.subjects(RDF.type, owl_type), key=str):
            iri = str(term)
            if not iri.startswith(namespace):
                continue
            local = iri[len(namespace) :]
            if local in entries:
                raise ValueError(f"two terms named {local!r} in the JSON-LD context")
            entries[local] = _entry(f"cb:{local}", "text" if local in TEXT_PROPERTIES else kind)
    terms.update(dict(sorted(entries.items(), key=lambda item: item[0].casefold())))
    return {"@context": terms}


def _entry(curie: str, kind: str) -> str | dict[str, str]:
    if kind == "iri":
        return {"@id": curie, "@type": "@id"}
    if kind == "text":
        return {"@id": curie, "@container": "@language"}
    if kind == "anyURI":
        return {"@id": curie, "@type": "xsd:anyURI"}
    return curie


@lru_cache(maxsize=1)
def context() -> dict[str, Any]:
    """The shipped context document (``{"@context": {...}}``), read once."""
    document: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return document


def load_locally(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: certbridge's context from the package; any other document is refused, not fetched."""
    if url == CONTEXT_IRI:
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": context()}
    raise jsonld.JsonLdError(
        f"certbridge fetches no documents from the network; {url} is not its context",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


OPTIONS: dict[str, Any] = {"documentLoader": load_locally}


@dataclass(frozen=True)
class Kind:
    """A kind of entity with a frame and a JSON Schema of its own: its IRIs' first path segment and its class."""

    segment: str
    type: str
    zh: str
    en: str
    #: the links every entity of the kind has, each embedded as a node with its names (a source with none: its IRI)
    links: tuple[str, ...] = ()
    #: the plain values every entity of the kind has
    values: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    kind.segment: kind
    for kind in (
        Kind(
            "certificate-type",
            "CertificateType",
            "证书类型",
            "certificate type",
            ("issuedBy", "certifiesOccupation", "atGrade", "source"),
        ),
        Kind(
            "occupation", "ClassificationNode", "职业分类节点", "occupation or occupation group", values=("notation",)
        ),
        Kind("organisation", "Organisation", "组织", "organisation", ("source",)),
        Kind("agreement", "RecognitionAgreement", "互认协议", "recognition agreement", ("direction", "source")),
        Kind("standard", "SkillStandard", "职业技能标准", "skill standard", ("source",)),
        Kind("source", "Source", "来源", "source"),
    )
}


def kind_of(iri: str) -> Kind | None:
    """The kind of an instance IRI, by its first path segment; None for the kinds without a frame of their own."""
    return KINDS.get(iri.removeprefix(str(ID)).partition("/")[0]) if iri.startswith(str(ID)) else None


_DESCRIPTION = f"""
CONSTRUCT {{ ?x ?p ?o . ?o ?lp ?lo }} WHERE {{
  ?x ?p ?o .
  OPTIONAL {{ FILTER (?p != rdf:type && isIRI(?o)) ?o ?lp ?lo FILTER (?lp IN ({", ".join(EMBEDDED)})) }}
}}"""


def description(store: AnyStore, iri: str) -> list[ox.Triple]:
    """What the framed form of *iri* says: its statements, and the names and marks of each node it links to."""
    node = named_node(iri)
    if node is None:
        return []
    answer = store.query(
        _DESCRIPTION, use_default_graph_as_union=True, substitutions={ox.Variable("x"): node}, prefixes=PREFIXES
    )
    return list(as_triples(answer))


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"type": "literal", "value": term.value, "language": term.language}
        return {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    raise TypeError(f"RDF-star triples have no JSON-LD 1.1 form: {term}")


def expanded(triples: Iterable[ox.Triple]) -> list[dict[str, Any]]:
    """Triples as expanded JSON-LD, by pyld (booleans and integers as JSON values)."""
    dataset = {
        "@default": [
            {"subject": _term(t.subject), "predicate": _term(t.predicate), "object": _term(t.object)} for t in triples
        ]
    }
    expanded: list[dict[str, Any]] = jsonld.from_rdf(dataset, {"useNativeTypes": True})
    return expanded


def frame_of(iri: str, kind: Kind | None) -> dict[str, Any]:
    """The frame of one entity: the node itself (of its kind's class), every node it links to embedded in it."""
    frame: dict[str, Any] = {"@context": CONTEXT_IRI, "@id": iri, "@embed": "@always"}
    if kind is not None:
        frame["@type"] = kind.type
        frame["@requireAll"] = True  # else pyld matches on @id alone and never looks at @type
    return frame


def framed(store: AnyStore, iri: str) -> dict[str, Any] | None:
    """The compact, framed JSON-LD of the entity *iri* (``"@context"`` the published context); None when unknown.

    A node whose IRI names a kind but which lacks that kind's class is framed by its IRI alone."""
    triples = description(store, iri)
    if not triples:
        return None
    nodes = expanded(triples)
    kind = kind_of(iri)
    for attempt in dict.fromkeys((kind, None)):
        document = jsonld.frame(nodes, frame_of(iri, attempt), {**OPTIONS, "omitGraph": True})
        graph = document.pop("@graph", None)
        if graph:
            return {**document, **graph[0]}
        if "@id" in document:  # the one node matched, merged with the context (omitGraph)
            framed: dict[str, Any] = document
            return framed
    return None


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = PREFIXES["xsd"]


@dataclass(frozen=True)
class _Terms:
    """The context read backwards, for writing compact nodes: IRI -> (term, coercion) and the prefixes."""

    by_iri: dict[str, tuple[str, str | None]]  #: coercion: "@id", "@language" (a language map), a datatype, None
    prefixes: tuple[tuple[str, str], ...]  #: (prefix, namespace), the longest namespace first

    @classmethod
    def of(cls, ctx: dict[str, Any]) -> _Terms:
        prefixes = tuple(
            sorted(
                ((name, value) for name, value in ctx.items() if isinstance(value, str) and value.endswith(("#", "/"))),
                key=lambda item: -len(item[1]),
            )
        )
        spaces = dict(prefixes)

        def full(curie: str) -> str:
            prefix, _, local = curie.partition(":")
            return spaces[prefix] + local if prefix in spaces else curie

        by_iri: dict[str, tuple[str, str | None]] = {}
        for name, value in ctx.items():
            if name.startswith("@") or name in spaces or name == "type":
                continue
            if isinstance(value, str):
                by_iri[full(value)] = (name, None)
            else:
                coercion = "@language" if value.get("@container") == "@language" else value.get("@type")
                by_iri[full(value["@id"])] = (name, full(coercion) if coercion and ":" in coercion else coercion)
        return cls(by_iri, prefixes)

    def vocab(self, iri: str) -> str:
        """An IRI as a term, else a prefixed name, else itself (what compaction does for a key or a type)."""
        if iri in self.by_iri and self.by_iri[iri][1] is None:
            return self.by_iri[iri][0]
        for prefix, space in self.prefixes:
            local = iri[len(space) :]
            if iri.startswith(space) and local and ":" not in local and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
        return iri


def _reference(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _value(term: Any, terms: _Terms) -> Any:
    """An object as an expanded-but-short value: a node reference, a native boolean or integer, a plain string, or a
    value object (with its language, or its datatype)."""
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return {"@id": _reference(term)}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    datatype = term.datatype.value
    if datatype == XSD + "string":
        return term.value
    if datatype == XSD + "boolean" and term.value in ("true", "false"):
        return term.value == "true"
    if datatype == XSD + "integer" and re.fullmatch(r"-?[1-9][0-9]*|0", term.value):
        return int(term.value)
    return {"@value": term.value, "@type": terms.vocab(datatype)}


def _compact_node(subject: Any, statements: list[tuple[str, Any]], terms: _Terms) -> dict[str, Any]:
    """One subject's statements as a compact node object under the context (links left as IRIs)."""
    node: dict[str, Any] = {"@id": _reference(subject)}
    types = [
        terms.vocab(obj.value)
        for predicate, obj in statements
        if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode)
    ]
    if types:
        node["type"] = types[0] if len(types) == 1 else sorted(types)
    values: dict[str, list[Any]] = {}
    maps: dict[str, dict[str, list[str]]] = {}
    for predicate, obj in statements:
        if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
            continue
        name, coercion = terms.by_iri.get(predicate, (None, None))
        if name is not None and coercion == "@id" and isinstance(obj, ox.NamedNode | ox.BlankNode):
            values.setdefault(name, []).append(_reference(obj))
        elif name is not None and coercion == "@language" and isinstance(obj, ox.Literal):
            if obj.language or obj.datatype.value == XSD + "string":
                maps.setdefault(name, {}).setdefault(obj.language or "@none", []).append(obj.value)
            else:
                values.setdefault(_fallback(predicate, terms), []).append(_value(obj, terms))
        elif name is not None and coercion not in ("@id", "@language") and isinstance(obj, ox.Literal):
            if coercion is None:
                values.setdefault(name, []).append(_value(obj, terms))
            elif obj.datatype.value == coercion and not obj.language:
                values.setdefault(name, []).append(obj.value)
            else:
                values.setdefault(_fallback(predicate, terms), []).append(_value(obj, terms))
        elif name is not None and coercion is None:
            values.setdefault(name, []).append(_value(obj, terms))
        else:
            values.setdefault(_fallback(predicate, terms), []).append(_value(obj, terms))
    for name, languages in maps.items():
        node[name] = {lang: texts[0] if len(texts) == 1 else sorted(texts) for lang, texts in sorted(languages.items())}
    for name, items in values.items():
        node[name] = items[0] if len(items) == 1 else items
    return node


def _fallback(predicate: str, terms: _Terms) -> str:
    """The key of a statement its term cannot hold (the value is not of the term's kind): a prefixed name or the IRI,
    which no term claims with a coercion, so the value keeps its own kind."""
    for prefix, space in terms.prefixes:
        local = predicate[len(space) :]
        if predicate.startswith(space) and local and not any(c in local for c in ":/#"):
            return f"{prefix}:{local}"
    return predicate


def compacted(triples: Iterable[ox.Triple]) -> list[dict[str, Any]]:
    """Triples as compact JSON-LD nodes under the context (one per subject, in IRI order, links as IRIs).

    Written from the context's terms directly (pyld's compaction took ten times as long on the real data); the
    tests expand the result with pyld and compare it with the store, triple by triple."""
    terms = _Terms.of(context()["@context"])
    by_subject: dict[Any, list[tuple[str, Any]]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append((triple.predicate.value, triple.object))
    return [
        _compact_node(subject, statements, terms)
        for subject, statements in sorted(by_subject.items(), key=lambda item: str(item[0]))
    ]


def export_jsonld(store: AnyStore, output: BinaryIO) -> None:
    """Write the whole graph as ``{"@context": {...}, "@graph": [...]}``, a node per subject, the context inline.

    The union's triples are grouped by subject in memory (a sorted query took longer than the rest of the export);
    the Turtle and N-Triples exports stream, for a graph too large for that."""
    head = json.dumps(context(), ensure_ascii=False, indent=1)
    output.write(head[: head.rindex("}")].rstrip().encode() + b',\n"@graph": [\n')
    rows = as_solutions(store.query("SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"))
    nodes = compacted(ox.Triple(row["s"], row["p"], row["o"]) for row in rows)
    for position, node in enumerate(nodes):
        output.write((b",\n" if position else b"") + json.dumps(node, ensure_ascii=False).encode())
    output.write(b"\n]}\n")


# --- JSON Schemas of the framed kinds ---

_TEXT = {
    "description": "a language map: language tag -> text (or texts); @none for text without a language",
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": "^([a-z]{2,3}(-[A-Za-z0-9]+)*|@none)$"},
    "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}
_NODE = {
    "description": "a linked node, embedded with its names",
    "type": "object",
    "required": ["@id"],
    "properties": {"@id": {"type": "string", "pattern": "^https?://"}, "name": {"$ref": "#/$defs/text"}},
}


def _one_or_more(ref: str) -> dict[str, Any]:
    return {"anyOf": [{"$ref": ref}, {"type": "array", "minItems": 1, "items": {"$ref": ref}}]}


def schema(kind: Kind) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the framed JSON-LD of one kind of entity.

    Only the context's terms may appear as keys, so a statement the context has no term for (which compaction would
    write as a prefixed name or a full IRI) fails it."""
    terms = sorted(term for term in context()["@context"] if not term.startswith("@"))
    linked = {name: _one_or_more("#/$defs/node" if name != "source" else "#/$defs/reference") for name in kind.links}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE}schemas/{kind.segment}.json",
        "title": f"{kind.zh} / {kind.en} (JSON-LD)",
        "description": f"certbridge 的{kind.zh}（框架化 JSON-LD）/ a certbridge {kind.en} as framed JSON-LD, "
        f"with the context {CONTEXT_IRI}",
        "type": "object",
        "required": ["@context", "@id", "type", *kind.links, *kind.values],
        "properties": {
            "@context": {"const": CONTEXT_IRI},
            "@id": {"type": "string", "pattern": f"^{ID}{kind.segment}/"},
            "type": {"anyOf": [{"const": kind.type}, {"type": "array", "contains": {"const": kind.type}}]},
            "name": {"$ref": "#/$defs/text"},
            "label": {"$ref": "#/$defs/text"},
            "illustrative": {"type": "boolean"},
            "synthetic": {"type": "boolean"},
            "notation": {"type": "string"},
            **linked,
        },
        "propertyNames": {"enum": ["@context", "@id", *terms]},
        "$defs": {
            "text": _TEXT,
            "node": _NODE,
            "reference": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "string", "pattern": "^https?://"}]},
        },
    }


def main() -> None:
    """Write ontology/context.jsonld from the ontology."""
    CONTEXT_FILE.write_text(json.dumps(build_context(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
