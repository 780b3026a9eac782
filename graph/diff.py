"""The route diff: what changed between two store versions, and what it did to the routes.

Why: a registry can list what was added or corrected; the question its users ask is what that did to them: which
certificates are now accepted where another is required, which no longer are, and which change caused it. Two
halves:

- the records added, corrected and retired, from the two versions' kept tables (each row compared by its key) and
  their changes logs (graph/changes.py), each with the changesets that touched it;
- the route changes: the certificate types the changes touch (directly, or through an agreement's parties and
  scope, an issuer, its authorisations, sanctions and checks, a qualification ...), found by comparing the two
  versions' routing indexes; for every ordered pair of them in an occupation they touch, the best route as of one
  day in each version (``find_routes``), reported when it appeared, disappeared or changed strength, with the
  changes on the route before or after that caused it.

The work is bounded: at most ``max_pairs`` pairs are compared (directly touched certificate types first), and the
answer says when it stopped there. :func:`route_changes` compares two routing indexes (a what-if compares the
current one with the one a proposed change would make, graph/proposed.py); :func:`diff` compares two versions of a
store.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import iris
from . import store as stores
from .changes import ChangeKind, Changeset, read_log
from .convert import TABLES
from .convert.retirements import RETIRABLE
from .convert.retirements import TABLE as RETIREMENTS
from .errors import StoreError
from .routing.engine import find_routes
from .routing.index import index_for
from .routing.model import STRENGTH, Endpoint, Route, RouteAnswer, as_json
from .routing.records import RoutingIndex
from .store.releases import version_of
from .tables import row_key

#: the pairs a diff compares at most, unless told otherwise (api/settings.py: CERTBRIDGE_DIFF_MAX_PAIRS)
DEFAULT_MAX_PAIRS = 20_000
#: the tables whose rows are routing records of their own: table -> the first segment of their rows' IRIs
RECORD_KINDS: dict[str, str] = {
    table: RETIRABLE[table] for table in ("agreements", "certificate_types", "organisations")
}
#: the tables whose rows are facts about an issuer (the column naming it): they change the issuer's record
ISSUER_FACTS: dict[str, str] = {"authorisations": "issuer_id", "sanctions": "issuer_id", "quality_checks": "issuer_id"}


class RecordChangeKind(StrEnum):
    """What happened to a row between the two versions."""

    ADDED = "added"
    CORRECTED = "corrected"
    RETIRED = "retired"
    #: in the older version, not in the newer (a diff from a later version to an earlier one)
    REMOVED = "removed"


class RouteChangeKind(StrEnum):
    """What happened to the best route of a pair."""

    APPEARED = "appeared"
    DISAPPEARED = "disappeared"
    STRONGER = "stronger"
    WEAKER = "weaker"


@dataclass(frozen=True, slots=True, kw_only=True)
class Cause:
    """A changeset as a diff cites it: which, by whom, why, when."""

    changeset: str
    kind: str
    writer: str
    note: str
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordChange:
    """One row of one table added, corrected or retired, with the row before and after (None where there is none)."""

    kind: RecordChangeKind
    table: str
    key: str
    iri: str | None
    before: Mapping[str, str] | None
    after: Mapping[str, str] | None
    #: the columns whose values differ (a correction's; a record retired and corrected between the two versions)
    columns: tuple[str, ...] = ()
    #: the retirements row that retired it (a retirement's)
    retirement: Mapping[str, str] | None = None
    causes: tuple[Cause, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BestRoute:
    """The best route of a pair in one version: its strength, hops and what it rests on."""

    strength: str
    hops: int
    #: the agreements, qualifications, grade orders and bridges that justify its hops
    evidence: tuple[str, ...]
    illustrative: bool
    synthetic: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteChange:
    """A pair whose best route appeared, disappeared or changed strength, and the changes that caused it."""

    kind: RouteChangeKind
    source: Endpoint
    target: Endpoint
    before: BestRoute | None
    after: BestRoute | None
    #: the changed records on the route before or after (IRIs), else those that made the pair be compared
    records: tuple[str, ...]
    causes: tuple[Cause, ...]

    @property
    def illustrative(self) -> bool:
        routes = (r for r in (self.before, self.after) if r is not None)
        return self.source.illustrative or self.target.illustrative or any(r.illustrative for r in routes)

    @property
    def synthetic(self) -> bool:
        routes = (r for r in (self.before, self.after) if r is not None)
        return self.source.synthetic or self.target.synthetic or any(r.synthetic for r in routes)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteChanges:
    """What comparing two routing indexes found, and how much of the work was done."""

    as_of: str
    routes: tuple[RouteChange, ...]
    #: the certificate types the changed records touch directly
    touched: int
    pairs_compared: int
    max_pairs: int
    #: False when ``max_pairs`` was reached before every pair was compared (some changes may be missing)
    complete: bool
    #: the routing records that differ between the two indexes (IRIs)
    changed_records: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Diff:
    """The records and routes that changed from one version to another."""

    from_version: str
    to_version: str
    records: tuple[RecordChange, ...]
    changes: tuple[Cause, ...]
    routes: RouteChanges
    #: the release tags the two versions were named by (None: named by version or ``current``)
    from_release: str | None = None
    to_release: str | None = None
    #: True for a what-if: the change is proposed, not made (``to_version`` names no version kept)
    proposed: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape (``certbridge diff --json``, ``GET /api/v1/diff``)."""
        routes = self.routes
        return {
            "from": {"version": self.from_version, "release": self.from_release},
            "to": {"version": self.to_version, "release": self.to_release},
            "proposed": self.proposed,
            "as_of": routes.as_of,
            "changes": as_json(self.changes),
            "records": [_record_json(r) for r in self.records],
            "routes": [_route_json(r) for r in routes.routes],
            "touched_certificate_types": routes.touched,
            "pairs_compared": routes.pairs_compared,
            "max_pairs": routes.max_pairs,
            "complete": routes.complete,
            "illustrative": any(r.illustrative for r in routes.routes),
            "synthetic": any(r.synthetic for r in routes.routes),
            "notes": list(self.notes),
        }


def _record_json(change: RecordChange) -> dict[str, Any]:
    body: dict[str, Any] = as_json(change)
    body["before"] = dict(change.before) if change.before is not None else None
    body["after"] = dict(change.after) if change.after is not None else None
    body["retirement"] = dict(change.retirement) if change.retirement is not None else None
    return body


def _route_json(change: RouteChange) -> dict[str, Any]:
    body: dict[str, Any] = as_json(change)
    body["illustrative"], body["synthetic"] = change.illustrative, change.synthetic
    return body


# --- the records ------------------------------------------------------------------------------------------------


def read_rows(path: Path, table: str) -> dict[str, dict[str, str]]:
    """The rows of one CSV table by key (graph/tables.py ``row_key``); empty when there is no such file."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row_key(table, row): {k: v or "" for k, v in row.items() if k} for row in csv.DictReader(handle)}


def record_iri(table: str, key: str, row: Mapping[str, str] | None = None) -> str | None:
    """The routing record a row of *table* is or is about (an issuer's fact: the issuer), when routing has one."""
    if table in RECORD_KINDS:
        return str(iris.record(RECORD_KINDS[table], key))
    if table in ISSUER_FACTS and row is not None and row.get(ISSUER_FACTS[table]):
        return str(iris.record("organisation", row[ISSUER_FACTS[table]]))
    return None


def touched_rows(changeset: Changeset) -> Iterator[tuple[str, str]]:
    """(table, key) of every row a changeset touched (a retirement: the retired record too)."""
    for row in changeset.rows:
        yield changeset.table, row.key
        if changeset.kind is ChangeKind.RETIRE and row.after.get("record_table") and row.after.get("record_id"):
            yield row.after["record_table"], row.after["record_id"]


def cause_of(changeset: Changeset) -> Cause:
    return Cause(
        changeset=changeset.id, kind=str(changeset.kind), writer=changeset.writer, note=changeset.note, at=changeset.at
    )


def record_changes(
    before: Path, after: Path, changes: Iterable[Changeset] = ()
) -> tuple[tuple[RecordChange, ...], tuple[Cause, ...]]:
    """The rows added, corrected and retired from the tables in *before* to those in *after*, each with the
    changesets (of *changes*: the log entries one folder has and the other lacks) that touched it."""
    changes = list(changes)
    by_row: dict[tuple[str, str], list[Cause]] = {}
    for changeset in changes:
        for table, key in touched_rows(changeset):
            by_row.setdefault((table, key), []).append(cause_of(changeset))
    retirements_before = read_rows(before / f"{RETIREMENTS}.csv", RETIREMENTS)
    retirements_after = read_rows(after / f"{RETIREMENTS}.csv", RETIREMENTS)
    retired = {
        (row.get("record_table", ""), row.get("record_id", "")): row
        for key, row in retirements_after.items()
        if key not in retirements_before
    }
    found: list[RecordChange] = []
    for table in TABLES:
        old, new = read_rows(before / f"{table}.csv", table), read_rows(after / f"{table}.csv", table)
        for key in sorted(old.keys() | new.keys()):
            was, now = old.get(key), new.get(key)
            if table == RETIREMENTS and was is None:
                continue  # a retirement added: told as the record it retired
            causes = tuple(dict.fromkeys(by_row.get((table, key), ())))
            iri = record_iri(table, key, now or was)
            columns = tuple(
                c for c in dict.fromkeys([*(was or {}), *(now or {})]) if was and now and was.get(c) != now.get(c)
            )
            if (table, key) in retired:
                found.append(
                    RecordChange(
                        kind=RecordChangeKind.RETIRED,
                        table=table,
                        key=key,
                        iri=iri,
                        before=was,
                        after=now,
                        columns=columns,
                        retirement=retired[(table, key)],
                        causes=causes,
                    )
                )
            elif was is None or now is None:
                kind = RecordChangeKind.ADDED if was is None else RecordChangeKind.REMOVED
                found.append(
                    RecordChange(kind=kind, table=table, key=key, iri=iri, before=was, after=now, causes=causes)
                )
            elif was != now:
                found.append(
                    RecordChange(
                        kind=RecordChangeKind.CORRECTED,
                        table=table,
                        key=key,
                        iri=iri,
                        before=was,
                        after=now,
                        columns=columns,
                        causes=causes,
                    )
                )
    return tuple(found), tuple(cause_of(c) for c in changes)


# --- the routes -------------------------------------------------------------------------------------------------


def changed_records(old: RoutingIndex, new: RoutingIndex) -> set[str]:
    """The IRIs of the routing records that differ between two indexes (added, removed or changed)."""
    changed: set[str] = set()
    for name in ("certificates", "issuers", "agreements", "qualifications", "grades"):
        a, b = getattr(old, name), getattr(new, name)
        changed |= {iri for iri in a.keys() | b.keys() if a.get(iri) != b.get(iri)}
    return changed


def _touched_occupations(index: RoutingIndex, records: set[str]) -> tuple[set[str], set[str]]:
    """The certificate types *records* touch directly in *index*, and the occupations they (or the agreements
    among *records*) touch."""
    certificates: set[str] = set()
    occupations: set[str] = set()
    by_issuer: dict[str, list[str]] = {}
    for iri, cert in index.certificates.items():
        by_issuer.setdefault(cert.issuer, []).append(iri)
        if iri in records or cert.issuer in records or (cert.qualification or "") in records or cert.grade in records:
            certificates.add(iri)
    agreements = [index.agreements[iri] for iri in records if iri in index.agreements]
    for agreement in agreements:
        sides = agreement.parties | agreement.recognising | agreement.recognised
        for issuer in index.issuers.values():
            if issuer.iri in sides or sides & set(index.enclosing_regions(issuer.region)):
                for iri in by_issuer.get(issuer.iri, ()):
                    if agreement.covers_occupation(index.certificates[iri].occupation):
                        certificates.add(iri)
    occupations |= {index.certificates[iri].occupation for iri in certificates}
    return certificates, occupations


def _best(answer: RouteAnswer | None) -> Route | None:
    return answer.routes[0] if answer is not None and answer.routes else None


def _summary(route: Route | None) -> BestRoute | None:
    if route is None:
        return None
    return BestRoute(
        strength=route.strength.value,
        hops=len(route.hops),
        evidence=tuple(dict.fromkeys(hop.evidence.iri for hop in route.hops)),
        illustrative=route.illustrative,
        synthetic=route.synthetic,
    )


def _on_route(route: Route | None) -> set[str]:
    """Every record a route rests on: its certificate types, their issuers and the hops' evidence."""
    if route is None:
        return set()
    found = set()
    for hop in route.hops:
        found |= {hop.source.iri, hop.target.iri, hop.evidence.iri}
        found |= {quality.issuer for quality in hop.quality}
    return found


def _route(index: RoutingIndex, source: str, target: str, day: date) -> RouteAnswer | None:
    if source not in index.certificates or target not in index.certificates:
        return None
    return find_routes(index, source, target, as_of=day, k=1)


def route_changes(
    old: RoutingIndex,
    new: RoutingIndex,
    *,
    as_of: date | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    causes_of: Mapping[str, tuple[Cause, ...]] | None = None,
) -> RouteChanges:
    """The pairs whose best route (as of *as_of*, today by default) differs between *old* and *new*.

    Compared: every ordered pair of certificate types of an occupation the changed records touch, those touched
    directly first, *max_pairs* at most. *causes_of* maps a record's IRI to the changesets that changed it; a
    route change cites those of the changed records on its route before or after, else of those that made the
    pair be compared.
    """
    day = as_of or date.today()
    causes_of = causes_of or {}
    records = changed_records(old, new)
    direct_old, occupations_old = _touched_occupations(old, records)
    direct_new, occupations_new = _touched_occupations(new, records)
    direct = direct_old | direct_new
    pairs: list[tuple[str, str]] = []
    for occupation in sorted(occupations_old | occupations_new):
        members = sorted(set(old.by_occupation.get(occupation, ())) | set(new.by_occupation.get(occupation, ())))
        pairs += [(a, b) for a in members for b in members if a != b]
    pairs.sort(key=lambda pair: (pair[0] not in direct and pair[1] not in direct, pair))
    compared = pairs[:max_pairs]
    found: list[RouteChange] = []
    for source, target in compared:
        was, now = _best(_route(old, source, target, day)), _best(_route(new, source, target, day))
        kind = _kind(was, now)
        if kind is None:
            continue
        on_routes = (_on_route(was) | _on_route(now)) & records
        reasons = on_routes or ({source, target} & direct and _reasons(old, new, source, target, records)) or records
        cited = tuple(dict.fromkeys(c for iri in sorted(reasons) for c in causes_of.get(iri, ())))
        index = new if source in new.certificates and target in new.certificates else old
        found.append(
            RouteChange(
                kind=kind,
                source=index.endpoint(source),
                target=index.endpoint(target),
                before=_summary(was),
                after=_summary(now),
                records=tuple(sorted(reasons)),
                causes=cited,
            )
        )
    return RouteChanges(
        as_of=day.isoformat(),
        routes=tuple(found),
        touched=len(direct),
        pairs_compared=len(compared),
        max_pairs=max_pairs,
        complete=len(compared) == len(pairs),
        changed_records=tuple(sorted(records)),
    )


def _reasons(old: RoutingIndex, new: RoutingIndex, source: str, target: str, records: set[str]) -> set[str]:
    """The changed records that touch *source* or *target* directly (the certificate type, its issuer ...)."""
    found = set()
    for index in (old, new):
        for iri in (source, target):
            cert = index.certificates.get(iri)
            if cert is not None:
                found |= {iri, cert.issuer, cert.qualification or "", cert.grade} & records
    return found


def _kind(was: Route | None, now: Route | None) -> RouteChangeKind | None:
    if was is None and now is None:
        return None
    if was is None:
        return RouteChangeKind.APPEARED
    if now is None:
        return RouteChangeKind.DISAPPEARED
    before, after = STRENGTH[was.strength], STRENGTH[now.strength]
    if before == after:
        return None
    return RouteChangeKind.STRONGER if after > before else RouteChangeKind.WEAKER


def causes_by_record(records: Iterable[RecordChange]) -> dict[str, tuple[Cause, ...]]:
    """Record IRI -> the changesets that changed it (issuer facts count for their issuer)."""
    found: dict[str, list[Cause]] = {}
    for change in records:
        if change.iri is not None:
            found.setdefault(change.iri, []).extend(change.causes)
    return {iri: tuple(dict.fromkeys(causes)) for iri, causes in found.items()}


# --- two versions of a store ------------------------------------------------------------------------------------


def diff(
    store: stores.GraphStore | stores.Location,
    source: str,
    target: str,
    *,
    as_of: date | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    index_of: Callable[[Path], RoutingIndex] | None = None,
) -> Diff:
    """What changed from the version *source* names to the one *target* names (each ``current``, a release's tag
    or a version kept): the records, and the routes they changed. NotFound for a name the store does not keep.

    *index_of* gives a version's routing index (a server keeps those it loaded); by default, ``index_for``.
    """
    graph_store = stores.as_store(store)
    versions = [version_of(graph_store, name) for name in (source, target)]
    tables = [graph_store.kept_tables(version) for version in versions]
    for version, folder in zip(versions, tables, strict=True):
        if not folder.is_dir():
            raise StoreError(
                f"the store does not keep the tables the version {version.name} was built from",
                hint="a diff compares versions built by this certbridge (build or write once more)",
            )
    logs = [read_log(folder) for folder in tables]
    known = [{c.id for c in log} for log in logs]
    between = [c for c in logs[1] if c.id not in known[0]] + [c for c in logs[0] if c.id not in known[1]]
    indexes = [(index_of or functools.partial(index_for, graph_store))(version) for version in versions]
    return compare(
        (versions[0].name, tables[0], indexes[0]),
        (versions[1].name, tables[1], indexes[1]),
        between,
        as_of=as_of,
        max_pairs=max_pairs,
        releases=(_tag(source), _tag(target)),
    )


#: one side of a comparison: the version's name, the folder of its tables and its routing index
Side = tuple[str, Path, RoutingIndex]


def compare(
    before: Side,
    after: Side,
    changes: Iterable[Changeset],
    *,
    as_of: date | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    releases: tuple[str | None, str | None] = (None, None),
    proposed: bool = False,
) -> Diff:
    """The diff of two sides (a version's name, tables and index), *changes* being the changesets between them:
    what :func:`diff` answers for two versions of a store, and graph/proposed.py for a change not yet made."""
    records, causes = record_changes(before[1], after[1], changes)
    routes = route_changes(before[2], after[2], as_of=as_of, max_pairs=max_pairs, causes_of=causes_by_record(records))
    notes = []
    if proposed:
        notes.append("a proposed change: nothing was written; the diff is what applying it would make")
    if not routes.complete:
        notes.append(
            f"stopped after comparing {routes.pairs_compared:,} pairs (max_pairs); route changes of other pairs "
            "may be missing"
        )
    return Diff(
        from_version=before[0],
        to_version=after[0],
        records=records,
        changes=causes,
        routes=routes,
        from_release=releases[0],
        to_release=releases[1],
        proposed=proposed,
        notes=tuple(notes),
    )


def _tag(name: str) -> str | None:
    return None if name == stores.CURRENT or name.startswith(stores.VERSION_PREFIX) else name
