"""What the endpoint and its dataset are, as RDF: the SPARQL 1.1 Service Description and the VoID description (the
dataset typed schema:Dataset too, with schema.org's name, description, licence and downloads).

Both are built from pyoxigraph terms, never as text. The dataset part (VoID: triples per named graph, the bulk
downloads, the Graph Store address of each graph, licence, last change) is one function, used by the service
description (``GET /sparql`` without a query) and by ``/.well-known/void`` alike.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from certbridge.graph.export import EXPORT_FORMATS
from certbridge.graph.formats import schemaorg
from certbridge.graph.query import keep_carriage_returns
from certbridge.graph.store import AnyStore
from certbridge.ontology import CB, ID, PREFIXES

from .conventions import built_at
from .downloads import MEDIA as DOWNLOAD_TYPES
from .negotiation import GRAPHS, RESULTS, VARY, choose, media_type
from .state import state_of

router = APIRouter(tags=["sparql"])

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"
#: the W3C format registry's IRI where pyoxigraph 0.5 names a format otherwise (``.../ns/formats/data/JSON-LD``)
_REGISTERED_IRI: dict[ox.RdfFormat | ox.QueryResultsFormat, str] = {
    ox.RdfFormat.JSON_LD: "http://www.w3.org/ns/formats/JSON-LD"
}
_WRITTEN_PREFIXES = {**PREFIXES, "sd": SD, "void": VOID, "dcterms": DCTERMS}


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def _void(name: str) -> ox.NamedNode:
    return ox.NamedNode(VOID + name)


def _dcterms(name: str) -> ox.NamedNode:
    return ox.NamedNode(DCTERMS + name)


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def format_iri(fmt: ox.RdfFormat | ox.QueryResultsFormat) -> ox.NamedNode:
    """The IRI of a format in the W3C registry (http://www.w3.org/ns/formats/)."""
    return ox.NamedNode(_REGISTERED_IRI.get(fmt, fmt.iri))


def _text(zh: str, en: str) -> list[ox.Literal]:
    return [ox.Literal(zh, language="zh"), ox.Literal(en, language="en")]


def dataset_iri(request: Request) -> ox.NamedNode:
    return ox.NamedNode(f"{request.url_for('void')}#dataset")


def dataset_facts(request: Request) -> schemaorg.DatasetFacts:
    """What the schema.org Dataset says about the served store, with this server's addresses."""
    version = state_of(request.app).store.current_version()
    return schemaorg.DatasetFacts(
        iri=dataset_iri(request).value,
        url=str(request.url_for("landing")),
        license=str(request.url_for("sources")),
        downloads=[(str(request.url_for("graph", format=name)), DOWNLOAD_TYPES[name]) for name in EXPORT_FORMATS],
        modified=built_at(version) if version is not None else None,
    )


def _graph_counts(store: AnyStore) -> list[tuple[ox.NamedNode, int]]:
    """Triples per named graph (it reads every triple: seconds at national scale, so once per store version)."""
    counts = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    assert isinstance(counts, ox.QuerySolutions)
    return [(row["g"], int(row["n"].value)) for row in counts]


def dataset(request: Request) -> list[ox.Triple]:
    """The VoID description of the served store: one subset per named graph, with its triple count."""
    version = state_of(request.app).store.current_version()
    modified = built_at(version) if version is not None else None
    document = str(request.url_for("void"))
    node = dataset_iri(request)
    rows = state_of(request.app).per_version("void-graph-counts", _graph_counts)
    out = [
        ox.Triple(node, RDF_TYPE, _void("Dataset")),
        ox.Triple(node, RDF_TYPE, _sd("Dataset")),
        *(
            ox.Triple(node, _dcterms("title"), text)
            for text in _text(
                "certbridge：职业技能等级证书及其互认",
                "certbridge: vocational skill certificates and their recognition",
            )
        ),
        ox.Triple(node, _dcterms("license"), ox.NamedNode(str(request.url_for("sources")))),
        ox.Triple(node, _void("sparqlEndpoint"), ox.NamedNode(str(request.url_for("sparql_get")))),
        ox.Triple(node, _void("vocabulary"), ox.NamedNode(str(CB))),
        ox.Triple(node, _void("uriSpace"), ox.Literal(str(ID))),
        # the sum over the named graphs: a triple asserted in two graphs counts twice
        ox.Triple(node, _void("triples"), _integer(sum(n for _, n in rows))),
        *(
            ox.Triple(node, _void("dataDump"), ox.NamedNode(str(request.url_for("graph", format=name))))
            for name in EXPORT_FORMATS
        ),
        *(ox.Triple(node, _void("feature"), format_iri(fmt)) for fmt in GRAPHS),
    ]
    # the same node as a schema:Dataset, for search engines and web tools (the landing page embeds the same)
    out += schemaorg.as_triples(schemaorg.dataset(dataset_facts(request)))
    if modified is not None:
        out.append(
            ox.Triple(
                node, _dcterms("modified"), ox.Literal(modified.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
            )
        )
    default = ox.NamedNode(f"{document}#default-graph")
    out += [
        ox.Triple(node, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
        *(
            ox.Triple(default, _dcterms("description"), text)
            for text in _text("所有命名图之并集", "the union of all named graphs")
        ),
        ox.Triple(
            default,
            _void("dataDump"),
            ox.NamedNode(str(request.url_for("graph_store").include_query_params(default=""))),
        ),
    ]
    for position, (graph, count) in enumerate(rows, start=1):
        named = ox.NamedNode(f"{document}#named-graph-{position}")
        subset = ox.NamedNode(f"{document}#graph-{position}")
        dump = request.url_for("graph_store").include_query_params(graph=graph.value)
        out += [
            ox.Triple(node, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), graph),
            ox.Triple(named, _sd("graph"), subset),
            ox.Triple(node, _void("subset"), subset),
            ox.Triple(subset, RDF_TYPE, _sd("Graph")),
            ox.Triple(subset, RDF_TYPE, _void("Dataset")),
            ox.Triple(subset, _void("triples"), _integer(count)),
            ox.Triple(subset, _void("dataDump"), ox.NamedNode(str(dump))),
        ]
    return out


def service_description(request: Request, fmt: ox.RdfFormat) -> bytes:
    """The SPARQL 1.1 Service Description of the endpoint at this request's address, its dataset included."""
    endpoint = ox.NamedNode(str(request.url_for("sparql_get")))
    triples = [
        ox.Triple(endpoint, RDF_TYPE, _sd("Service")),
        ox.Triple(endpoint, _sd("endpoint"), endpoint),
        ox.Triple(endpoint, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(endpoint, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(endpoint, _sd("defaultDataset"), dataset_iri(request)),
        *(ox.Triple(endpoint, _sd("resultFormat"), format_iri(f)) for f in _FORMATS),
        *dataset(request),
    ]
    return _serialize(triples, fmt)


#: every format the endpoint answers in
_FORMATS: tuple[ox.RdfFormat | ox.QueryResultsFormat, ...] = (*RESULTS, *GRAPHS)


def _serialize(triples: list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    written = ox.serialize(triples, format=fmt, prefixes=_WRITTEN_PREFIXES)
    assert written is not None  # no output given: the document is returned
    return keep_carriage_returns(written, fmt)


@router.get(
    "/.well-known/void",
    name="void",
    response_class=Response,
    summary="The VoID description of the dataset: triples per named graph, bulk downloads, licence, last change",
    responses={
        200: {
            "content": {
                "text/turtle": {
                    "example": "<http://127.0.0.1:8000/.well-known/void#dataset> a void:Dataset ;\n"
                    "  void:triples 67000 ;"
                    "  void:dataDump <http://127.0.0.1:8000/api/v1/download/graph.nq> ; "
                    "void:subset <http://127.0.0.1:8000/.well-known/void#graph-1> .\n"
                    "<http://127.0.0.1:8000/.well-known/void#graph-1> void:triples 5000 .\n"
                },
                **{media_type(f): {} for f in GRAPHS[1:]},
            }
        }
    },
)
def void(request: Request) -> Response:
    chosen = choose(request.headers.get("accept"), GRAPHS)
    assert isinstance(chosen, ox.RdfFormat)
    return Response(_serialize(dataset(request), chosen), media_type=media_type(chosen), headers=VARY)
