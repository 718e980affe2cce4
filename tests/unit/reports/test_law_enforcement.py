"""Goal 3 on a small world whose values were worked out by hand: cross-border referrals
(a domestic one left out), answers and the time to them with one unanswered, alerts and
their acknowledgement, targets two countries watched, and seizures triaged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.cooperation.models import DeconflictionAlert, TargetKind, WatchedTarget
from alliance.reports.law_enforcement import law_enforcement_values
from alliance.reports.periods import Period
from alliance.reports.schemas import Status, Value
from alliance.victims.models import Referral, ReferralStatus, Seizure, Series, SeriesStatus
from tests import factories

YEAR = Period(2025)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def refer(
    session: Session,
    series: Series,
    sender: Organisation,
    receiver: Organisation,
    sent: str,
    answer: ReferralStatus | None = None,
    after_hours: float = 0,
) -> None:
    session.add(
        Referral(
            reference=references.new("RF"),
            series_id=series.id,
            from_organisation_id=sender.id,
            to_organisation_id=receiver.id,
            to_country=receiver.country_code,
            package={},
            status=answer or ReferralStatus.pending,
            created_at=at(sent),
            created_by="test",
            decided_at=at(sent) + timedelta(hours=after_hours) if answer else None,
        )
    )
    session.flush()


def watch(
    session: Session, owner: Organisation, kind: TargetKind, value: str, registered: str,
    ended: str | None = None,
) -> WatchedTarget:  # fmt: skip
    target = WatchedTarget(
        organisation_id=owner.id,
        kind=kind,
        value=value,
        source="hold",
        source_reference="H-TEST",
        registered_at=at(registered),
        ended_at=at(ended) if ended else None,
    )
    session.add(target)
    session.flush()
    return target


def alert(
    session: Session, target: WatchedTarget, raised: str, acknowledged_after: float | None
) -> None:
    session.add(
        DeconflictionAlert(
            target_id=target.id,
            organisation_id=target.organisation_id,
            touched_by="someone",
            action="report",
            created_at=at(raised),
            acknowledged_at=(
                at(raised) + timedelta(hours=acknowledged_after)
                if acknowledged_after is not None
                else None
            ),
        )
    )
    session.flush()


def seizure(
    session: Session, owner: Organisation, submitted: str, items: int, sorted_: int
) -> None:
    session.add(
        Seizure(
            reference=references.new("SZ"),
            organisation_id=owner.id,
            submitted_by="test",
            submitted_at=at(submitted),
            source_format="csv",
            items=items,
            known=sorted_,
            near=0,
            new=items - sorted_,
            categorised=sorted_,
            identified=0,
            baseline=0,
        )
    )
    session.flush()


@pytest.fixture
def world(session: Session) -> None:
    nl = factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
    gb = factories.organisation(session, OrgKind.law_enforcement, "GB", slug="gb-police")
    de = factories.organisation(session, OrgKind.law_enforcement, "DE", slug="de-police")
    series = Series(
        code="S-TEST0001", name="Test", name_key="test", owner_organisation_id=nl.id,
        status=SeriesStatus.active, first_seen_at=at("2024-01-01T00:00"), countries=[],
        created_by="test",
    )  # fmt: skip
    session.add(series)
    session.flush()
    refer(session, series, nl, gb, "2025-02-01T00:00", ReferralStatus.accepted, 10)
    refer(session, series, nl, de, "2025-03-01T00:00", ReferralStatus.declined, 30)
    refer(session, series, nl, gb, "2025-12-31T12:00")  # unanswered: censored at 12 h
    refer(session, series, nl, nl, "2025-04-01T00:00", ReferralStatus.accepted, 1)  # domestic
    refer(session, series, gb, nl, "2024-12-31T20:00", ReferralStatus.accepted, 8)  # sent 2024
    shared = watch(session, nl, TargetKind.hash, "sha256:" + "a" * 64, "2025-01-01T00:00")
    watch(
        session, gb, TargetKind.hash, "sha256:" + "a" * 64, "2025-03-01T00:00", "2025-04-01T00:00"
    )
    url = "http://x.example.test/"
    watch(session, gb, TargetKind.url, url, "2024-01-01T00:00", "2024-06-01T00:00")
    watch(session, de, TargetKind.url, url, "2025-02-01T00:00")  # GB stopped in 2024
    watch(session, de, TargetKind.series, "S-OTHER001", "2025-01-01T00:00")
    watch(session, de, TargetKind.series, "S-OTHER001", "2025-01-02T00:00")  # DE twice
    alert(session, shared, "2025-05-01T00:00", 24)
    alert(session, shared, "2025-06-01T00:00", 240)
    alert(session, shared, "2025-12-30T00:00", None)  # censored at 48 h
    seizure(session, nl, "2025-03-01T00:00", 100, 40)
    seizure(session, nl, "2025-09-01T00:00", 50, 20)
    seizure(session, gb, "2024-06-01T00:00", 10, 10)


def _values(session: Session) -> dict[tuple[str, str | None], Value]:
    found = law_enforcement_values(session, [YEAR], ["NL", "GB", "DE", "FR"], AS_OF)
    return {(v.indicator, v.country): v for v in found}


def _read(v: dict[tuple[str, str | None], Value], indicator: str) -> dict[str | None, object]:
    return {
        country: v[(indicator, country)].value
        if v[(indicator, country)].status is Status.ok
        else v[(indicator, country)].status.value
        for country in (None, "NL", "GB", "DE", "FR")
    }


def test_referrals(session: Session, world: None) -> None:
    v = _values(session)
    assert _read(v, "cooperation.referrals_sent") == {
        None: 3,
        "NL": 3,
        "GB": 0,
        "DE": "no_data",
        "FR": "no_data",
    }
    assert _read(v, "cooperation.referrals_accepted") == {
        None: 2,
        "NL": 1,
        "GB": 1,
        "DE": 0,
        "FR": "no_data",
    }
    assert _read(v, "cooperation.referrals_declined") == {
        None: 1,
        "NL": 0,
        "GB": 0,
        "DE": 1,
        "FR": "no_data",
    }
    # Received in 2025: GB 10 h and 12 h censored; DE 30 h; NL's arrived in 2024.
    # Alliance-wide: 10 (S = 2/3), 12 censored, 30 (S = 0).
    assert _read(v, "cooperation.referral_answer_hours") == {
        None: 30,
        "NL": "no_data",
        "GB": 10,
        "DE": 30,
        "FR": "no_data",
    }


def test_alerts_and_shared_targets(session: Session, world: None) -> None:
    v = _values(session)
    assert _read(v, "cooperation.alerts") == {
        None: 3,
        "NL": 3,
        "GB": "no_data",
        "DE": "no_data",
        "FR": "no_data",
    }
    # 24 h and 240 h acknowledged, 48 h censored: S = 2/3 after 24 h, 0 after 240 h.
    assert v[("cooperation.alerts_acknowledged", "NL")].value == pytest.approx(1 / 3, abs=1e-4)
    assert _read(v, "cooperation.shared_targets") == {
        None: 1,
        "NL": 1,
        "GB": 1,
        "DE": 0,
        "FR": "no_data",
    }


def test_seizures_triaged(session: Session, world: None) -> None:
    v = _values(session)
    nl = v[("victims.seizures_triaged", "NL")]
    assert (nl.value, nl.n) == (0.4, 150)  # (40 + 20) / (100 + 50)
    assert v[("victims.seizures_triaged", None)].value == 0.4
    assert v[("victims.seizures_triaged", "GB")].status is Status.no_data  # only in 2024
