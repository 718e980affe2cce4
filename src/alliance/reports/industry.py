"""Goal 6, industry identifies and removes known material: hash lists in use, and notices
that hash matching started.

- ``banks.subscribers``: organisations subscribed to a hash list at some time in the
  period (their first fetch of it before the period's end, their last after its start),
  for their country.
- ``banks.new_subscribers``: organisations whose first fetch of any hash list was in the
  period.
- ``banks.matches``: matches against the hash lists reported back in the period, for the
  country of the organisation that matched.
- ``takedown.from_hash_matches``: of the items first noticed in the period, the share a
  hash match reported (a scanner's report) rather than a person; for the hosting country.

A country with none of these ever has no data, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.banks.models import BankSync, MatchEvent
from alliance.reports.cohorts import (
    ALLIANCE,
    Clocks,
    columns,
    count_by_country,
    ended_by_country,
    in_period,
    known_by,
)
from alliance.reports.periods import Period
from alliance.reports.schemas import Value
from alliance.reports.values import from_counts, from_shares
from alliance.takedown.models import ContentItem, Report, ReportItem, ReportSource

INDICATORS = (
    "banks.subscribers",
    "banks.new_subscribers",
    "banks.matches",
    "takedown.from_hash_matches",
)


def _subscriptions(session: Session) -> tuple[Clocks, NDArray[np.int64]]:
    """Per organisation and bank, its country, first fetch and last fetch (as the stop),
    and the organisation's id."""
    rows = (
        session.connection()
        .execute(
            select(
                *columns(
                    Organisation.country_code, BankSync.first_synced_at, BankSync.synced_at, None
                ),
                BankSync.organisation_id,
            ).join(Organisation, Organisation.id == BankSync.organisation_id)
        )
        .all()
    )
    return Clocks.from_rows([row[:4] for row in rows]), np.array(
        [row[4] for row in rows], dtype=np.int64
    )


def _first_fetches(session: Session) -> Clocks:
    first = (
        select(BankSync.organisation_id, func.min(BankSync.first_synced_at).label("first"))
        .group_by(BankSync.organisation_id)
        .subquery()
    )
    rows = session.connection().execute(
        select(*columns(Organisation.country_code, first.c.first, None, None)).join(
            Organisation, Organisation.id == first.c.organisation_id
        )
    )
    return Clocks.from_rows(rows.all())


def _subscribers(
    subscriptions: Clocks, organisation: NDArray[np.int64], period: Period, as_of: datetime
) -> dict[str | None, int]:
    """Organisations subscribed at some time in the period: a first fetch before its end
    and a last fetch after its start."""
    during = (subscriptions.started < min(period.ends, as_of).timestamp()) & (
        subscriptions.stopped >= period.starts.timestamp()
    )
    out: dict[str | None, int] = {ALLIANCE: len(np.unique(organisation[during]))}
    for country in np.unique(subscriptions.country[during]):
        if country:
            mine = during & (subscriptions.country == country)
            out[str(country)] = len(np.unique(organisation[mine]))
    return out


def _matches(session: Session) -> Clocks:
    rows = session.connection().execute(
        select(*columns(Organisation.country_code, MatchEvent.matched_at, None, None)).join(
            Organisation, Organisation.id == MatchEvent.organisation_id
        )
    )
    return Clocks.from_rows(rows.all())


def _noticed(session: Session) -> Clocks:
    """Items with a notice: the first notice, and (as the stop) the same moment when a
    scanner's report named the item."""
    by_scanner = exists().where(
        ReportItem.item_id == ContentItem.id,
        ReportItem.report_id == Report.id,
        Report.source == ReportSource.scanner,
    )
    rows = session.connection().execute(
        select(
            *columns(
                ContentItem.country_code,
                ContentItem.first_notice_at,
                case((by_scanner, ContentItem.first_notice_at)),
                None,
            )
        ).where(ContentItem.first_notice_at.is_not(None))
    )
    return Clocks.from_rows(rows.all())


def industry_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-6 indicator for each period, for ``countries`` and alliance-wide."""
    subscriptions, organisation = _subscriptions(session)
    first = _first_fetches(session)
    matches = _matches(session)
    noticed = _noticed(session)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        known = known_by(subscriptions, period, as_of)
        out += from_counts(
            "banks.subscribers", period, _subscribers(subscriptions, organisation, period, as_of),
            keys, active=known, coverage=None,
        )  # fmt: skip
        out += from_counts(
            "banks.new_subscribers", period,
            count_by_country(in_period(first, period, as_of).country), keys,
            active=known, coverage=None,
        )  # fmt: skip
        out += from_counts(
            "banks.matches", period,
            count_by_country(in_period(matches, period, as_of).country), keys,
            active=known_by(matches, period, as_of) | known, coverage=None,
        )  # fmt: skip
        items = in_period(noticed, period, as_of)
        out += from_shares(
            "takedown.from_hash_matches", period, ended_by_country(items), keys,
            coverage=items.coverage,
        )  # fmt: skip
    return out
