"""Goal 6, industry identifies and removes known material: hash lists in use, and notices
that hash matching started.

- ``banks.subscribers``: organisations subscribed to a hash list at some time in the
  period (their first fetch of it before the period's end, their last after its start),
  for their country.
- ``banks.new_subscribers``: organisations whose first fetch of any hash list was in the
  period.
- ``banks.matches``: matches against the hash lists reported back in the period, for the
  country of the organisation that matched.
- ``banks.subscribers_industry``, ``_hotlines``, ``_law_enforcement``, ``_other``: the
  subscribers by sector, the kind of organisation (companies, hotlines, law enforcement,
  and NGOs, governments and the secretariat).
- ``takedown.from_hash_matches``: of the items first noticed in the period, the share a
  hash match reported (a scanner's report) rather than a person; for the hosting country.
- ``takedown.participating_removed``: of the items first noticed in the period whose
  hosting provider takes part in the alliance (linked to its industry member in the
  provider directory), the share removed by the period's end; for the hosting country.

A country with none of these ever has no data, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.banks.models import BankSync, MatchEvent
from alliance.hosting.models import HostingProvider
from alliance.reports.cohorts import (
    ALLIANCE,
    Clocks,
    columns,
    count_by_country,
    ended_by_country,
    in_period,
    known_by,
    read_clocks,
)
from alliance.reports.periods import Period
from alliance.reports.schemas import Value
from alliance.reports.values import from_counts, from_shares
from alliance.takedown.models import ContentItem, Report, ReportItem, ReportSource

#: The sectors subscribers are counted in: the organisation kinds of each.
SECTORS: dict[str, tuple[OrgKind, ...]] = {
    "industry": (OrgKind.industry,),
    "hotlines": (OrgKind.hotline,),
    "law_enforcement": (OrgKind.law_enforcement,),
    "other": (OrgKind.ngo, OrgKind.government, OrgKind.secretariat),
}
INDICATORS = (
    "banks.subscribers",
    "banks.new_subscribers",
    "banks.matches",
    "takedown.from_hash_matches",
    "takedown.participating_removed",
    *(f"banks.subscribers_{sector}" for sector in SECTORS),
)


@dataclass(frozen=True)
class Subscriptions:
    """Per organisation and bank: its country, first fetch and last fetch (the stop), and
    the organisation's id and kind."""

    clocks: Clocks
    organisation: NDArray[np.int64]
    kind: NDArray[np.str_]


def _subscriptions(session: Session) -> Subscriptions:
    rows = (
        session.connection()
        .execute(
            select(
                *columns(
                    Organisation.country_code, BankSync.first_synced_at, BankSync.synced_at, None
                ),
                BankSync.organisation_id,
                Organisation.kind,
            ).join(Organisation, Organisation.id == BankSync.organisation_id)
        )
        .all()
    )
    return Subscriptions(
        Clocks.from_rows([row[:4] for row in rows]),
        np.array([row[4] for row in rows], dtype=np.int64),
        np.array([str(row[5]) for row in rows], dtype=np.str_),
    )


def _first_fetches(session: Session) -> Clocks:
    first = (
        select(BankSync.organisation_id, func.min(BankSync.first_synced_at).label("first"))
        .group_by(BankSync.organisation_id)
        .subquery()
    )
    return read_clocks(
        session,
        select(*columns(Organisation.country_code, first.c.first, None, None)).join(
            Organisation, Organisation.id == first.c.organisation_id
        ),
    )


def _subscribers(
    subscriptions: Subscriptions,
    period: Period,
    as_of: datetime,
    kinds: tuple[OrgKind, ...] | None = None,
) -> dict[str | None, int]:
    """Organisations (of ``kinds``, if given) subscribed at some time in the period: a
    first fetch before its end and a last fetch after its start."""
    clocks, organisation = subscriptions.clocks, subscriptions.organisation
    during = (clocks.started < min(period.ends, as_of).timestamp()) & (
        clocks.stopped >= period.starts.timestamp()
    )
    if kinds is not None:
        during &= np.isin(subscriptions.kind, [str(k) for k in kinds])
    out: dict[str | None, int] = {ALLIANCE: len(np.unique(organisation[during]))}
    for country in np.unique(clocks.country[during]):
        if country:
            mine = during & (clocks.country == country)
            out[str(country)] = len(np.unique(organisation[mine]))
    return out


def _matches(session: Session) -> Clocks:
    return read_clocks(
        session,
        select(*columns(Organisation.country_code, MatchEvent.matched_at, None, None)).join(
            Organisation, Organisation.id == MatchEvent.organisation_id
        ),
    )


def _noticed(session: Session) -> Clocks:
    """Items with a notice: the first notice, and (as the stop) the same moment when a
    scanner's report named the item."""
    by_scanner = exists().where(
        ReportItem.item_id == ContentItem.id,
        ReportItem.report_id == Report.id,
        Report.source == ReportSource.scanner,
    )
    return read_clocks(
        session,
        select(
            *columns(
                ContentItem.country_code,
                ContentItem.first_notice_at,
                case((by_scanner, ContentItem.first_notice_at)),
                None,
            )
        ).where(ContentItem.first_notice_at.is_not(None)),
    )


def _to_participants(session: Session) -> Clocks:
    """Items noticed whose provider takes part in the alliance: the first notice, the
    removal, and the closing of one closed unremoved."""
    return read_clocks(
        session,
        select(
            *columns(
                ContentItem.country_code,
                ContentItem.first_notice_at,
                ContentItem.removed_at,
                case((ContentItem.removed_at.is_(None), ContentItem.closed_at)),
            )
        )
        .join(HostingProvider, HostingProvider.id == ContentItem.provider_id)
        .where(
            ContentItem.first_notice_at.is_not(None), HostingProvider.organisation_id.is_not(None)
        ),
    )


def industry_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """Every goal-6 indicator for each period, for ``countries`` and alliance-wide."""
    subscriptions = _subscriptions(session)
    first = _first_fetches(session)
    participants = _to_participants(session)
    matches = _matches(session)
    noticed = _noticed(session)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        known = known_by(subscriptions.clocks, period, as_of)
        out += from_counts(
            "banks.subscribers", period, _subscribers(subscriptions, period, as_of),
            keys, active=known, coverage=None,
        )  # fmt: skip
        for sector, kinds in SECTORS.items():
            out += from_counts(
                f"banks.subscribers_{sector}", period,
                _subscribers(subscriptions, period, as_of, kinds),
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
        noticed_members = in_period(participants, period, as_of)
        out += from_shares(
            "takedown.participating_removed", period, ended_by_country(noticed_members), keys,
            coverage=noticed_members.coverage,
        )  # fmt: skip
    return out
