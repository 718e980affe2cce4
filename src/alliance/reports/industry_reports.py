"""Goal 3, joint law-enforcement efforts: platforms' reports that reach the police of the
uploader's country (:mod:`alliance.industry`), and how fast the police take them on.

- ``industry_reports.received``: the reports the alliance received in the period, for the
  country whose police it routed them to (a forwarded report: where it went last); a
  report waiting in the secretariat's triage counts alliance-wide only.
- ``industry_reports.acceptance_hours`` and ``accepted_7d``: for the same reports, the
  Kaplan–Meier median of the hours from the platform's confirmation to the police's
  acceptance, and the share accepted within 7 days.

The report belongs to the period the hub received it in (so a year's reports are known
when the year ends), its time runs from the platform's confirmation (the platform's own
delay in sending it counts). One still waiting at the period's end — with an agency, or
in triage — is right-censored then. A declined report is never accepted: it is watched
until the period's end like one still waiting, so the share within 7 days is a share of
all the reports received (the cumulative share accepted), not of those an agency kept;
the time a forwarded report spent with the first agency counts. Which country and which
moment count are :mod:`alliance.industry.metrics`' definitions, which its page reads too
(as "accepted so far", without the reports still waiting).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.industry.metrics import accepted_at, police_country
from alliance.industry.models import IndustryReport
from alliance.reports.cohorts import (
    ALLIANCE,
    Clocks,
    columns,
    count_by_country,
    in_period,
    known_by,
    read_clocks,
    survival_by_country,
)
from alliance.reports.periods import Period
from alliance.reports.schemas import Value
from alliance.reports.values import from_counts, from_survival

HOUR = 3600.0
WEEK_HOURS = 7 * 24.0
INDICATORS = (
    "industry_reports.received",
    "industry_reports.acceptance_hours",
    "industry_reports.accepted_7d",
)


def received_to_acceptance(session: Session) -> Clocks:
    """Every report: its police's country, received (its period), accepted, and the
    platform's confirmation (where its time starts)."""
    return read_clocks(
        session,
        select(
            *columns(
                police_country(),
                IndustryReport.received_at,
                accepted_at(),
                None,
                IndustryReport.confirmed_at,
            )
        ),
    )


def industry_report_values(
    session: Session, periods: Sequence[Period], countries: Sequence[str], as_of: datetime
) -> list[Value]:
    """The industry-report indicators for each period, for ``countries`` and alliance-wide."""
    reports = received_to_acceptance(session)
    keys: list[str | None] = [ALLIANCE, *countries]
    out: list[Value] = []
    for period in periods:
        received = in_period(reports, period, as_of)
        out += from_counts(
            "industry_reports.received", period, count_by_country(received.country), keys,
            active=known_by(reports, period, as_of), coverage=received.coverage,
        )  # fmt: skip
        acceptance = survival_by_country(received, HOUR)
        for indicator, read in (
            ("industry_reports.acceptance_hours", lambda s: s.quantile(0.5)),
            ("industry_reports.accepted_7d", lambda s: s.share_within(WEEK_HOURS)),
        ):
            out += from_survival(
                indicator, period, acceptance, keys, read,
                coverage=received.coverage,
                not_reached="fewer than half accepted by the period's end",
            )  # fmt: skip
    return out
