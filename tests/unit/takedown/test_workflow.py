"""The whole takedown workflow on both databases: report → route → hold → notice → removal."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.banks import services as banks
from alliance.banks.schemas import EntryIn, MatchRequest, SignalIn
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert
from alliance.db.base import utcnow
from alliance.db.session import transaction
from alliance.errors import Conflict, InvalidInput, PermissionDenied
from alliance.takedown import assessment, holds, intake, reading, routing
from alliance.takedown.models import (
    ActionKind,
    ActionStatus,
    Classification,
    ContentItem,
    EventKind,
    Hold,
    HoldTarget,
    ItemEvent,
    ItemStage,
    Notice,
    NoticeChannel,
    ScheduledAction,
)
from alliance.takedown.notices import NoticeMessage
from alliance.takedown.schemas import AssessmentIn, HashIn, HoldIn, ReportIn
from alliance.worker.runner import Worker
from tests import factories
from tests.support.takedown_world import PNG, TakedownWorld, takedown_world

URL = "http://photos.example.test/gallery/a.png"


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[TakedownWorld]:
    with takedown_world(sessions, tmp_path) as w:
        yield w


def report(world: TakedownWorld, who: str | None, *urls: str) -> list[str]:
    actor = intake.PUBLIC if who is None else world.principal(who)
    with transaction(world.sessions) as session:
        receipt = intake.submit_reports(session, actor, [ReportIn(urls=list(urls))])[0]
    return [i.item for i in receipt.items]


def item(world: TakedownWorld, reference: str) -> ContentItem:
    with world.sessions() as session:
        return session.execute(
            select(ContentItem).where(ContentItem.reference == reference)
        ).scalar_one()


def events(world: TakedownWorld, reference: str) -> list[str]:
    with world.sessions() as session:
        found = item(world, reference)
        return list(
            session.execute(
                select(ItemEvent.kind).where(ItemEvent.item_id == found.id).order_by(ItemEvent.id)
            ).scalars()
        )


def make_due(world: TakedownWorld, kind: ActionKind) -> None:
    with transaction(world.sessions) as session:
        session.execute(
            update(ScheduledAction)
            .where(ScheduledAction.kind == kind, ScheduledAction.status == ActionStatus.due)
            .values(due_at=utcnow() - timedelta(seconds=1))
        )


def assess(world: TakedownWorld, who: str, reference: str, c: Classification) -> None:
    with transaction(world.sessions) as session:
        assessment.claim_item(session, world.principal(who), reference, world.settings)
        assessment.assess_item(
            session, world.principal(who), reference, AssessmentIn(classification=c), world.settings
        )


def test_report_hold_notice_removal(world: TakedownWorld) -> None:
    world.sites.pages[("photos.example.test", "/gallery/a.png")] = 200
    [ref] = report(world, None, URL)
    # The same URL written differently joins the open item.
    assert report(
        world, "gb-analyst", "HTTP://Photos.Example.Test:80/gallery/./a.png?utm_source=x"
    ) == [ref]
    assert item(world, ref).report_count == 2

    world.worker().run_until_idle()
    routed = item(world, ref)
    assert routed.stage is ItemStage.awaiting_assessment
    assert routed.country_code == "NL"
    assert routed.assigned_organisation_id == world.orgs["nl-hotline"].id
    assert routed.lea_organisation_id == world.orgs["nl-police"].id
    assert routed.provider is not None and routed.provider.slug == "nl-host"

    # Two analysts never get the same item.
    with transaction(world.sessions) as session:
        first = assessment.claim_next(session, world.principal("nl-analyst"), world.settings)
    with transaction(world.sessions) as session:
        second = assessment.claim_next(session, world.principal("nl-analyst-2"), world.settings)
    assert first is not None and first.reference == ref
    assert second is None
    with pytest.raises(Conflict, match="another analyst"):
        assess(world, "nl-analyst-2", ref, Classification.baseline)

    # The LEA holds the domain before the assessment makes a notice due.
    with transaction(world.sessions) as session:
        hold = holds.place_hold(
            session,
            world.principal("nl-investigator"),
            HoldIn(target_type=HoldTarget.domain, target_value="example.test", reason="op BLUE"),
            world.settings,
        )
        hold_ref = hold.reference
    assess(world, "nl-analyst", ref, Classification.baseline)
    world.worker().run_until_idle()
    assert world.mailbox.messages == []
    assert "notice_held" in events(world, ref)
    assert item(world, ref).stage is ItemStage.notice_pending

    # A second hotline reporting it during the hold alerts the LEA instead of a notice.
    report(world, "gb-analyst", URL)
    world.worker().run_until_idle()
    assert world.mailbox.messages == []
    with world.sessions() as session:
        alerts = cooperation.list_alerts(session, world.principal("nl-investigator"))
        # The hotline's assessment and the second hotline's report both touched the target.
        assert sorted((a.action, a.touched_by_organisation_id) for a in alerts) == [
            ("assessment", world.orgs["nl-hotline"].id),
            ("report", world.orgs["gb-hotline"].id),
        ]
        view = reading.item_out(session, item(world, ref))
        assert view.hold.on_hold and view.hold.until is not None
        # Others see that it is held, never why.
        out = holds.hold_out(
            holds.get_hold(session, world.principal("nl-investigator"), hold_ref),
            world.principal("gb-analyst"),
        )
        assert out.reason is None

    with transaction(world.sessions) as session:
        holds.release_hold(session, world.principal("nl-investigator"), hold_ref)
    world.worker().run_until_idle()
    [message] = world.mailbox.wait_for(1)
    assert URL in message.get_content()
    assert message["To"] == "abuse@nl-host.example.test"
    notified = item(world, ref)
    assert notified.stage is ItemStage.notified and notified.notice_count == 1

    # The re-check sees the page gone.
    world.sites.pages.pop(("photos.example.test", "/gallery/a.png"))
    make_due(world, ActionKind.recheck)
    world.worker().run_until_idle()
    removed = item(world, ref)
    assert removed.stage is ItemStage.removed and removed.open_url is None
    make_due(world, ActionKind.notice)
    world.worker().run_until_idle()
    assert len(world.mailbox.messages) == 1  # no re-notice after removal
    assert events(world, ref)[-2:] == ["rechecked", "removed"]
    with world.sessions() as session:
        kinds = set(session.execute(select(AuditEvent.event_type)).scalars())
    assert {
        EventType.REPORT_RECEIVED,
        EventType.ITEM_ROUTED,
        EventType.HOLD_PLACED,
        EventType.HOLD_HIT,
        EventType.DECONFLICTION_ALERTED,
        EventType.HOLD_RELEASED,
        EventType.NOTICE_SENT,
        EventType.ITEM_REMOVED,
    } <= kinds


def test_lea_window_delays_the_first_notice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with takedown_world(sessions, tmp_path, lea_window_hours=24) as world:
        [ref] = report(world, "gb-analyst", URL)
        world.worker().run_until_idle()
        assess(world, "nl-analyst", ref, Classification.national)
        world.worker().run_until_idle()
        assert world.mailbox.messages == []
        with world.sessions() as session:
            action = session.execute(
                select(ScheduledAction).where(ScheduledAction.kind == ActionKind.notice)
            ).scalar_one()
            window = item(world, ref).lea_window_ends_at
            assert window is not None and action.due_at == window
        make_due(world, ActionKind.notice)
        with transaction(world.sessions) as session:
            session.execute(update(ContentItem).values(lea_window_ends_at=utcnow()))
        world.worker().run_until_idle()
        assert len(world.mailbox.wait_for(1)) == 1


def test_renotice_and_escalation_until_removal(world: TakedownWorld) -> None:
    world.sites.pages[("photos.example.test", "/gallery/a.png")] = 200
    [ref] = report(world, None, URL)
    world.worker().run_until_idle()
    assess(world, "nl-analyst", ref, Classification.baseline)
    world.worker().run_until_idle()
    world.mailbox.wait_for(1)
    make_due(world, ActionKind.notice)
    make_due(world, ActionKind.recheck)
    world.worker().run_until_idle()
    messages = world.mailbox.wait_for(2)
    assert len(messages) == 2 and messages[0]["Message-ID"] != messages[1]["Message-ID"]
    make_due(world, ActionKind.escalate)
    world.worker().run_until_idle()
    escalated = item(world, ref)
    assert escalated.escalated_at is not None and escalated.notice_count == 2
    with world.sessions() as session:
        kinds = [n.kind for n in session.execute(select(Notice).order_by(Notice.id)).scalars()]
    assert kinds == ["notice", "notice", "escalation"]


def test_not_illegal_closes_and_a_new_report_opens_again(world: TakedownWorld) -> None:
    [ref] = report(world, None, URL)
    world.worker().run_until_idle()
    assess(world, "nl-analyst", ref, Classification.not_illegal)
    closed = item(world, ref)
    assert closed.stage is ItemStage.closed and closed.open_url is None
    [again] = report(world, None, URL)
    assert again != ref


def test_unresolvable_host_goes_to_the_secretariat(world: TakedownWorld) -> None:
    [ref] = report(world, None, "http://nowhere.example.test/x")  # not in the .mmdb
    [gone] = report(world, None, "http://unknown-host.example.test/x")  # not in DNS
    world.worker().run_until_idle()
    for reference in (ref, gone):
        found = item(world, reference)
        assert found.stage is ItemStage.unresolved
        assert found.assigned_organisation_id == world.orgs["secretariat"].id
        assert found.resolution_error


def test_provider_without_contact_blocks_the_notice_visibly(world: TakedownWorld) -> None:
    [ref] = report(world, None, "http://silent.example.test/p")
    world.worker().run_until_idle()
    assess(world, "nl-analyst", ref, Classification.baseline)
    world.worker().run_until_idle()
    assert world.mailbox.messages == []
    assert "notice_blocked" in events(world, ref)
    with world.sessions() as session:
        action = session.execute(
            select(ScheduledAction).where(ScheduledAction.kind == ActionKind.notice)
        ).scalar_one()
        assert action.last_error and "no abuse contact" in action.last_error


def test_batched_provider_gets_one_message(world: TakedownWorld) -> None:
    refs = report(world, None, *(f"http://pics.example.test/{n}.jpg" for n in range(3)))
    world.worker().run_until_idle()
    for ref in refs:
        assess(world, "gb-analyst", ref, Classification.baseline)
    world.worker().run_until_idle()
    [message] = world.mailbox.wait_for(1)
    body = message.get_content()
    assert all(f"http://pics.example.test/{n}.jpg" in body for n in range(3))
    with world.sessions() as session:
        assert {n.status.value for n in session.execute(select(Notice)).scalars()} == {"sent"}


def test_bad_input(world: TakedownWorld) -> None:
    with transaction(world.sessions) as session:
        for bad in ("javascript:alert(1)", "ftp://example.test/x", "http://10.0.0.1/x", "http://"):
            with pytest.raises(InvalidInput, match="nothing was saved"):
                intake.submit_reports(session, intake.PUBLIC, [ReportIn(urls=[URL, bad])])
        assert session.execute(select(ContentItem)).first() is None
        hold = HoldIn(target_type=HoldTarget.url, target_value=URL, reason="not police")
        with pytest.raises(PermissionDenied, match="may not"):
            holds.place_hold(session, world.principal("nl-analyst"), hold, world.settings)
        # Even the secretariat, which may do almost anything, is not an investigating agency.
        with pytest.raises(PermissionDenied, match="law-enforcement"):
            holds.place_hold(session, world.principal("admin"), hold, world.settings)


def test_idempotent_batch(world: TakedownWorld) -> None:
    who = world.principal("gb-analyst")
    reports = [ReportIn(urls=[URL]), ReportIn(urls=["http://pics.example.test/1.jpg"])]
    with transaction(world.sessions) as session:
        first = intake.submit_reports(session, who, reports, idempotency_key="k1")
    with transaction(world.sessions) as session:
        again = intake.submit_reports(session, who, reports, idempotency_key="k1")
    assert [r.reference for r in again] == [r.reference for r in first]
    assert all(r.replayed for r in again)
    with transaction(world.sessions) as session, pytest.raises(Conflict):
        intake.submit_reports(session, who, reports[:1], idempotency_key="k1")
    with world.sessions() as session:
        assert len(session.execute(select(ContentItem)).all()) == 2
        assert session.execute(select(DeconflictionAlert)).first() is None


def test_lea_clearance_and_recheck_on_request(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with takedown_world(sessions, tmp_path, lea_window_hours=24) as world:
        world.sites.pages[("photos.example.test", "/gallery/a.png")] = 200
        [ref] = report(world, None, URL)
        world.worker().run_until_idle()
        assess(world, "nl-analyst", ref, Classification.baseline)
        world.worker().run_until_idle()
        assert world.mailbox.messages == []  # the NL police's window is open
        with transaction(world.sessions) as session, pytest.raises(PermissionDenied):
            routing.clear_for_notice(session, world.principal("nl-analyst"), ref)
        with transaction(world.sessions) as session:
            routing.clear_for_notice(session, world.principal("nl-investigator"), ref)
        world.worker().run_until_idle()
        assert len(world.mailbox.wait_for(1)) == 1
        world.sites.pages.clear()  # the provider removed it
        with transaction(world.sessions) as session:
            assessment.request_recheck(session, world.principal("nl-analyst"), ref)
        world.worker().run_until_idle()
        assert item(world, ref).stage is ItemStage.removed


def test_hold_expiry_resumes_the_notice(world: TakedownWorld) -> None:
    [ref] = report(world, None, URL)
    world.worker().run_until_idle()
    with transaction(world.sessions) as session:
        holds.place_hold(
            session,
            world.principal("nl-investigator"),
            HoldIn(target_type=HoldTarget.url, target_value=URL, reason="short", days=1),
            world.settings,
        )
    assess(world, "nl-analyst", ref, Classification.baseline)
    world.worker().run_until_idle()
    assert world.mailbox.messages == []
    with transaction(world.sessions) as session:
        session.execute(update(Hold).values(expires_at=utcnow() - timedelta(seconds=1)))
    make_due(world, ActionKind.expire_hold)
    world.worker().run_until_idle()
    assert len(world.mailbox.wait_for(1)) == 1
    with world.sessions() as session:
        kinds = set(session.execute(select(AuditEvent.event_type)).scalars())
        # The item's timeline: who placed the hold, and that it ended with the notice due.
        timeline = {
            e.kind: e
            for e in session.execute(
                select(ItemEvent).where(ItemEvent.item_id == item(world, ref).id)
            ).scalars()
        }
    assert EventType.HOLD_EXPIRED in kinds
    placed, ended = timeline[EventKind.hold_placed], timeline[EventKind.hold_ended]
    assert placed.actor == world.principal("nl-investigator").audit_label
    assert placed.organisation_id == world.orgs["nl-police"].id
    assert placed.details["hold"] == ended.details["hold"] and "notice_due_at" in ended.details


class Crash(BaseException):
    """The process dies: not an error the worker could catch."""


def test_worker_killed_mid_notice_repeats_it_under_the_same_reference(
    world: TakedownWorld,
) -> None:
    [ref] = report(world, None, URL)
    world.worker().run_until_idle()
    assess(world, "nl-analyst", ref, Classification.baseline)
    real = world.tools.sender_for

    class SendsThenDies:
        def __init__(self, channel: NoticeChannel) -> None:
            self.inner = real(channel)

        def send(self, message: NoticeMessage) -> None:
            self.inner.send(message)
            raise Crash

    world.tools.sender_for = SendsThenDies
    with pytest.raises(Crash):
        world.worker().run_until_idle()
    world.tools.sender_for = real
    # Nothing more happens until the dead worker's lease lapses...
    assert Worker(world.sessions, world.tools, name="other").run_until_idle() == []
    with transaction(world.sessions) as session:
        session.execute(
            update(ScheduledAction).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    Worker(world.sessions, world.tools, name="other").run_until_idle()
    first, second = world.mailbox.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"]  # the receiver sees one notice
    with world.sessions() as session:
        notices = list(session.execute(select(Notice)).scalars())
        assert [(n.sequence, n.status.value) for n in notices] == [(1, "sent")]
    assert item(world, ref).notice_count == 1


def test_a_bank_match_on_a_held_hash_alerts_the_holding_agency(world: TakedownWorld) -> None:
    digest = "ab" * 32
    with transaction(world.sessions) as session:
        admin = world.principal("admin")
        factories.bank(
            session,
            owner=session.get_one(Organisation, world.orgs["nl-hotline"].id),
            name="held-bank",
            subscriber_kinds=(OrgKind.hotline, OrgKind.industry),
        )
        banks.add_entries(
            session, admin, "held-bank", [EntryIn(signal_type="sha256", signal=digest)]
        )
        holds.place_hold(
            session,
            world.principal("nl-investigator"),
            HoldIn(target_type=HoldTarget.hash, target_value=f"sha256:{digest}", reason="series X"),
            world.settings,
        )
    with transaction(world.sessions) as session:
        found = banks.match(
            session,
            world.principal("us-reviewer"),
            MatchRequest(signals=[SignalIn(signal_type="sha256", signal=digest)]),
        )
        assert found.results[0].matches
    with world.sessions() as session:
        [alert] = cooperation.list_alerts(session, world.principal("nl-investigator"))
        assert alert.action == "match"
        assert alert.touched_by_organisation_id == world.orgs["us-platform"].id


def test_recheck_confirms_the_content_by_hash_only(world: TakedownWorld) -> None:
    world.sites.pages[("photos.example.test", "/gallery/a.png")] = 200
    [ref] = report(world, None, URL)
    world.worker().run_until_idle()
    digest = hashlib.sha256(PNG).hexdigest()
    with transaction(world.sessions) as session:
        assessment.claim_item(session, world.principal("nl-analyst"), ref, world.settings)
        assessment.assess_item(
            session,
            world.principal("nl-analyst"),
            ref,
            AssessmentIn(
                classification=Classification.baseline,
                hashes=[HashIn(signal_type="sha256", value=digest)],
            ),
            world.settings,
        )
    world.worker().run_until_idle()
    make_due(world, ActionKind.recheck)
    world.worker().run_until_idle()
    with world.sessions() as session:
        found = item(world, ref)
        checks = [
            e.details
            for e in session.execute(
                select(ItemEvent).where(
                    ItemEvent.item_id == found.id, ItemEvent.kind == "rechecked"
                )
            ).scalars()
        ]
    assert checks[-1]["outcome"] == "live" and checks[-1]["content"] == "same as assessed"
    assert found.content_sha256 == digest
