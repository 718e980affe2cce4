"""Clocks of many records, cut into periods and countries, as the indicators read them.

A :class:`Clocks` holds, for each record (an item, a series...), its country and the
moments, in seconds since 1970, at which its clock started, stopped (NaN: not yet) and,
for a clock that stopped without its event (an item closed unremoved), was given up; and,
where the time measured starts before the record's clock did (a report confirmed at a
platform before the hub received it), that earlier moment. It comes from one set-based
query; everything here works on whole columns (numpy), one period and one country at a
time, never one record at a time.

:func:`survival_by_country` is what a time indicator needs: for the records whose clock
started in the period, a Kaplan–Meier estimate per country and alliance-wide, each clock
watched until the period's end (or ``as_of``, if sooner) and right-censored there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, func, literal
from sqlalchemy.orm import Session

from alliance.db.epoch import epoch_seconds
from alliance.reports.periods import Period
from alliance.reports.survival import Survival, estimate

#: The key of the alliance-wide figure among the countries' ones.
ALLIANCE = None


@dataclass(frozen=True)
class Clocks:
    """One row per record: country ("" when unknown) and the clock's moments."""

    country: NDArray[np.str_]
    started: NDArray[np.float64]
    stopped: NDArray[np.float64]  # NaN: the event has not happened
    given_up: NDArray[np.float64]  # NaN: still being watched
    #: Where the time measured starts, when not at ``started`` (which still decides the
    #: period a record belongs to): a report's confirmation at the platform, before the hub
    #: received it. None: at ``started``.
    measured_from: NDArray[np.float64] | None = None

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[object]]) -> Clocks:
        """From (country, started, stopped, given up[, measured from]) rows as
        :func:`columns` selects them: the country "" when unknown, a time -1 when not yet.
        Converted column by column."""
        if not rows:
            empty = np.array([], dtype=np.float64)
            return cls(np.array([], dtype=np.str_), empty, empty, empty)
        country, *moments = zip(*rows, strict=True)  # by column: no object array
        times = np.array(moments, dtype=np.float64)
        times[times < 0] = np.nan
        measured_from = times[3] if len(times) > 3 else None
        return cls(np.array(country, dtype=np.str_), times[0], times[1], times[2], measured_from)


def read_clocks(session: Session, query: Select[Any]) -> Clocks:
    """The clocks ``query`` selects (with :func:`columns`), read on the session's
    connection: plain rows, no ORM objects (:func:`alliance.reports.computation.compute`
    flushes the session first)."""
    return Clocks.from_rows(session.connection().execute(query).all())


def columns(country: Any, *moments: Any) -> list[ColumnElement[Any]]:
    """What :meth:`Clocks.from_rows` reads: the country ("" for none) and each moment in
    seconds since 1970 (-1 for none; ``None``: a clock never given up)."""
    return [
        func.coalesce(country, ""),
        *(
            literal(-1.0) if moment is None else func.coalesce(epoch_seconds(moment), -1.0)
            for moment in moments
        ),
    ]


@dataclass(frozen=True)
class PeriodClocks:
    """The clocks that started in one period, as watched until its end."""

    country: NDArray[np.str_]
    #: Seconds from the start to the event, or to the end of watching.
    duration: NDArray[np.float64]
    ended: NDArray[np.bool_]

    @property
    def coverage(self) -> float | None:
        """The share with a known country; None when there is nothing."""
        return None if not len(self.country) else float(np.mean(self.country != ""))


def in_period(clocks: Clocks, period: Period, as_of: datetime) -> PeriodClocks:
    """The clocks started in ``period``, each watched until the period's end or ``as_of``,
    whichever comes first: an event after that is not yet known; a clock given up (an item
    closed unremoved) stops being watched then. Durations count from ``measured_from``
    where the clocks have it."""
    watch_until = min(period.ends, as_of).timestamp()
    chosen = (clocks.started >= period.starts.timestamp()) & (clocks.started < watch_until)
    origin = clocks.started if clocks.measured_from is None else clocks.measured_from
    started = origin[chosen]
    stopped = clocks.stopped[chosen]
    given_up = clocks.given_up[chosen]
    ended = ~np.isnan(stopped) & (stopped <= watch_until)
    censored_at = np.fmin(given_up, watch_until)  # fmin: NaN (not given up) loses
    until = np.where(ended, stopped, censored_at)
    return PeriodClocks(clocks.country[chosen], np.maximum(until - started, 0.0), ended)


def survival_by_country(
    watched: PeriodClocks, unit_seconds: float
) -> dict[str | None, Survival | None]:
    """A Kaplan–Meier estimate per country with clocks, and alliance-wide (key None,
    every clock, a known country or not), durations in ``unit_seconds``."""
    durations = watched.duration / unit_seconds
    out: dict[str | None, Survival | None] = {ALLIANCE: estimate(durations, watched.ended)}
    countries, group = np.unique(watched.country, return_inverse=True)
    for index, country in enumerate(countries):
        if country:
            mine = group == index
            out[str(country)] = estimate(durations[mine], watched.ended[mine])
    return out


def known_by(clocks: Clocks, period: Period, as_of: datetime) -> set[str | None]:
    """The countries with a clock started before the period's end (or ``as_of``), and the
    alliance when any is: where a count of 0 is a real 0, not "no data"."""
    return present(clocks.country[clocks.started < min(period.ends, as_of).timestamp()])


def present(country: NDArray[np.str_]) -> set[str | None]:
    """The known countries among ``country``, and the alliance when it is not empty."""
    found: set[str | None] = {str(c) for c in np.unique(country) if c}
    return found | ({ALLIANCE} if len(country) else set())


def ended_by_country(watched: PeriodClocks) -> dict[str | None, tuple[int, int]]:
    """Per known country, and alliance-wide (key None), how many clocks ended and of how
    many: what a share indicator reads."""
    out: dict[str | None, tuple[int, int]] = {
        ALLIANCE: (int(watched.ended.sum()), len(watched.ended))
    }
    for country in np.unique(watched.country):
        if country:
            mine = watched.ended[watched.country == country]
            out[str(country)] = (int(mine.sum()), len(mine))
    return out


def count_by_country(country: NDArray[np.str_]) -> dict[str | None, int]:
    """How many per known country, and alliance-wide (key None, all of them)."""
    countries, counts = np.unique(country, return_counts=True)
    out: dict[str | None, int] = {ALLIANCE: len(country)}
    out.update({str(c): int(n) for c, n in zip(countries, counts, strict=True) if c})
    return out
