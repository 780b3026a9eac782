"""The 2022 occupational classification and the ISCO-08 groups as two SKOS concept schemes, for classification tools.

The store already holds most of it (inScheme, broader, notation, labels); a SKOS tool also wants every concept typed
skos:Concept, hasTopConcept and narrower spelled out, and the scheme labelled with skos:prefLabel. Labels are copied
as the data has them: the 大典 names are Chinese only and the ISCO-08 titles English only, and neither is translated.
"""

from __future__ import annotations

from typing import BinaryIO

import pyoxigraph as ox

from certbridge.ontology import PREFIXES

from .. import iris
from ..convert.classification import ISCO_SCHEME, OCCUPATION_SCHEME
from ..query import as_triples
from ..store import AnyStore

#: the concept schemes exported, each with the named graph of the table it is converted from
SCHEMES = {OCCUPATION_SCHEME: iris.named_graph("occupations"), ISCO_SCHEME: iris.named_graph("isco08_groups")}

_CONSTRUCT = """
CONSTRUCT {
  ?scheme a skos:ConceptScheme ; skos:prefLabel ?schemeLabel ; skos:hasTopConcept ?top .
  ?top skos:topConceptOf ?scheme .
  ?concept a skos:Concept ; skos:inScheme ?scheme ; skos:notation ?notation ; skos:prefLabel ?label ;
    skos:broader ?broader ; skos:exactMatch ?match .
  ?broader skos:narrower ?concept .
}
WHERE {
  GRAPH <%(graph)s> {
    { <%(scheme)s> a skos:ConceptScheme ; rdfs:label ?schemeLabel . BIND(<%(scheme)s> AS ?scheme) }
    UNION { ?top skos:topConceptOf <%(scheme)s> . BIND(<%(scheme)s> AS ?scheme) }
    UNION {
      ?concept skos:inScheme <%(scheme)s> . BIND(<%(scheme)s> AS ?scheme)
      { ?concept skos:notation ?notation } UNION { ?concept skos:prefLabel ?label }
      UNION { ?concept skos:broader ?broader } UNION { ?concept skos:exactMatch ?match }
    }
  }
}
"""

_PREFIXES = {name: PREFIXES[name] for name in ("skos", "rdfs", "occ", "isco", "scheme")}


def export_skos(store: AnyStore, output: BinaryIO) -> None:
    """Write both schemes as one Turtle document (prefixes once, subjects grouped), each read from its table's graph."""
    triples: list[ox.Triple] = []
    for scheme_key, graph in SCHEMES.items():
        query = _CONSTRUCT % {"graph": graph, "scheme": iris.scheme(scheme_key)}
        triples.extend(as_triples(store.query(query, prefixes=PREFIXES)))
    triples.sort(key=lambda triple: (str(triple.subject), str(triple.predicate), str(triple.object)))
    ox.serialize(triples, output, ox.RdfFormat.TURTLE, prefixes=_PREFIXES)
