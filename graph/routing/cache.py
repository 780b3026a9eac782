"""The routing index kept on disk per store version (``STORE/cache/<version>.routing.pickle``).

Reading the index from the store takes seconds (minutes at national scale); unpickling it, a fraction of that. A
cache is written atomically, carries a fingerprint of the record layouts, and is read only when the fingerprint
matches, so a cache written by other code is never loaded. Every build derives the index and saves it here
(registered as derived data: ``ROUTING_INDEX``, entry point ``certbridge.derived`` in pyproject.toml).

A version made by a change (graph/patch.py) saves its index as the full cache of an earlier version plus the
records changed since (:class:`Lineage`): its file holds only those records, and ``<version>.routing.base`` is a
hard link to the full one, so that the earlier version can be pruned. Pickling 600,000 certificate types takes
seconds and a serving process's memory twice over (a forked child); the records a day of changes touches, a few
milliseconds. Once the records changed since the full cache pass :data:`FULL_AFTER`, the next save is full again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import weakref
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from .. import store as stores
from ..derived import DerivedData
from ..stamps import Stamp, stamp_of
from .load import in_order, load_index
from .records import RECORDS, RoutingIndex
from .update import apply_update, read_update

#: the kind of derived data the routing index is cached as, beside each store version
CACHE_KIND = "routing.pickle"
#: the suffix of the hard link to the full cache a version's cache of changed records descends from
BASE_SUFFIX = ".base"
#: a version's cache is full again once the records changed since the full one number more than this
FULL_AFTER = 50_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Lineage:
    """What an index's cache descends from: the file of a full cache (*base*), and the records changed since, by
    table and key (None: removed), which, applied to it, give the index."""

    base: Path
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def size(self) -> int:
        """How many records changed since the full cache."""
        return sum(len(records) for records in self.changes.values())


@dataclass(frozen=True, slots=True)
class _Since:
    """What the file of a version made by a change holds: the records changed since the full cache it descends
    from (beside it as ``<version>.routing.base``)."""

    changes: dict[str, dict[str, Any]]


def _layout() -> str:
    """A fingerprint of the record layouts: a cache written by other code is never loaded."""
    text = repr([(cls.__name__, _field_names(cls)) for cls in RECORDS])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _field_names(cls: type) -> list[str]:
    if is_dataclass(cls):
        return [f.name for f in fields(cls)]
    return list(getattr(cls, "_fields", ()))  # a NamedTuple


def read(store: stores.GraphStore, version_name: str) -> RoutingIndex | None:
    """The cached index of the version *version_name*, or None when there is none (or it is of another layout)."""
    return read_file(store.cache_path(version_name, CACHE_KIND))


def read_file(cache: Path) -> RoutingIndex | None:
    """The index cached in *cache*, or None when there is none (or it is of another layout); the very object this
    process last saved there or read from there when it still lives (a serving process: the next change reads the
    index it serves without unpickling hundreds of megabytes)."""
    kept = _HELD.get(cache)
    if kept is not None and (index := kept[1]()) is not None and kept[0] == stamp_of(cache):
        return index
    found = _load(cache)
    if isinstance(found, _Since):
        base = cache.with_suffix(BASE_SUFFIX)
        full = _load(base)
        if not isinstance(full, RoutingIndex):
            return None
        _apply(full, found.changes)
        full.derived.lineage = Lineage(base=base, changes=found.changes)
        index = full
    elif isinstance(found, RoutingIndex):
        index = found
        index.derived.lineage = Lineage(base=cache)
    else:
        return None
    _hold(cache, index)
    return index


def _load(path: Path) -> RoutingIndex | _Since | None:
    """What *path* holds, when it is of this layout."""
    if path.is_file():
        with contextlib.suppress(Exception), path.open("rb") as handle:
            layout, found = pickle.load(handle)
            if layout == _layout() and isinstance(found, RoutingIndex | _Since):
                return found
    return None


def _apply(index: RoutingIndex, changes: dict[str, dict[str, Any]]) -> None:
    """The changed records put in *index* (read from its full cache, held by no one else), in key order."""
    added: list[str] = []
    for name, records in changes.items():
        table = getattr(index, name)
        if any(key not in table for key, record in records.items() if record is not None):
            added.append(name)
        for key, record in records.items():
            if record is None:
                table.pop(key, None)
            else:
                table[key] = record
    in_order(index, added)


def save(cache: Path, index: RoutingIndex) -> None:
    """Save *index* to *cache* through a partial file (a reader never loads half of one): as the records changed
    since the full cache it descends from when it was updated after a change (and they are few), else in full. A
    failure to write only costs the next reader the time to derive it again."""
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        lineage = _since_full(cache, index)
        if lineage is not None:
            with partial.open("wb") as handle:
                pickle.dump((_layout(), _Since(lineage.changes)), handle, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            _dump(partial, (_layout(), index))
            lineage = Lineage(base=cache)
        partial.replace(cache)
        index.derived.lineage = lineage
        _hold(cache, index)


def _since_full(cache: Path, index: RoutingIndex) -> Lineage | None:
    """*index*'s lineage once its changes are added, its full cache linked beside *cache*; None when it is to be
    saved in full (not updated from a cached index, too many changes since, or the full cache is gone)."""
    lineage, changed = index.derived.lineage, index.derived.changed
    if lineage is None or changed is None:
        return None
    changes = {name: dict(records) for name, records in lineage.changes.items()}
    for name, keys in changed.tables.items():
        table = getattr(index, name)
        changes.setdefault(name, {}).update((key, table.get(key)) for key in keys)
    after = Lineage(base=cache.with_suffix(BASE_SUFFIX), changes=changes)
    if after.size() > FULL_AFTER:
        return None
    try:
        after.base.unlink(missing_ok=True)
        os.link(lineage.base, after.base)
    except OSError:  # the full cache is gone, or on another file system (a what-if's scratch store)
        return None
    return after


def _dump(path: Path, payload: object) -> None:
    """Pickle *payload* into *path* in a forked child process where the system can fork: pickling a national index
    takes seconds and holds the GIL all along, which in a serving process (a write applied as a change) would stall
    every request meanwhile; the child has a copy-on-write view of the index, and the parent waits for it without
    the GIL. Raises OSError when the child fails."""
    if not hasattr(os, "fork"):
        with path.open("wb") as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's coverage is not collected)
        code = 1
        try:
            with path.open("wb") as handle:
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        path.unlink(missing_ok=True)
        raise OSError(f"pickling the routing index into {path.name} failed")


def _hold(cache: Path, index: RoutingIndex) -> None:
    """Remember *index* as *cache*'s: one, the last, weakly, so that it costs no memory once no one else holds it."""
    _HELD.clear()
    _HELD[cache] = (stamp_of(cache), weakref.ref(index))


#: the index this process saved or read last, by its file (and the file's size and time, to tell the file is still it)
_HELD: dict[Path, tuple[Stamp | None, weakref.ref[RoutingIndex]]] = {}


#: every build derives the index from its in-memory store and saves it with the new version; a change applied
#: without a rebuild updates the previous version's (update.py)
ROUTING_INDEX = DerivedData(
    name="the routing index",
    kind=CACHE_KIND,
    derive=load_index,
    save=save,
    read=read_file,
    read_update=read_update,
    apply_update=apply_update,
)
