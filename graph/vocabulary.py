"""The names of the controlled vocabularies' concepts (hop kinds, condition kinds ...), read from the ontology.

One source for each name: the labels in ``ontology/vocabularies.ttl``, which the graph, its exports, the route
text and the views all show. The file is read on first use, not on import, so that the command line's help stays
fast.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import pyoxigraph as ox
from rdflib.namespace import RDFS, SKOS

from certbridge.ontology import ONTOLOGY_FILE, VOC, VOCABULARIES_FILE

from .choices import HopKind

_IN_SCHEME, _NOTATION, _PREF_LABEL, _DEFINITION, _LABEL = (
    ox.NamedNode(str(term)) for term in (SKOS.inScheme, SKOS.notation, SKOS.prefLabel, SKOS.definition, RDFS.label)
)


@functools.cache
def concept_names(scheme: str) -> dict[str, tuple[str, str]]:
    """notation -> (Chinese, English) preferred label of each concept of the scheme ``voc:<scheme>``.

    >>> concept_names("direction")["one-way"]
    ('单向认可', 'one-way')
    """
    return _concepts(scheme, _PREF_LABEL)


@functools.cache
def concept_definitions(scheme: str) -> dict[str, tuple[str, str]]:
    """notation -> (Chinese, English) definition of each concept of ``voc:<scheme>``: what it means, in words a
    page can show beside the name.

    >>> concept_definitions("condition-kind")["residence"][1]
    'The holder must live or work where the recognising side is.'
    """
    return _concepts(scheme, _DEFINITION)


@functools.cache
def class_names(iri: str) -> tuple[str, str] | None:
    """The (Chinese, English) label the ontology gives the class or property *iri*, or None.

    >>> class_names("https://w3id.org/certbridge/ontology#GovernmentHRAuthority")
    ('人力资源社会保障部门', 'government HR authority')
    """
    return _term_labels().get(iri)


@functools.cache
def _term_labels() -> dict[str, tuple[str, str]]:
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for quad in ox.parse(path=ONTOLOGY_FILE, format=ox.RdfFormat.TURTLE):
        subject, value = quad.subject, quad.object
        if (
            quad.predicate == _LABEL
            and isinstance(subject, ox.NamedNode)
            and isinstance(value, ox.Literal)
            and value.language in ("zh", "en")
        ):
            labels[subject.value][value.language] = value.value
    return {iri: (names["zh"], names["en"]) for iri, names in labels.items() if len(names) == 2}


def _concepts(scheme: str, wanted_predicate: ox.NamedNode) -> dict[str, tuple[str, str]]:
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
        elif predicate == wanted_predicate and isinstance(value, ox.Literal) and value.language in ("zh", "en"):
            labels[subject][value.language] = value.value
    return {
        notation[concept]: (labels[concept]["zh"], labels[concept]["en"])
        for concept in members
        if len(labels[concept]) == 2
    }


def hop_kind_name(kind: HopKind) -> tuple[str, str]:
    """The (Chinese, English) name of a hop kind.

    >>> hop_kind_name(HopKind.CROSS_SYSTEM_BRIDGE)
    ('跨体系贯通', 'cross-system bridge')
    """
    return concept_names("hop-kind")[kind]


def issuer_kind_name(kind: str) -> tuple[str, str]:
    """The (Chinese, English) name of an issuer kind (``government-hr-authority`` ...): its class's label in the
    ontology; the kind itself when the ontology has no class for it.

    >>> issuer_kind_name("authorised-enterprise")[0]
    '自主评价企业'
    """
    from .convert.issuers import ORGANISATION_KINDS  # the one table of kinds and classes; read on first use

    cls = ORGANISATION_KINDS.get(kind)
    return (cls and class_names(str(cls))) or (kind, kind)


@functools.cache
def issuer_kind_names() -> dict[str, tuple[str, str]]:
    """kind (as the tables write it) -> its (Chinese, English) name, for every issuer kind (see issuer_kind_name).

    >>> issuer_kind_names()["industry-association"]
    ('行业协会', 'industry association')
    """
    from .convert.issuers import ORGANISATION_KINDS

    return {kind: issuer_kind_name(kind) for kind in ORGANISATION_KINDS}
