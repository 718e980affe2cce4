"""Industry reports to the police (goal 3) on a small world whose values were worked out by
hand: accepted ones, one accepted only after the year's end (censored), one declined
(never accepted), one forwarded from NL to DE and accepted there, one still waiting, one
in the secretariat's triage, one confirmed in one year and received in the next, and a
country whose reports all came the year before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.industry.models import (
    Classification,
    IndustryReport,
    Priority,
    ReportStatus,
    RoutingBasis,
)
from alliance.reports.industry_reports import industry_report_values
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from tests import factories

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)  # long after the year: its end bounds the clocks
COUNTRIES = ["NL", "DE", "GB", "FR"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def report(
    session: Session,
    platform: Organisation,
    police: Organisation | None,
    confirmed: str,
    *,
    received_after: float = 0,
    status: ReportStatus = ReportStatus.routed,
    decided_after: float | None = None,
    basis: RoutingBasis = RoutingBasis.declared_country,
) -> IndustryReport:
    """A report confirmed at ``confirmed``, received and decided so many hours later."""
    confirmed_at = at(confirmed)
    received_at = confirmed_at + timedelta(hours=received_after)
    reference = references.new("IR")
    made = IndustryReport(
        reference=reference,
        organisation_id=platform.id,
        case_reference=f"CASE-{reference}",
        digest="0" * 64,
        confirmed_at=confirmed_at,
        received_at=received_at,
        classification=Classification.A2,
        priority=Priority.new_material,
        priority_rank=1,
        status=status if police is not None else ReportStatus.triage,
        country_code=police.country_code if police is not None else None,
        lea_organisation_id=police.id if police is not None else None,
        routing_basis=basis if police is not None else None,
        routed_at=received_at,
        decided_at=(
            confirmed_at + timedelta(hours=decided_after) if decided_after is not None else None
        ),
    )
    session.add(made)
    session.flush()
    return made


@pytest.fixture
def world(session: Session) -> None:
    platform = factories.organisation(session, OrgKind.industry, "US")
    nl = factories.organisation(session, OrgKind.law_enforcement, "NL")
    de = factories.organisation(session, OrgKind.law_enforcement, "DE")
    gb = factories.organisation(session, OrgKind.law_enforcement, "GB")
    factories.jurisdiction(session, "FR")
    accepted = ReportStatus.accepted
    # NL, received in 2025: accepted after 10 h (received 2 h after the confirmation),
    # 200 h and 12 h (confirmed on New Year's Eve 2024, received on 1 January), accepted
    # only on 2 January 2026 (censored at 24 h), and declined after 5 h (never accepted:
    # watched until the year's end, 5,136 h).
    report(session, platform, nl, "2025-03-01T00:00", received_after=2, status=accepted,
           decided_after=10)  # fmt: skip
    report(session, platform, nl, "2025-05-01T00:00", status=accepted, decided_after=200)
    report(session, platform, nl, "2024-12-31T20:00", received_after=6, status=accepted,
           decided_after=12)  # fmt: skip
    report(session, platform, nl, "2025-12-31T00:00", received_after=6, status=accepted,
           decided_after=48)  # fmt: skip
    report(session, platform, nl, "2025-06-01T00:00", status=ReportStatus.declined,
           decided_after=5)  # fmt: skip
    # DE: one forwarded from NL after 20 h and accepted in DE 30 h after the confirmation;
    # one still waiting (censored at the year's end, 1,464 h).
    report(session, platform, de, "2025-04-01T00:00", received_after=1, status=accepted,
           decided_after=30, basis=RoutingBasis.forwarded)  # fmt: skip
    report(session, platform, de, "2025-11-01T00:00")
    # In the secretariat's triage, without a country: alliance-wide only (4,416 h).
    report(session, platform, None, "2025-07-01T00:00")
    # GB: its only report came in 2024.
    report(session, platform, gb, "2024-06-01T00:00", status=accepted, decided_after=3)


def _values(session: Session, as_of: datetime = AS_OF) -> dict[tuple[str, str | None], Value]:
    found = industry_report_values(session, [YEAR], COUNTRIES, as_of)
    return {(v.indicator, v.country): v for v in found}


def _read(v: dict[tuple[str, str | None], Value], indicator: str) -> dict[str | None, object]:
    return {
        country: v[(indicator, country)].value
        if v[(indicator, country)].status is Status.ok
        else v[(indicator, country)].status.value
        for country in (None, *COUNTRIES)
    }


def test_reports_received_by_the_police_country(session: Session, world: None) -> None:
    v = _values(session)
    assert _read(v, "industry_reports.received") == {
        None: 8,  # NL 5, DE 2 and the one in triage
        "NL": 5,
        "DE": 2,
        "GB": 0,
        "FR": "no_data",
    }
    alliance = v[("industry_reports.received", None)]
    assert (alliance.n, alliance.coverage) == (8, 0.875)  # 7 of 8 reached a country's police


def test_time_to_acceptance_is_censored_not_dropped(session: Session, world: None) -> None:
    v = _values(session)
    # NL: 10, 12 accepted; 24 censored; 200 accepted; 5,136 (declined) censored.
    # S = 4/5 after 10 h, 3/5 after 12 h, 3/5 · 1/2 = 0.3 after 200 h: the median is 200 h,
    # where the accepted reports alone (10, 12, 200) would say 12 h.
    # DE: 30 accepted, 1,464 censored: S = 1/2 after 30 h.
    # Alliance: 10, 12, 24c, 30, 200, 1,464c, 4,416c, 5,136c: S = 7/8, 6/8, 6/8 · 4/5 = 0.6
    # after 30 h, 0.6 · 3/4 = 0.45 after 200 h.
    assert _read(v, "industry_reports.acceptance_hours") == {
        None: 200,
        "NL": 200,
        "DE": 30,
        "GB": "no_data",
        "FR": "no_data",
    }
    assert _read(v, "industry_reports.accepted_7d") == {
        None: 0.4,
        "NL": 0.4,
        "DE": 0.5,
        "GB": "no_data",
        "FR": "no_data",
    }
    nl = v[("industry_reports.acceptance_hours", "NL")]
    assert (nl.n, nl.coverage, nl.notes) == (5, 0.875, ())


def test_a_median_not_reached(session: Session, world: None) -> None:
    """Two more NL reports declined: of 7, only 3 accepted; the median is not reached."""
    platform = factories.organisation(session, OrgKind.industry, "US")
    nl = session.query(Organisation).filter_by(kind=OrgKind.law_enforcement, country_code="NL")
    police = nl.one()
    for confirmed in ("2025-08-01T00:00", "2025-09-01T00:00"):
        report(session, platform, police, confirmed, status=ReportStatus.declined,
               decided_after=1)  # fmt: skip
    value = _values(session)[("industry_reports.acceptance_hours", "NL")]
    assert (value.value, value.status, value.n) == (None, Status.not_reached, 7)
    assert value.notes == ("fewer than half accepted by the period's end",)


def test_as_of_within_the_period(session: Session, world: None) -> None:
    """On 1 March 2025 at 05:00 two NL reports had come: one accepted after 12 h, the other
    (received at 02:00) accepted only at 10:00, so still waiting: censored at 5 h."""
    v = _values(session, at("2025-03-01T05:00"))
    assert _read(v, "industry_reports.received") == {
        None: 2,
        "NL": 2,
        "DE": "no_data",  # nothing of DE's had come yet
        "GB": 0,
        "FR": "no_data",
    }
    assert v[("industry_reports.acceptance_hours", "NL")].value == 12
    assert v[("industry_reports.accepted_7d", "NL")].value == 1.0
