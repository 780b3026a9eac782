"""Small hand-made routing indexes for the route tests (no store needed), and a brute-force route finder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from certbridge.graph.dates import PartialDate
from certbridge.graph.routing.model import STRENGTH, Condition, RouteAnswer
from certbridge.graph.routing.records import (
    Agreement,
    Bridge,
    Certificate,
    Grade,
    Issuer,
    Qualification,
    QualityCheck,
    RoutingIndex,
    Sanction,
)
from certbridge.graph.routing.rules import agreement_in_force, issuer_standing

ID = "https://w3id.org/certbridge/id/"
OCCUPATION = "6-04-02-01"
GRADES = ["junior", "intermediate", "senior", "technician", "senior-technician"]


def region(code: str) -> str:
    return f"{ID}region/{code}"


def grade(name: str) -> str:
    return f"{ID}grade/{name}"


def cert(name: str) -> str:
    return f"{ID}certificate-type/{name}"


def issuer(name: str) -> str:
    return f"{ID}organisation/{name}"


@dataclass
class World:
    index: RoutingIndex = field(default_factory=RoutingIndex)

    def __post_init__(self) -> None:
        for rank, name in enumerate(GRADES, start=2):
            self.index.grades[grade(name)] = Grade(
                iri=grade(name), ladder="worker", rank=rank, label_zh=name, label_en=name
            )
        self.index.occupation_labels[OCCUPATION] = "纺纱工"
        self.index.credentials[f"{ID}credential/engineer"] = ("工程师", "engineer")

    def issuer(
        self,
        name: str,
        *,
        kind: str = "government-hr-authority",
        region_code: str = "110000",
        bank: str = "national",
        sanctioned: str | None = None,
        checks: tuple = (),
    ) -> str:
        iri = issuer(name)
        sanctions = (Sanction(PartialDate.parse(sanctioned), "excessive-issuance", "suspended"),) if sanctioned else ()
        self.index.issuers[iri] = Issuer(
            iri=iri,
            label_zh=name,
            label_en=name,
            kind=kind,
            region=region(region_code),
            question_bank=bank,
            sanctions=sanctions,
            checks=tuple(QualityCheck(PartialDate.parse(d), r) for d, r in checks),
        )
        return iri

    def cert(
        self,
        name: str,
        issuer_name: str,
        grade_name: str,
        *,
        qualification: str | None = "q",
        occupation: str = OCCUPATION,
    ) -> str:
        q = None
        if qualification:
            q = f"{ID}qualification/{occupation}/{grade_name}/{qualification}"
            self.index.qualifications.setdefault(
                q,
                Qualification(
                    iri=q,
                    label_zh=q,
                    label_en=q,
                    standard=f"{ID}standard/{qualification}",
                    standard_label=qualification,
                    edition="2019",
                ),
            )
        iri = cert(name)
        self.index.certificates[iri] = Certificate(
            iri=iri,
            label_zh=name,
            label_en=name,
            issuer=issuer(issuer_name),
            occupation=occupation,
            grade=grade(grade_name),
            qualification=q,
        )
        self.index.by_occupation[occupation].append(iri)
        return iri

    def agreement(
        self,
        name: str,
        *,
        direction: str = "mutual",
        parties: tuple[str, ...] = (),
        recognising: tuple[str, ...] = (),
        recognised: tuple[str, ...] = (),
        scope: tuple[str, ...] = (),
        min_grade: str | None = None,
        max_grade: str | None = None,
        kinds: tuple[str, ...] = (),
        valid_from: str | None = "2020-01-01",
        valid_to: str | None = None,
        status: str = "signed",
        recognises: bool = True,
        conditions: tuple[str, ...] = (),
    ) -> str:
        """An agreement; *conditions* are the kinds of what a holder must still do (examination ...)."""
        iri = f"{ID}agreement/{name}"
        all_parties = frozenset(parties) | frozenset(recognising) | frozenset(recognised)
        self.index.agreements[iri] = Agreement(
            iri=iri,
            label_zh=name,
            label_en=name,
            direction=direction,
            mechanism="equivalence",
            status=status,
            recognises=recognises,
            parties=all_parties,
            recognising=frozenset(recognising),
            recognised=frozenset(recognised),
            scope_codes=scope,
            min_grade=grade(min_grade) if min_grade else None,
            max_grade=grade(max_grade) if max_grade else None,
            issuer_kinds=frozenset(kinds),
            valid_from=PartialDate.parse(valid_from) if valid_from else None,
            valid_to=PartialDate.parse(valid_to) if valid_to else None,
            conditions=tuple(Condition(kind=kind, text=f"{kind} ({name})", agreement=iri) for kind in conditions),
        )
        return iri

    def bridge(self, grade_name: str, credential: str = f"{ID}credential/engineer") -> None:
        iri = f"{ID}bridge/{grade_name}"
        self.index.bridges[grade(grade_name)].append(
            Bridge(iri=iri, grade=grade(grade_name), credential=credential, relation="may_apply_for", years=3)
        )


# --- brute force -------------------------------------------------------------------------------------


def hop_kinds(index: RoutingIndex, a: str, b: str, day: date, *, unconditional: bool = False) -> set[str]:
    """Every hop kind that directly links certificate a to certificate b (written from the rules, not the engine);
    *unconditional*: agreements with conditions do not count."""
    ca, cb = index.certificates[a], index.certificates[b]
    if a == b or ca.occupation != cb.occupation:
        return set()
    kinds = set()
    if ca.qualification and ca.qualification == cb.qualification:
        kinds.add("same-qualification")
    ga, gb = index.grades[ca.grade], index.grades[cb.grade]
    if ca.issuer == cb.issuer and ga.ladder == gb.ladder and ga.rank > gb.rank:
        kinds.add("grade-dominance")
    ia, ib = index.issuers[ca.issuer], index.issuers[cb.issuer]
    parties_a, parties_b = {ia.iri, ia.region}, {ib.iri, ib.region}
    for g in index.agreements.values():
        if ca.grade != cb.grade or not agreement_in_force(g, day)[0] or (unconditional and g.conditions):
            continue
        if g.scope_codes and not any(ca.occupation == s or ca.occupation.startswith(s + "-") for s in g.scope_codes):
            continue
        low = index.grades[g.min_grade].rank if g.min_grade else 0
        high = index.grades[g.max_grade].rank if g.max_grade else 99
        if not low <= ga.rank <= high:
            continue
        if g.issuer_kinds and ia.kind not in g.issuer_kinds:
            continue
        if g.direction == "one-way":
            ok = parties_a & g.recognised and parties_b & g.recognising and not parties_b & g.recognised
        else:
            ok = any(p in parties_a and (parties_b & (g.parties - {p})) and p not in parties_b for p in g.parties)
        if ok:
            kinds.add("formal-recognition")
    return kinds


def brute_force_routes(
    index: RoutingIndex,
    source: str,
    target: str,
    day: date,
    max_hops: int,
    kinds: set[str],
    *,
    unconditional: bool = False,
) -> Iterator[tuple[int, int]]:
    """(strength, hops) of every simple certificate-level path, by exhaustive search."""
    valid = {iri for iri, c in index.certificates.items() if issuer_standing(index.issuers[c.issuer], day) is None}
    if source not in valid or target not in valid:
        return

    def walk(path: list[str], weakest: int) -> Iterator[tuple[int, int]]:
        if len(path) - 1 > max_hops:
            return
        here = path[-1]
        if here == target and len(path) > 1:
            yield weakest, len(path) - 1
            return
        for nxt in valid:
            if nxt in path:
                continue
            usable = hop_kinds(index, here, nxt, day, unconditional=unconditional) & kinds
            if usable:
                yield from walk([*path, nxt], min(weakest, max(STRENGTH[k] for k in usable)))

    yield from walk([source], 99)


def three_issuers() -> World:
    """An enterprise (370000), a state authority (320000) and a school (130000), with certificate types a and b
    (senior technician, one standard), c (the enterprise's technician, no standard) and d (the school's, another
    standard): the world the rule tests start from."""
    w = World()
    w.issuer("ent", kind="authorised-enterprise", region_code="370000", bank="own")
    w.issuer("gov", region_code="320000")
    w.issuer("school", kind="vocational-school", region_code="130000")
    w.cert("a", "ent", "senior-technician")
    w.cert("b", "gov", "senior-technician")
    w.cert("c", "ent", "technician", qualification=None)
    w.cert("d", "school", "senior-technician", qualification="other-standard")
    return w


def kinds_of(answer: RouteAnswer) -> list[tuple[str, int]]:
    """(strength, hops) of each route of an answer, in order."""
    return [(route.strength, len(route.hops)) for route in answer.routes]
