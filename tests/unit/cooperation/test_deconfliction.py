"""The one deconfliction mechanism: watched targets, touches, alerts and who sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.audit.services import SYSTEM
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import TargetKind
from alliance.cooperation.services import Touched, target_matches
from alliance.db.base import utcnow
from alliance.errors import NotFound, PermissionDenied
from tests import factories

DIGEST = "sha256:" + "ab" * 32


@dataclass
class Agencies:
    nl: Organisation
    gb: Organisation
    hotline: Organisation
    nl_investigator: Principal
    gb_investigator: Principal
    analyst: Principal


@pytest.fixture
def agencies(session: Session) -> Agencies:
    nl = factories.organisation(session, OrgKind.law_enforcement, "NL")
    gb = factories.organisation(session, OrgKind.law_enforcement, "GB")
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    return Agencies(
        nl=nl,
        gb=gb,
        hotline=hotline,
        nl_investigator=factories.principal(factories.user(session, nl, Role.investigator)),
        gb_investigator=factories.principal(factories.user(session, gb, Role.investigator)),
        analyst=factories.principal(factories.user(session, hotline, Role.analyst)),
    )


def watch(
    session: Session,
    org: Organisation,
    kind: TargetKind,
    value: str,
    reference: str = "H-1",
    source: str = "hold",
) -> int:
    target = cooperation.register(
        session,
        organisation_id=org.id,
        kind=kind,
        value=value,
        source=source,
        source_reference=reference,
    )
    return target.id


def test_the_matching_rule() -> None:
    touched = Touched(
        url="http://www.photos.example.test/a.png",
        hashes={DIGEST},
        reports={"R-ABC"},
        series={"S-1"},
    )
    assert touched.host == "www.photos.example.test"  # taken from the URL
    assert target_matches(TargetKind.url, "http://www.photos.example.test/a.png", touched)
    assert not target_matches("url", "http://www.photos.example.test/b.png", touched)
    assert target_matches(TargetKind.domain, "example.test", touched)  # a subdomain
    assert target_matches(TargetKind.domain, "photos.example.test", touched)
    assert not target_matches(TargetKind.domain, "ample.test", touched)
    assert target_matches(TargetKind.hash, DIGEST, touched)
    assert target_matches(TargetKind.report, "R-ABC", touched)
    assert target_matches(TargetKind.series, "S-1", touched)
    assert not target_matches(TargetKind.series, "S-2", touched)
    assert not target_matches(TargetKind.domain, "example.test", Touched(hashes={DIGEST}))


def test_a_touch_alerts_the_watching_agency_only(session: Session, agencies: Agencies) -> None:
    target = watch(session, agencies.nl, TargetKind.hash, DIGEST.upper())  # stored lower-case
    alerts = cooperation.touch(
        session,
        agencies.analyst,
        Touched(hashes={DIGEST, "md5:" + "0" * 32}),
        "match",
        subject="I-ITEM0001",
        count=3,
    )
    [alert] = alerts
    assert alert.target_id == target
    assert alert.organisation_id == agencies.nl.id
    assert alert.touched_by_organisation_id == agencies.hotline.id
    assert (alert.action, alert.subject, alert.count, alert.shared_note) == (
        "match",
        "I-ITEM0001",
        3,
        None,
    )
    out = cooperation.alert_out(alert)
    assert (out.source, out.source_reference, out.target_kind, out.target_value) == (
        "hold",
        "H-1",
        TargetKind.hash,
        DIGEST,
    )
    assert out.touched_by_organisation == agencies.hotline.name

    # The agency's own work on its target raises nothing.
    assert cooperation.touch(session, agencies.nl_investigator, Touched(hashes={DIGEST}), "x") == []
    # Nor does a touch of something nobody watches.
    assert cooperation.touch(session, agencies.analyst, Touched(reports={"R-NONE"}), "x") == []


def test_register_is_idempotent_while_active(session: Session, agencies: Agencies) -> None:
    first = watch(session, agencies.nl, TargetKind.url, "http://a.example.test/")
    assert watch(session, agencies.nl, TargetKind.url, "http://a.example.test/") == first
    assert watch(session, agencies.nl, TargetKind.url, "http://a.example.test/", "H-2") != first
    cooperation.end(session, "hold", "H-1")
    assert watch(session, agencies.nl, TargetKind.url, "http://a.example.test/") != first


def test_expired_and_ended_targets_are_ignored(session: Session, agencies: Agencies) -> None:
    now = utcnow()
    for reference in ("H-EXPIRED", "H-ENDED", "H-RENEWED", "H-ONE-OF-TWO"):
        cooperation.register(
            session,
            organisation_id=agencies.nl.id,
            kind=TargetKind.report,
            value=f"R-{reference}",
            source="hold",
            source_reference=reference,
            expires_at=now + timedelta(days=1),
        )
    cooperation.register(
        session,
        organisation_id=agencies.nl.id,
        kind=TargetKind.report,
        value="R-OTHER",
        source="hold",
        source_reference="H-ONE-OF-TWO",
    )
    assert cooperation.set_expiry(session, "hold", "H-EXPIRED", now - timedelta(seconds=1)) == 1
    assert cooperation.set_expiry(session, "hold", "H-RENEWED", now + timedelta(days=9)) == 1
    assert cooperation.end(session, "hold", "H-ENDED") == 1
    assert cooperation.end(session, "hold", "H-ONE-OF-TWO", kind="report", value="R-OTHER") == 1
    touched = Touched(reports={f"R-{r}" for r in ("H-EXPIRED", "H-ENDED", "H-RENEWED", "OTHER")})
    touched.reports.add("R-H-ONE-OF-TWO")
    alerted = cooperation.touch(session, agencies.analyst, touched, "report")
    assert sorted(a.target.source_reference for a in alerted) == ["H-ONE-OF-TWO", "H-RENEWED"]
    assert {t.source_reference for t in cooperation.active_targets(session)} == {
        "H-RENEWED",
        "H-ONE-OF-TWO",
    }
    # Preloaded targets give the same answer without a query per touch.
    preloaded = cooperation.touch(
        session,
        agencies.analyst,
        touched,
        "report",
        targets=cooperation.active_targets(session),
    )
    assert sorted(a.target_id for a in preloaded) == sorted(a.target_id for a in alerted)


def test_domain_targets_cover_subdomains(session: Session, agencies: Agencies) -> None:
    watch(session, agencies.nl, TargetKind.domain, "Example.TEST")
    watch(session, agencies.gb, TargetKind.domain, "other.test", "H-GB")
    [alert] = cooperation.touch(
        session, agencies.analyst, Touched(url="http://cdn.img.example.test/x.png"), "report"
    )
    assert alert.organisation_id == agencies.nl.id
    assert cooperation.touch(session, agencies.analyst, Touched(host="example.testing"), "x") == []


def test_series_targets_and_a_shared_note(session: Session, agencies: Agencies) -> None:
    watch(session, agencies.nl, TargetKind.series, "S-BLUE", "S-BLUE", "series")
    watch(session, agencies.nl, TargetKind.hash, DIGEST, "S-BLUE", "series")
    [by_series, by_hash] = cooperation.touch(
        session,
        agencies.gb_investigator,
        Touched(hashes={DIGEST}, series={"S-BLUE"}),
        "seizure",
        subject="Z-SEIZURE1",
        count=12,
        shared_note="Found on a laptop in Leeds; call DC Smith.",
    )
    assert {by_series.target.kind, by_hash.target.kind} == {TargetKind.series, TargetKind.hash}
    out = cooperation.alert_out(by_series)
    assert (out.source, out.source_reference, out.count) == ("series", "S-BLUE", 12)
    assert out.shared_note == "Found on a laptop in Leeds; call DC Smith."
    # The audit trail records the alert under the owner, never the shared note.
    events = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == EventType.DECONFLICTION_ALERTED)
    ).scalars()
    details = [(e.subject_type, e.subject_id, e.organisation_id, e.details) for e in events]
    assert len(details) == 2
    for subject_type, subject_id, organisation_id, text in details:
        assert (subject_type, subject_id, organisation_id) == ("series", "S-BLUE", agencies.nl.id)
        assert "seizure" in text and "Z-SEIZURE1" in text and "laptop" not in text
    # Listing by source keeps series and holds apart.
    nl = agencies.nl_investigator
    assert len(cooperation.list_alerts(session, nl, source="series")) == 2
    assert cooperation.list_alerts(session, nl, source="hold") == []


def test_another_agency_cannot_see_or_acknowledge(session: Session, agencies: Agencies) -> None:
    watch(session, agencies.nl, TargetKind.report, "R-HELD")
    [alert] = cooperation.touch(session, SYSTEM, Touched(reports={"R-HELD"}), "report")
    assert alert.touched_by == "system" and alert.touched_by_organisation_id is None

    assert [a.id for a in cooperation.list_alerts(session, agencies.nl_investigator)] == [alert.id]
    assert cooperation.list_alerts(session, agencies.gb_investigator) == []
    assert cooperation.count_alerts(session, agencies.nl_investigator) == 1
    assert cooperation.count_alerts(session, agencies.gb_investigator) == 0
    with pytest.raises(NotFound):
        cooperation.acknowledge(session, agencies.gb_investigator, alert.id)
    with pytest.raises(PermissionDenied):
        cooperation.list_alerts(session, agencies.analyst)  # a hotline reads no alerts
    with pytest.raises(PermissionDenied):
        cooperation.acknowledge(session, agencies.analyst, alert.id)

    acknowledged = cooperation.acknowledge(session, agencies.nl_investigator, alert.id)
    assert acknowledged.acknowledged_at is not None
    # Who: the person's display name (the factory's is the username) and their agency.
    assert acknowledged.acknowledged_by == agencies.nl_investigator.name
    assert acknowledged.acknowledged_by_organisation_id == agencies.nl.id
    out = cooperation.alert_out(acknowledged)
    assert (out.acknowledged_by, out.acknowledged_by_organisation) == (
        agencies.nl_investigator.name,
        agencies.nl.name,
    )
    cooperation.acknowledge(session, agencies.nl_investigator, alert.id)  # a repeat is a no-op
    events = list(
        session.execute(
            select(AuditEvent).where(AuditEvent.event_type == EventType.DECONFLICTION_ACKNOWLEDGED)
        ).scalars()
    )
    assert [(e.subject_type, e.subject_id, e.organisation_id) for e in events] == [
        ("hold", "H-1", agencies.nl.id)
    ]
    assert cooperation.count_alerts(session, agencies.nl_investigator) == 0
    assert len(cooperation.list_alerts(session, agencies.nl_investigator)) == 1
    unacknowledged = cooperation.list_alerts(
        session, agencies.nl_investigator, unacknowledged_only=True
    )
    assert unacknowledged == []


def test_many_hashes_are_looked_up_in_chunks(session: Session, agencies: Agencies) -> None:
    watch(session, agencies.nl, TargetKind.hash, DIGEST)
    hashes = {f"sha256:{i:064x}" for i in range(1200)} | {DIGEST}
    [alert] = cooperation.touch(session, agencies.analyst, Touched(hashes=hashes), "match")
    assert alert.target.value == DIGEST


def test_touch_each_alerts_per_thing_with_its_own_count(
    session: Session, agencies: Agencies
) -> None:
    """A seizure touching many series at once: one alert per series and watching agency,
    each with that series' count; the toucher's own targets and unwatched things none."""
    for n in range(3):
        watch(session, agencies.nl, TargetKind.series, f"S-NL{n}", f"S-NL{n}", "series")
    watch(session, agencies.gb, TargetKind.series, "S-NL1", "S-NL1", "series")  # both watch
    watch(session, agencies.gb, TargetKind.series, "S-GB", "S-GB", "series")  # the toucher's
    watch(session, agencies.nl, TargetKind.domain, "example.test")
    touches = [
        (Touched(series={"S-NL0"}), 4),
        (Touched(series={"S-NL1"}), 7),
        (Touched(series={"S-GB"}), 2),
        (Touched(series={"S-NOBODY"}), 9),
        (Touched(url="http://cdn.example.test/a.png"), 1),
    ]
    alerts = cooperation.touch_each(
        session, agencies.gb_investigator, touches, "seizure", subject="SZ-1"
    )
    assert sorted((a.target.value, a.organisation_id, a.count) for a in alerts) == [
        ("S-NL0", agencies.nl.id, 4),
        ("S-NL1", agencies.nl.id, 7),
        ("example.test", agencies.nl.id, 1),
    ]
    events = session.execute(
        select(AuditEvent).where(AuditEvent.event_type == EventType.DECONFLICTION_ALERTED)
    ).scalars()
    assert sorted(e.subject_id for e in events) == ["H-1", "S-NL0", "S-NL1"]
    # Targets loaded once and passed give the same alerts.
    again = cooperation.touch_each(
        session,
        agencies.gb_investigator,
        touches,
        "seizure",
        targets=cooperation.active_targets(session),
    )
    assert sorted(a.target_id for a in again) == sorted(a.target_id for a in alerts)
    assert cooperation.touch_each(session, agencies.gb_investigator, [], "seizure") == []
