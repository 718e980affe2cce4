"""Reporting periods: a calendar year or a quarter of one, in UTC.

A period is half-open, ``[starts, ends)``. ``2026`` and ``2026-Q2`` are how periods are
written in files (:attr:`Period.key`); a year outside the range is InvalidInput.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from alliance.errors import InvalidInput

FIRST_YEAR = 2012  # the alliance's launch (5 December 2012): the first year reported
#: The years a period may fall in (the year before the first is what it is compared with).
EARLIEST_YEAR = 2000
LAST_YEAR = 2100


@dataclass(frozen=True)
class Period:
    """A year (``quarter`` None) or one of its quarters."""

    year: int
    quarter: int | None = None

    def __post_init__(self) -> None:
        if not EARLIEST_YEAR <= self.year <= LAST_YEAR:
            raise InvalidInput(
                f"year {self.year}: choose one from {FIRST_YEAR} to {LAST_YEAR}", field="year"
            )
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise InvalidInput(f"quarter {self.quarter}: choose 1 to 4", field="quarter")

    @property
    def starts(self) -> datetime:
        month = 1 if self.quarter is None else 3 * (self.quarter - 1) + 1
        return datetime(self.year, month, 1, tzinfo=UTC)

    @property
    def ends(self) -> datetime:
        """The first instant after the period."""
        if self.quarter is None or self.quarter == 4:
            return datetime(self.year + 1, 1, 1, tzinfo=UTC)
        return datetime(self.year, 3 * self.quarter + 1, 1, tzinfo=UTC)

    @property
    def first_day(self) -> date:
        return self.starts.date()

    @property
    def key(self) -> str:
        """``2026`` or ``2026-Q2``: how the period is written in files and URLs."""
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @classmethod
    def parse_key(cls, key: str) -> Period:
        """A period from its :attr:`key` (``2026``, ``2026-Q2``)."""
        year, _, quarter = key.partition("-Q")
        return cls(int(year), int(quarter) if quarter else None)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def quarters(self) -> list[Period]:
        """A year's four quarters (a quarter: itself)."""
        if self.quarter is not None:
            return [self]
        return [Period(self.year, q) for q in range(1, 5)]


def years(first: int, last: int) -> list[Period]:
    """Every year from ``first`` to ``last``, both included."""
    return [Period(year) for year in range(first, last + 1)]
