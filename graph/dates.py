"""Partial dates: keep a date exactly as precise as its source, never more.

Sources give days, months, years, or a day with the year missing. A :class:`PartialDate` stores what
is known; :meth:`earliest` and :meth:`latest` bound the real day, so date-based answers can be
conservative (an agreement dated "2021-07" may only count as in force from 2021-07-31).

>>> d = PartialDate.parse("2021-07")
>>> d.precision, str(d.earliest()), str(d.latest())
('month', '2021-07-01', '2021-07-31')
>>> PartialDate.parse("????-09-01").known
False
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from rdflib import Literal
from rdflib.namespace import XSD

from .errors import InvalidValue

_PATTERN = re.compile(r"^(?P<year>\d{4}|\?{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=False)
class PartialDate:
    year: int | None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``????-MM-DD``; raise InvalidValue otherwise."""
        match = _PATTERN.match(text.strip())
        if not match:
            raise InvalidValue(f"{text!r} is not a date (use YYYY, YYYY-MM, YYYY-MM-DD, or ????-MM-DD)")
        year = None if match["year"].startswith("?") else int(match["year"])
        month = int(match["month"]) if match["month"] else None
        day = int(match["day"]) if match["day"] else None
        if year is None and (month is None or day is None):
            raise InvalidValue(f"{text!r}: a date without its year must give month and day")
        if month is not None and not 1 <= month <= 12:
            raise InvalidValue(f"{text!r}: month {month} does not exist")
        if day is not None:
            last = calendar.monthrange(year or 2000, month or 1)[1]  # 2000 is a leap year: allows 02-29
            if not 1 <= day <= last:
                raise InvalidValue(f"{text!r}: day {day} does not exist in that month")
        return cls(year, month, day)

    @property
    def known(self) -> bool:
        """True when the year is known, so the date can be placed on a timeline."""
        return self.year is not None

    @property
    def precision(self) -> str:
        if self.year is None:
            return "year-missing"
        return "day" if self.day else "month" if self.month else "year"

    def earliest(self) -> date:
        if self.year is None:
            raise InvalidValue("the year is not known")
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        if self.year is None:
            raise InvalidValue("the year is not known")
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def to_literal(self) -> Literal | None:
        """The typed literal whose datatype is the precision; None when the year is missing."""
        if self.year is None:
            return None
        if self.day:
            return Literal(f"{self.year:04d}-{self.month:02d}-{self.day:02d}", datatype=XSD.date)
        if self.month:
            return Literal(f"{self.year:04d}-{self.month:02d}", datatype=XSD.gYearMonth)
        return Literal(f"{self.year:04d}", datatype=XSD.gYear)

    def __str__(self) -> str:
        year = "????" if self.year is None else f"{self.year:04d}"
        parts = [year] + [f"{v:02d}" for v in (self.month, self.day) if v is not None]
        return "-".join(parts)


def certainly_after(start: PartialDate, end: PartialDate) -> bool:
    """True when *start* is after *end* for every day the two partial dates could stand for."""
    if not (start.known and end.known):
        return False
    return start.earliest() > end.latest()
