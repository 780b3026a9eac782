"""The answer of a route query: routes of hops, each hop with its evidence. ``to_json`` is the stable shape.

Records are built with keywords; their fields' order is the order of the JSON's keys.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum, StrEnum
from typing import Any

import orjson

from ..choices import HopKind

#: hop kind -> its strength (the strongest, formal recognition, is the highest)
STRENGTH: dict[HopKind, int] = {kind: len(HopKind) - i for i, kind in enumerate(HopKind)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    iri: str
    title: str | None
    url: str | None
    trust: str | None
    document_number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """What a holder must still do after recognition under an agreement (cb:RecognitionCondition)."""

    kind: str  # examination, comprehensive-review or residence
    text: str | None  # the source's words
    agreement: str  # the agreement's IRI, which the condition belongs to


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What justifies a hop: the agreement, qualification (standard), grade order or bridge, and its sources."""

    iri: str
    kind: str
    label_zh: str | None
    label_en: str | None
    sources: tuple[Source, ...] = ()
    document_number: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    status: str | None = None
    mechanism: str | None = None
    direction: str | None = None
    rule: str | None = None
    illustrative: bool = False
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    #: what the holder must still do (an agreement's conditions); empty when none is stated
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerQuality:
    """The evaluation-quality facts of an issuer that decide whether others trust its certificates."""

    issuer: str
    label_zh: str | None
    label_en: str | None
    kind: str
    region: str | None
    question_bank: str | None
    checks: tuple[tuple[str, str], ...] = ()  # (date, result), newest first
    sanctions: tuple[tuple[str, str, str], ...] = ()  # (date, reason, resulting status)
    illustrative: bool = False
    synthetic: bool = False
    #: when a source last reported its authorisation's status (a partial date): the status is as of then, not now
    last_confirmed: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    iri: str
    label_zh: str | None
    label_en: str | None
    node_type: str  # "certificate-type" or "credential"
    illustrative: bool = False
    synthetic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Hop:
    source: Endpoint
    target: Endpoint
    kind: HopKind
    direction: str  # "source accepted where target is required"
    evidence: Evidence
    derivation: str  # "asserted" or "inferred"
    quality: tuple[IssuerQuality, ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    hops: tuple[Hop, ...]

    @property
    def strength(self) -> HopKind:
        return min((hop.kind for hop in self.hops), key=STRENGTH.__getitem__)

    @property
    def illustrative(self) -> bool:
        return any(hop.evidence.illustrative or hop.source.illustrative or hop.target.illustrative for hop in self.hops)

    @property
    def synthetic(self) -> bool:
        return any(hop.evidence.synthetic or hop.source.synthetic or hop.target.synthetic for hop in self.hops)

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """The union of the hops' conditions, in hop order: everything the holder must still do on this route."""
        return tuple(dict.fromkeys(c for hop in self.hops for c in hop.evidence.conditions))


class Absence(StrEnum):
    """Why there is no route, as a closed set: ``NoRoute.reason`` says it in English with the particulars, this
    lets a page say it in its own language."""

    #: the certificate held or the one required comes from an issuer that could not issue valid ones that day
    ISSUER_NOT_VALID = "issuer-not-valid"
    #: the two certify different occupations (routes keep the occupation)
    DIFFERENT_OCCUPATIONS = "different-occupations"
    #: the grade required is above the one held, or on another ladder (no hop raises a grade)
    GRADE_TOO_HIGH = "grade-too-high"
    #: nothing connects them within the hops and hop kinds allowed, on that day
    NOT_CONNECTED = "not-connected"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoRoute:
    """Why there is no route, and what would connect the two."""

    reason: str
    source_reaches: tuple[Endpoint, ...] = ()
    target_reached_from: tuple[Endpoint, ...] = ()
    missing_agreement: str | None = None
    kind: Absence = Absence.NOT_CONNECTED


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    source: Endpoint
    target: Endpoint
    as_of: str
    kinds: tuple[HopKind, ...]
    max_hops: int
    k: int
    routes: tuple[Route, ...] = ()
    no_route: NoRoute | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: True when hops through agreements with conditions were left out (``find_routes(..., unconditional=True)``)
    unconditional: bool = False

    def to_json(self) -> dict[str, Any]:
        """The documented, stable JSON shape (also returned by the REST API)."""
        shape: dict[str, Any] = as_json(self._shape())
        return shape

    def to_json_bytes(self) -> bytes:
        """``to_json()`` serialised, by orjson straight from the records (it writes a dataclass's fields in
        order, as ``to_json`` does): the REST API's answer, without building the dicts first."""
        return orjson.dumps(self._shape())

    def _shape(self) -> dict[str, Any]:
        body: dict[str, Any] = {name: getattr(self, name) for name in _names(RouteAnswer)}
        body["routes"] = [
            {
                "strength": route.strength,
                "hops": len(route.hops),
                "illustrative": route.illustrative,
                "synthetic": route.synthetic,
                "conditions": route.conditions,
                "steps": route.hops,
            }
            for route in self.routes
        ]
        body["found"] = bool(self.routes)
        return body


@functools.cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def as_json(value: Any) -> Any:
    """JSON-ready lists and dicts of a record, as ``RouteAnswer.to_json`` shows it (``dataclasses.asdict``
    deep-copies every leaf: several times slower, and the route service answers hundreds of these a second). Leaves
    are told by their exact type first: most values are strings."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is tuple or kind is list:
        return [as_json(item) for item in value]
    if kind is dict:
        return {key: as_json(item) for key, item in value.items()}
    if is_dataclass(kind):
        return {name: as_json(getattr(value, name)) for name in _names(kind)}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, Enum):  # a hop kind: its name, as orjson writes it
        return value.value
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})
