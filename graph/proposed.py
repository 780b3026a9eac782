"""What-if on a proposed change: the route diff a correction, retirement or addition would make, before it is made.

Why: an officer about to retire an agreement or correct an issuer's authorisation should see which routes it will
remove or add, and a reviewer should be able to ask before approving. The answer is the same as the diff after
applying the change (graph/diff.py), because it is made the same way: the change is applied by the same write
(graph/writes.py: the same validation, build and routing index) to a scratch store whose current version is the
store's own, read where it lies (a link; never written) with a copy of its tables; the two versions are then
compared as ``certbridge diff`` compares them. Nothing of the store is written.

This rests on the store's rule that a write never changes a version in place (it makes the next one beside it): a
write that patched the current version's directory would patch the store's own through the link. tests/test_diff.py
checks that a what-if leaves every file of the store as it was.

Cost: the write's: a change the store patches (graph/writes.py) is patched on the scratch store too (the current
version's conversion context is copied beside its link), any other costs one build of the scratch version (seconds on
the shipped data, minutes at national scale).
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from . import store as stores
from .build import build
from .changes import Changeset
from .convert import rows
from .diff import DEFAULT_MAX_PAIRS, Diff, compare
from .routing.index import index_for
from .routing.records import RoutingIndex

#: the name the proposed version goes by in a what-if's answer (no version of the store has it)
PROPOSED = "proposed"


@contextlib.contextmanager
def scratch_store(store: stores.GraphStore) -> Iterator[tuple[Path, Path, stores.EmbeddedStore]]:
    """(the store's current version, a copy of its tables, a scratch embedded store whose current version is it).

    On an embedded store the scratch's ``current`` links to the version where it lies (writes to the scratch make
    versions of their own beside it and never touch it); on a server store the scratch's current version is built
    from the current tables first.
    """
    version = store.snapshot()[0]
    tables = store.tables()
    with tempfile.TemporaryDirectory(prefix="certbridge-what-if-") as folder:
        before, location = Path(folder) / "tables", Path(folder) / "store"
        shutil.copytree(tables, before)
        if store.keeps_versions:
            location.mkdir()
            (location / stores.CURRENT).symlink_to(version.resolve())
            shutil.copytree(before, location / stores.TABLES_DIR / version.name)
            context = store.cache_path(version.name, rows.SUMMARY_KIND)
            if context.is_file():  # so that the write patches, as it would on the store
                copied = stores.EmbeddedStore(location).cache_path(version.name, rows.SUMMARY_KIND)
                copied.parent.mkdir(parents=True)
                rows.copy(context, copied)
        else:
            build(before, location)
        yield version, before, stores.EmbeddedStore(location)


def what_if_change(
    store: stores.GraphStore | stores.Location,
    apply: Callable[[stores.GraphStore], Changeset],
    *,
    as_of: date | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    index_of: Callable[[Path], RoutingIndex] | None = None,
) -> Diff:
    """The diff that *apply* (a write, given a store to write to, returning its changeset) would make on *store*,
    made on a scratch store; raises what the write raises (every defect of the proposed change), changing nothing.

    *index_of* gives the current version's routing index (a server keeps it loaded); by default ``index_for``.
    """
    graph_store = stores.as_store(store)
    with scratch_store(graph_store) as (version, before, scratch):
        changeset = apply(scratch)
        after = scratch.snapshot()[0]
        current = (index_of or functools.partial(index_for, graph_store))(version)
        return compare(
            (version.name, before, current),
            (PROPOSED, scratch.kept_tables(after), index_for(scratch)),
            [changeset],
            as_of=as_of,
            max_pairs=max_pairs,
            proposed=True,
        )
