"""How fast reports reach the police: the time from the platform's confirmation to an
agency's acceptance, per country (the country of the agency that accepted: a forwarded
report counts where it was finally accepted), as a median and a count.

Rows are few (one per accepted report); the medians are taken in Python, the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.industry.models import IndustryReport, ReportStatus
from alliance.industry.schemas import CountryAcceptance, IndustryMetricsOut


def _hours(seconds: list[float]) -> float | None:
    return round(median(seconds) / 3600, 2) if seconds else None


def acceptance_times(session: Session, principal: Principal) -> IndustryMetricsOut:
    """Per country: accepted reports, the median hours to acceptance, and how many wait."""
    authorize(principal, Permission.INDUSTRY_METRICS_READ)
    by_country: dict[str, list[float]] = defaultdict(list)
    rows = session.execute(
        select(
            IndustryReport.country_code, IndustryReport.confirmed_at, IndustryReport.decided_at
        ).where(
            IndustryReport.status == ReportStatus.accepted,
            IndustryReport.country_code.is_not(None),
            IndustryReport.decided_at.is_not(None),
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
