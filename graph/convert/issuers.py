"""Organisations and issuers, their authorisations, sanctions and quality checks."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from certbridge.ontology import CB, SCHEMA

from .. import iris
from ..dates import certainly_after
from ..tables import Row
from .context import Context, add_date, add_labels, translated_names
from .sink import TripleSink

ORGANISATION_COLUMNS = (
    "id",
    "kind",
    "name_zh",
    "name_en",
    "name_translated",
    "region_code",
    "question_bank",
    "illustrative",
    "source_ids",
    "note",
)
#: optional columns: when the organisation was founded (a partial date), and the source saying so (required with it)
FOUNDED_COLUMNS = ("founded", "founded_source_id")
AUTHORISATION_COLUMNS = (
    "id",
    "issuer_id",
    "kind",
    "granted_by_id",
    "valid_from",
    "valid_to",
    "status",
    "last_confirmed",
    "illustrative",
    "source_ids",
    "note",
)
SANCTION_COLUMNS = (
    "id",
    "issuer_id",
    "date",
    "imposed_by_id",
    "reason",
    "resulting_status",
    "description",
    "illustrative",
    "source_ids",
)
CHECK_COLUMNS = ("id", "issuer_id", "date", "checked_by_id", "result", "description", "illustrative", "source_ids")

#: Organisation kinds and their classes; every kind in ISSUER_KINDS is an issuer (a subclass of cb:Issuer).
ORGANISATION_KINDS: dict[str, URIRef] = {
    "government-hr-authority": CB.GovernmentHRAuthority,
    "authorised-enterprise": CB.AuthorisedEnterprise,
    "social-training-evaluation-organisation": CB.SocialTrainingEvaluationOrganisation,
    "industry-association": CB.IndustryAssociation,
    "vocational-school": CB.VocationalSchool,
    "arrangement-party": CB.ArrangementParty,
    "organisation": CB.Organisation,
}
#: Kinds that are not issuers: a body known only as a party to an arrangement states no more than the source does.
NON_ISSUER_KINDS = ("arrangement-party", "organisation")
ISSUER_KINDS = tuple(kind for kind in ORGANISATION_KINDS if kind not in NON_ISSUER_KINDS)
QUESTION_BANKS = ("national", "own", "unknown")
AUTHORISATION_KINDS = ("authorisation", "record-filing")
AUTHORISATION_STATUSES = ("active", "suspended", "revoked", "expired")
SANCTION_REASONS = ("excessive-issuance", "lax-checks", "other")
SANCTION_STATUSES = ("suspended", "revoked")
CHECK_RESULTS = ("pass", "fail", "rectify")


def convert_organisations(ctx: Context) -> None:
    table = ctx.table("organisations", ORGANISATION_COLUMNS)
    graph = ctx.graph("organisations")
    for key, row in table.unique_ids().items():
        kind = row.choice("kind", ORGANISATION_KINDS, required=True)
        if kind is None:
            continue
        ctx.known["organisation"].add(key)
        if kind in ISSUER_KINDS:
            ctx.known["issuer"].add(key)
        ctx.facts["organisation-kind"][key] = kind
        subject = iris.record("organisation", key)
        graph.add((subject, RDF.type, ORGANISATION_KINDS[kind]))
        zh, en = row.text("name_zh", required=True), row.text("name_en", required=True)
        ctx.label(graph, subject, zh, en, translated=translated_names(row))
        region = row.ref("region_code", ctx.known["region"], what="region code (GB/T 2260)")
        if region:
            graph.add((subject, CB.region, iris.region(region)))
            ctx.facts["organisation-region"][key] = region
        if FOUNDED_COLUMNS[0] in row.values:
            _founded(ctx, graph, subject, row)
        bank = row.choice("question_bank", QUESTION_BANKS)
        if bank:
            if kind not in ISSUER_KINDS:
                row.error("question_bank", "only issuers examine; this organisation is not an issuer")
            graph.add((subject, CB.questionBank, iris.vocab("question-bank", bank)))
        ctx.provenance(graph, subject, row)


def _founded(ctx: Context, graph: TripleSink, subject: URIRef, row: Row) -> None:
    """schema:foundingDate, as precise as its source; the source must be named, and is cited by the record."""
    founded = row.date("founded")
    source = row.ref("founded_source_id", ctx.known["source"], what="source", required=founded is not None)
    if founded is None:
        if source:
            row.error("founded_source_id", "names a source for a founding date the row does not give")
        return
    literal = founded.to_literal()
    if literal is None:
        row.error("founded", "a founding date needs its year")
    elif source:
        graph.add((subject, SCHEMA.foundingDate, literal))
        cited = {key.strip() for key in (row.values.get("source_ids") or "").split(";")}
        if source not in cited:  # cited once: the record's triple counts must be the store's
            graph.add((subject, DCTERMS.source, iris.record("source", source)))


def _issuer(ctx: Context, row: Row, column: str = "issuer_id") -> URIRef | None:
    key = row.ref(column, ctx.known["issuer"], what="issuer", required=True)
    return iris.record("organisation", key) if key else None


def _organisation(ctx: Context, row: Row, column: str) -> URIRef | None:
    key = row.ref(column, ctx.known["organisation"], what="organisation")
    return iris.record("organisation", key) if key else None


def convert_authorisations(ctx: Context) -> None:
    table = ctx.table("authorisations", AUTHORISATION_COLUMNS)
    graph = ctx.graph("authorisations")
    for key, row in table.unique_ids().items():
        ctx.known["authorisation"].add(key)
        subject = iris.record("authorisation", key)
        graph.add((subject, RDF.type, CB.Authorisation))
        add_labels(graph, subject, f"授权或备案 {key}", f"authorisation {key}")
        issuer = _issuer(ctx, row)
        if issuer:
            graph.add((subject, CB.authorisationOf, issuer))
        kind = row.choice("kind", AUTHORISATION_KINDS, required=True)
        if kind:
            graph.add((subject, CB.authorisationKind, Literal(kind)))
        granted_by = _organisation(ctx, row, "granted_by_id")
        if granted_by:
            graph.add((subject, CB.grantedBy, granted_by))
        check_period(row)
        add_date(graph, subject, CB.validFrom, row, "valid_from")
        add_date(graph, subject, CB.validTo, row, "valid_to")
        status = row.choice("status", AUTHORISATION_STATUSES, required=True)
        if status:
            graph.add((subject, CB.status, iris.vocab("status", status)))
        _last_confirmed(ctx, graph, subject, row)
        ctx.provenance(graph, subject, row)


def _last_confirmed(ctx: Context, graph: TripleSink, subject: URIRef, row: Row) -> None:
    """When a source last reported the status (a status is a report of its day, not a fact about today): a real
    authorisation reported active with no end date must say when that was last confirmed."""
    confirmed = row.date("last_confirmed")
    if confirmed is not None:
        if confirmed.known:
            add_date(graph, subject, CB.lastConfirmed, row, "last_confirmed")
        else:
            row.error("last_confirmed", "needs its year: a confirmation without a year says nothing about today")
        return
    invented = row.boolean("illustrative") or any(
        key.strip() in ctx.known["synthetic-source"] for key in (row.text("source_ids") or "").split(";")
    )
    if row.text("status") == "active" and not row.text("valid_to") and not invented:
        row.error("last_confirmed", "an active authorisation with no end date needs the date it was last confirmed")


def check_period(row: Row, start: str = "valid_from", end: str = "valid_to") -> None:
    """Report a period whose start is after its end, for every day the partial dates could mean."""
    begins, ends = row.date(start), row.date(end)
    if begins and ends and certainly_after(begins, ends):
        row.error(end, f"ends ({ends}) before it starts ({begins})")


def convert_sanctions(ctx: Context) -> None:
    table = ctx.table("sanctions", SANCTION_COLUMNS)
    graph = ctx.graph("sanctions")
    for key, row in table.unique_ids().items():
        ctx.known["sanction"].add(key)
        subject = iris.record("sanction", key)
        graph.add((subject, RDF.type, CB.Sanction))
        add_labels(graph, subject, f"处罚 {key}", f"sanction {key}")
        issuer = _issuer(ctx, row)
        if issuer:
            graph.add((subject, CB.sanctionedIssuer, issuer))
        if row.date("date", required=True):
            add_date(graph, subject, CB.sanctionDate, row, "date")
        imposed_by = _organisation(ctx, row, "imposed_by_id")
        if imposed_by:
            graph.add((subject, CB.imposedBy, imposed_by))
        reason = row.choice("reason", SANCTION_REASONS, required=True)
        if reason:
            graph.add((subject, CB.sanctionReason, Literal(reason)))
        status = row.choice("resulting_status", SANCTION_STATUSES, required=True)
        if status:
            graph.add((subject, CB.resultingStatus, iris.vocab("status", status)))
        description = row.text("description")
        if description:
            graph.add((subject, CB.note, Literal(description)))
        ctx.provenance(graph, subject, row)


def convert_quality_checks(ctx: Context) -> None:
    table = ctx.table("quality_checks", CHECK_COLUMNS)
    graph = ctx.graph("quality_checks")
    for key, row in table.unique_ids().items():
        ctx.known["quality-check"].add(key)
        subject = iris.record("quality-check", key)
        graph.add((subject, RDF.type, CB.QualityCheck))
        add_labels(graph, subject, f"质量检查 {key}", f"quality check {key}")
        issuer = _issuer(ctx, row)
        if issuer:
            graph.add((subject, CB.checkedIssuer, issuer))
        if row.date("date", required=True):
            add_date(graph, subject, CB.checkDate, row, "date")
        checked_by = _organisation(ctx, row, "checked_by_id")
        if checked_by:
            graph.add((subject, CB.imposedBy, checked_by))
        result = row.choice("result", CHECK_RESULTS, required=True)
        if result:
            graph.add((subject, CB.checkResult, Literal(result)))
        description = row.text("description")
        if description:
            graph.add((subject, CB.note, Literal(description)))
        ctx.provenance(graph, subject, row)
