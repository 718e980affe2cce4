"""Goal 1, identified victims +10 % a year, per identifying country (victims) or per the
series owner's country (series).

- ``victims.identified``: victims identified in the period; ``identified_growth`` against
  the period before and ``cumulative_growth`` of everyone identified so far, the two
  readings of "+10 % a year", each checked against the target.
- ``victims.series_with_identified``: the share of the series known by the period's end
  (not merged away) with a victim identified by then.
- ``victims.days_to_identification``: for the series whose first victim was identified in
  the period, the median days since the series was first seen.

A country that has never identified a victim (or owns no series) has no data, never 0.
Two grouped queries: identifications per country and day, and per series its owner's
country, first sighting and first identification.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.db.epoch import epoch_seconds
from alliance.reports.cohorts import ALLIANCE
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.reports.values import meets
from alliance.victims.models import Series, Victim, VictimStatus

DAY = 86400.0
INDICATORS = (
    "victims.identified",
    "victims.identified_growth",
    "victims.cumulative_growth",
    "victims.series_with_identified",
    "victims.days_to_identification",
)
_IDENTIFIED = (VictimStatus.identified, VictimStatus.safeguarded)


class _Identifications:
    """Victims identified, per country (None: alliance-wide) and day."""

    def __init__(self, rows: Sequence[tuple[str | None, date, int]]) -> None:
        self.by_key: dict[str | None, list[tuple[date, int]]] = defaultdict(list)
        self.unattributed: list[tuple[date, int]] = []
        for country, day, count in rows:
            self.by_key[ALLIANCE].append((day, count))
            if country:
                self.by_key[country].append((day, count))
            else:
                self.unattributed.append((day, count))

    def between(self, key: str | None, starts: date | None, ends: date) -> int:
        return sum(
            n
            for day, n in self.by_key.get(key, ())
            if (starts is None or day >= starts) and day < ends
        )

    def unattributed_between(self, starts: date, ends: date) -> int:
        return sum(n for day, n in self.unattributed if starts <= day < ends)


def _identifications(session: Session) -> _Identifications:
    rows = session.execute(
        select(Victim.identified_country, Victim.identified_on, func.count())
        .where(Victim.status.in_(_IDENTIFIED), Victim.identified_on.is_not(None))
        .group_by(Victim.identified_country, Victim.identified_on)
    )
    return _Identifications([(c, d, n) for c, d, n in rows if d is not None])


def _series(session: Session) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per series not merged away: its owner's country, first sighting and first
    identification (seconds since 1970; NaN: none yet)."""
    first = (
        select(Victim.series_id, func.min(Victim.identified_on).label("first_on"))
        .where(Victim.status.in_(_IDENTIFIED), Victim.identified_on.is_not(None))
        .group_by(Victim.series_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Organisation.country_code,
            epoch_seconds(Series.first_seen_at),
            epoch_seconds(first.c.first_on),
        )
        .join(Organisation, Organisation.id == Series.owner_organisation_id)
        .outerjoin(first, first.c.series_id == Series.id)
        .where(Series.merged_into_id.is_(None))
    )
    data = [tuple(row) for row in rows]
    country = np.array([c or "" for c, _, _ in data], dtype=np.str_)
    seen = np.array([s for _, s, _ in data], dtype=np.float64)
    found = np.array([np.nan if f is None else f for _, _, f in data], dtype=np.float64)
    return country, seen, found


def _growth(current: int, previous: int) -> float | None:
    return None if previous == 0 else current / previous - 1


def identification_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-1 indicator for each period, for ``countries`` and alliance-wide."""
    found = _identifications(session)
    series_country, seen, first_found = _series(session)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        starts, ends = period.first_day, period.ends.date()
        before = period.previous()
        everyone = found.between(ALLIANCE, starts, ends)
        coverage = None if not everyone else 1 - found.unattributed_between(starts, ends) / everyone
        for key in keys:
            so_far = found.between(key, None, ends)
            if so_far == 0:  # never identified anyone: no data, not 0
                for indicator in INDICATORS[:3]:
                    out.append(Value(indicator, key, period.key, None, 0, Status.no_data, coverage))
                continue
            now = found.between(key, starts, ends)
            then = found.between(key, before.first_day, starts)
            until_then = found.between(key, None, starts)
            out.append(
                Value("victims.identified", key, period.key, float(now), now, Status.ok, coverage)
            )
            for indicator, current, previous in (
                ("victims.identified_growth", now, then),
                ("victims.cumulative_growth", so_far, until_then),
            ):
                growth = _growth(current, previous)
                out.append(
                    Value(
                        indicator,
                        key,
                        period.key,
                        None if growth is None else round(growth, 4),
                        min(current, previous),  # either count could be worked out from it
                        Status.ok if growth is not None else Status.undefined,
                        coverage,
                        meets(indicator, growth),
                        () if growth is not None else ("none the period before to compare with",),
                    )
                )
        out += _series_values(period, keys, series_country, seen, first_found, as_of)
    return out


def _series_values(
    period: Period,
    keys: Sequence[str | None],
    country: np.ndarray,
    seen: np.ndarray,
    found: np.ndarray,
    as_of: datetime,
) -> list[Value]:
    ends = min(period.ends, as_of).timestamp()
    known = seen < ends
    identified = known & (found < ends)  # NaN compares False: not identified
    first_in_period = (found >= period.starts.timestamp()) & (found < ends)
    days = (found - seen) / DAY
    out = []
    for key in keys:
        mine = np.ones(len(country), dtype=bool) if key is None else country == key
        n = int(np.sum(known & mine))
        if n == 0:
            out.append(
                Value("victims.series_with_identified", key, period.key, None, 0, Status.no_data)
            )
        else:
            share = float(np.sum(identified & mine)) / n
            out.append(Value("victims.series_with_identified", key, period.key, round(share, 4), n))
        waited = np.maximum(days[first_in_period & mine], 0.0)
        if not len(waited):
            out.append(
                Value("victims.days_to_identification", key, period.key, None, 0, Status.no_data)
            )
        else:
            median = float(np.median(waited))
            out.append(
                Value(
                    "victims.days_to_identification", key, period.key, round(median, 4), len(waited)
                )
            )
    return out
