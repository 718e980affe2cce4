"""Small-count suppression: below k hidden, a lone hidden cell protected, a small total
hides the row."""

from __future__ import annotations

import pytest

from alliance.disclosure import suppress_row


def values(counts: dict[int, int], k: int) -> list[int | None]:
    return [c.value for c in suppress_row(counts, k, keys=[1, 2, 3, 4]).cells.values()]


def test_counts_below_k_are_hidden_and_zero_is_a_small_count() -> None:
    assert values({1: 5, 2: 9, 3: 6, 4: 7}, 5) == [5, 9, 6, 7]
    assert values({1: 0, 2: 9, 3: 6, 4: 1}, 5) == [None, 9, 6, None]


def test_a_lone_hidden_cell_takes_the_smallest_shown_one_with_it() -> None:
    row = suppress_row({1: 2, 2: 9, 3: 6, 4: 7}, 5, keys=[1, 2, 3, 4])
    assert [c.value for c in row.cells.values()] == [None, 9, None, 7]
    assert row.total.value == 24 and "worked out" in row.cells[3].reason


def test_a_total_below_k_hides_the_row() -> None:
    row = suppress_row({1: 4}, 5, keys=[1, 2, 3, 4])
    assert row.total.value is None and all(c.suppressed for c in row.cells.values())
    assert row.total.reason == "fewer than 5"


def test_k_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        suppress_row({1: 4}, 0)
