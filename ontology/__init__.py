"""The certbridge ontology: file locations and namespaces.

The lowest layer: it imports only the standard library and ``rdflib.namespace``. Every IRI the
code needs is built from the namespaces here, never written out as a string elsewhere.
"""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from rdflib.namespace import Namespace
from rdflib.term import URIRef


class CachedNamespace(Namespace):
    """A namespace that keeps the terms it made recently.

    Converting a national-scale table looks up the same few terms (``CB.issuedBy``, a grade, an
    issuer) millions of times, and rdflib builds and validates a new URIRef for every lookup.
    """

    @lru_cache(maxsize=16_384)  # noqa: B019 - the namespaces below live as long as the process
    def term(self, name: str) -> URIRef:
        return super().term(name)


_HERE = Path(str(files(__name__)))

ONTOLOGY_FILE = _HERE / "certbridge.ttl"
VOCABULARIES_FILE = _HERE / "vocabularies.ttl"
SHAPES_FILE = _HERE / "shapes.ttl"
CHECKS_DIR = _HERE / "checks"

#: Files that make up the ontology named graph (TBox plus controlled vocabularies).
ONTOLOGY_FILES = (ONTOLOGY_FILE, VOCABULARIES_FILE)

BASE = "https://w3id.org/certbridge/"
#: the JSON-LD context (generated from the ontology by certbridge.graph.formats.jsonld), served at this IRI's path
CONTEXT_FILE = _HERE / "context.jsonld"
CONTEXT_IRI = BASE + "ns/context.jsonld"
ONTOLOGY_IRI = BASE + "ontology"

CB = CachedNamespace(BASE + "ontology#")
ID = CachedNamespace(BASE + "id/")
VOC = CachedNamespace(BASE + "id/vocab/")
GRAPH = CachedNamespace(BASE + "graph/")

SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")

#: One prefix per kind of instance IRI, so that queries can write ``occ:6-04-02-01`` or ``cert:IL-CT-x``.
INSTANCE_PREFIXES: dict[str, str] = {
    "occ": "occupation/",
    "isco": "isco08/",
    "region": "region/",
    "grade": "grade/",
    "credential": "credential/",
    "framework": "framework/",
    "flevel": "framework-level/",
    "scheme": "scheme/",
    "std": "standard/",
    "organisation": "organisation/",
    "authorisation": "authorisation/",
    "sanction": "sanction/",
    "qcheck": "quality-check/",
    "cert": "certificate-type/",
    "agreement": "agreement/",
    "bridge": "bridge/",
    "alignment": "alignment/",
    "src": "source/",
    "doc": "document/",
}

#: SPARQL prefixes offered to every query and written into every export.
PREFIXES: dict[str, str] = {
    "cb": str(CB),
    "id": str(ID),
    **{name: str(ID) + path for name, path in INSTANCE_PREFIXES.items()},
    "voc": str(VOC),
    "cbg": str(GRAPH),
    "data": str(GRAPH) + "data/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": str(SCHEMA),
    "org": str(ORG),
    "foaf": "http://xmlns.com/foaf/0.1/",
}

__all__ = [
    "BASE",
    "CB",
    "CHECKS_DIR",
    "CONTEXT_FILE",
    "CONTEXT_IRI",
    "GRAPH",
    "ID",
    "INSTANCE_PREFIXES",
    "ONTOLOGY_FILE",
    "ONTOLOGY_FILES",
    "ONTOLOGY_IRI",
    "ORG",
    "PREFIXES",
    "SCHEMA",
    "SHAPES_FILE",
    "VOC",
    "VOCABULARIES_FILE",
]
