"""Kaplan–Meier estimates, checked against values worked out by hand, and the invariant
that censoring never makes times look shorter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.reports.survival import estimate


def test_by_hand() -> None:
    # 10 ended; 12 and 20 still running when watching stopped; 30 and 100 ended.
    # At risk 5 at 10 h: S = 4/5; at 30 h 2 at risk: S = 0.8 x 1/2 = 0.4; at 100 h: 0.
    s = estimate([10, 30, 100, 12, 20], [True, True, True, False, False])
    assert s is not None and (s.n, s.ended) == (5, 3)
    assert s.quantile(0.5) == 30
    assert s.quantile(0.9) == 100
    assert s.share_within(24) == pytest.approx(0.2)
    assert s.share_within(72) == pytest.approx(0.6)
    assert s.share_within(9.99) == 0


def test_ties_end_before_they_are_censored() -> None:
    # At 3 h one ends and one is censored: both were at risk, S = 2/3 x 1/2.
    s = estimate([2, 3, 3], [True, False, True])
    assert s is not None
    assert s.share_within(3) == pytest.approx(1 - 1 / 3)


def test_not_reached_and_nothing() -> None:
    s = estimate([10, 20, 30], [True, False, False])  # S = 2/3 after 10 h, then censored
    assert s is not None and s.quantile(0.5) is None and s.quantile(0.3) == 10
    nothing_ended = estimate([5, 6], [False, False])
    assert nothing_ended is not None and nothing_ended.quantile(0.5) is None
    assert nothing_ended.share_within(1000) == 0
    assert estimate([], []) is None
    with pytest.raises(ValueError, match="negative"):
        estimate([-1], [True])
    with pytest.raises(ValueError, match="one duration"):
        estimate([1, 2], [True])


@given(st.lists(st.tuples(st.integers(0, 500), st.booleans()), min_size=1, max_size=60))
def test_censored_median_never_below_the_uncensored(clocks: list[tuple[int, bool]]) -> None:
    """Counting the censored clocks as ended then (what dropping their future does) can
    only make the median shorter or equal, never longer."""
    durations = np.array([d for d, _ in clocks], dtype=float)
    ended = np.array([e for _, e in clocks])
    honest = estimate(durations, ended)
    naive = estimate(durations, np.ones(len(durations), dtype=bool))
    assert honest is not None and naive is not None
    naive_median = naive.quantile(0.5)
    assert naive_median is not None
    honest_median = honest.quantile(0.5)
    assert honest_median is None or honest_median >= naive_median
    for limit in (24, 72, 168):
        assert honest.share_within(limit) <= naive.share_within(limit) + 1e-9
