"""Every indicator of the catalogue, for the periods and countries asked: the one entry
point the report, the API and the CLI call.

Each goal's module computes its indicators for all the periods at once (one pass over its
tables per clock); :data:`COMPUTED_BY` says which module computes which indicator, and a
test holds it equal to the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.countries.models import MemberCountry
from alliance.db.base import utcnow
from alliance.reports import (
    awareness,
    cache,
    identification,
    industry,
    industry_reports,
    law_enforcement,
    legislation,
    removal,
)
from alliance.reports.cache import Computed
from alliance.reports.catalogue import catalogue, check_indicator_ids
from alliance.reports.periods import Period
from alliance.reports.schemas import Value

Compute = Callable[[Session, Sequence[Period], Sequence[str], datetime], list[Value]]

#: The modules and the indicators each computes.
COMPUTED_BY: dict[Compute, tuple[str, ...]] = {
    identification.identification_values: identification.INDICATORS,
    legislation.legislation_values: legislation.INDICATORS,
    law_enforcement.law_enforcement_values: law_enforcement.INDICATORS,
    industry_reports.industry_report_values: industry_reports.INDICATORS,
    awareness.awareness_values: awareness.INDICATORS,
    industry.industry_values: industry.INDICATORS,
    removal.removal_values: removal.INDICATORS,
}


def compute(
    session: Session,
    periods: Sequence[Period],
    countries: Sequence[str],
    *,
    indicators: Sequence[str] | None = None,
    as_of: datetime | None = None,
) -> list[Value]:
    """The values of ``indicators`` (default: all) for each period, alliance-wide and for
    each of ``countries``, as known at ``as_of`` (default: now; a clock still running then
    is right-censored). Values come in catalogue order, then period, then country."""
    session.flush()  # the modules read on the session's connection, without autoflush
    wanted = set(check_indicator_ids(indicators)) if indicators is not None else set(catalogue())
    moment = as_of or utcnow()
    values: list[Value] = []
    for run, produced in COMPUTED_BY.items():
        if wanted & set(produced):
            values += [v for v in run(session, periods, countries, moment) if v.indicator in wanted]
    order = {indicator: n for n, indicator in enumerate(catalogue())}
    period_order = {p.key: n for n, p in enumerate(periods)}
    country_order = {c: n for n, c in enumerate([None, *countries])}
    values.sort(
        key=lambda v: (order[v.indicator], period_order[v.period], country_order[v.country])
    )
    return values


def members_figures(
    session: Session,
    periods: Sequence[Period],
    *,
    max_age: float,
    as_of: datetime | None = None,
) -> Computed:
    """Every indicator for ``periods``, alliance-wide and for every member country (a
    small count is hidden against all the others). As of ``as_of`` if given, computed
    then; else ones computed at most ``max_age`` seconds ago if kept
    (:mod:`alliance.reports.cache`), or computed now."""
    members = list(
        session.execute(select(MemberCountry.code).order_by(MemberCountry.code)).scalars()
    )
    if as_of is not None:
        return Computed(as_of, compute(session, periods, members, as_of=as_of))
    return cache.computed(
        session,
        periods,
        members,
        lambda now: compute(session, periods, members, as_of=now),
        max_age=max_age,
    )
