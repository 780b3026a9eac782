"""Data derived from a store version and cached beside it (the routing index), registered by the package that owns
it: the build computes each from its fastest store (in memory) without knowing what it is.

A package registers a :class:`DerivedData` under the entry-point group ``certbridge.derived`` (pyproject.toml);
every build and rebuild derives and saves each one at its ``derive`` stage, under the new version's name, so a
reader of that version finds it ready (and a reader that finds none derives it itself). A change applied without a
rebuild (patch.py) calls its ``update`` instead, when it has one and the previous version's data is at hand: it
gets what the change touched (:class:`Touched`) and re-reads only that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .store import AnyStore

#: the entry-point group packages register their derived data under
ENTRY_POINT_GROUP = "certbridge.derived"


@dataclass(frozen=True, slots=True, kw_only=True)
class Touched:
    """What a change touched: the IRIs that are subjects or objects of the asserted quads it added or removed and
    of the inferred triples that appeared or disappeared, kept apart by role.

    Why apart: a node only an object of a changed triple kept its own triples, so the records that read those
    (an agreement reading its status concept's notation) are unaffected; an updater follows such readers from the
    subjects only, and would otherwise visit every certificate type of an occupation a new one was added to.
    """

    subjects: frozenset[str] = frozenset()
    objects: frozenset[str] = frozenset()

    @property
    def iris(self) -> frozenset[str]:
        """Every IRI touched, in either role."""
        return self.subjects | self.objects

    @classmethod
    def of(cls, triples: Iterable[ox.Quad | ox.Triple]) -> Touched:
        """The IRIs of *triples* (quads or triples), by role; literals and blank nodes are no record's key."""
        subjects: set[str] = set()
        objects: set[str] = set()
        for triple in triples:
            if isinstance(triple.subject, ox.NamedNode):
                subjects.add(triple.subject.value)
            if isinstance(triple.object, ox.NamedNode):
                objects.add(triple.object.value)
        return cls(subjects=frozenset(subjects), objects=frozenset(objects))


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivedData:
    """One kind of data derived from a store version."""

    #: what it is, for progress lines ("the routing index")
    name: str
    #: the cache file's suffix beside the version's name (``GraphStore.cache_path``)
    kind: str
    derive: Callable[[AnyStore], Any]
    #: writes what ``derive`` answered to the path, atomically (a reader never sees half a file)
    save: Callable[[Path, Any], None]
    #: reads what was saved (None when there is none, or it is unreadable): the previous version's, for ``apply_update``
    read: Callable[[Path], Any | None] | None = None
    #: the data of the version after a change, in two steps: what it reads of the store after the change for what
    #: the change touched (``read_update(store_after, touched)``: small, pickled, so that a writer process can read
    #: it), then the data before the change with that applied (``apply_update(previous, read)``, where the data
    #: before is held); None: derived again in full after every change
    read_update: Callable[[AnyStore, Touched], Any] | None = None
    apply_update: Callable[[Any, Any], Any] | None = None


#: where a change's derived data is updated when the process making it does not hold the data before it: called
#: with the kind, what ``read_update`` read, and the cache files of the version before and after (the one it saves);
#: answers whether it did (else the caller updates it itself) (graph/patch.py ``patch``, api/write_worker.py)
UpdateElsewhere = Callable[["DerivedData", Any, Path, Path], bool]


def registered() -> tuple[DerivedData, ...]:
    """Every registered kind of derived data, in the order of their entry-point names."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name)
    return tuple(entry.load() for entry in found)
