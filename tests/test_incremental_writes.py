"""Writes applied without a rebuild equal a full build (issue 18, item 4): random sequences of changes (add, correct,
retire, across agreements, organisations, authorisations, sanctions, quality checks and certificate types) applied to
a small synthetic world twice, once patched (graph/writes.py: the change's rows converted alone, graph/patch.py) and
once rebuilt from the resulting tables (the same write on a store whose versions lack their conversion context, which
a write rebuilds); after each change, both accept it or both reject it with the same defects, and the two stores hold
the same quads in every graph but the build record, the same inferred graph, the same conversion context carried
forward, the same routing index, and the same route answers for sampled pairs of certificate types."""

from __future__ import annotations

import contextlib
import csv
import random
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers.contents import contents
from helpers.data import MINI_DATA, Cli
from helpers.rows import AGREEMENT, write_csv
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from certbridge.graph import writes
from certbridge.graph.build import build
from certbridge.graph.convert import rows
from certbridge.graph.convert.retirements import RETIRABLE
from certbridge.graph.errors import CertbridgeError, DataError
from certbridge.graph.iris import INFERRED_GRAPH
from certbridge.graph.routing import cache, find_routes, load_index
from certbridge.graph.store import GraphStore, open_store, store_at
from certbridge.graph.synth import synthesise
from certbridge.graph.tables import row_key
from certbridge.visualize.catalogue import Language, text

#: the tables whose rows a change adds or corrects here (every table a write patches, retirements but by retire)
TABLES = ("agreements", "organisations", "authorisations", "sanctions", "quality_checks", "certificate_types")
#: the days route answers are compared on: before, around and long after the retirements' days
DAYS = (date(2025, 6, 1), date(2026, 12, 7), date(2032, 1, 1))
RETIRED_ON = ("2025-01-01", "2026-06-01", "2031-01-01")
PAIRS = 12
INFERRED = f"<{INFERRED_GRAPH}>"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the mini tables plus a few synthetic issuers with their certificate types."""
    folder = tmp_path_factory.mktemp("world")
    synthesise(MINI_DATA, folder / "data", issuers=4, seed=18)
    build(folder / "data", folder / "store")
    return folder / "store"


@dataclass(frozen=True, slots=True)
class Add:
    table: str
    row: dict[str, str]


@dataclass(frozen=True, slots=True)
class Correct:
    table: str
    key: str
    values: dict[str, str]
    #: the row's values before, of the columns corrected
    before: dict[str, str]


@dataclass(frozen=True, slots=True)
class Retire:
    table: str
    key: str
    retired_on: str


Operation = Add | Correct | Retire


def tables_of(store: GraphStore) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    """The current version's kept tables: table -> (header, rows)."""
    version = store.current_version()
    assert version is not None
    found = {}
    for path in sorted(store.kept_tables(version).glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            found[path.stem] = (list(reader.fieldnames or []), list(reader))
    return found


def other_value(data: st.DataObject, records: list[dict[str, str]], column: str, now: str) -> str:
    """A value another row of the table has in *column* (most often a different one), or empty."""
    values = sorted({record[column] for record in records} - {now}) or [""]
    return data.draw(st.sampled_from([*values, ""]))


def operation(data: st.DataObject, tables: dict[str, tuple[list[str], list[dict[str, str]]]], step: int) -> Operation:
    """A random change to the current tables, made of values the tables hold (so that most are sound)."""
    kind = data.draw(st.sampled_from(("add", "add", "correct", "correct", "retire")))
    retired = {(r["record_table"], r["record_id"]) for r in tables.get("retirements", ([], []))[1]}
    if kind == "retire":
        table = data.draw(st.sampled_from(sorted(set(RETIRABLE) & set(TABLES))))
        candidates = [row_key(table, r) for r in tables[table][1] if (table, row_key(table, r)) not in retired]
        if candidates:
            return Retire(table, data.draw(st.sampled_from(candidates)), data.draw(st.sampled_from(RETIRED_ON)))
        kind = "add"
    table = data.draw(st.sampled_from(TABLES if kind == "add" else (*TABLES, "retirements")))
    header, records = tables.get(table, ([], []))
    if not records:
        table = "agreements"
        header, records = tables[table]
    template = data.draw(st.sampled_from(records))
    columns = [column for column in header if column != "id"]
    changed = data.draw(st.lists(st.sampled_from(columns), min_size=1, max_size=2, unique=True))
    values = {column: other_value(data, records, column, template[column]) for column in changed}
    if kind == "add":
        return Add(table, {**template, "id": f"HX-{step}", **values})
    return Correct(table, row_key(table, template), values, {column: template[column] for column in values})


def apply(operation: Operation, store: GraphStore) -> tuple[Any, ...]:
    """Write *operation* to *store*: how it was applied, or the error it was refused with (its defects for a
    DataError)."""
    try:
        if isinstance(operation, Add):
            new = writes.NewRows(operation.table, [operation.row], Path("rows.csv"), [2])
            written = writes.add_rows(store, new, writer="test", note="a random change")
        elif isinstance(operation, Correct):
            corrections = writes.Corrections(
                operation.table, [(operation.key, operation.values)], Path("corrections.csv"), [2]
            )
            written = writes.correct_rows(store, corrections, writer="test", note="a random change")
        else:
            retirement = writes.Retirement(
                table=operation.table,
                key=operation.key,
                retired_on=operation.retired_on,
                reason="a random retirement",
                source_ids="SRC-ILLUSTRATIVE",
                illustrative=True,
            )
            written = writes.retire(store, retirement, writer="test", note="a random change")
    except DataError as exc:
        return ("refused", "DataError", sorted(str(error) for error in exc.errors))
    except CertbridgeError as exc:
        return ("refused", type(exc).__name__)
    return ("written", written.applied)


@contextlib.contextmanager
def without_context(store: GraphStore) -> Iterator[None]:
    """The current version's conversion context put aside, so that a write rebuilds; put back if none was made."""
    version = store.current_version()
    assert version is not None
    kept = store.cache_path(version.name, rows.SUMMARY_KIND)
    aside = kept.with_name(kept.name + ".aside")
    kept.rename(aside)
    try:
        yield
    finally:
        if store.current_version() == version:
            aside.rename(kept)
        else:
            aside.unlink()


def sampled_pairs(certificates: list[str], seed: int) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for _ in range(PAIRS):
        yield rng.choice(certificates), rng.choice(certificates)


def assert_same(patched: GraphStore, rebuilt: GraphStore, seed: int) -> None:
    """Everything a reader gets from the patched store equals what the full build made."""
    mine, theirs = contents(patched.location), contents(rebuilt.location)
    assert {q for q in mine if q.endswith(INFERRED)} == {q for q in theirs if q.endswith(INFERRED)}, (
        "the inferred graph"
    )
    assert mine == theirs, f"quads only patched: {sorted(mine - theirs)[:5]}; only rebuilt: {sorted(theirs - mine)[:5]}"
    patched_version, rebuilt_version = patched.current_version(), rebuilt.current_version()
    assert patched_version is not None and rebuilt_version is not None
    context = patched.cache_path(patched_version.name, rows.SUMMARY_KIND)
    held = rows.read(context)  # the one the last write holds, if it patched
    rows._HELD.clear()
    made = rows.read(rebuilt.cache_path(rebuilt_version.name, rows.SUMMARY_KIND))
    assert made is not None
    for carried in (held, rows.read(context)):  # and as a process that did not make it reads it (full + changes)
        assert carried is not None
        assert (dict(carried.known), dict(carried.facts)) == (dict(made.known), dict(made.facts)), "the context"
        assert carried.labels == made.labels, "the context's labels"
    index = cache.read(patched, patched_version.name)
    expected = load_index(open_store(rebuilt.location))
    assert index is not None and index == expected, "the routing index"
    cache._HELD.clear()
    assert cache.read(patched, patched_version.name) == expected, "the routing index read as another process does"
    certificates = sorted(expected.certificates)
    for source, target in sampled_pairs(certificates, seed):
        for day in DAYS:
            assert (
                find_routes(index, source, target, as_of=day).to_json()
                == find_routes(expected, source, target, as_of=day).to_json()
            ), (source, target, day)


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: each step builds a store (the failing draws are shown)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_changes_patched_equal_a_full_build(world: Path, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory(prefix="certbridge-differential-") as folder:
        patched, rebuilt = store_at(Path(folder) / "patched"), store_at(Path(folder) / "rebuilt")
        shutil.copytree(world, patched.location, symlinks=True)
        shutil.copytree(world, rebuilt.location, symlinks=True)
        steps = data.draw(st.integers(min_value=1, max_value=4))
        for step in range(steps):
            change = operation(data, tables_of(patched), step)
            outcome = apply(change, patched)
            with without_context(rebuilt):
                reference = apply(change, rebuilt)
            if reference[0] == "written":
                assert reference[1] == writes.Applied.REBUILT
                assert outcome[0] == "written", (change, outcome)
                organisation_named = isinstance(change, Correct) and any(
                    change.values[column] != change.before[column]
                    for column in writes.REBUILT_CORRECTIONS.get(change.table, frozenset()) & change.values.keys()
                )
                expected = writes.Applied.REBUILT if organisation_named else writes.Applied.PATCHED
                assert outcome[1] == expected, change
                if outcome[1] == writes.Applied.PATCHED:  # kept as what changed since the full ones, linked beside
                    version = patched.current_version()
                    assert version is not None
                    context = patched.cache_path(version.name, rows.SUMMARY_KIND)
                    index = patched.cache_path(version.name, cache.CACHE_KIND)
                    assert context.with_suffix(rows.BASE_SUFFIX).is_file(), "the context as its changes"
                    assert index.with_suffix(cache.BASE_SUFFIX).is_file(), "the routing index as its changes"
            else:
                assert outcome == reference, change
            assert_same(patched, rebuilt, step)


def test_the_cli_says_how_a_write_was_applied(cli: Cli, tmp_path: Path) -> None:
    """An added agreement is patched; a correction of an organisation's name (certificate types are named after it)
    is rebuilt; both say so, in both languages."""
    store = tmp_path / "store"
    build(MINI_DATA, store)
    added = cli("import", write_csv(tmp_path / "agreements.csv", [AGREEMENT]), "--store", store, "--note", "a test")
    assert added.exit_code == 0, added.stderr
    assert text("writes.applied.patched", Language.EN) in added.stdout.replace("\n", " ")
    organisation = next(iter(tables_of(store_at(store))["organisations"][1]))["id"]
    corrected = cli(
        "correct",
        "organisations",
        organisation,
        "--set",
        "name_en=A renamed body",
        "--store",
        store,
        "--note",
        "a test",
    )
    assert corrected.exit_code == 0, corrected.stderr
    assert text("writes.applied.rebuilt", Language.ZH) in corrected.stdout.replace("\n", "")
