"""The routing index kept on disk per store version (``STORE/cache/<version>.routing.pickle``).

Reading the index from the store takes seconds (minutes at national scale); unpickling it, a fraction of that. A
cache is written atomically, carries a fingerprint of the record layouts, and is read only when the fingerprint
matches, so a cache written by other code is never loaded. Every build derives the index and saves it here
(registered as derived data: ``ROUTING_INDEX``, entry point ``certbridge.derived`` in pyproject.toml).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import weakref
from dataclasses import fields, is_dataclass
from pathlib import Path

from .. import store as stores
from ..derived import DerivedData
from .load import load_index
from .records import RECORDS, RoutingIndex
from .update import update_index

#: the kind of derived data the routing index is cached as, beside each store version
CACHE_KIND = "routing.pickle"


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
    if kept is not None and (index := kept[1]()) is not None and kept[0] == _stamp(cache):
        return index
    if cache.is_file():
        with contextlib.suppress(Exception), cache.open("rb") as handle:
            layout, index = pickle.load(handle)
            if layout == _layout() and isinstance(index, RoutingIndex):
                _hold(cache, index)
                return index
    return None


def save(cache: Path, index: RoutingIndex) -> None:
    """Pickle *index* to *cache* through a partial file (a reader never loads half of one); a failure to write only
    costs the next reader the time to derive it again."""
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        _dump(partial, (_layout(), index))
        partial.replace(cache)
        _hold(cache, index)


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
    _HELD[cache] = (_stamp(cache), weakref.ref(index))


#: the index this process saved or read last, by its file (and the file's size and time, to tell the file is still it)
_HELD: dict[Path, tuple[tuple[int, int] | None, weakref.ref[RoutingIndex]]] = {}


def _stamp(cache: Path) -> tuple[int, int] | None:
    try:
        status = cache.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


#: every build derives the index from its in-memory store and saves it with the new version; a change applied
#: without a rebuild updates the previous version's (update.py)
ROUTING_INDEX = DerivedData(
    name="the routing index", kind=CACHE_KIND, derive=load_index, save=save, read=read_file, update=update_index
)
