"""The worker's notices a claimed batch at a time: few statements, the same guarantees.

A batch is prepared in one transaction, sent message by message, recorded in one
transaction; a message that is refused, or a step that fails for one action, must not
lose or repeat the others, and what is retried goes out under the same reference.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.audit.services import verify
from alliance.db.base import utcnow
from alliance.db.session import transaction
from alliance.takedown import actions, assessment, intake
from alliance.takedown.models import (
    ActionKind,
    ActionStatus,
    Classification,
    ContentItem,
    EventKind,
    ItemEvent,
    ItemStage,
    Notice,
    NoticeChannel,
    NoticeStatus,
    ScheduledAction,
)
from alliance.takedown.notices import NoticeDeliveryError, NoticeMessage, NoticeSender, message_id
from alliance.takedown.schemas import AssessmentIn, ReportIn
from alliance.worker.runner import Worker
from tests.support.takedown_world import TakedownWorld

NL = "photos.example.test"  # NL Host: a message a notice
GB = "pics.example.test"  # GB Host: batches its notices in one message
GB_ADDRESS = "abuse@gb-host.example.test"


def due_notices(world: TakedownWorld, *urls: str) -> list[str]:
    """Items for ``urls``, resolved and assessed illegal: their first notice due."""
    with transaction(world.sessions) as session:
        receipt = intake.submit_reports(session, intake.PUBLIC, [ReportIn(urls=list(urls))])[0]
    refs = [i.item for i in receipt.items]
    world.worker().run_until_idle()
    for url, ref in zip(urls, refs, strict=True):
        analyst = world.principal("nl-analyst" if NL in url else "gb-analyst")
        with transaction(world.sessions) as session:
            assessment.claim_item(session, analyst, ref, world.settings)
            assessment.assess_item(
                session,
                analyst,
                ref,
                AssessmentIn(classification=Classification.baseline),
                world.settings,
            )
    return refs


def notices(world: TakedownWorld) -> dict[str, Notice]:
    """Every notice by its item's reference."""
    with world.sessions() as session:
        rows = session.execute(
            select(ContentItem.reference, Notice).join(Notice, Notice.item_id == ContentItem.id)
        )
        return dict(rows.all())


def stage(world: TakedownWorld, ref: str) -> ItemStage:
    with world.sessions() as session:
        return session.execute(
            select(ContentItem.stage).where(ContentItem.reference == ref)
        ).scalar_one()


def make_notices_due(world: TakedownWorld) -> None:
    with transaction(world.sessions) as session:
        session.execute(
            update(ScheduledAction)
            .where(ScheduledAction.kind == ActionKind.notice)
            .values(due_at=utcnow() - timedelta(seconds=1))
        )


def retry_first_notices(world: TakedownWorld, expected: int) -> list[EmailMessage]:
    """Make the first notices that were not sent due again (not the re-notices of those
    that were), let the worker run, and return the mailbox's ``expected`` messages."""
    make_notices_due(world)
    with transaction(world.sessions) as session:
        session.execute(
            update(ScheduledAction)
            .where(ScheduledAction.key.endswith(":2"))
            .values(due_at=utcnow() + timedelta(days=1))
        )
    world.worker().run_until_idle()
    messages = world.mailbox.wait_for(expected)
    assert len(messages) == expected
    return messages


class Refusing:
    """The real sender, except that the SMTP server refuses one address."""

    def __init__(self, real: Any, refused: str) -> None:
        self.real, self.refused = real, refused

    def __call__(self, channel: NoticeChannel) -> NoticeSender:
        inner = self.real(channel)
        refused = self.refused

        class Sender:
            def send(self, message: NoticeMessage) -> None:
                if message.recipient == refused:
                    raise NoticeDeliveryError(f"SMTP server refused recipient {refused}")
                inner.send(message)

        return Sender()


def test_a_refused_message_does_not_hold_back_the_others(world: TakedownWorld) -> None:
    nl_urls = [f"http://{NL}/{n}.png" for n in range(3)]
    refs = due_notices(world, *nl_urls, *(f"http://{GB}/{n}.jpg" for n in range(2)))
    nl, gb = refs[:3], refs[3:]
    real = world.tools.sender_for
    world.tools.sender_for = Refusing(real, GB_ADDRESS)
    outcomes = world.worker().run_once()
    # One claimed batch: three messages to NL Host went, GB Host's one was refused.
    assert sorted(o.result.split(":")[0] for o in outcomes) == [
        "delivery failed",
        "delivery failed",
        "sent",
        "sent",
        "sent",
    ]
    assert len(world.mailbox.wait_for(3)) == 3
    before = notices(world)
    assert {ref: before[ref].status for ref in nl} == dict.fromkeys(nl, NoticeStatus.sent)
    for ref in gb:
        notice = before[ref]
        assert notice.status is NoticeStatus.sending and notice.attempts == 1
        assert notice.last_error and "refused" in notice.last_error
        assert stage(world, ref) is ItemStage.notice_pending
    with world.sessions() as session:
        waiting = list(
            session.execute(
                select(ScheduledAction).where(
                    ScheduledAction.kind == ActionKind.notice,
                    ScheduledAction.status == ActionStatus.due,
                    ScheduledAction.key.endswith(":1"),
                )
            ).scalars()
        )
        assert len(waiting) == 2  # the refused ones, backed off and free for any worker
        assert all(a.attempts == 1 and a.lease_owner is None for a in waiting)
        assert all(a.due_at > utcnow() for a in waiting)
    # Retried: one message for both, under the reference it had, nothing sent twice.
    world.tools.sender_for = real
    messages = retry_first_notices(world, 4)
    retried = messages[-1]
    after = notices(world)
    assert retried["To"] == GB_ADDRESS
    assert retried["Message-ID"] == message_id(after[gb[0]].reference)
    assert {after[ref].reference for ref in gb} == {before[ref].reference for ref in gb}
    assert all(after[ref].status is NoticeStatus.sent and after[ref].attempts == 2 for ref in gb)
    assert all(stage(world, ref) is ItemStage.notified for ref in nl + gb)
    with world.sessions() as session:
        sent = session.execute(
            select(AuditEvent.subject_id).where(AuditEvent.event_type == EventType.NOTICE_SENT)
        ).scalars()
        assert sorted(sent) == sorted(nl + gb)  # each audited once
        assert verify(session).ok


def test_statements_per_notice_are_bounded(world: TakedownWorld, real_engine: Engine) -> None:
    """The bookkeeping is a few statements a batch, not a dozen a notice."""
    refs = due_notices(world, *(f"http://{NL}/{n}.png" for n in range(30)))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(real_engine, "before_cursor_execute", count)
    try:
        outcomes = Worker(world.sessions, world.tools, name="counted").run_once()
    finally:
        event.remove(real_engine, "before_cursor_execute", count)
    assert [o.result for o in outcomes] == ["sent"] * 30
    assert len(world.mailbox.wait_for(30)) == 30
    # Claim 2, prepare 6, record 8, and BEGIN/COMMIT around each of the three
    # transactions: 24 were counted on either database (the old way: 24 a notice).
    assert len(statements) <= 30, "\n".join(statements)
    with world.sessions() as session:
        # What each notice leaves is as before: its timeline line, audit record and next steps.
        lines = session.execute(
            select(ItemEvent.kind).where(ItemEvent.kind == EventKind.notice_sent)
        ).scalars()
        assert len(list(lines)) == 30
        keys = set(session.execute(select(ScheduledAction.key)).scalars())
        for item_id in session.execute(select(ContentItem.id)).scalars():
            assert {f"notice:{item_id}:2", f"recheck:{item_id}:1", f"escalate:{item_id}"} <= keys
    assert all(stage(world, ref) is ItemStage.notified for ref in refs)


def test_a_batching_provider_gets_its_other_due_notices_in_one_message(
    world: TakedownWorld,
) -> None:
    due_notices(world, *(f"http://{GB}/{n}.jpg" for n in range(4)))
    outcomes = Worker(world.sessions, world.tools, name="one", batch=1).run_once()
    assert [(o.result, o.notices_sent) for o in outcomes] == [("sent", 4)]
    [message] = world.mailbox.wait_for(1)
    assert all(f"http://{GB}/{n}.jpg" in message.get_content() for n in range(4))
    assert Worker(world.sessions, world.tools, name="two").run_until_idle() == []


def test_a_step_that_fails_for_one_action_fails_for_it_alone(
    world: TakedownWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    *nl, gb = due_notices(world, f"http://{NL}/0.png", f"http://{NL}/1.png", f"http://{GB}/0.jpg")
    real = actions._channel

    def broken(provider: Any) -> tuple[NoticeChannel, str]:
        if provider.slug == "gb-host":
            raise RuntimeError("a bad row")
        return real(provider)

    monkeypatch.setattr(actions, "_channel", broken)
    outcomes = {o.result for o in world.worker().run_once()}
    assert outcomes == {"sent", "error: RuntimeError"}
    assert len(world.mailbox.wait_for(2)) == 2
    found = notices(world)
    assert sorted(found) == sorted(nl)  # nothing recorded for the one that failed
    with world.sessions() as session:
        action = session.execute(
            select(ScheduledAction).where(ScheduledAction.key.like("notice:%:1"))
            .where(ScheduledAction.status == ActionStatus.due)
        ).scalar_one()  # fmt: skip
        assert action.attempts == 1 and action.last_error == "RuntimeError: a bad row"
    assert stage(world, gb) is ItemStage.notice_pending


def test_recording_that_fails_for_one_message_repeats_it_under_its_reference(
    world: TakedownWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    nl = due_notices(world, *(f"http://{NL}/{n}.png" for n in range(3)))
    real = actions._delivered
    unlucky = nl[1]

    def broken(session: Any, tools: Any, delivered: Any, audit: Any) -> None:
        if any(line.line.item_reference == unlucky for _, _, line in delivered):
            raise RuntimeError("cannot record")
        real(session, tools, delivered, audit)

    monkeypatch.setattr(actions, "_delivered", broken)
    outcomes = sorted(o.result for o in world.worker().run_once())
    assert outcomes == ["error: RuntimeError", "sent", "sent"]
    first = world.mailbox.wait_for(3)
    assert len(first) == 3  # all three went out; two are recorded
    found = notices(world)
    assert found[unlucky].status is NoticeStatus.sending
    assert {found[ref].status for ref in nl if ref != unlucky} == {NoticeStatus.sent}
    monkeypatch.setattr(actions, "_delivered", real)
    messages = retry_first_notices(world, 4)
    # The receiver sees the same notice again (its Message-ID), never a different one.
    ids = [m["Message-ID"] for m in messages]
    assert ids.count(message_id(found[unlucky].reference)) == 2 and len(set(ids)) == 3
    assert notices(world)[unlucky].status is NoticeStatus.sent
    assert stage(world, unlucky) is ItemStage.notified
