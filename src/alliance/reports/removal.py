"""Goal 7, faster notice and takedown: the clocks of the takedown workflow, per hosting
country.

- notice → removal (``takedown.median_hours``, ``p90_hours``, ``removed_24h|72h|7d``): the
  items whose first notice was sent in the period, without the items ever held for an
  investigation; an item still online at the period's end is right-censored then, one
  closed unremoved when it was closed.
- confirmation → law enforcement (``takedown.lea_hours``, ``lea_1day``): the items
  assessed as illegal in the period; an agency informed before the assessment (at
  routing) is no delay, 0 hours.
- holds (``takedown.held_items``, ``hold_days``): the items first held in the period, and
  how long until their last hold was released or expired.

Each clock is one query over the content items (and their hold events) for all the
periods asked at once; see :mod:`alliance.reports.cohorts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from alliance.reports.cohorts import (
    ALLIANCE,
    Clocks,
    columns,
    count_by_country,
    in_period,
    present,
    read_clocks,
    survival_by_country,
)
from alliance.reports.periods import Period
from alliance.reports.schemas import Value
from alliance.reports.values import from_counts, from_survival
from alliance.takedown.models import Classification, ContentItem, EventKind, ItemEvent

HOUR = 3600.0
DAY = 86400.0
INDICATORS = (
    "takedown.median_hours",
    "takedown.p90_hours",
    "takedown.removed_24h",
    "takedown.removed_72h",
    "takedown.removed_7d",
    "takedown.lea_hours",
    "takedown.lea_1day",
    "takedown.held_items",
    "takedown.hold_days",
)
_ILLEGAL = (Classification.baseline, Classification.national)
_HOLD_ENDS = (EventKind.hold_released, EventKind.hold_ended)


def notice_to_removal(session: Session, starts: datetime, ends: datetime) -> Clocks:
    """Items first noticed in ``[starts, ends)`` and never held: notice, removal, and the
    closing of an item closed unremoved."""
    held = exists().where(
        ItemEvent.item_id == ContentItem.id, ItemEvent.kind == EventKind.hold_placed
    )
    given_up = case((ContentItem.removed_at.is_(None), ContentItem.closed_at))
    return read_clocks(
        session,
        select(
            *columns(
                ContentItem.country_code,
                ContentItem.first_notice_at,
                ContentItem.removed_at,
                given_up,
            )
        ).where(ContentItem.first_notice_at >= starts, ContentItem.first_notice_at < ends, ~held),
    )


def confirmation_to_lea(session: Session, starts: datetime, ends: datetime) -> Clocks:
    """Items assessed as illegal in ``[starts, ends)``: the assessment, and the moment law
    enforcement was informed (if before the assessment: at the assessment)."""
    informed = case(
        (ContentItem.lea_informed_at < ContentItem.assessed_at, ContentItem.assessed_at),
        else_=ContentItem.lea_informed_at,
    )
    return read_clocks(
        session,
        select(*columns(ContentItem.country_code, ContentItem.assessed_at, informed, None)).where(
            ContentItem.classification.in_(_ILLEGAL),
            ContentItem.assessed_at >= starts,
            ContentItem.assessed_at < ends,
        ),
    )


def holds(session: Session, starts: datetime, ends: datetime) -> Clocks:
    """Items first held in ``[starts, ends)``: the first hold, and the last release or
    expiry when it came after the last hold placed (else still held)."""
    placed = ItemEvent.kind == EventKind.hold_placed
    first_placed = func.min(case((placed, ItemEvent.at)))
    last_placed = func.max(case((placed, ItemEvent.at)))
    last_end = func.max(case((ItemEvent.kind.in_(_HOLD_ENDS), ItemEvent.at)))
    per_item = (
        select(
            ItemEvent.item_id.label("item_id"),
            first_placed.label("first_placed"),
            case((last_end > last_placed, last_end)).label("released"),
        )
        .where(ItemEvent.kind.in_((EventKind.hold_placed, *_HOLD_ENDS)))
        .group_by(ItemEvent.item_id)
        .subquery()
    )
    return read_clocks(
        session,
        select(
            *columns(ContentItem.country_code, per_item.c.first_placed, per_item.c.released, None)
        )
        .join(per_item, per_item.c.item_id == ContentItem.id)
        .where(and_(per_item.c.first_placed >= starts, per_item.c.first_placed < ends)),
    )


def removal_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-7 indicator for each period, for ``countries`` and alliance-wide."""
    if not periods:
        return []
    starts = min(p.starts for p in periods)
    ends = max(p.ends for p in periods)
    notices = notice_to_removal(session, starts, ends)
    confirmed = confirmation_to_lea(session, starts, ends)
    held = holds(session, starts, ends)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        noticed = in_period(notices, period, as_of)
        removal = survival_by_country(noticed, HOUR)
        unreached = "fewer removed than that by the period's end"
        for indicator, read in (
            ("takedown.median_hours", lambda s: s.quantile(0.5)),
            ("takedown.p90_hours", lambda s: s.quantile(0.9)),
            ("takedown.removed_24h", lambda s: s.share_within(24)),
            ("takedown.removed_72h", lambda s: s.share_within(72)),
            ("takedown.removed_7d", lambda s: s.share_within(168)),
        ):
            out += from_survival(
                indicator, period, removal, keys, read,
                coverage=noticed.coverage, not_reached=unreached,
            )  # fmt: skip
        assessed = in_period(confirmed, period, as_of)
        informing = survival_by_country(assessed, HOUR)
        for indicator, read in (
            ("takedown.lea_hours", lambda s: s.quantile(0.5)),
            ("takedown.lea_1day", lambda s: s.share_within(24)),
        ):
            out += from_survival(
                indicator, period, informing, keys, read,
                coverage=assessed.coverage,
                not_reached="fewer than half informed by the period's end",
            )  # fmt: skip
        first_held = in_period(held, period, as_of)
        active = present(noticed.country) | present(assessed.country)
        out += from_counts(
            "takedown.held_items",
            period,
            count_by_country(first_held.country),
            keys,
            active=active | present(first_held.country),
            coverage=first_held.coverage,
        )
        out += from_survival(
            "takedown.hold_days",
            period,
            survival_by_country(first_held, DAY),
            keys,
            lambda s: s.quantile(0.5),
            coverage=first_held.coverage,
            not_reached="more than half still held at the period's end",
        )
    return out
