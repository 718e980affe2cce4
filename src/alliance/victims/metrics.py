"""The alliance's first KPI: identified victims, at least +10 % a year.

A victim counts in the year of its ``identified_on`` once identified (or, later,
safeguarded), under the country that identified it. For every year from the first
identification to the current one (no gaps; a year without identifications is a 0):

* ``identified`` that year and the ``cumulative`` total up to it;
* ``growth`` against the year before (``identified / previous - 1``; None when the
  previous year had none) and ``target_met`` when growth ≥ :data:`TARGET_GROWTH` (compared
  exactly, so 11 after 10 meets +10 %);
* the median days from the series' first sighting to the identification.

The rows come alliance-wide and per identifying country. The report is aggregate only: the
secretariat reads it, so it names no victim, series or agency — countries and counts.

One query fetches three columns per identified victim (the date, the country, the series'
first sighting); the years are counted in Python, which reads the same on SQLite and
PostgreSQL (victims number thousands, not millions).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance import charts
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.db.base import utcnow
from alliance.errors import InvalidInput
from alliance.validation import as_country_code
from alliance.victims.models import Series, Victim, VictimStatus
from alliance.victims.schemas import KpiYear, VictimMetrics

#: The alliance's target: at least 10 % more victims identified than the year before.
TARGET_GROWTH = 0.10
CSV_COLUMNS = (
    "year",
    "country",
    "identified",
    "cumulative",
    "growth",
    "target_met",
    "median_days_to_identification",
)
MAX_YEARS = 100

_Identification = tuple[date, str | None, datetime]  # identified_on, country, first seen


def _identifications(session: Session) -> list[_Identification]:
    rows = session.execute(
        select(Victim.identified_on, Victim.identified_country, Series.first_seen_at)
        .join(Series, Series.id == Victim.series_id)
        .where(
            Victim.status.in_([VictimStatus.identified, VictimStatus.safeguarded]),
            Victim.identified_on.is_not(None),
        )
    )
    return [(on, country, seen) for on, country, seen in rows if on is not None]


def _growth(identified: int, previous: int) -> tuple[float | None, bool | None]:
    if previous == 0:
        return None, None
    ratio = Fraction(identified, previous) - 1
    return round(float(ratio), 4), ratio >= Fraction(str(TARGET_GROWTH))


def _rows(
    country: str | None, found: Iterable[_Identification], first: int, last: int
) -> list[KpiYear]:
    per_year: dict[int, list[int]] = defaultdict(list)  # year -> days to identification
    for on, _, seen in found:
        per_year[on.year].append(max((on - seen.date()).days, 0))
    rows = []
    cumulative = previous = 0
    for year in range(first, last + 1):
        days = per_year.get(year, [])
        cumulative += len(days)
        growth, met = _growth(len(days), previous)
        rows.append(
            KpiYear(
                year=year,
                country=country,
                identified=len(days),
                cumulative=cumulative,
                growth=growth,
                target_met=met,
                median_days_to_identification=float(statistics.median(days)) if days else None,
            )
        )
        previous = len(days)
    return rows


def victim_metrics(
    session: Session,
    principal: Principal,
    *,
    country: str | None = None,
    years: int | None = None,
    today: date | None = None,
) -> VictimMetrics:
    """Identified victims per year, alliance-wide (``years``) and per identifying country
    (``by_country``).

    ``country`` narrows ``by_country`` to one country; the alliance-wide rows stay, as the
    reference. ``years`` keeps the last so many years (growth and cumulative totals still
    count the years before). ``today`` (default: now, UTC) sets the current year.
    """
    authorize(principal, Permission.VICTIM_METRICS_READ)
    if country is not None:
        country = as_country_code(country)
    if years is not None and not 1 <= years <= MAX_YEARS:
        raise InvalidInput(f"years must be between 1 and {MAX_YEARS}")
    found = _identifications(session)
    current = (today or utcnow().date()).year
    if not found:
        return VictimMetrics(target_growth=TARGET_GROWTH, years=[], by_country=[])
    first = min(on.year for on, _, _ in found)
    last = max(current, *(on.year for on, _, _ in found))
    by_country: dict[str, list[_Identification]] = defaultdict(list)
    for item in found:
        if item[1] is not None and country in (None, item[1]):
            by_country[item[1]].append(item)
    shown = last - years + 1 if years is not None else first

    def recent(rows: list[KpiYear]) -> list[KpiYear]:
        return [row for row in rows if row.year >= shown]

    return VictimMetrics(
        target_growth=TARGET_GROWTH,
        years=recent(_rows(None, found, first, last)),
        by_country=[
            row
            for code in sorted(by_country)
            for row in recent(_rows(code, by_country[code], first, last))
        ],
    )


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def metrics_csv(report: VictimMetrics) -> str:
    """The report as CSV: alliance-wide rows (empty country) first, then per country."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in (*report.years, *report.by_country):
        writer.writerow(_cell(getattr(row, column)) for column in CSV_COLUMNS)
    return out.getvalue()


def _target(rows: Sequence[KpiYear], growth: float) -> list[float | None]:
    """Each year's target: the year before × (1 + growth); None after a year of none."""
    return [None] + [
        previous.identified * (1 + growth) if previous.identified else None
        for previous in rows[:-1]
    ]


def chart_svg(report: VictimMetrics, *, country: str | None = None) -> str:
    """Identified victims per year as columns, with the +10 % target over them; alliance-wide,
    or ``country``'s rows of ``by_country``."""
    rows = (
        report.years
        if country is None
        else [r for r in report.by_country if r.country == country.upper()]
    )
    where = "alliance-wide" if country is None else f"in {country.upper()}"
    percent = f"{report.target_growth:.0%}"
    targets = _target(rows, report.target_growth)
    bars = [
        charts.Bar(
            label=str(row.year),
            value=row.identified,
            tip=f"{row.year}: {row.identified} identified"
            + ("" if row.growth is None else f", {row.growth:+.0%} on {row.year - 1}"),
            note=str(row.identified),
        )
        for row in rows
    ]
    met = sum(1 for row in rows if row.target_met)
    judged = sum(1 for row in rows if row.target_met is not None)
    return charts.columns(
        bars,
        title=f"Victims identified per year {where}, against the +{percent} target",
        desc=f"{len(rows)} years; the target was met in {met} of {judged} years with a "
        "year before to compare against.",
        testid="victims-chart",
        axis_label=lambda value: f"{value:.0f}",
        legend="identified that year",
        target=targets,
        target_label=f"target: +{percent} on the year before",
        target_tip=lambda index, goal: f"{rows[index].year} target: {goal:.1f}",
        empty_message="No victims identified yet.",
    )
