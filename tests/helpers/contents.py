"""A store's contents to compare two builds by: every quad as N-Quads text, the build record (when, from which
files, under which version name) left out and blank-node labels made equal."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from certbridge.graph.iris import BUILD_GRAPH
from certbridge.graph.store import open_store

_BLANK = re.compile(r"_:[A-Za-z0-9]+")


def contents(location: Path) -> Counter[str]:
    """The multiset of the store's quads, build record aside, blank nodes relabelled ``_:b``."""
    build = f"<{BUILD_GRAPH}>"
    return Counter(
        _BLANK.sub("_:b", f"{quad.subject} {quad.predicate} {quad.object} {quad.graph_name}")
        for quad in open_store(location).quads_for_pattern(None, None, None)
        if str(quad.graph_name) != build
    )
