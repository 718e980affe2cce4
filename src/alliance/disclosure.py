"""Small-count suppression: what an aggregate may show outside the organisations it counts.

A count of fewer than ``k`` countries (or cases) can point at the few it counts, so such a
cell is shown as "fewer than k", never as its number (``k`` is the setting
``ALLIANCE_DISCLOSURE_K``, 5 by default). Zero is suppressed too: "no country is at phase
1" is as telling as "one country is".

When a row's total is shown, one suppressed cell alone could be worked out by subtraction,
so the smallest other shown cell of the row is suppressed with it (secondary suppression).
When the total itself is below ``k`` the whole row is suppressed.

Used by the capability self-assessment's alliance-wide distribution and by every figure
shown outside the country it describes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key")

DEFAULT_K = 5


@dataclass(frozen=True)
class Cell:
    """One count as it may be shown: ``value`` None when suppressed."""

    value: int | None
    #: Why it is hidden ("fewer than 5", "hidden so that another can't be worked out").
    reason: str = ""

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Row(Generic[Key]):
    """A row of counts (one per key, in the order given) and its total, as they may be shown."""

    total: Cell
    cells: dict[Key, Cell]

    @property
    def any_shown(self) -> bool:
        return not self.total.suppressed


def fewer_than(k: int) -> str:
    return f"fewer than {k}"


def suppress_row(
    counts: Mapping[Key, int],
    k: int,
    keys: Sequence[Key] | None = None,
    *,
    known: Collection[Key] = (),
) -> Row[Key]:
    """``counts`` (missing keys count 0) with every cell below ``k`` suppressed, one more
    where a single suppressed cell could be derived from the total, and everything when
    the total is below ``k``.

    ``known`` cells are shown whatever their count: the reader knows them anyway (its own
    country's, or a remainder that other figures give away). They count among the shown
    cells a hidden one could be derived from, so they are never the one hidden with it;
    when only they are left to hide with it, the total is hidden instead."""
    if k < 1:
        raise ValueError("k is at least 1")
    order = list(keys) if keys is not None else list(counts)
    values = {key: counts.get(key, 0) for key in order}
    total = sum(values.values())
    if total < k:
        hidden = Cell(None, fewer_than(k))
        return Row(
            total=hidden,
            cells={key: Cell(values[key]) if key in known else hidden for key in order},
        )
    cells = {
        key: Cell(None, fewer_than(k)) if value < k and key not in known else Cell(value)
        for key, value in values.items()
    }
    suppressed = [key for key, cell in cells.items() if cell.suppressed]
    if len(suppressed) != 1:
        return Row(total=Cell(total), cells=cells)
    # The total minus the shown cells would give the hidden one away.
    candidates = [key for key, cell in cells.items() if not cell.suppressed and key not in known]
    if not candidates:
        return Row(
            total=Cell(None, "hidden so that a smaller count can't be worked out"), cells=cells
        )
    smallest = min(candidates, key=lambda key: (values[key], order.index(key)))
    cells[smallest] = Cell(None, "hidden so that a smaller count can't be worked out")
    return Row(total=Cell(total), cells=cells)
