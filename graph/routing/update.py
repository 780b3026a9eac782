"""The routing index of the version after a change, from the index before it: only the records the change touched
are read again (``ROUTING_INDEX.update``, called by graph/patch.py).

Reading the whole index from a national store takes minutes; a change touches a few records. Which ones:

- every record keyed by a touched IRI (a certificate type, an issuer, an agreement, a grade, a qualification, a
  bridge, a credential, a region, a party), touched as subject or as object (an issuer is touched as the object
  of an authorisation it gained);
- every record that reads the triples of a node whose own triples changed (a touched subject), found by
  following :data:`READS_THROUGH` backwards (a retirement's record, the records citing a source, an agreement
  reading its condition, the qualifications of a standard, the records whose status concept it is) and
  :data:`PARTS` forwards (an authorisation's, sanction's or check's issuer), again from what that finds (a
  source's trust concept: the source, then the records citing it).

Those records are read by the queries and scans of load.py, unchanged, from a small in-memory store holding
what they read (their triples, the triples of the nodes they read through, an issuer's parts and the agreements
naming a party), and replace theirs in a copy of the index before; every other record is kept as it was (the
same objects). What the update changed is kept on the new index (``Derived.changed``), for carrying the routing
graphs and search index over (carry.py).
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, SKOS

from certbridge.ontology import CB, PREFIXES

from .. import store as stores
from ..derived import Touched
from .load import ORDERED_TABLES, in_order, load_index, query
from .records import Bridge, Derived, RoutingIndex

#: a record reads the triples of the node it points to by these (a concept's notation, a source's details ...)
READS_THROUGH: tuple[ox.NamedNode, ...] = tuple(
    ox.NamedNode(str(predicate))
    for predicate in (
        CB.hasCondition,
        CB.retiredBy,
        DCTERMS.source,
        CB.qualificationStandard,
        CB.scopeOccupation,
        CB.certifiesOccupation,
        CB.bridgeFrom,
        SKOS.broader,
        CB.direction,
        CB.status,
        CB.mechanism,
        CB.conditionKind,
        CB.questionBank,
        CB.trust,
        CB.resultingStatus,
    )
)
#: the parts of an issuer's record, which point to it by these (its authorisations, sanctions and checks)
PARTS: tuple[ox.NamedNode, ...] = tuple(
    ox.NamedNode(str(predicate)) for predicate in (CB.authorisationOf, CB.sanctionedIssuer, CB.checkedIssuer)
)
_PARTY = ox.NamedNode(str(CB.party))
_TYPE = ox.NamedNode(str(RDF.type))
_OCCUPATION = ox.NamedNode(str(CB.Occupation))
#: the tables keyed by the IRI of the record they hold
_KEYED = ("certificates", "issuers", "agreements", "grades", "qualifications", "credentials", "region_labels")


@dataclass(frozen=True, slots=True, kw_only=True)
class Changed:
    """What an update changed in the index, table by table: the keys of the records added, replaced or removed
    (a grade's key for its bridges, an occupation's code for its label and for its list of certificate types,
    ``by_occupation``)."""

    tables: dict[str, frozenset[str]] = field(default_factory=dict)

    def __getitem__(self, table: str) -> frozenset[str]:
        return self.tables.get(table, frozenset())


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexUpdate:
    """What updating an index for a change reads of the version after it (``read_update``): the records of the
    nodes it may have changed, read afresh, and the occupations' labels when they may have changed. Small, and
    pickled: a writer process reads it where the change is made, and the process holding the index before applies
    it (``apply_update``)."""

    nodes: frozenset[str]
    #: the index of the records of *nodes* (and what they read), as load.py reads a store
    fresh: RoutingIndex
    #: the occupations' labels (code -> label) when the change may have changed them, else None
    occupation_labels: dict[str, str] | None


def update_index(previous: RoutingIndex, store: stores.AnyStore, touched: Touched) -> RoutingIndex:
    """The index of *store* (the version after a change) from *previous* (the version before's) and what the change
    *touched*: equal to ``load_index(store)``, with the records the change did not touch kept as they were."""
    return apply_update(previous, read_update(store, touched))


def read_update(store: stores.AnyStore, touched: Touched) -> IndexUpdate:
    """What updating an index for a change that *touched* these reads of *store*, the version after it."""
    nodes = affected(store, touched)
    own = nodes - (touched.objects - touched.subjects)  # an object only kept its own triples: its code and label
    labels = None
    if _OCCUPATION.value in touched.iris or any(
        next(store.quads_for_pattern(ox.NamedNode(iri), _TYPE, _OCCUPATION), None) for iri in own
    ):
        labels = _occupation_labels(store)
    return IndexUpdate(nodes=frozenset(nodes), fresh=load_index(_substore(store, nodes)), occupation_labels=labels)


def apply_update(previous: RoutingIndex, update: IndexUpdate) -> RoutingIndex:
    """The index after a change from *previous*, the index before it, and what *update* read of the version after:
    every record it read replaces its own in a copy (the same objects kept for the others)."""
    nodes, fresh = update.nodes, update.fresh
    after = RoutingIndex(**{name: _copy(getattr(previous, name)) for name in ORDERED_TABLES})
    changes: dict[str, set[str]] = defaultdict(set)
    for name in _KEYED:
        before_table, table, read = getattr(previous, name), getattr(after, name), getattr(fresh, name)
        for iri in nodes:
            if before_table.get(iri) != read.get(iri):
                changes[name].add(iri)
                if iri in read:
                    table[iri] = read[iri]
                else:
                    del table[iri]
    for iri in changes["certificates"]:
        before, now = previous.certificates.get(iri), after.certificates.get(iri)
        changes["by_occupation"] |= _move(after.by_occupation, iri, before, now)
    for iri in nodes:
        if previous.party_labels.get(iri) != fresh.party_labels.get(iri):
            _set(after.party_labels, iri, fresh.party_labels.get(iri), changes["party_labels"])
        if previous.region_parents.get(iri) != fresh.region_parents.get(iri):
            _set(after.region_parents, iri, fresh.region_parents.get(iri), changes["region_parents"])
    _bridges(previous, after, fresh, set(nodes), changes)
    if update.occupation_labels is not None:
        labels = update.occupation_labels
        changes["occupation_labels"] |= {
            code
            for code in labels.keys() | after.occupation_labels.keys()
            if labels.get(code) != after.occupation_labels.get(code)
        }
        after.occupation_labels = dict(labels)
    in_order(after, [name for name in ORDERED_TABLES if _added(previous, name, changes[name])])
    after.derived = Derived(
        changed=Changed(tables={name: frozenset(keys) for name, keys in changes.items() if keys}),
        lineage=previous.derived.lineage,
    )
    return after


def affected(store: stores.AnyStore, touched: Touched) -> set[str]:
    """The IRIs whose records a change that *touched* these may have changed (see the module docstring)."""
    nodes = set(touched.iris)
    frontier = list(touched.subjects)
    followed: set[str] = set()
    while frontier:
        iri = frontier.pop()
        if iri in followed:
            continue
        followed.add(iri)
        node = ox.NamedNode(iri)
        owners: list[object] = [
            quad.subject for predicate in READS_THROUGH for quad in store.quads_for_pattern(None, predicate, node)
        ]
        owners += [quad.object for predicate in PARTS for quad in store.quads_for_pattern(node, predicate, None)]
        for owner in owners:
            if isinstance(owner, ox.NamedNode):
                nodes.add(owner.value)
                frontier.append(owner.value)
    return nodes


def _substore(store: stores.AnyStore, nodes: Iterable[str]) -> ox.Store:
    """An in-memory store of what the records of *nodes* are read from (see the module docstring)."""
    gathered: set[str] = set()
    quads: list[ox.Quad] = []

    def gather(node: ox.NamedNode) -> None:
        pending = [node]
        while pending:
            subject = pending.pop()
            if subject.value in gathered:
                continue
            gathered.add(subject.value)
            for quad in store.quads_for_pattern(subject, None, None):
                quads.append(quad)
                if quad.predicate in READS_THROUGH and isinstance(quad.object, ox.NamedNode):
                    pending.append(quad.object)

    for iri in nodes:
        node = ox.NamedNode(iri)
        gather(node)
        for predicate in PARTS:
            for part in store.quads_for_pattern(None, predicate, node):
                assert isinstance(part.subject, ox.NamedNode)
                gather(part.subject)
        quads.extend(store.quads_for_pattern(None, _PARTY, node))
    sub = ox.Store()
    sub.extend(quads)
    return sub


def _copy(table: Any) -> Any:
    """A shallow copy of a table: the records themselves are shared (never changed in place)."""
    return defaultdict(list, table) if isinstance(table, defaultdict) else dict(table)


def _set(table: dict[str, Any], key: str, value: Any | None, changed: set[str]) -> None:
    changed.add(key)
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def _move(by_occupation: defaultdict[str, list[str]], iri: str, before: Any | None, after: Any | None) -> set[str]:
    """Keep *by_occupation* (lists in IRI order) right for a certificate type that changed from *before* to *after*;
    a list changed is a new list (the index before keeps its own), and an occupation that still has one keeps its
    place (taken out and put back, it would go last: out of the order a fresh read holds). Returns the occupations
    whose lists changed."""
    moved = {cert.occupation for cert in (before, after) if cert is not None}
    lists = {code: [member for member in by_occupation.get(code, ()) if member != iri] for code in moved}
    if after is not None:
        insort(lists[after.occupation], iri)
    _put(by_occupation, lists)
    return moved


def _bridges(
    previous: RoutingIndex, after: RoutingIndex, fresh: RoutingIndex, nodes: set[str], changes: dict[str, set[str]]
) -> None:
    """The bridges of *nodes* read again (a grade's list is a new list when it changed; see ``_move``)."""
    before = {bridge.iri: bridge for bridges in previous.bridges.values() for bridge in bridges}
    read = {bridge.iri: bridge for bridges in fresh.bridges.values() for bridge in bridges}
    lists: dict[str, list[Bridge]] = {}
    for iri in nodes & (before.keys() | read.keys()):
        if before.get(iri) == read.get(iri):
            continue
        for bridge in (before.get(iri), read.get(iri)):
            if bridge is not None:
                changes["bridges"].add(bridge.grade)
                lists.setdefault(bridge.grade, list(after.bridges.get(bridge.grade, ())))
        if (old := before.get(iri)) is not None:
            lists[old.grade] = [bridge for bridge in lists[old.grade] if bridge.iri != iri]
        if (new := read.get(iri)) is not None:
            lists[new.grade] = sorted([*lists[new.grade], new], key=lambda bridge: bridge.iri)
    _put(after.bridges, lists)


def _put(table: dict[str, list[Any]], lists: dict[str, list[Any]]) -> None:
    """Each list of *lists* put in *table* under its key (where the key already was), or the key taken out of it
    when the list is empty."""
    for key, members in lists.items():
        if members:
            table[key] = members
        else:
            table.pop(key, None)


def _occupation_labels(store: stores.AnyStore) -> dict[str, str]:
    """The occupations' labels read again, by code, in code order (keyed by code, which a change may change; 1,600
    rows)."""
    labels: dict[str, str] = {}
    rows = store.query(query("occupation-labels"), use_default_graph_as_union=True, prefixes=PREFIXES)
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        code, zh = row["code"], row["zh"]
        assert code is not None and zh is not None
        labels[code.value] = zh.value
    return dict(sorted(labels.items()))


def _added(previous: RoutingIndex, name: str, keys: set[str]) -> bool:
    """True when a key of *keys* is new to the table *name* (appended to the copy: out of order)."""
    table = getattr(previous, name)
    return any(key not in table for key in keys)


__all__ = ["Changed", "IndexUpdate", "affected", "apply_update", "read_update", "update_index"]
