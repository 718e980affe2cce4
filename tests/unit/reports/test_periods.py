"""Reporting periods: bounds, order, and how they are written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alliance.errors import InvalidInput
from alliance.reports.periods import Period


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
    assert Period.parse_key("2025-Q3") == Period(2025, 3)
    assert Period.parse_key(year.key) == year


@pytest.mark.parametrize("year", [1999, 2101])
def test_years_out_of_range_refused(year: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        Period(year)
    assert caught.value.field == "year"
    with pytest.raises(InvalidInput):
        Period(2025, 5)
