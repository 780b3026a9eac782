"""Partial dates: parsing, precision, bounds and the conservative ordering test (hypothesis)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbridge.graph.dates import PartialDate, certainly_after


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
    precision = draw(st.sampled_from(["day", "month", "year"]))
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


@given(partial_dates())
def test_round_trip_through_text(value: PartialDate) -> None:
    assert PartialDate.parse(str(value)) == value


@given(partial_dates())
def test_bounds_contain_each_other_and_keep_precision(value: PartialDate) -> None:
    assert value.earliest() <= value.latest()
    literal = value.to_literal()
    assert literal is not None and str(literal) == str(value)
    assert {"day": "date", "month": "gYearMonth", "year": "gYear"}[value.precision] in str(literal.datatype)


@given(partial_dates(), partial_dates())
def test_certainly_after_means_every_reading_is_after(a: PartialDate, b: PartialDate) -> None:
    if certainly_after(a, b):
        assert a.earliest() > b.latest()
        assert not certainly_after(b, a)
    else:
        assert a.earliest() <= b.latest()


@pytest.mark.parametrize("text", ["2021-13", "2021-02-30", "21-07", "2021/07", "July 2021", "????", "????-09", ""])
def test_invalid_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_year_missing_is_kept_but_not_placed() -> None:
    value = PartialDate.parse("????-09-01")
    assert not value.known and value.precision == "year-missing"
    assert value.to_literal() is None and str(value) == "????-09-01"
    assert not certainly_after(value, PartialDate(1900))


def test_month_precision_is_conservative() -> None:
    value = PartialDate.parse("2021-07")
    assert value.earliest() == date(2021, 7, 1) and value.latest() == date(2021, 7, 31)
    assert PartialDate.parse("2024-02").latest() == date(2024, 2, 29)
