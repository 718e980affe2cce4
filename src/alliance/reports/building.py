"""A progress report laid out as the declaration is: policy target → operational goal →
the country's own narrative for the year (baseline, committed, progress) beside the
indicators computed for it, each with its trend over the years and its quarters.

Who may build which report (a live report is a draft):

- a country's report: the country's government (its own figures in full) and the
  secretariat (small counts hidden, as for anyone outside the country);
- the alliance-wide report: the secretariat.

Anyone else is told there is no such report (NotFound), as for any draft they may not
see. Every build is audited. A year before the alliance, in the future, or without a
single figure is refused with a clear message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from alliance import __version__
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.countries import commitments
from alliance.countries.models import MemberCountry
from alliance.countries.names import check_country_code, country_name
from alliance.db.base import utcnow
from alliance.errors import InvalidInput, NotFound
from alliance.frameworks.registry import get_item
from alliance.frameworks.schemas import Item
from alliance.reports.catalogue import indicators_of_goal
from alliance.reports.computation import members_figures
from alliance.reports.periods import FIRST_YEAR, Period, years
from alliance.reports.schemas import Indicator, Status, Value
from alliance.reports.suppression import for_reader, is_additive

#: The declaration's policy targets and, under each, its operational goals.
TARGETS = {
    "ga2012.target.1": ("ga2012.goal.1",),
    "ga2012.target.2": ("ga2012.goal.2", "ga2012.goal.3"),
    "ga2012.target.3": ("ga2012.goal.4", "ga2012.goal.5"),
    "ga2012.target.4": ("ga2012.goal.6", "ga2012.goal.7"),
}


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator in a report: the year's value, each year's before it, the year's
    quarters, and (in a country's report) the alliance-wide value beside it."""

    indicator: Indicator
    value: Value
    trend: list[Value]
    quarters: list[Value]
    alliance: Value | None = None


@dataclass(frozen=True)
class GoalSection:
    goal: Item
    rows: list[IndicatorRow]


@dataclass(frozen=True)
class TargetSection:
    target: Item
    goals: list[GoalSection]
    #: The country's text for the target and year, by section (baseline, committed,
    #: progress); None: none the reader may see.
    narrative: Mapping[str, str] | None = None
    #: "published", or the working state ("draft", "submitted") the reader sees.
    narrative_status: str = ""


@dataclass(frozen=True)
class ProgressReport:
    """A country's (``country`` set) or the alliance's report for one year."""

    country: str | None
    title: str
    year: int
    as_of: datetime
    #: Small counts below ``k`` hidden outside the country they describe.
    k: int
    #: The country whose own figures this reader sees in full (None: nobody's).
    reader_country: str | None
    code_version: str
    targets: list[TargetSection]
    #: Every value shown: each indicator, each country listed, each period.
    values: list[Value] = field(default_factory=list)


class NoFigures(NotFound):
    """The report asked for has not a single figure for its year."""


def _check_year(year: int, as_of: datetime) -> Period:
    if year > as_of.year:
        raise InvalidInput(f"{year} has not begun: choose {as_of.year} or earlier", field="year")
    if year < FIRST_YEAR:
        raise InvalidInput(
            f"{year}: the alliance began in {FIRST_YEAR}; choose a later year", field="year"
        )
    return Period(year)


def _may_build(principal: Principal | None, country: str | None) -> bool:
    if country is None:
        return commitments.may_publish(principal)
    return commitments.may_see_working(principal, country)


def build_progress_report(
    session: Session,
    principal: Principal | None,
    *,
    country: str | None,
    year: int,
    k: int,
    as_of: datetime | None = None,
    public: bool = False,
    max_age: float = 0.0,
) -> ProgressReport:
    """The live (draft) report of ``country`` (None: alliance-wide) for ``year``, as
    ``principal`` may see it; ``public``: as the public would (to publish it): nobody's
    figures in full, the country's published texts only. Without ``as_of``, figures
    computed at most ``max_age`` seconds ago may be used (:mod:`alliance.reports.cache`);
    the report is then as of the moment they were computed."""
    moment = as_of or utcnow()
    period = _check_year(year, moment)
    code = None
    member: MemberCountry | None = None
    if country is not None:
        code = check_country_code(country, field="country")
        member = session.get(MemberCountry, code)
        if member is None:
            raise NotFound(f"{country_name(code) or code} is not a member country")
    if principal is not None:
        authorize(principal, Permission.REPORT_BUILD)
    if not _may_build(principal, code):
        raise NotFound(
            "no such report: a country's draft report is its government's and the "
            "secretariat's; the alliance-wide one is the secretariat's"
        )
    assert principal is not None  # _may_build refuses anonymous readers
    own = code and commitments.is_country_government(principal, code) and not public
    reader_country = code if own else None
    # Every member country, even for one country's report: a small count is hidden as
    # in the alliance's report, where the other countries' figures stand beside it.
    periods = [*years(FIRST_YEAR, year), *period.quarters()]
    figures = members_figures(session, periods, max_age=max_age, as_of=as_of)
    moment, computed = figures.as_of, figures.values
    if code:
        # Other countries' figures matter only where one hidden count could be worked out
        # from the others (additive indicators); the rest are left out before, not after.
        computed = [v for v in computed if v.country in (None, code) or is_additive(v)]
    shown = for_reader(computed, k=k, own_country=reader_country)
    if code:
        shown = [v for v in shown if v.country in (None, code)]
    subject = code or "alliance"
    if not any(
        v.period == period.key and v.country == code and v.status is not Status.no_data
        for v in shown
    ):
        raise NoFigures(f"{member.name if member else 'The alliance'} has no figures for {year}")
    report = ProgressReport(
        country=code,
        title=(
            f"{member.name}: progress report {year}"
            if member
            else f"The alliance's progress report {year}"
        ),
        year=year,
        as_of=moment,
        k=k,
        reader_country=reader_country,
        code_version=__version__,
        targets=sections(
            shown, code, period, _narratives(session, None if public else principal, code, period)
        ),
        values=shown,
    )
    record(
        session,
        principal,
        EventType.PROGRESS_REPORT_BUILT,
        "progress_report",
        f"{subject}/{year}",
        {"country": code, "year": year, "draft": not public},
    )
    return report


Narratives = Mapping[str, tuple[Mapping[str, str] | None, str]]


def _narratives(
    session: Session, reader: Principal | None, code: str | None, period: Period
) -> Narratives:
    """Per target, the country's texts as ``reader`` may see them (None: the public, who
    reads published versions only) and their state."""
    if code is None:
        return {}
    out: dict[str, tuple[Mapping[str, str] | None, str]] = {}
    for view in commitments.cycle_view(session, reader, code, period.year):
        shown = view.shown
        if shown is None or view.commitment is None:
            out[view.target] = (None, "")
            continue
        published = view.commitment.published_version == shown.number
        texts: dict[str, str] = {s: str(getattr(shown, s)) for s in commitments.SECTIONS}
        out[view.target] = (texts, "published" if published else str(view.commitment.status))
    return out


def sections(
    values: Sequence[Value], code: str | None, period: Period, narratives: Narratives
) -> list[TargetSection]:
    """The report's sections from its values (and, for a country, its texts)."""
    by_key: dict[tuple[str, str | None], dict[str, Value]] = defaultdict(dict)
    for value in values:
        by_key[(value.indicator, value.country)][value.period] = value
    out = []
    for target, goals in TARGETS.items():
        goal_sections = []
        for goal in goals:
            rows = []
            for indicator in indicators_of_goal(goal):
                mine = by_key[(indicator.id, code)]
                rows.append(
                    IndicatorRow(
                        indicator=indicator,
                        value=mine[period.key],
                        trend=[mine[str(y)] for y in range(FIRST_YEAR, period.year + 1)],
                        quarters=[mine[q.key] for q in period.quarters()],
                        alliance=by_key[(indicator.id, None)][period.key] if code else None,
                    )
                )
            goal_sections.append(GoalSection(get_item(goal), rows))
        texts, status = narratives.get(target, (None, ""))
        out.append(TargetSection(get_item(target), goal_sections, texts, status))
    return out
