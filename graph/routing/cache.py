"""The routing index kept on disk per store version (``STORE/cache/<version>.routing.pickle``).

Reading the index from the store takes seconds (minutes at national scale); unpickling it, a fraction of that. A
cache is written atomically, carries a fingerprint of the record layouts, and is read only when the fingerprint
matches, so a cache written by other code is never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from dataclasses import fields, is_dataclass
from pathlib import Path

from .. import store as stores
from .records import RECORDS, RoutingIndex


def _layout() -> str:
    """A fingerprint of the record layouts: a cache written by other code is never loaded."""
    text = repr([(cls.__name__, _field_names(cls)) for cls in RECORDS])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _field_names(cls: type) -> list[str]:
    if is_dataclass(cls):
        return [f.name for f in fields(cls)]
    return list(getattr(cls, "_fields", ()))  # a NamedTuple


def _path(location: stores.Location, version_name: str) -> Path:
    return stores.local_dir(location) / stores.CACHE_DIR / f"{version_name}.routing.pickle"


def read(location: stores.Location, version_name: str) -> RoutingIndex | None:
    """The cached index of the version *version_name*, or None when there is none (or it is of another layout)."""
    cache = _path(location, version_name)
    if cache.is_file():
        with contextlib.suppress(Exception), cache.open("rb") as handle:
            layout, index = pickle.load(handle)
            if layout == _layout() and isinstance(index, RoutingIndex):
                return index
    return None


def write_cache(location: stores.Location, index: RoutingIndex, *, version_name: str | None = None) -> None:
    """Keep *index* as the routing index of the store's current version, or of the version *version_name*
    that a build is about to make current (the embedded build writes it while its disk load finishes)."""
    if version_name is None:
        version = stores.current_version(location)
        if version is None:
            return
        version_name = version.name
    cache = _path(location, version_name)
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        with partial.open("wb") as handle:
            pickle.dump((_layout(), index), handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)


def forget_cache(location: stores.Location, version_name: str) -> None:
    """Remove the cached index of a version that was never made current (a build that failed late)."""
    _path(location, version_name).unlink(missing_ok=True)
