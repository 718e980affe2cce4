"""Takedown-time metrics: how fast illegal items are assessed, noticed and removed.

The items counted are those **received** in ``[since, until)`` and **assessed illegal**
(baseline or national). They are grouped by hosting country, hosting provider, month of
receipt, or not at all, and each group gets:

* for each interval of the takedown clock — received→assessed, assessed→LEA informed,
  received→first notice, first notice→removed, received→removed — the number of items for
  which both ends are known, and the **median** and **90th percentile** in hours. An
  interval that comes out negative counts as 0: the LEA is usually informed at routing,
  before assessment, and that is "no delay", not a negative one.
* the **shares removed within 1, 3 and 7 days** of receipt. An item counts in the
  denominator once its outcome at that horizon is known: it was removed within the
  horizon, or it was received at least that long before the report was generated. Items
  received too recently are left out rather than counted as failures, so a fresh period
  does not look slow. (The period only selects items by receipt; removals are counted up
  to the moment the report is generated, as for the intervals.)
* the **share open over 42 days**: of the items received at least 42 days before the
  report was generated, those not removed within 42 days of receipt (Project Arachnid's
  long tail).
* **reappearances** (items that are a re-upload of a URL removed before) and
  **notices_sent** (the sum of notice counts, re-notices included).

Percentiles use **linear interpolation between closest ranks** (Hyndman & Fan type 7, the
default of numpy and of Python's ``statistics.quantiles(method="inclusive")``): for sorted
values ``x[0..n-1]`` the p-quantile is at position ``h = (n - 1) * p``, interpolated between
``x[floor(h)]`` and ``x[ceil(h)]``. So the median is the usual median (the mean of the two
middle values for an even count) and one value is its own median and p90.

One query selects only the columns needed; the aggregation is plain Python (about 1.5 s
for 100,000 items on SQLite, most of it reading the rows).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.db.base import utcnow
from alliance.errors import InvalidInput
from alliance.hosting.models import HostingProvider
from alliance.takedown.models import Classification, ContentItem
from alliance.takedown.schemas import IntervalStats, MetricsReport, MetricsRow

GROUP_BYS = ("country", "provider", "month", "all")
WITHIN_DAYS = (1, 3, 7)
LONG_TAIL_DAYS = 42
INTERVALS = (
    "received_to_assessed",
    "assessed_to_lea_informed",
    "received_to_first_notice",
    "first_notice_to_removed",
    "received_to_removed",
)
HOUR = 3600.0
#: The longest period a report may cover when both ends are given (about ten years).
MAX_PERIOD_DAYS = 3653


@dataclass(frozen=True, slots=True)
class _Clock:
    """The columns of one item that the metrics need."""

    received_at: datetime
    assessed_at: datetime | None
    lea_informed_at: datetime | None
    first_notice_at: datetime | None
    removed_at: datetime | None
    notice_count: int
    reappearance: bool
    country_code: str | None
    provider: str | None


def quantile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-quantile (0..1) of sorted ``values`` by linear interpolation; None if empty."""
    if not values:
        return None
    position = (len(values) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (position - low) * (values[high] - values[low])


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds() / HOUR, 0.0)


def _interval(values: list[float]) -> IntervalStats:
    values.sort()
    median = quantile(values, 0.5)
    p90 = quantile(values, 0.9)
    return IntervalStats(
        count=len(values),
        median_hours=None if median is None else round(median, 3),
        p90_hours=None if p90 is None else round(p90, 3),
    )


def _share(hits: int, known: int) -> float | None:
    return hits / known if known else None


def _row(group: str, clocks: Iterable[_Clock], now: datetime) -> MetricsRow:
    intervals: dict[str, list[float]] = {name: [] for name in INTERVALS}
    within_known = dict.fromkeys(WITHIN_DAYS, 0)
    within_hits = dict.fromkeys(WITHIN_DAYS, 0)
    horizons = {days: timedelta(days=days) for days in (*WITHIN_DAYS, LONG_TAIL_DAYS)}
    items = removed = reappearances = notices = tail_known = tail_open = 0
    for c in clocks:
        items += 1
        notices += c.notice_count
        reappearances += c.reappearance
        for name, start, end in (
            ("received_to_assessed", c.received_at, c.assessed_at),
            ("assessed_to_lea_informed", c.assessed_at, c.lea_informed_at),
            ("received_to_first_notice", c.received_at, c.first_notice_at),
            ("first_notice_to_removed", c.first_notice_at, c.removed_at),
            ("received_to_removed", c.received_at, c.removed_at),
        ):
            hours = _hours(start, end)
            if hours is not None:
                intervals[name].append(hours)
        age = now - c.received_at
        took = None if c.removed_at is None else c.removed_at - c.received_at
        removed += took is not None
        for days in WITHIN_DAYS:
            in_time = took is not None and took <= horizons[days]
            if in_time or age >= horizons[days]:
                within_known[days] += 1
                within_hits[days] += in_time
        if age >= horizons[LONG_TAIL_DAYS]:
            tail_known += 1
            tail_open += took is None or took > horizons[LONG_TAIL_DAYS]
    stats = {name: _interval(values) for name, values in intervals.items()}
    return MetricsRow(
        group=group,
        items=items,
        removed=removed,
        received_to_assessed=stats["received_to_assessed"],
        assessed_to_lea_informed=stats["assessed_to_lea_informed"],
        received_to_first_notice=stats["received_to_first_notice"],
        first_notice_to_removed=stats["first_notice_to_removed"],
        received_to_removed=stats["received_to_removed"],
        removed_within_1_day=_share(within_hits[1], within_known[1]),
        removed_within_3_days=_share(within_hits[3], within_known[3]),
        removed_within_7_days=_share(within_hits[7], within_known[7]),
        open_over_42_days=_share(tail_open, tail_known),
        reappearances=reappearances,
        notices_sent=notices,
    )


_GROUP_KEYS: dict[str, Callable[[_Clock], str]] = {
    "country": lambda c: c.country_code or "unresolved",
    "provider": lambda c: c.provider or "unknown",
    "month": lambda c: c.received_at.strftime("%Y-%m"),
    "all": lambda c: "all",
}


def _clocks(session: Session, since: datetime | None, until: datetime | None) -> list[_Clock]:
    query = (
        select(
            ContentItem.received_at,
            ContentItem.assessed_at,
            ContentItem.lea_informed_at,
            ContentItem.first_notice_at,
            ContentItem.removed_at,
            ContentItem.notice_count,
            ContentItem.reappearance_of_id,
            ContentItem.country_code,
            HostingProvider.name,
        )
        .outerjoin(HostingProvider, HostingProvider.id == ContentItem.provider_id)
        .where(ContentItem.classification.in_([Classification.baseline, Classification.national]))
    )
    if since is not None:
        query = query.where(ContentItem.received_at >= since)
    if until is not None:
        query = query.where(ContentItem.received_at < until)
    return [
        _Clock(
            received_at=received,
            assessed_at=assessed,
            lea_informed_at=lea,
            first_notice_at=first,
            removed_at=gone,
            notice_count=notices or 0,
            reappearance=reappearance is not None,
            country_code=country,
            provider=provider,
        )
        for received, assessed, lea, first, gone, notices, reappearance, country, provider in (
            session.execute(query)
        )
    ]


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def check_period(since: datetime | None, until: datetime | None) -> None:
    """A period runs forwards and spans at most :data:`MAX_PERIOD_DAYS`."""
    since, until = _utc(since), _utc(until)
    if since is None or until is None:
        return
    if since >= until:
        raise InvalidInput(
            "the period's start (since) must come before its end (until)", field="until"
        )
    if until - since > timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidInput(
            f"choose a period of at most {MAX_PERIOD_DAYS // 365} years", field="since"
        )


def takedown_metrics(
    session: Session,
    principal: Principal,
    *,
    group_by: str = "country",
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> MetricsReport:
    """Takedown times of illegal items received in ``[since, until)``, by ``group_by``.

    A ``since`` or ``until`` without a time zone is taken as UTC.

    ``now`` (default: the current time) is when the report counts as generated: the
    horizon for the removed-within and open-over-42-days shares.
    """
    authorize(principal, Permission.METRICS_READ)
    if group_by not in GROUP_BYS:
        raise InvalidInput(f"group_by must be one of {', '.join(GROUP_BYS)}, not {group_by!r}")
    since, until = _utc(since), _utc(until)
    check_period(since, until)
    now = now or utcnow()
    clocks = _clocks(session, since, until)
    key = _GROUP_KEYS[group_by]
    groups: dict[str, list[_Clock]] = defaultdict(list)
    for clock in clocks:
        groups[key(clock)].append(clock)
    return MetricsReport(
        group_by=group_by,
        since=since,
        until=until,
        generated_at=now,
        overall=_row("all", clocks, now),
        rows=[_row(group, groups[group], now) for group in sorted(groups)],
    )


def _flat(row: MetricsRow) -> dict[str, Any]:
    flat: dict[str, Any] = {"group": row.group, "items": row.items, "removed": row.removed}
    for name in INTERVALS:
        stats: IntervalStats = getattr(row, name)
        flat[f"{name}_count"] = stats.count
        flat[f"{name}_median_hours"] = stats.median_hours
        flat[f"{name}_p90_hours"] = stats.p90_hours
    for name in (
        "removed_within_1_day",
        "removed_within_3_days",
        "removed_within_7_days",
        "open_over_42_days",
        "reappearances",
        "notices_sent",
    ):
        flat[name] = getattr(row, name)
    return flat


def metrics_rows(report: MetricsReport) -> list[dict[str, Any]]:
    """One flat dict per group (intervals spread into ``<interval>_count|median|p90``)."""
    return [_flat(row) for row in report.rows]


def metrics_csv(report: MetricsReport) -> str:
    """The report as CSV: a header, then one row per group; unknown values are empty."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(_flat(report.overall)), lineterminator="\n")
    writer.writeheader()
    for row in metrics_rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
