"""How fast reports reach the police: the time from the platform's confirmation to an
agency's acceptance, per country.

What counts is defined here, once, and read by this page and by the progress report
alike: a report counts for the country whose police have it (:func:`police_country`: a
forwarded report where it was forwarded last; no country while it waits in the
secretariat's triage), and its clock stops when that agency accepts it
(:func:`accepted_at`; a declined report is never accepted). The two read them
differently:

- this page (:func:`acceptance_times`) is *accepted so far*: the median over every report
  accepted until now, with the reports still waiting counted beside it, not in it. It
  says how the accepted ones went; while many wait, the median is shorter than the wait
  is.
- the progress report (``industry_reports.acceptance_hours`` and ``accepted_7d``,
  :mod:`alliance.reports.industry_reports`) takes the reports received in a period and
  right-censors those still waiting at its end (Kaplan–Meier): the figure to compare
  countries and years by.

Rows are few (one per accepted report); the medians are taken in Python, the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import median

from sqlalchemy import ColumnElement, case, func, null, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.industry.models import IndustryReport, ReportStatus
from alliance.industry.schemas import CountryAcceptance, IndustryMetricsOut


def police_country() -> ColumnElement[str | None]:
    """The country whose police have the report (routed, accepted or declined there: a
    forwarded report counts where it went last); NULL while it waits in triage."""
    return case(
        (IndustryReport.status == ReportStatus.triage, null()),
        else_=IndustryReport.country_code,
    )


def accepted_at() -> ColumnElement[datetime | None]:
    """When the agency that has the report accepted it; NULL when it has not (still
    waiting, in triage, or declined: a declined report is never accepted)."""
    return case((IndustryReport.status == ReportStatus.accepted, IndustryReport.decided_at))


def _hours(seconds: list[float]) -> float | None:
    return round(median(seconds) / 3600, 2) if seconds else None


def acceptance_times(session: Session, principal: Principal) -> IndustryMetricsOut:
    """Per country: accepted reports, the median hours to acceptance of those accepted so
    far, and how many wait for a decision."""
    authorize(principal, Permission.INDUSTRY_METRICS_READ)
    by_country: dict[str, list[float]] = defaultdict(list)
    accepted = accepted_at()
    rows = session.execute(
        select(police_country(), IndustryReport.confirmed_at, accepted).where(
            accepted.is_not(None), police_country().is_not(None)
        )
    )
    for country, confirmed_at, decided_at in rows:
        if country is not None and decided_at is not None:  # as the query asks
            by_country[country].append(max(0.0, (decided_at - confirmed_at).total_seconds()))
    waiting: dict[str | None, int] = {
        country: int(count)
        for country, count in session.execute(
            select(IndustryReport.country_code, func.count())
            .where(IndustryReport.status == ReportStatus.routed)
            .group_by(IndustryReport.country_code)
        )
    }
    in_triage = session.execute(
        select(func.count())
        .select_from(IndustryReport)
        .where(IndustryReport.status == ReportStatus.triage)
    ).scalar_one()
    countries = sorted({*by_country, *(c for c in waiting if c is not None)})
    every = [s for times in by_country.values() for s in times]
    return IndustryMetricsOut(
        countries=[
            CountryAcceptance(
                country=c,
                accepted=len(by_country.get(c, [])),
                median_hours=_hours(by_country.get(c, [])),
                waiting=int(waiting.get(c, 0)),
            )
            for c in countries
        ],
        accepted=len(every),
        median_hours=_hours(every),
        in_triage=int(in_triage),
    )
