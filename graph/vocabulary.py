"""The names of the controlled vocabularies' concepts (hop kinds, condition kinds ...), read from the ontology.

One source for each name: the labels in ``ontology/vocabularies.ttl``, which the graph, its exports, the route
text and the views all show. The file is read on first use, not on import, so that the command line's help stays
fast.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import pyoxigraph as ox
from rdflib.namespace import SKOS

from certbridge.ontology import ONTOLOGY_FILE, VOC, VOCABULARIES_FILE

from .choices import HopKind

_IN_SCHEME, _NOTATION, _PREF_LABEL = (
    ox.NamedNode(str(term)) for term in (SKOS.inScheme, SKOS.notation, SKOS.prefLabel)
)


@functools.cache
def concept_names(scheme: str) -> dict[str, tuple[str, str]]:
    """notation -> (Chinese, English) preferred label of each concept of the scheme ``voc:<scheme>``.

    >>> concept_names("direction")["one-way"]
    ('单向认可', 'one-way')
    """
    members: set[ox.NamedNode | ox.BlankNode] = set()
    notation: dict[ox.NamedNode | ox.BlankNode, str] = {}
    labels: dict[ox.NamedNode | ox.BlankNode, dict[str, str]] = defaultdict(dict)
    wanted = ox.NamedNode(str(VOC[scheme]))
    for quad in ox.parse(path=VOCABULARIES_FILE, format=ox.RdfFormat.TURTLE):
        subject, predicate, value = quad.subject, quad.predicate, quad.object
        if isinstance(subject, ox.Triple):
            continue
        if predicate == _IN_SCHEME and value == wanted:
            members.add(subject)
        elif predicate == _NOTATION and isinstance(value, ox.Literal):
            notation[subject] = value.value
        elif predicate == _PREF_LABEL and isinstance(value, ox.Literal) and value.language in ("zh", "en"):
            labels[subject][value.language] = value.value
    return {notation[concept]: (labels[concept]["zh"], labels[concept]["en"]) for concept in members}


def hop_kind_name(kind: HopKind) -> tuple[str, str]:
    """The (Chinese, English) name of a hop kind.

    >>> hop_kind_name(HopKind.CROSS_SYSTEM_BRIDGE)
    ('跨体系贯通', 'cross-system bridge')
    """
    return concept_names("hop-kind")[kind]


@functools.cache
def issuer_kind_names() -> dict[str, tuple[str, str]]:
    """kind (as the tables write it) -> the (Chinese, English) label of its class in the ontology.

    >>> issuer_kind_names()["industry-association"]
    ('行业协会', 'industry association')
    """
    from .convert.issuers import ORGANISATION_KINDS  # the one table of kinds and their classes

    classes = {ox.NamedNode(str(cls)): kind for kind, cls in ORGANISATION_KINDS.items()}
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for quad in ox.parse(path=ONTOLOGY_FILE, format=ox.RdfFormat.TURTLE):
        if quad.predicate == label and quad.subject in classes and isinstance(quad.object, ox.Literal):
            kind = classes[quad.subject]
            labels[kind].setdefault(quad.object.language or "en", quad.object.value)
    return {kind: (names.get("zh", kind), names.get("en", kind)) for kind, names in labels.items()}
