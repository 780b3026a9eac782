"""agreements.csv: recognition arrangements with their parties, scope, direction, validity and source."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from certbridge.ontology import CB

from .. import iris
from ..choices import CONDITION_KINDS, Direction  # CONDITION_KINDS: what the optional ``requires`` column lists
from ..tables import Row
from .context import Context, add_date, add_labels, text_language, translated_names
from .issuers import ISSUER_KINDS, ORGANISATION_KINDS, check_period
from .sink import TripleSink
from .sources import DOCUMENT_NUMBER_PATTERN

COLUMNS = (
    "id",
    "name_zh",
    "name_en",
    "name_translated",
    "date",
    "date_precision",
    "region_group",
    "party_refs",
    "parties_as_stated",
    "direction",
    "recognising_refs",
    "recognised_refs",
    "mechanism",
    "recognises_certificates",
    "scope_occupation_codes",
    "scope_as_stated",
    "scope_min_grade",
    "scope_max_grade",
    "scope_issuer_kinds",
    "valid_from",
    "valid_to",
    "status",
    "conditions",
    "document_number",
    "source_ids",
    "trust",
    "trust_note",
    "illustrative",
    "notes",
)
DIRECTIONS: tuple[str, ...] = tuple(direction.value for direction in Direction)
MECHANISMS = (
    "equivalence",
    "direct-recognition",
    "joint-evaluation",
    "framework-agreement",
    "recognition-by-comparison",
    "cross-department",
    "title-recognition",
    "cooperation-only",
)
#: optional columns: tables written before conditions were modelled (and synthetic ones) lack them
CONDITION_COLUMNS = ("requires", "requires_as_stated")
#: optional column: yes when the source refers to a list of occupations (an attachment) that was not seen
SCOPE_UNSEEN_COLUMN = "scope_list_unseen"
STATUSES = ("issued", "signed", "in-operation", "pilot", "launched", "announced", "planned", "expired")


def convert_agreements(ctx: Context) -> None:
    table = ctx.table("agreements", COLUMNS)
    graph = ctx.graph("agreements")
    parties_known = ctx.known_references("region", "organisation", "framework")
    for key, row in table.unique_ids().items():
        ctx.known["agreement"].add(key)
        subject = iris.record("agreement", key)
        graph.add((subject, RDF.type, CB.RecognitionAgreement))
        graph.add((subject, DCTERMS.identifier, Literal(key)))
        zh, en = row.text("name_zh", required=True), row.text("name_en", required=True)
        add_labels(graph, subject, zh, en, translated=translated_names(row))

        parties = row.refs("party_refs", parties_known, what="party", required=True)
        for party in parties:
            graph.add((subject, CB.party, iris.reference(party)))
        direction = row.choice("direction", DIRECTIONS, required=True)
        recognising = row.refs("recognising_refs", parties_known, what="party")
        recognised = row.refs("recognised_refs", parties_known, what="party")
        for defect in direction_defects(direction, recognising=bool(recognising), recognised=bool(recognised)):
            row.error("direction", defect)
        if direction:
            graph.add((subject, CB.direction, iris.vocab("direction", direction)))
        for party in recognising:
            graph.add((subject, CB.recognisingParty, iris.reference(party)))
        for party in recognised:
            graph.add((subject, CB.recognisedParty, iris.reference(party)))

        mechanism = row.choice("mechanism", MECHANISMS, required=True)
        if mechanism:
            graph.add((subject, CB.mechanism, iris.vocab("mechanism", mechanism)))
        recognises = row.choice("recognises_certificates", ("yes", "no"), required=True)
        if recognises:
            graph.add((subject, CB.recognisesCertificates, Literal(recognises == "yes")))
            if recognises == "yes" and mechanism in ("cooperation-only", "title-recognition"):
                row.error("recognises_certificates", f"a {mechanism} arrangement does not recognise certificates")

        for code in row.refs("scope_occupation_codes", ctx.known["classification"], what="occupation code (2022)"):
            graph.add((subject, CB.scopeOccupation, iris.occupation(code)))
        _grade_range(ctx, graph, subject, row)
        for kind in row.refs("scope_issuer_kinds", ISSUER_KINDS, what="issuer kind"):
            graph.add((subject, CB.scopeIssuerKind, ORGANISATION_KINDS[kind]))
        if SCOPE_UNSEEN_COLUMN in row.values and row.boolean(SCOPE_UNSEEN_COLUMN):
            graph.add((subject, CB.scopeListKnown, Literal(False)))
        scope = row.text("scope_as_stated")
        if scope:
            graph.add((subject, CB.scopeText, Literal(scope, lang=text_language(scope))))

        check_period(row)
        add_date(graph, subject, DCTERMS.date, row, "date")
        add_date(graph, subject, CB.validFrom, row, "valid_from")
        add_date(graph, subject, CB.validTo, row, "valid_to")
        for column, prop in (
            ("date_precision", CB.datePrecision),
            ("region_group", DCTERMS.spatial),
            ("parties_as_stated", DCTERMS.contributor),
        ):
            value = row.text(column)
            if value:
                graph.add((subject, prop, Literal(value)))
        status = row.choice("status", STATUSES, required=True)
        if status:
            graph.add((subject, CB.status, iris.vocab("status", status)))
        conditions = row.text("conditions")
        if conditions:
            graph.add((subject, CB.condition, Literal(conditions, lang=text_language(conditions))))
        _conditions(graph, subject, key, row)
        number = row.pattern(
            "document_number", DOCUMENT_NUMBER_PATTERN, what="a document number like 人社函〔2016〕3112号"
        )
        if number:
            graph.add((subject, CB.documentNumber, Literal(number)))
        ctx.provenance(graph, subject, row)


def direction_defects(direction: str | None, *, recognising: bool, recognised: bool) -> list[str]:
    """What is wrong with an agreement's direction given whether it names recognising and recognised parties: a
    one-way agreement names both sides, any other names neither (also checked for a what-if's agreements).

    >>> direction_defects("one-way", recognising=True, recognised=False)
    ['a one-way agreement needs recognising_refs and recognised_refs']
    """
    if direction == Direction.ONE_WAY and not (recognising and recognised):
        return ["a one-way agreement needs recognising_refs and recognised_refs"]
    if direction != Direction.ONE_WAY and (recognising or recognised):
        return ["only a one-way agreement names recognising and recognised parties"]
    return []


def _conditions(graph: TripleSink, subject: URIRef, key: str, row: Row) -> None:
    """One cb:RecognitionCondition per kind in ``requires``, each with the source's words (``requires_as_stated``):
    what a holder recognised under the agreement must still do. Both columns or neither."""
    if not all(column in row.values for column in CONDITION_COLUMNS):
        return
    kinds = row.refs("requires", CONDITION_KINDS, what="condition kind")
    stated = row.text("requires_as_stated")
    if kinds and not stated:
        row.error("requires_as_stated", "a condition keeps the source's words")
    if stated and not kinds:
        row.error("requires", f"name the kind(s) of the stated condition: {', '.join(CONDITION_KINDS)}")
    for kind in kinds:
        condition = iris.record("agreement-condition", f"{key}-{kind}")
        graph.add((subject, CB.hasCondition, condition))
        graph.add((condition, RDF.type, CB.RecognitionCondition))
        graph.add((condition, CB.conditionKind, iris.vocab("condition-kind", kind)))
        if stated:
            graph.add((condition, CB.condition, Literal(stated, lang=text_language(stated))))


def _grade_range(ctx: Context, graph: TripleSink, subject: URIRef, row: Row) -> None:
    lowest = row.ref("scope_min_grade", ctx.known["grade"], what="grade")
    highest = row.ref("scope_max_grade", ctx.known["grade"], what="grade")
    if lowest and highest:
        low_ladder, _, low_rank = ctx.facts["grade-rank"][lowest].partition(":")
        high_ladder, _, high_rank = ctx.facts["grade-rank"][highest].partition(":")
        if low_ladder != high_ladder:
            row.error("scope_max_grade", f"{lowest!r} and {highest!r} are on different ladders")
        elif int(low_rank) > int(high_rank):
            row.error("scope_max_grade", f"{highest!r} is below the lowest grade {lowest!r}")
    if lowest:
        graph.add((subject, CB.scopeMinGrade, iris.grade(lowest)))
    if highest:
        graph.add((subject, CB.scopeMaxGrade, iris.grade(highest)))
