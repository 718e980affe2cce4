"""Reporting periods: bounds, order, and how they are written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alliance.errors import InvalidInput
from alliance.reports.periods import Period, parse_period


def test_bounds_and_neighbours() -> None:
    year = Period(2025)
    assert (year.starts, year.ends) == (
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    q4 = Period(2025, 4)
    assert q4.starts == datetime(2025, 10, 1, tzinfo=UTC) and q4.ends == year.ends
    assert Period(2025, 2).ends == datetime(2025, 7, 1, tzinfo=UTC)
    assert Period(2025, 1).previous() == Period(2024, 4)
    assert Period(2025, 3).previous() == Period(2025, 2)
    assert year.previous() == Period(2024)
    assert [q.key for q in year.quarters()] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert year.contains(datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
    assert not year.contains(year.ends)


@pytest.mark.parametrize(
    ("text", "period"),
    [("2026", Period(2026)), ("2026-Q2", Period(2026, 2)), (" 2026q3 ", Period(2026, 3))],
)
def test_parse(text: str, period: Period) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["", "26", "2026-Q5", "2026-13", "1999", "next year"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(text, field="year")
    assert caught.value.field == "year"
