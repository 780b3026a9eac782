"""Response models of the REST API: what ``/openapi.json`` documents is what each endpoint sends.

The route answer is serialised by orjson straight from the domain records (``RouteAnswer.to_json_bytes``)
for speed, so ``RouteAnswerOut`` documents that body rather than producing it; tests validate real answers
against it (``extra="forbid"`` everywhere here, so a field added on either side fails them).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from certbridge.graph.choices import HOP_KINDS, ConditionKind, HopKind
from certbridge.graph.routing.coverage import Grouping
from certbridge.graph.routing.model import Absence
from certbridge.graph.routing.search import SearchKind
from certbridge.graph.writes import Applied

_CLOSED = ConfigDict(extra="forbid")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _strict_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` (pydantic's ``date`` alone also takes integers and timestamps: ``0`` is 1970-01-01)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD, e.g. 2024-01-01")
    return value


#: a calendar day, strictly ``YYYY-MM-DD``
Day = Annotated[
    date,
    BeforeValidator(_strict_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]


def _split_commas(value: object) -> object:
    """Repeated parameters and comma-separated ones alike (``kinds=a,b`` as ``kinds=a&kinds=b``); a blank one
    (``kinds=``) names nothing the schema allows, so it is refused (422) rather than read as "every kind"."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        parts = [part.strip() for item in value for part in str(item).split(",")]
        if not all(parts):
            raise ValueError("a blank value names nothing: leave the parameter out for all, or name one or more")
        return parts
    return value


#: a list parameter that may also be given comma-separated
Listed = BeforeValidator(_split_commas)


def answered(
    model: type[BaseModel], status: int = 200, *, content: dict[str, Any] | None = None, **response: Any
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a success *status* that shows *model*'s example (for /docs and the tests);
    *content* adds other media types."""
    example = (model.model_config.get("json_schema_extra") or {}).get("example")  # type: ignore[union-attr]
    media = {"application/json": {"example": example}, **(content or {})}
    return {status: {"model": model, "content": media, **response}}


CERT = "https://w3id.org/certbridge/id/certificate-type/"
HENGFENG = f"{CERT}IL-CT-hengfeng-spinner-senior-technician"
JIANGSU = f"{CERT}IL-CT-js-hrss-spinner-senior-technician"


class EndpointOut(BaseModel):
    """A certificate type, or a credential (professional title, education level) reached by a bridge."""

    model_config = _CLOSED
    iri: str
    label_zh: str | None
    label_en: str | None
    node_type: Literal["certificate-type", "credential"]
    illustrative: bool
    synthetic: bool


class SourceOut(BaseModel):
    model_config = _CLOSED
    iri: str
    title: str | None
    url: str | None
    trust: str | None
    document_number: str | None


class ConditionOut(BaseModel):
    """What a holder must still do after recognition under an agreement, as its source states it."""

    model_config = _CLOSED
    kind: ConditionKind
    text: str | None = Field(description="the source's words, in the source's language")
    agreement: str = Field(description="the IRI of the agreement that sets the condition")


class EvidenceOut(BaseModel):
    """What justifies a hop: the agreement, qualification (standard), grade order or bridge, and its sources."""

    model_config = _CLOSED
    iri: str
    kind: str = Field(examples=["recognition-agreement"])
    label_zh: str | None
    label_en: str | None
    sources: list[SourceOut]
    document_number: str | None
    valid_from: str | None
    valid_to: str | None
    status: str | None
    mechanism: str | None
    direction: str | None
    rule: str | None = Field(description="the IRI of the rule that inferred the hop, if it was inferred")
    illustrative: bool
    notes: list[str]
    synthetic: bool
    conditions: list[ConditionOut] = Field(description="what the holder must still do; empty when none is stated")


class IssuerQualityOut(BaseModel):
    """The evaluation-quality facts of an issuer that decide whether others trust its certificates."""

    model_config = _CLOSED
    issuer: str
    label_zh: str | None
    label_en: str | None
    kind: str
    region: str | None
    question_bank: str | None
    checks: list[tuple[str, str]] = Field(description="(date, result), newest first")
    sanctions: list[tuple[str, str, str]] = Field(description="(date, reason, resulting status)")
    illustrative: bool
    synthetic: bool
    last_confirmed: str | None = Field(
        description="when a source last reported the issuer's authorisation status (YYYY, YYYY-MM or YYYY-MM-DD, "
        "as precise as the source): the status is as of then, not necessarily now"
    )


class HopOut(BaseModel):
    model_config = _CLOSED
    source: EndpointOut
    target: EndpointOut
    kind: HopKind
    direction: str = Field(examples=["source accepted where target is required"])
    evidence: EvidenceOut
    derivation: Literal["asserted", "inferred"]
    quality: list[IssuerQualityOut]


class RouteOut(BaseModel):
    model_config = _CLOSED
    strength: HopKind = Field(description="the kind of the route's weakest hop")
    hops: int = Field(ge=1)
    illustrative: bool
    synthetic: bool
    steps: list[HopOut]
    conditions: list[ConditionOut] = Field(description="the union of the hops' conditions, in hop order")


class NoRouteOut(BaseModel):
    """Why there is no route, and what would connect the two."""

    model_config = _CLOSED
    reason: str
    source_reaches: list[EndpointOut]
    target_reached_from: list[EndpointOut]
    missing_agreement: str | None
    kind: Absence = Field(description="why, as a closed set (reason says it in English, with the particulars)")


class RouteAnswerOut(BaseModel):
    """The k best routes, strongest first (the same JSON as ``certbridge route --json``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "source": {
                    "iri": HENGFENG,
                    "label_zh": "德州恒丰集团 纺纱工 高级技师（示例）",
                    "label_en": "Dezhou Hengfeng Group 纺纱工 senior technician (illustrative)",
                    "node_type": "certificate-type",
                    "illustrative": True,
                    "synthetic": False,
                },
                "target": {
                    "iri": JIANGSU,
                    "label_zh": "江苏省人力资源和社会保障厅 纺纱工 高级技师（示例）",
                    "label_en": "Jiangsu HRSS 纺纱工 senior technician (illustrative)",
                    "node_type": "certificate-type",
                    "illustrative": True,
                    "synthetic": False,
                },
                "as_of": "2024-01-01",
                "kinds": list(HOP_KINDS),
                "max_hops": 6,
                "k": 3,
                "routes": [],
                "no_route": None,
                "notes": [],
                "found": False,
                "unconditional": False,
            }
        },
    )
    source: EndpointOut
    target: EndpointOut
    as_of: str = Field(examples=["2024-01-01"])
    kinds: list[HopKind]
    max_hops: int
    k: int
    routes: list[RouteOut]
    no_route: NoRouteOut | None
    notes: list[str]
    found: bool
    unconditional: bool = Field(description="true when routes through agreements with conditions were left out")


class SearchHitOut(BaseModel):
    model_config = _CLOSED
    iri: str
    label: str
    type: SearchKind
    match: Literal["exact", "prefix", "substring", "pinyin"] = Field(
        description="exact id, code or name; a name or id starting with the text; containing it; via pinyin only"
    )
    retired: str | None = Field(
        None, description="for a retired record: when it stopped counting and why ('retired on 2026-06-01 (…)')"
    )


class SearchOut(BaseModel):
    """One page of the matches, best first."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "query": "纺纱工",
                "total": 9,
                "total_exact": True,
                "offset": 0,
                "limit": 20,
                "results": [
                    {
                        "iri": "https://w3id.org/certbridge/id/occupation/6-04-02-01",
                        "label": "6-04-02-01 纺纱工",
                        "type": "occupation",
                        "match": "exact",
                        "retired": None,
                    }
                ],
            }
        },
    )
    query: str
    total: int = Field(ge=0, description="how many entries match (at least this many when total_exact is false)")
    total_exact: bool
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)
    results: list[SearchHitOut]


class StatementOut(BaseModel):
    model_config = _CLOSED
    predicate: str | None
    object: str | None
    object_is_iri: bool
    label_zh: str | None
    label_en: str | None
    graph: str | None


class RetiredOut(BaseModel):
    """That the record is retired (data/retirements.csv): it no longer counts from ``retired_on``."""

    model_config = _CLOSED
    retired_on: str = Field(description="the day it stops counting (a partial date, as precise as its source)")
    reason: str | None = Field(description="why it was retired")
    retirement: str = Field(description="the retirement's IRI (its source and note are its statements)")


class HistoryOut(BaseModel):
    """A changeset that added, corrected or retired the record (GET /api/v1/changes has its rows)."""

    model_config = _CLOSED
    changeset: str
    kind: Literal["add", "correct", "retire"]
    writer: str
    at: str = Field(description="when it was applied (UTC)")
    note: str = Field(description="why, as the writer said")
    version: str | None = Field(description="the store version it made")


class EntityOut(BaseModel):
    """An entity's statements (each with the named graph it comes from), labels of what they point to, whether it
    is retired (when and why), and the changesets that touched it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "iri": "https://w3id.org/certbridge/id/organisation/hengfeng",
                "statements": [
                    {
                        "predicate": "rdfs:label",
                        "object": '"德州恒丰集团"@zh',
                        "object_is_iri": False,
                        "label_zh": None,
                        "label_en": None,
                        "graph": "cbg:organisations",
                    }
                ],
                "incoming_links": 4,
                "retired": None,
                "history": [],
            }
        },
    )
    iri: str
    statements: list[StatementOut]
    incoming_links: int = Field(ge=0)
    retired: RetiredOut | None = Field(description="set when the record is retired: when and why")
    history: list[HistoryOut] = Field(description="the writes that added, corrected or retired it, oldest first")


class ShareOut(BaseModel):
    model_config = _CLOSED
    pairs: int = Field(ge=0)
    covered: int = Field(ge=0)
    share: float = Field(ge=0, le=1)


class CellOut(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from", description="the group of the certificate held")
    target: str = Field(alias="to", description="the group of the certificate required")
    pairs: int = Field(ge=0)
    covered: int = Field(ge=0)
    share: float = Field(ge=0, le=1)


class PairOut(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")


class CoverageOut(BaseModel):
    """Share of ordered pairs with a formal-recognition route, per (held group, required group)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "by": "region",
                "as_of": "2024-01-01",
                "sampled_occupations": None,
                "illustrative": True,
                "illustrative_records": 3,
                "total": {"pairs": 12, "covered": 5, "share": 0.4167},
                "cells": [{"from": "Shandong", "to": "Jiangsu", "pairs": 4, "covered": 2, "share": 0.5}],
                "newly_connected": [],
            }
        },
    )
    by: Grouping
    as_of: str
    sampled_occupations: int | None = Field(description="null when every occupation was counted")
    illustrative: bool = Field(description="true when the figures rest on any illustrative or synthetic record")
    illustrative_records: int = Field(
        ge=0,
        description="how many illustrative or synthetic records (certificate types in a counted pair, their issuers, "
        "agreements in force covering a counted occupation; a what-if's hypothetical agreements) the figures rest on",
    )
    total: ShareOut
    cells: list[CellOut]
    newly_connected: list[PairOut] = Field(description="pairs a what-if connects (empty for plain coverage)")


class WhatIfOut(BaseModel):
    """Coverage before and after the hypothetical agreements (nothing is stored)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "before": CoverageOut.model_config["json_schema_extra"]["example"],  # type: ignore[index]
                "after": CoverageOut.model_config["json_schema_extra"]["example"],  # type: ignore[index]
                "illustrative": True,
                "illustrative_records": 4,
            }
        },
    )
    before: CoverageOut
    after: CoverageOut
    illustrative: bool = Field(description="always true: the figures after rest on hypothetical agreements")
    illustrative_records: int = Field(
        ge=0, description="the illustrative or synthetic records either figure rests on, counted once"
    )


class NodeOut(BaseModel):
    model_config = _CLOSED
    iri: str
    label_zh: str | None
    label_en: str | None
    types: list[str]
    illustrative: bool
    synthetic: bool


class EdgeOut(BaseModel):
    """A link between two entities; a reified statement is shown as the relation it states, with ``via``."""

    model_config = _CLOSED
    source: str
    target: str
    predicate: str
    graph: str
    label_zh: str | None = Field(description="the predicate's name in Chinese (from the ontology)")
    label_en: str | None = Field(description="the predicate's name in English (from the ontology)")
    via: list[str] = Field(description="the agreements (or rules' premises) a reified statement derives it from")


class NeighbourhoodOut(BaseModel):
    """Nodes and edges around an entity, for the visualisation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "center": "https://w3id.org/certbridge/id/organisation/hengfeng",
                "depth": 1,
                "truncated": False,
                "nodes": [
                    {
                        "iri": "https://w3id.org/certbridge/id/organisation/hengfeng",
                        "label_zh": "德州恒丰集团",
                        "label_en": "Dezhou Hengfeng Group",
                        "types": ["cb:AuthorisedEnterprise"],
                        "illustrative": False,
                        "synthetic": False,
                    }
                ],
                "edges": [],
            }
        },
    )
    center: str
    depth: int = Field(ge=1)
    truncated: bool
    nodes: list[NodeOut]
    edges: list[EdgeOut]


#: what a write's answer says of how it was applied (graph/writes.py ``Applied``)
APPLIED = (
    "how the change was applied: patched (its rows' quads applied to the current version and reasoned "
    "incrementally) or rebuilt (the next version built from the tables)"
)


class ChangeOut(BaseModel):
    """What a correction or retirement changed, and the store version now served."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "retire",
                "table": "retirements",
                "keys": ["RT-1"],
                "version": "v-20261207T101500123999Z-4242",
                "triples": 41250,
                "applied": "patched",
                "changeset": "CS-20261207T101500123456Z-3fa2",
                "writer": "广东省人社厅",
            }
        },
    )
    kind: Literal["add", "correct", "retire"]
    table: str = Field(description="the table changed (a retirement adds a row to retirements)")
    keys: list[str] = Field(description="the keys of the rows changed")
    version: str = Field(description="the store version the change made (served from the next request on)")
    triples: int = Field(ge=0)
    applied: Applied = Field(description=APPLIED)
    changeset: str = Field(description="the id the change is logged under (GET /api/v1/changes)")
    writer: str


class RetireIn(BaseModel):
    """A record's retirement: from which day it stops counting, why, and the source that reports it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "retired_on": "2026-06-30",
                "reason": "协议已由双方终止 / terminated by the parties",
                "source_ids": "SRC-ILLUSTRATIVE",
                "illustrative": True,
            }
        },
    )
    retired_on: str = Field(
        min_length=1, max_length=20, description="the day it stops counting: YYYY, YYYY-MM or YYYY-MM-DD"
    )
    reason: str = Field(min_length=1, max_length=2000, description="why it was retired")
    source_ids: str | list[str] = Field(description="the source(s) reporting it: ids of sources or documents")
    date_precision: str = Field("", max_length=200, description="how the date is known (day, reported on …)")
    illustrative: bool = Field(False, description="an illustrative retirement (it cites SRC-ILLUSTRATIVE)")
    note: str = Field("", max_length=2000, description="the maintainer's note kept in the row")


class WriteOut(BaseModel):
    """What a write added, and the store version now served."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "table": "agreements",
                "added": 1,
                "version": "v-20261126T201500Z-4242",
                "triples": 41234,
                "applied": "patched",
                "changeset": "CS-20261126T201500123456Z-3fa2",
                "writer": "api",
            }
        },
    )
    table: str
    added: int = Field(ge=1)
    version: str
    triples: int = Field(ge=0)
    applied: Applied = Field(description=APPLIED)
    changeset: str = Field(description="the id the change is logged under (GET /api/v1/changes)")
    writer: str = Field(description="the writer its token names")


class QueryWorkersOut(BaseModel):
    """The SPARQL query pool: a dead worker is replaced before the next query, so ``live`` equals ``size``."""

    model_config = _CLOSED
    size: int = Field(description="how many worker processes the pool keeps")
    live: int = Field(description="how many of them are alive now")
    isolated: bool | None = Field(
        description="whether every live worker runs without network (its own network namespace); null before the "
        "first one started"
    )


class HealthOut(BaseModel):
    """Liveness, the store version served and the state of the SPARQL query workers."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "status": "ok",
                "version": "v-20261126T201500Z-4242",
                "query_workers": {"size": 2, "live": 2, "isolated": True},
            }
        },
    )
    status: Literal["ok"]
    version: str | None = Field(description="the store version served; null when there is no store yet")
    query_workers: QueryWorkersOut | None = Field(description="null before the pool has started")


class ProblemOut(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``); ``type`` resolves to its explanation."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "/problems/not-found",
                "title": "Not Found",
                "status": 404,
                "detail": "no certificate type or credential matches 'nothing at all'",
                "hint": "search with /api/v1/search",
            }
        },
    )
    type: str = Field(description="URI reference of the page explaining this kind of problem (/problems/{slug})")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    hint: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="every defect: field and message (parameters), or file, line, field and message"
    )
    candidates: list[dict[str, str]] | None = Field(default=None, description="for an ambiguous name: iri and label")
    report: str | None = Field(default=None, description="the SHACL report of a rejected write")


class ProblemTypeOut(BaseModel):
    """What one kind of problem means, in Chinese and English."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "type": "/problems/not-found",
                "slug": "not-found",
                "status": 404,
                "title_zh": "未找到",
                "title_en": "Not found",
                "explanation_zh": "没有与名称、编号或 IRI 对应的条目……",
                "explanation_en": "No entry matches the name, id or IRI …",
            }
        },
    )
    type: str
    slug: str
    status: int
    title_zh: str
    title_en: str
    explanation_zh: str
    explanation_en: str
