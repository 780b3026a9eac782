"""A route answer as a table: one row per hop, for a spreadsheet (the answer page's CSV download).

The JSON answer (``RouteAnswer.to_json``) stays the complete record; this table flattens what a reader compares
across hops: which route, which step, from and to, the kind of hop, its evidence, document, dates and trust, and
whether any of it is illustrative or synthetic. A no-route answer is the header alone.
"""

from __future__ import annotations

import csv
import io

from .model import Hop, RouteAnswer

#: the table's columns, in order
COLUMNS: tuple[str, ...] = (
    "route",
    "route_strength",
    "hop",
    "from",
    "from_label_zh",
    "from_label_en",
    "to",
    "to_label_zh",
    "to_label_en",
    "kind",
    "derivation",
    "rule",
    "evidence",
    "evidence_kind",
    "evidence_label_zh",
    "evidence_label_en",
    "document_number",
    "valid_from",
    "valid_to",
    "status",
    "trust",
    "sources",
    "conditions",
    "illustrative",
    "synthetic",
)

#: how several values share one cell
SEPARATOR = " | "


def hop_rows(answer: RouteAnswer) -> list[dict[str, str]]:
    """The rows of *answer*'s table: route by route (strongest first), hop by hop; every value a string.

    >>> hop_rows(RouteAnswer(source=None, target=None, as_of="2024-01-01", kinds=(), max_hops=1, k=1))
    []
    """
    return [
        _row(number, str(route.strength), position, hop)
        for number, route in enumerate(answer.routes, start=1)
        for position, hop in enumerate(route.hops, start=1)
    ]


def _row(route: int, strength: str, position: int, hop: Hop) -> dict[str, str]:
    evidence = hop.evidence
    trust = dict.fromkeys(source.trust for source in evidence.sources if source.trust)
    return {
        "route": str(route),
        "route_strength": strength,
        "hop": str(position),
        "from": hop.source.iri,
        "from_label_zh": hop.source.label_zh or "",
        "from_label_en": hop.source.label_en or "",
        "to": hop.target.iri,
        "to_label_zh": hop.target.label_zh or "",
        "to_label_en": hop.target.label_en or "",
        "kind": str(hop.kind),
        "derivation": hop.derivation,
        "rule": evidence.rule or "",
        "evidence": evidence.iri,
        "evidence_kind": evidence.kind,
        "evidence_label_zh": evidence.label_zh or "",
        "evidence_label_en": evidence.label_en or "",
        "document_number": evidence.document_number or "",
        "valid_from": evidence.valid_from or "",
        "valid_to": evidence.valid_to or "",
        "status": evidence.status or "",
        "trust": SEPARATOR.join(trust),
        "sources": SEPARATOR.join(source.url or source.iri for source in evidence.sources),
        "conditions": SEPARATOR.join(f"{c.kind}: {c.text or ''}".strip() for c in evidence.conditions),
        "illustrative": _flag(evidence.illustrative or hop.source.illustrative or hop.target.illustrative),
        "synthetic": _flag(evidence.synthetic or hop.source.synthetic or hop.target.synthetic),
    }


def _flag(value: bool) -> str:
    return "true" if value else "false"


def to_csv(answer: RouteAnswer) -> str:
    """*answer*'s table as CSV text (RFC 4180: CRLF line ends, a header row)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(hop_rows(answer))
    return out.getvalue()
