"""Coverage: how far are we from mutual recognition? And what would hypothetical agreements change?

For certificate types grouped as asked (by the regions, the occupation major groups or the issuer kinds
of the pair), coverage is the share of ordered pairs (A, B) of one occupation, A's grade at least B's,
A and B from different issuers, such that A is accepted where B is required through formal recognition
(formal-recognition hops, with grade dominance inside one issuer). Per occupation, reachability in that
sub-graph is computed once per certificate type, so the count is exact; national-scale runs may sample
occupations (``max_pairs``) and say so.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx

from certbridge.ontology import ID

from ..choices import GROUPINGS, Direction, Grouping, HopKind
from ..convert.agreements import direction_defects
from ..convert.issuers import ORGANISATION_KINDS
from ..errors import DataError, InvalidOption
from ..tables import ErrorLog, read_table
from .graphs import GraphOptions, certificate_graph
from .records import Agreement, Derived, RoutingIndex
from .rules import agreement_in_force

CROSS = Grouping.OCCUPATION_GROUP_BY_ISSUER_KIND.value
FORMAL_KINDS = (HopKind.FORMAL_RECOGNITION, HopKind.GRADE_DOMINANCE)


@dataclass
class Cell:
    pairs: int = 0
    covered: int = 0

    @property
    def share(self) -> float:
        return self.covered / self.pairs if self.pairs else 0.0


@dataclass
class Coverage:
    by: str
    as_of: str
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    sampled_occupations: int | None = None  # None: every occupation was counted
    newly_connected: list[tuple[str, str]] = field(default_factory=list)
    #: the illustrative or synthetic records the figures rest on (certificate types in a counted pair, their
    #: issuers, and the agreements in force that cover a counted occupation): every answer says so when any
    flagged: set[str] = field(default_factory=set)

    @property
    def illustrative(self) -> bool:
        """True when any figure rests on an illustrative or synthetic record."""
        return bool(self.flagged)

    @property
    def total(self) -> Cell:
        return Cell(sum(c.pairs for c in self.cells.values()), sum(c.covered for c in self.cells.values()))

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "as_of": self.as_of,
            "sampled_occupations": self.sampled_occupations,
            "illustrative": self.illustrative,
            "illustrative_records": len(self.flagged),
            "total": {"pairs": self.total.pairs, "covered": self.total.covered, "share": round(self.total.share, 4)},
            "cells": [
                {"from": a, "to": b, "pairs": c.pairs, "covered": c.covered, "share": round(c.share, 4)}
                for (a, b), c in sorted(self.cells.items())
            ],
            "newly_connected": [{"from": a, "to": b} for a, b in self.newly_connected],
        }


def _cell(index: RoutingIndex, a: str, b: str, by: str) -> tuple[str, str]:
    """The (row, column) of the pair (A held, B required)."""
    if by == CROSS:
        return _group(index, a, "occupation-group"), _group(index, a, "issuer-kind")
    return _group(index, a, by), _group(index, b, by)


def _group(index: RoutingIndex, iri: str, by: str) -> str:
    cert = index.certificates[iri]
    issuer = index.issuers[cert.issuer]
    if by == "region":  # by province: an issuer in a city counts with its province
        province = index.province_of(issuer.region)
        return index.region_labels.get(province or "", (None, None))[1] or province or "national"
    if by == "occupation-group":
        return cert.occupation.split("-", 1)[0]
    return issuer.kind


def covered_pairs(
    index: RoutingIndex, occupation: str, day: date
) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """All eligible ordered pairs of one occupation, and those connected by formal recognition."""
    graph = certificate_graph(index, GraphOptions(occupation, day, FORMAL_KINDS))
    certs = [iri for iri in index.by_occupation.get(occupation, ()) if iri in graph]
    eligible: list[tuple[str, str]] = []
    covered: set[tuple[str, str]] = set()
    for a in certs:
        reach = nx.descendants(graph, a)
        ca = index.certificates[a]
        for b in certs:
            cb = index.certificates[b]
            ga, gb = index.grades[ca.grade], index.grades[cb.grade]
            if a == b or ca.issuer == cb.issuer or ga.ladder != gb.ladder or ga.rank < gb.rank:
                continue
            eligible.append((a, b))
            if b in reach:
                covered.add((a, b))
    return eligible, covered


def coverage(
    index: RoutingIndex,
    *,
    by: str = "region",
    as_of: date | None = None,
    max_occupations: int | None = None,
    seed: int = 1,
) -> Coverage:
    """The coverage table; with *max_occupations*, a random sample of occupations (stated in the result)."""
    if by not in GROUPINGS:
        raise InvalidOption(f"unknown grouping {by!r}; use {', '.join(GROUPINGS)}")
    day = as_of or date.today()
    occupations = sorted(index.by_occupation)
    sampled = None
    if max_occupations is not None and len(occupations) > max_occupations:
        occupations = sorted(random.Random(seed).sample(occupations, max_occupations))
        sampled = max_occupations
    result = Coverage(by, day.isoformat(), sampled_occupations=sampled)
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    counted: set[str] = set()
    for occupation in occupations:
        eligible, covered = covered_pairs(index, occupation, day)
        for a, b in eligible:
            cell = cells[_cell(index, a, b, by)]
            cell.pairs += 1
            cell.covered += (a, b) in covered
        if eligible:
            counted.add(occupation)
            result.flagged |= _flagged_members(index, {end for pair in eligible for end in pair})
    result.flagged |= {
        agreement.iri
        for agreement in index.agreements.values()
        if (agreement.illustrative or agreement.synthetic)
        and agreement.recognises
        and agreement_in_force(agreement, day)[0]
        and any(agreement.covers_occupation(code) for code in counted)
    }
    result.cells = dict(cells)
    return result


def _flagged_members(index: RoutingIndex, certificates: set[str]) -> set[str]:
    """The illustrative or synthetic ones among *certificates* and their issuers."""
    found: set[str] = set()
    for iri in certificates:
        cert = index.certificates[iri]
        if cert.illustrative or cert.synthetic:
            found.add(iri)
        issuer = index.issuers[cert.issuer]
        if issuer.illustrative or issuer.synthetic:
            found.add(issuer.iri)
    return found


def group_iri(index: RoutingIndex, by: str, key: str) -> str | None:
    """The record a coverage group stands for (a region, an occupation major group, an issuer kind's class), so
    that pages can name it in their language; None for "national" (no province) and for unknown keys."""
    if by == "region":
        return next((iri for iri, (_, en) in index.region_labels.items() if en == key or iri == key), None)
    if by == "occupation-group":
        return f"{ID}occupation/{key}"
    if by == "issuer-kind":
        kind = ORGANISATION_KINDS.get(key)
        return str(kind) if kind is not None else None
    return None


def group_iris(index: RoutingIndex, table: Coverage) -> dict[str, str]:
    """Every row's and column's key -> the record it stands for (rows and columns of the cross grouping are an
    occupation group and an issuer kind)."""
    rows_by, columns_by = ("occupation-group", "issuer-kind") if table.by == CROSS else (table.by, table.by)
    found: dict[str, str] = {}
    for a, b in table.cells:
        for key, by in ((a, rows_by), (b, columns_by)):
            iri = group_iri(index, by, key)
            if iri is not None:
                found[key] = iri
    return found


def cell_pairs(
    index: RoutingIndex, *, by: str, row: str, column: str, as_of: date, limit: int = 200
) -> list[tuple[str, str, bool]]:
    """The ordered pairs behind one coverage cell (certificate group *row*, required group *column*), and
    whether each has a formal-recognition route; at most *limit* (uncovered ones first)."""
    if by not in GROUPINGS:
        raise InvalidOption(f"unknown grouping {by!r}; use {', '.join(GROUPINGS)}")
    found: list[tuple[str, str, bool]] = []
    for occupation in sorted(index.by_occupation):
        members = index.by_occupation[occupation]
        row_of = "occupation-group" if by == CROSS else by
        if not any(_group(index, iri, row_of) == row for iri in members):
            continue
        eligible, covered = covered_pairs(index, occupation, as_of)
        found += [(a, b, (a, b) in covered) for a, b in eligible if _cell(index, a, b, by) == (row, column)]
    return sorted(found, key=lambda pair: (pair[2], pair[0], pair[1]))[:limit]


def what_if(
    index: RoutingIndex,
    agreements: list[Agreement],
    *,
    by: str = "region",
    as_of: date | None = None,
    max_occupations: int | None = None,
    list_limit: int = 100,
) -> tuple[Coverage, Coverage]:
    """Coverage before and after adding hypothetical *agreements* (the store is never written)."""
    day = as_of or date.today()
    before = coverage(index, by=by, as_of=day, max_occupations=max_occupations)
    hypothetical = replace(index, agreements={**index.agreements, **{a.iri: a for a in agreements}}, derived=Derived())
    after = coverage(hypothetical, by=by, as_of=day, max_occupations=max_occupations)
    touched = {code for code in hypothetical.by_occupation if any(a.covers_occupation(code) for a in agreements)}
    for occupation in sorted(touched):
        _, old = covered_pairs(index, occupation, day)
        _, new = covered_pairs(hypothetical, occupation, day)
        after.newly_connected.extend(sorted(new - old)[: max(0, list_limit - len(after.newly_connected))])
    return before, after


def what_if_json(before: Coverage, after: Coverage) -> dict[str, Any]:
    """The JSON of a what-if (the API's and ``certbridge what-if --json``): both tables, and the illustrative or
    synthetic records either rests on, counted once (the hypothetical agreements are illustrative)."""
    flagged = before.flagged | after.flagged
    return {
        "before": before.to_json(),
        "after": after.to_json(),
        "illustrative": bool(flagged),
        "illustrative_records": len(flagged),
    }


WHAT_IF_COLUMNS = (
    "id",
    "direction",
    "party_refs",
    "recognising_refs",
    "recognised_refs",
    "scope_occupation_codes",
    "scope_min_grade",
    "scope_max_grade",
    "scope_issuer_kinds",
    "valid_from",
    "valid_to",
)


def read_hypothetical(path: Path, index: RoutingIndex, *, content: bytes | None = None) -> list[Agreement]:
    """Hypothetical agreements from a CSV with the columns of agreements.csv that routing uses.

    With *content*, those bytes are read, and *path* only names them in the defects (``what-if.csv:3: ...``).
    """
    log = ErrorLog()
    table = read_table(path, WHAT_IF_COLUMNS, log, content=content)
    parties = {f"region:{iri.rsplit('/', 1)[-1]}": iri for iri in index.region_labels}
    parties |= {f"org:{iri.rsplit('/', 1)[-1]}": iri for iri in index.issuers}
    grades = {iri.rsplit("/", 1)[-1]: iri for iri in index.grades}
    kinds = {issuer.kind for issuer in index.issuers.values()}
    found = []
    for key, row in table.unique_ids().items():
        direction = row.choice("direction", (Direction.MUTUAL.value, Direction.ONE_WAY.value), required=True)
        refs = {
            column: [parties[r] for r in row.refs(column, parties, what="party")]
            for column in ("party_refs", "recognising_refs", "recognised_refs")
        }
        sides = {"recognising": bool(refs["recognising_refs"]), "recognised": bool(refs["recognised_refs"])}
        for defect in direction_defects(direction, **sides):
            row.error("direction", defect)
        low = row.ref("scope_min_grade", grades, what="grade")
        high = row.ref("scope_max_grade", grades, what="grade")
        start, end = row.date("valid_from", required=True), row.date("valid_to")
        if direction is None or start is None:
            continue
        scope = row.text("scope_occupation_codes")
        found.append(
            Agreement(
                iri=f"{ID}hypothetical/{key}",
                label_zh=f"假设：{key}",
                label_en=f"HYPOTHETICAL: {key}",
                direction=direction,
                mechanism="equivalence",
                status="signed",
                recognises=True,
                parties=frozenset(refs["party_refs"] + refs["recognising_refs"] + refs["recognised_refs"]),
                recognising=frozenset(refs["recognising_refs"]),
                recognised=frozenset(refs["recognised_refs"]),
                scope_codes=tuple(scope.split(";")) if scope else (),
                min_grade=grades.get(low) if low else None,
                max_grade=grades.get(high) if high else None,
                issuer_kinds=frozenset(row.refs("scope_issuer_kinds", kinds, what="issuer kind")),
                valid_from=start,
                valid_to=end,
                illustrative=True,
            )
        )
    if log:
        raise DataError(log.errors, hint="fix the rows named above; a what-if never changes the store")
    return found


__all__ = [
    "GROUPINGS",
    "Coverage",
    "Grouping",
    "coverage",
    "group_iris",
    "read_hypothetical",
    "what_if",
    "what_if_json",
]
