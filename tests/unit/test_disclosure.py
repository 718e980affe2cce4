"""Small-count suppression: below k hidden, a lone hidden cell protected, a small total
hides the row."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def test_known_cells_stay_shown_and_are_never_the_second_hidden() -> None:
    # The reader's own count (1: 2) is shown to it; 3 is hidden, and it can't be worked
    # out from the total, so the smallest other shown cell goes with it, never the known.
    row = suppress_row({1: 2, 2: 9, 3: 3, 4: 7}, 5, keys=[1, 2, 3, 4], known={1})
    assert [c.value for c in row.cells.values()] == [2, 9, None, None]
    # Only a known cell left beside the hidden one: the total goes instead.
    row = suppress_row({1: 9, 2: 3}, 5, keys=[1, 2], known={1})
    assert [c.value for c in row.cells.values()] == [9, None] and row.total.suppressed


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=8),
    st.integers(1, 10),
    st.sets(st.integers(0, 7), max_size=3),
)
def test_no_hidden_cell_is_alone_beside_a_shown_total(
    counts: list[int], k: int, known: set[int]
) -> None:
    """Whatever the counts: a shown total never has exactly one hidden cell (which the
    total minus the others would give away), and nothing below k is shown unless known."""
    row = suppress_row(dict(enumerate(counts)), k, keys=list(range(len(counts))), known=known)
    hidden = [key for key, cell in row.cells.items() if cell.suppressed]
    if not row.total.suppressed:
        assert len(hidden) != 1
    for key, cell in row.cells.items():
        assert cell.suppressed or counts[key] >= k or key in known
