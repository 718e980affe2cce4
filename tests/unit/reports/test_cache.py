"""Figures kept for a while: reused while younger than the age asked for, with the moment
they were computed as the report's as-of time; computed again when older, when asked
for none, or for other periods or countries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from alliance.reports import cache
from alliance.reports.periods import Period
from alliance.reports.schemas import Value

PERIODS = [Period(2024), Period(2025)]


@pytest.fixture(autouse=True)
def _empty() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


class Counting:
    def __init__(self) -> None:
        self.calls: list[datetime] = []

    def __call__(self, as_of: datetime) -> list[Value]:
        self.calls.append(as_of)
        return [Value("victims.identified", None, "2025", float(len(self.calls)), 1)]


def test_reused_while_young_enough(session: Session) -> None:
    compute = Counting()
    first = cache.computed(session, PERIODS, ["NL"], compute, max_age=300)
    again = cache.computed(session, PERIODS, ["NL"], compute, max_age=300)
    assert again is first and len(compute.calls) == 1
    assert first.as_of == compute.calls[0]  # the report is as of its figures' moment
    assert first.values[0].value == 1.0


def test_computed_again_when_none_kept_is_young_enough(session: Session) -> None:
    compute = Counting()
    first = cache.computed(session, PERIODS, ["NL"], compute, max_age=300)
    fresh = cache.computed(session, PERIODS, ["NL"], compute, max_age=0)
    assert fresh is not first and fresh.values[0].value == 2.0
    # the fresh figures are kept in turn
    assert cache.computed(session, PERIODS, ["NL"], compute, max_age=300) is fresh
    assert len(compute.calls) == 2


def test_other_periods_or_countries_are_other_figures(session: Session) -> None:
    compute = Counting()
    cache.computed(session, PERIODS, ["NL"], compute, max_age=300)
    cache.computed(session, PERIODS, ["NL", "GB"], compute, max_age=300)
    cache.computed(session, PERIODS[:1], ["NL"], compute, max_age=300)
    assert len(compute.calls) == 3


def test_only_a_few_sets_are_kept(session: Session) -> None:
    compute = Counting()
    for n in range(cache.ENTRIES + 1):
        cache.computed(session, [Period(2013 + n)], ["NL"], compute, max_age=300)
    cache.computed(session, [Period(2013)], ["NL"], compute, max_age=300)  # the oldest: gone
    assert len(compute.calls) == cache.ENTRIES + 2
