"""Date and quality rules of routing: is an agreement in force, may an issuer issue, does it meet a bar.

Partial dates are read conservatively: a validity that starts in "2021-07" counts from 2021-07-31, one
that ends in "2027" counts until 2027-01-01, and a start whose year is unknown never counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .records import Agreement, Issuer, still_counts

NOT_IN_FORCE_STATUSES = {"planned", "announced"}
UNTIMED_BAD_STATUSES = {"suspended", "revoked"}


@dataclass(frozen=True, slots=True)
class QualityBar:
    """A minimum evaluation quality for every issuer a route passes through."""

    national_question_bank: bool = False
    no_failed_check_years: int | None = None


def agreement_in_force(agreement: Agreement, day: date) -> tuple[bool, str]:
    """Whether *agreement* recognises certificates on *day*, and why (for notes and explanations)."""
    if agreement.retired is not None and not agreement.retired.counts_on(day):
        return False, f"{agreement.retired.describe()}: not counted from that day"
    if not agreement.recognises:
        return False, "states cooperation only, no certificate recognition"
    if agreement.status in NOT_IN_FORCE_STATUSES:
        return False, f"status {agreement.status}: not in force"
    start = agreement.valid_from or agreement.date
    if start is None or not start.known:
        stated = agreement.date_as_stated or "not given"
        return False, f"start date unknown ({stated}): not counted"
    if day < start.latest():
        return False, f"not yet in force on {day} (from {start}, counted from {start.latest()})"
    if agreement.valid_to is not None and agreement.valid_to.known and day > agreement.valid_to.earliest():
        return False, f"expired before {day} (to {agreement.valid_to})"
    if agreement.status == "expired" and agreement.valid_to is None:
        return False, "status expired, end date unknown: not counted"
    since = f"{start}" if agreement.valid_from is not None else f"{start}, the document's date: validity not stated"
    later = f"; {agreement.retired.describe()}, so not counted from that day" if agreement.retired else ""
    return True, f"in force on {day} (from {since}" + (
        f" to {agreement.valid_to}" if agreement.valid_to else ""
    ) + f"){later}"


def issuer_standing(issuer: Issuer, day: date) -> str | None:
    """None when *issuer* may issue valid certificates on *day*; otherwise the reason it may not. A retired issuer,
    a lifted sanction and an ended authorisation stop counting from their retirement's day."""
    if not still_counts(issuer.retired, day):
        assert issuer.retired is not None
        return issuer.retired.describe()
    for sanction in issuer.sanctions:
        if sanction.when.known and sanction.when.earliest() <= day and still_counts(sanction.retired, day):
            return f"{sanction.status} on {sanction.when} ({sanction.reason})"
    if not issuer.authorisations:
        return None
    timed = {sanction.status for sanction in issuer.sanctions}
    for start, end, status, retired in issuer.authorisations:
        if not still_counts(retired, day):
            continue
        if status in UNTIMED_BAD_STATUSES and status not in timed:
            continue  # suspended or revoked at a date nobody recorded: never counted
        if start is not None and (not start.known or day < start.latest()):
            continue
        if end is not None and end.known and day > end.earliest():
            continue
        return None
    return f"no authorisation in force on {day}"


def meets_bar(issuer: Issuer, bar: QualityBar | None, day: date) -> str | None:
    """None when *issuer* meets *bar* on *day*; otherwise what it lacks."""
    if bar is None:
        return None
    if bar.national_question_bank and issuer.question_bank != "national":
        return f"question bank is {issuer.question_bank or 'unknown'}, not national"
    if bar.no_failed_check_years is not None:
        horizon = date(day.year - bar.no_failed_check_years, day.month, min(day.day, 28))
        for when, result, retired in issuer.checks:
            if (
                result == "fail"
                and still_counts(retired, day)
                and when.known
                and horizon <= when.latest()
                and when.earliest() <= day
            ):
                return f"failed a quality check on {when}"
    return None
