"""Data derived from a store version and cached beside it (the routing index), registered by the package that owns
it: the build computes each from its fastest store (in memory) without knowing what it is.

A package registers a :class:`DerivedData` under the entry-point group ``certbridge.derived`` (pyproject.toml);
every build and rebuild derives and saves each one at its ``derive`` stage, under the new version's name, so a
reader of that version finds it ready (and a reader that finds none derives it itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .store import AnyStore

#: the entry-point group packages register their derived data under
ENTRY_POINT_GROUP = "certbridge.derived"


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


def registered() -> tuple[DerivedData, ...]:
    """Every registered kind of derived data, in the order of their entry-point names."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name)
    return tuple(entry.load() for entry in found)
