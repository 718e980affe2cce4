"""The time to acceptance, through the services: the metrics page ("accepted so far") and
the progress report's censored figure read the same reports the same way (the country the
report went to last, the acceptance there), and differ only where reports still wait."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from alliance.db.base import utcnow
from alliance.hosting.geo import GeoDatabase
from alliance.industry import inbox, metrics, submission
from alliance.industry.schemas import DeclineIn, ForwardIn, IndustryReportIn
from alliance.reports.computation import compute
from alliance.reports.periods import Period
from tests.unit.industry.conftest import Alliance, case

INDICATORS = [
    "industry_reports.received",
    "industry_reports.acceptance_hours",
    "industry_reports.accepted_7d",
]


def _send(
    session: Session, alliance: Alliance, geo: GeoDatabase, reference: str, hours_ago: float,
    ips: tuple[str, ...] = ("192.0.2.10",),
) -> str:  # fmt: skip
    data: IndustryReportIn = case(reference, confirmed_hours_ago=hours_ago, ips=ips)
    return submission.submit(session, alliance.platform, data, geo).report.reference


def _report(session: Session) -> dict[tuple[str, str | None], tuple[float | None, str]]:
    now = utcnow()
    values = compute(session, [Period(now.year)], ["NL", "DE"], indicators=INDICATORS, as_of=now)
    return {(v.indicator, v.country): (v.value, v.status.value) for v in values}


def test_the_page_and_the_report_agree_until_reports_wait(
    session: Session, alliance: Alliance, geo: GeoDatabase
) -> None:
    # NL's police accept three reports confirmed 10, 30 and 50 hours ago; a fourth, 40
    # hours ago, they forward to DE, whose police accept it. 192.0.2.0/24 is NL's.
    for reference, hours in (("CASE-A", 10), ("CASE-B", 30), ("CASE-C", 50)):
        inbox.accept(session, alliance.nl_police, _send(session, alliance, geo, reference, hours))
    forwarded = _send(session, alliance, geo, "CASE-F", 40)
    inbox.forward(session, alliance.nl_police, forwarded, ForwardIn(country="DE", note="DE's"))
    inbox.accept(session, alliance.de_police, forwarded)

    page = metrics.acceptance_times(session, alliance.hotline)
    by_country = {c.country: c for c in page.countries}
    figures = _report(session)
    assert by_country["NL"].median_hours == pytest.approx(30, abs=0.01)
    assert figures[("industry_reports.acceptance_hours", "NL")][0] == pytest.approx(30, abs=0.01)
    assert by_country["DE"].median_hours == pytest.approx(40, abs=0.01)
    assert figures[("industry_reports.acceptance_hours", "DE")][0] == pytest.approx(40, abs=0.01)
    assert figures[("industry_reports.received", "NL")] == (3.0, "ok")
    assert figures[("industry_reports.received", "DE")] == (1.0, "ok")  # where it went last
    assert figures[("industry_reports.accepted_7d", "NL")] == (1.0, "ok")

    # Then NL declines one confirmed 5 hours ago, two others wait since 60 and 70 hours,
    # and one goes to the secretariat's triage (203.0.113.0/24 does not geolocate).
    declined = _send(session, alliance, geo, "CASE-D", 5)
    inbox.decline(session, alliance.nl_police, declined, DeclineIn(reason="no offence"))
    _send(session, alliance, geo, "CASE-W1", 60)
    _send(session, alliance, geo, "CASE-W2", 70)
    _send(session, alliance, geo, "CASE-T", 1, ips=("203.0.113.9",))

    page = metrics.acceptance_times(session, alliance.hotline)
    by_country = {c.country: c for c in page.countries}
    figures = _report(session)
    # The page: still the median of the three accepted, with two waiting beside it.
    nl = by_country["NL"]
    assert (nl.accepted, nl.waiting) == (3, 2)
    assert nl.median_hours == pytest.approx(30, abs=0.01)
    assert page.in_triage == 1
    # The report: 5 (declined) censored, then 10, 30 and 50 accepted of 5, 4 and 3 still
    # waiting: S = 0.8, 0.6, 0.4 — the median is 50 hours, and 60 % within 7 days.
    assert figures[("industry_reports.acceptance_hours", "NL")][0] == pytest.approx(50, abs=0.01)
    assert figures[("industry_reports.accepted_7d", "NL")][0] == pytest.approx(0.6)
    assert figures[("industry_reports.received", "NL")] == (6.0, "ok")
    assert figures[("industry_reports.received", None)] == (8.0, "ok")


def test_nothing_received_is_no_data(session: Session, alliance: Alliance) -> None:
    figures = _report(session)
    assert len(figures) == 9 and {status for _, status in figures.values()} == {"no_data"}
