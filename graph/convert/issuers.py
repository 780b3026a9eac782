"""Organisations and issuers, their authorisations, sanctions and quality checks."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from certbridge.ontology import CB

from .. import iris
from ..dates import certainly_after
from .context import Context, add_date, add_labels

ORGANISATION_COLUMNS = (
    "id",
    "kind",
    "name_zh",
    "name_en",
    "region_code",
    "question_bank",
    "illustrative",
    "source_ids",
    "note",
)
AUTHORISATION_COLUMNS = (
    "id",
    "issuer_id",
    "kind",
    "granted_by_id",
    "valid_from",
    "valid_to",
    "status",
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

#: Organisation kinds and their classes; every kind but "organisation" is an issuer.
ORGANISATION_KINDS: dict[str, URIRef] = {
    "government-hr-authority": CB.GovernmentHRAuthority,
    "authorised-enterprise": CB.AuthorisedEnterprise,
    "social-training-evaluation-organisation": CB.SocialTrainingEvaluationOrganisation,
    "industry-association": CB.IndustryAssociation,
    "vocational-school": CB.VocationalSchool,
    "organisation": CB.Organisation,
}
ISSUER_KINDS = tuple(kind for kind in ORGANISATION_KINDS if kind != "organisation")
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
        if kind != "organisation":
            ctx.known["issuer"].add(key)
        ctx.facts["organisation-kind"][key] = kind
        subject = iris.record("organisation", key)
        graph.add((subject, RDF.type, ORGANISATION_KINDS[kind]))
        ctx.label(graph, subject, row.text("name_zh", required=True), row.text("name_en", required=True))
        region = row.ref("region_code", ctx.known["region"], what="region code (GB/T 2260)")
        if region:
            graph.add((subject, CB.region, iris.region(region)))
            ctx.facts["organisation-region"][key] = region
        bank = row.choice("question_bank", QUESTION_BANKS)
        if bank:
            if kind == "organisation":
                row.error("question_bank", "only issuers examine; this organisation is not an issuer")
            graph.add((subject, CB.questionBank, iris.vocab("question-bank", bank)))
        ctx.provenance(graph, subject, row)


def _issuer(ctx: Context, row, column: str = "issuer_id") -> URIRef | None:
    key = row.ref(column, ctx.known["issuer"], what="issuer", required=True)
    return iris.record("organisation", key) if key else None


def _organisation(ctx: Context, row, column: str) -> URIRef | None:
    key = row.ref(column, ctx.known["organisation"], what="organisation")
    return iris.record("organisation", key) if key else None


def convert_authorisations(ctx: Context) -> None:
    table = ctx.table("authorisations", AUTHORISATION_COLUMNS)
    graph = ctx.graph("authorisations")
    for key, row in table.unique_ids().items():
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
        ctx.provenance(graph, subject, row)


def check_period(row, start: str = "valid_from", end: str = "valid_to") -> None:
    """Report a period whose start is after its end, for every day the partial dates could mean."""
    begins, ends = row.date(start), row.date(end)
    if begins and ends and certainly_after(begins, ends):
        row.error(end, f"ends ({ends}) before it starts ({begins})")


def convert_sanctions(ctx: Context) -> None:
    table = ctx.table("sanctions", SANCTION_COLUMNS)
    graph = ctx.graph("sanctions")
    for key, row in table.unique_ids().items():
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
