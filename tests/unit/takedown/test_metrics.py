"""Takedown-time metrics on both databases, from items with known clocks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.permissions import ROLE_GRANTS, Permission, Role
from alliance.errors import InvalidInput, PermissionDenied
from alliance.hosting.models import HostingProvider
from alliance.takedown.metrics import metrics_csv, quantile, takedown_metrics
from alliance.takedown.models import Classification, ContentItem, ItemStage
from tests import factories

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BASE = NOW - timedelta(days=60)  # 2026-04-02: every outcome of these items is known
# Hours from receipt to removal of the ten NL items (None: still up).
REMOVAL_HOURS = [12, 12, 12, 48, 48, 120, 120, 1200, None, None]
OPERATOR = factories.OPERATOR


def _item(
    session: Session,
    received: datetime,
    *,
    classification: Classification | None = Classification.baseline,
    country: str | None = "NL",
    provider: HostingProvider | None = None,
    assessed_after: float | None = None,
    removed_after: float | None = None,
    lea_after: float | None = 0.0,
    notice_after: float | None = None,
    notices: int = 0,
    reappearance_of: int | None = None,
) -> ContentItem:
    def at(hours: float | None) -> datetime | None:
        return None if hours is None else received + timedelta(hours=hours)

    reference = references.new("I")
    item = ContentItem(
        reference=reference,
        url=f"http://{reference.lower()}.example.test/a.png",
        open_url=None,
        host=f"{reference.lower()}.example.test",
        stage=ItemStage.removed if removed_after is not None else ItemStage.notified,
        classification=classification,
        country_code=country,
        provider_id=provider.id if provider else None,
        received_at=received,
        assessed_at=at(assessed_after),
        lea_informed_at=at(lea_after),
        first_notice_at=at(notice_after),
        notice_count=notices,
        removed_at=at(removed_after),
        reappearance_of_id=reappearance_of,
    )
    session.add(item)
    session.flush()
    return item


@pytest.fixture
def items(session: Session) -> list[ContentItem]:
    provider = HostingProvider(slug="nl-host", name="NL Host", country_code="NL", asns=[64500])
    session.add(provider)
    session.flush()
    made = []
    for index, hours in enumerate(REMOVAL_HOURS):
        made.append(
            _item(
                session,
                BASE + timedelta(minutes=index),
                provider=provider,
                assessed_after=index + 1,  # 1..10 hours; the LEA knew at receipt
                notice_after=index + 2,
                removed_after=hours,
                notices=1,
            )
        )
    # A re-upload of the first NL item's URL, received a day ago, still up: GB, no provider.
    _item(
        session,
        NOW - timedelta(days=1),
        classification=Classification.national,
        country="GB",
        assessed_after=3,
        lea_after=5,  # informed after assessment: 2 hours
        reappearance_of=made[0].id,
    )
    # Nobody knows where this one is hosted; gone after 6 hours.
    _item(session, NOW - timedelta(days=10), country=None, assessed_after=1, removed_after=6)
    # Not counted: not illegal, not yet assessed.
    _item(session, BASE, classification=Classification.not_illegal, removed_after=1)
    _item(session, BASE, classification=None)
    _item(session, BASE, classification=Classification.doubtful, removed_after=1)
    return made


def test_quantile_interpolates_between_ranks() -> None:
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.5) == 7.0 and quantile([7.0], 0.9) == 7.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([float(v) for v in range(1, 11)], 0.9) == pytest.approx(9.1)


def test_by_country(session: Session, items: list[ContentItem]) -> None:
    report = takedown_metrics(session, OPERATOR, now=NOW)
    assert report.group_by == "country" and report.generated_at == NOW
    assert [row.group for row in report.rows] == ["GB", "NL", "unresolved"]
    gb, nl, unresolved = report.rows

    assert nl.items == 10 and nl.removed == 8
    assert nl.received_to_removed.count == 8
    # sorted: 12 12 12 48 48 120 120 1200 → median between 48 and 48, p90 at 6.3
    assert nl.received_to_removed.median_hours == pytest.approx(48.0)
    assert nl.received_to_removed.p90_hours == pytest.approx(120 + 0.3 * 1080)
    assert nl.received_to_assessed.count == 10
    assert nl.received_to_assessed.median_hours == pytest.approx(5.5)
    assert nl.received_to_assessed.p90_hours == pytest.approx(9.1)
    # The LEA was informed at routing, before assessment: clamped to no delay.
    assert nl.assessed_to_lea_informed.count == 10
    assert nl.assessed_to_lea_informed.median_hours == 0.0
    assert nl.assessed_to_lea_informed.p90_hours == 0.0
    assert nl.received_to_first_notice.median_hours == pytest.approx(6.5)
    assert nl.received_to_first_notice.p90_hours == pytest.approx(10.1)
    assert nl.first_notice_to_removed.count == 8
    assert nl.removed_within_1_day == pytest.approx(0.3)
    assert nl.removed_within_3_days == pytest.approx(0.5)
    assert nl.removed_within_7_days == pytest.approx(0.7)
    assert nl.open_over_42_days == pytest.approx(0.3)  # 1200 h is over 42 days; two still up
    assert nl.reappearances == 0 and nl.notices_sent == 10

    # Received a day ago and still up: its 1-day outcome is known (not removed), its
    # 3- and 7-day outcomes are not yet, so those shares have no denominator.
    assert gb.items == 1 and gb.removed == 0 and gb.reappearances == 1
    assert gb.removed_within_1_day == 0.0
    assert gb.removed_within_3_days is None and gb.removed_within_7_days is None
    assert gb.open_over_42_days is None
    assert gb.assessed_to_lea_informed.median_hours == pytest.approx(2.0)
    assert gb.received_to_removed.count == 0 and gb.received_to_removed.median_hours is None

    assert unresolved.items == 1
    assert unresolved.received_to_removed.median_hours == pytest.approx(6.0)
    assert unresolved.received_to_removed.p90_hours == pytest.approx(6.0)
    assert unresolved.removed_within_1_day == 1.0
    assert unresolved.removed_within_7_days == 1.0
    assert unresolved.open_over_42_days is None

    overall = report.overall
    assert overall.group == "all" and overall.items == 12 and overall.removed == 9
    assert overall.reappearances == 1 and overall.notices_sent == 10
    assert overall.removed_within_1_day == pytest.approx(4 / 12)
    assert overall.removed_within_3_days == pytest.approx(6 / 11)
    assert overall.open_over_42_days == pytest.approx(3 / 10)


def test_by_provider_month_and_all(session: Session, items: list[ContentItem]) -> None:
    by_provider = takedown_metrics(session, OPERATOR, group_by="provider", now=NOW)
    assert [(r.group, r.items) for r in by_provider.rows] == [("NL Host", 10), ("unknown", 2)]

    by_month = takedown_metrics(session, OPERATOR, group_by="month", now=NOW)
    assert [(r.group, r.items) for r in by_month.rows] == [("2026-04", 10), ("2026-05", 2)]

    everything = takedown_metrics(session, OPERATOR, group_by="all", now=NOW)
    assert [r.group for r in everything.rows] == ["all"]
    assert everything.rows[0] == everything.overall


def test_since_and_until(session: Session, items: list[ContentItem]) -> None:
    cut = BASE + timedelta(minutes=5)  # the sixth NL item is received exactly then
    before = takedown_metrics(session, OPERATOR, group_by="all", until=cut, now=NOW)
    assert before.overall.items == 5 and before.until == cut
    after = takedown_metrics(session, OPERATOR, group_by="all", since=cut, now=NOW)
    assert after.overall.items == 7
    window = takedown_metrics(
        session, OPERATOR, group_by="country", since=NOW - timedelta(days=30), until=NOW, now=NOW
    )
    assert [(r.group, r.items) for r in window.rows] == [("GB", 1), ("unresolved", 1)]


def test_empty_period(session: Session, items: list[ContentItem]) -> None:
    report = takedown_metrics(session, OPERATOR, since=NOW, now=NOW)
    assert report.rows == []
    assert report.overall.items == 0
    assert report.overall.received_to_removed.median_hours is None
    assert report.overall.removed_within_3_days is None


@pytest.mark.parametrize("group_by", ["hotline", "", "COUNTRY"])
def test_bad_group_by(session: Session, group_by: str) -> None:
    with pytest.raises(InvalidInput, match="group_by"):
        takedown_metrics(session, OPERATOR, group_by=group_by)


def test_bad_period(session: Session) -> None:
    with pytest.raises(InvalidInput, match="before"):
        takedown_metrics(session, OPERATOR, since=NOW, until=NOW - timedelta(days=1))


def test_a_period_of_more_than_ten_years_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="at most 10 years") as refused:
        takedown_metrics(session, OPERATOR, since=NOW - timedelta(days=3654), until=NOW)
    assert refused.value.field == "since"
    report = takedown_metrics(session, OPERATOR, since=NOW - timedelta(days=3653), until=NOW)
    assert report.overall.items == 0


def test_a_naive_period_is_utc(session: Session, items: list[ContentItem]) -> None:
    cut = BASE + timedelta(minutes=5)
    naive = cut.replace(tzinfo=None)
    report = takedown_metrics(session, OPERATOR, group_by="all", until=naive, now=NOW)
    assert report.overall.items == 5 and report.until == cut


def test_every_member_role_may_read_metrics(session: Session) -> None:
    # Takedown times name slow providers alliance-wide: every role reads them.
    org = factories.organisation(session)
    viewer = factories.principal(factories.user(session, org, Role.viewer))
    assert takedown_metrics(session, viewer).overall.items == 0


def test_a_role_without_metrics_read_is_denied(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = factories.organisation(session)
    viewer = factories.principal(factories.user(session, org, Role.viewer))
    grants = {p: r for p, r in ROLE_GRANTS[Role.viewer].items() if p is not Permission.METRICS_READ}
    monkeypatch.setitem(ROLE_GRANTS, Role.viewer, grants)
    with pytest.raises(PermissionDenied):
        takedown_metrics(session, viewer)


def test_csv_has_one_flat_row_per_group(session: Session, items: list[ContentItem]) -> None:
    text = metrics_csv(takedown_metrics(session, OPERATOR, now=NOW))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["group"] for r in rows] == ["GB", "NL", "unresolved"]
    header = text.splitlines()[0].split(",")
    assert header[:6] == [
        "group",
        "items",
        "removed",
        "received_to_assessed_count",
        "received_to_assessed_median_hours",
        "received_to_assessed_p90_hours",
    ]
    assert header[-2:] == ["reappearances", "notices_sent"]
    nl = rows[1]
    assert nl["received_to_removed_median_hours"] == "48.0"
    assert nl["removed_within_3_days"] == "0.5"
    assert rows[0]["removed_within_3_days"] == ""  # unknown is empty, not 0
