"""What the worker does when an action falls due: resolve, notice, re-check, escalate, expire.

Each action runs in short transactions around its slow part, so no database lock is
held during a DNS lookup, a fetch or an SMTP conversation:

1. a writing transaction checks the action is still ours and still needed, and for a
   notice records the :class:`Notice` as ``sending`` (its reference is the e-mail's
   Message-ID and the webhook's Idempotency-Key);
2. the network step runs with no transaction open;
3. a writing transaction records the outcome, schedules the next step and finishes the
   action.

A worker killed between 1 and 3 leaves the action leased; when the lease lapses another
worker repeats it, and a notice already marked ``sending`` goes out again under the same
reference, so the receiver sees one notice (the same Message-ID), never two different
ones. Nothing is lost: the state is in the database, never only in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance import references
from alliance.audit import EventType, record
from alliance.audit.services import SYSTEM
from alliance.db.base import utcnow
from alliance.db.session import reading, transaction
from alliance.hosting.fetch import FetchResult, SafeFetcher
from alliance.hosting.geo import GeoDatabase
from alliance.hosting.models import HostingProvider
from alliance.hosting.resolution import HostingResult, resolve_hosting
from alliance.hosting.resolver import Resolver
from alliance.settings import Settings
from alliance.takedown import holds as holds_
from alliance.takedown import schedule
from alliance.takedown.lifecycle import add_event, record_step, transition
from alliance.takedown.models import (
    ActionKind,
    ActionStatus,
    Assessment,
    ContentItem,
    EventKind,
    Hold,
    ItemEvent,
    ItemStage,
    Notice,
    NoticeChannel,
    NoticeStatus,
    ScheduledAction,
)
from alliance.takedown.notices import NoticeDeliveryError, NoticeLine, NoticeMessage, NoticeSender
from alliance.takedown.routing import apply_hosting, country_route
from alliance.takedown.schedule import ActionKey

log = logging.getLogger(__name__)

NOTICE_STAGES = (ItemStage.notice_pending, ItemStage.notified)
MAX_BATCH = 50


@dataclass
class Toolkit:
    """What actions reach outside the database with; tests give local stand-ins."""

    settings: Settings
    resolver: Resolver
    geo: GeoDatabase | None
    fetcher: SafeFetcher
    sender_for: Callable[[NoticeChannel], NoticeSender]


@dataclass
class Outcome:
    action_id: int
    kind: ActionKind
    result: str
    notices_sent: int = 0
    details: dict[str, str] = field(default_factory=dict)


def _mine(session: Session, action_id: int, owner: str) -> ScheduledAction | None:
    action = session.get(ScheduledAction, action_id)
    if action is None or action.status is not ActionStatus.due or action.lease_owner != owner:
        return None  # done meanwhile, or our lease lapsed and another worker has it
    return action


def _last_event_kind(session: Session, item: ContentItem) -> EventKind | None:
    return session.execute(
        select(ItemEvent.kind)
        .where(ItemEvent.item_id == item.id)
        .order_by(ItemEvent.at.desc(), ItemEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def perform(
    sessions: sessionmaker[Session], tools: Toolkit, action_id: int, kind: ActionKind, owner: str
) -> Outcome:
    handler = HANDLERS[kind]
    return handler(sessions, tools, action_id, owner)


# --- resolve -------------------------------------------------------------------------


def _resolve(
    sessions: sessionmaker[Session], tools: Toolkit, action_id: int, owner: str
) -> Outcome:
    with reading(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None or action.item_id is None:
            return Outcome(action_id, ActionKind.resolve, "skipped")
        item = session.get_one(ContentItem, action.item_id)
        host, item_id = item.host, item.id
        result = resolve_hosting(session, host, tools.resolver, tools.geo)
    with transaction(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None:
            return Outcome(action_id, ActionKind.resolve, "skipped")
        item = session.get_one(ContentItem, item_id)
        if item.is_open:
            apply_hosting(session, item, result, tools.settings)
        schedule.finish(action)
    return Outcome(action_id, ActionKind.resolve, result.country_code or "unresolved")


# --- notices -------------------------------------------------------------------------


@dataclass
class _Prepared:
    action_id: int
    item_id: int
    notice_id: int
    line: NoticeLine


def _check_notice(
    session: Session,
    tools: Toolkit,
    action: ScheduledAction,
    item: ContentItem,
    holds: list[Hold],
    now: datetime,
) -> str | None:
    """Why no notice may go out now (and the action postponed), or None to send."""
    if item.stage not in NOTICE_STAGES:
        schedule.finish(action)
        return f"item is {item.stage.value}"
    if item.lea_window_ends_at is not None and item.lea_window_ends_at > now:
        schedule.postpone(action, item.lea_window_ends_at)
        return "LEA window open"
    matching = holds_.holds_matching(session, item, holds=holds)
    if matching:
        until = min(h.expires_at for h in matching)
        schedule.postpone(action, until)
        if _last_event_kind(session, item) is not EventKind.notice_held:
            add_event(session, item, EventKind.notice_held, SYSTEM, {"until": until.isoformat()})
        for hold in matching:
            record(
                session,
                SYSTEM,
                EventType.HOLD_HIT,
                "hold",
                hold.reference,
                {"item": item.reference, "step": "notice"},
                organisation_id=hold.organisation_id,
            )
        return "on hold"
    provider = item.provider
    if provider is None or not provider.has_contact:
        why = (
            "hosting unresolved: route the item by hand"
            if item.provider_id is None
            else f"provider {provider.name if provider else '?'} has no abuse contact"
        )
        action.last_error = why
        schedule.postpone(action, now + timedelta(hours=tools.settings.renotice_hours))
        if _last_event_kind(session, item) is not EventKind.notice_blocked:
            add_event(session, item, EventKind.notice_blocked, SYSTEM, {"reason": why})
        return why
    return None


def _channel(provider: HostingProvider) -> tuple[NoticeChannel, str]:
    if provider.abuse_email:
        return NoticeChannel.email, provider.abuse_email
    assert provider.abuse_webhook_url is not None
    return NoticeChannel.webhook, provider.abuse_webhook_url


def _prepare(
    session: Session, item: ContentItem, action: ScheduledAction, now: datetime
) -> _Prepared:
    provider = item.provider
    assert provider is not None
    channel, recipient = _channel(provider)
    sequence = item.notice_count + 1
    notice = session.execute(
        select(Notice).where(
            Notice.item_id == item.id, Notice.kind == "notice", Notice.sequence == sequence
        )
    ).scalar_one_or_none()
    if notice is None:
        notice = Notice(
            reference=references.new("N", 12),
            item_id=item.id,
            provider_id=provider.id,
            kind="notice",
            sequence=sequence,
            channel=channel,
            recipient=recipient,
            status=NoticeStatus.sending,
            attempts=0,
            created_at=now,
        )
        session.add(notice)
        session.flush()
    # else: a crash left it "sending": it goes out again under the same reference.
    first_report = min((link.report.received_at for link in item.links), default=item.received_at)
    line = NoticeLine(
        item_reference=item.reference,
        url=item.url,
        classification=item.classification.value if item.classification else "baseline",
        ip_address=item.ip_address,
        country_code=item.country_code,
        first_reported_at=first_report,
        notice_sequence=sequence,
        first_notice_at=item.first_notice_at,
    )
    return _Prepared(action.id, item.id, notice.id, line)


def _notice(sessions: sessionmaker[Session], tools: Toolkit, action_id: int, owner: str) -> Outcome:
    now = utcnow()
    with transaction(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None or action.item_id is None:
            return Outcome(action_id, ActionKind.notice, "skipped")
        item = session.get_one(ContentItem, action.item_id)
        holds = holds_.active_holds(session, now)
        why_not = _check_notice(session, tools, action, item, holds, now)
        if why_not is not None:
            return Outcome(action_id, ActionKind.notice, why_not)
        provider = item.provider
        assert provider is not None
        batch = [_prepare(session, item, action, now)]
        if provider.batch_notices:
            batch += _gather_batch(session, tools, provider, action, owner, holds, now)
        channel, recipient = _channel(provider)
        message = NoticeMessage(
            reference=session.get_one(Notice, batch[0].notice_id).reference,
            provider_name=provider.name,
            recipient=recipient,
            channel=channel.value,
            lines=tuple(p.line for p in batch),
        )
    try:
        tools.sender_for(channel).send(message)
    except NoticeDeliveryError as exc:
        _delivery_failed(sessions, batch, owner, exc.message)
        return Outcome(action_id, ActionKind.notice, f"delivery failed: {exc.message}")
    with transaction(sessions) as session:
        for prepared in batch:
            _delivered(session, tools, prepared, message)
    return Outcome(action_id, ActionKind.notice, "sent", notices_sent=len(batch))


def _gather_batch(
    session: Session,
    tools: Toolkit,
    provider: HostingProvider,
    first: ScheduledAction,
    owner: str,
    holds: list[Hold],
    now: datetime,
) -> list[_Prepared]:
    """Other due notices for the same provider join this message (provider asked so)."""
    rows = session.execute(
        select(ScheduledAction, ContentItem)
        .join(ContentItem, ContentItem.id == ScheduledAction.item_id)
        .where(
            ScheduledAction.kind == ActionKind.notice,
            ScheduledAction.status == ActionStatus.due,
            ScheduledAction.due_at <= now,
            ScheduledAction.id != first.id,
            ScheduledAction.lease_expires_at.is_(None)
            | (ScheduledAction.lease_expires_at < now)
            | (ScheduledAction.lease_owner == owner),
            ContentItem.provider_id == provider.id,
        )
        .limit(MAX_BATCH)
    )
    batch = []
    for action, item in rows:
        action.lease_owner = owner
        action.lease_expires_at = now + schedule.LEASE
        if _check_notice(session, tools, action, item, holds, now) is None:
            batch.append(_prepare(session, item, action, now))
    return batch


def _delivery_failed(
    sessions: sessionmaker[Session], batch: list[_Prepared], owner: str, error: str
) -> None:
    with transaction(sessions) as session:
        for prepared in batch:
            notice = session.get_one(Notice, prepared.notice_id)
            notice.attempts += 1
            notice.last_error = error[:500]
            action = _mine(session, prepared.action_id, owner)
            if action is None:
                continue
            schedule.retry_later(action, error)
            item = session.get_one(ContentItem, prepared.item_id)
            if action.status is ActionStatus.failed:
                notice.status = NoticeStatus.failed
                add_event(session, item, EventKind.notice_failed, SYSTEM, {"error": error[:300]})
                record(
                    session,
                    SYSTEM,
                    EventType.NOTICE_FAILED,
                    "notice",
                    notice.reference,
                    {"item": item.reference, "error": error[:300]},
                )


def _delivered(
    session: Session, tools: Toolkit, prepared: _Prepared, message: NoticeMessage
) -> None:
    now = utcnow()
    notice = session.get_one(Notice, prepared.notice_id)
    item = session.get_one(ContentItem, prepared.item_id)
    action = session.get_one(ScheduledAction, prepared.action_id)
    notice.status = NoticeStatus.sent
    notice.sent_at = now
    notice.attempts += 1
    notice.last_error = None
    item.notice_count = notice.sequence
    item.first_notice_at = item.first_notice_at or now
    item.last_notice_at = now
    schedule.finish(action)
    details = {
        "notice": notice.reference,
        "sequence": notice.sequence,
        "channel": notice.channel.value,
        "recipient": notice.recipient,
        "message": message.reference,
    }
    first = item.stage is ItemStage.notice_pending
    record_step(
        session, item, ItemStage.notified if first else None, SYSTEM, EventKind.notice_sent, details
    )
    record(session, SYSTEM, EventType.NOTICE_SENT, "item", item.reference, details)
    settings = tools.settings
    if item.stage is ItemStage.notified:
        schedule.schedule(
            session, ActionKey.notice(item), now + timedelta(hours=settings.renotice_hours)
        )
        schedule.schedule(
            session,
            ActionKey.recheck(item.id, 1),  # each re-check schedules the next
            now + timedelta(hours=min(settings.recheck_hours, settings.renotice_hours)),
        )
        assert item.first_notice_at is not None
        schedule.schedule(
            session,
            ActionKey.escalate(item.id),
            item.first_notice_at + timedelta(days=settings.escalate_after_days),
        )


# --- re-checks -----------------------------------------------------------------------


def _recheck(
    sessions: sessionmaker[Session], tools: Toolkit, action_id: int, owner: str
) -> Outcome:
    with reading(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None or action.item_id is None:
            return Outcome(action_id, ActionKind.recheck, "skipped")
        item = session.get_one(ContentItem, action.item_id)
        if item.stage not in NOTICE_STAGES:
            url = None
        else:
            url, host, item_id = item.url, item.host, item.id
    if url is None:
        with transaction(sessions) as session:
            action = _mine(session, action_id, owner)
            if action is not None:
                schedule.finish(action)
        return Outcome(action_id, ActionKind.recheck, "not needed")
    fetched = tools.fetcher.fetch(url)
    hosting: HostingResult | None = None
    if fetched.outcome != "removed":
        with reading(sessions) as session:
            hosting = resolve_hosting(session, host, tools.resolver, tools.geo)
    with transaction(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None:
            return Outcome(action_id, ActionKind.recheck, "skipped")
        item = session.get_one(ContentItem, item_id)
        schedule.finish(action)
        if item.stage not in NOTICE_STAGES:  # assessed again and closed during the fetch
            return Outcome(action_id, ActionKind.recheck, "not needed")
        record_check(session, tools.settings, item, fetched, hosting)
        # Re-checks chain (recheck:ID:1, :2, ...); one asked for by an analyst does not.
        number = ActionKey.parse(action.key).number
        if item.stage in NOTICE_STAGES and number is not None:
            schedule.schedule(
                session,
                ActionKey.recheck(item.id, number + 1),
                utcnow() + timedelta(hours=tools.settings.recheck_hours),
            )
    return Outcome(action_id, ActionKind.recheck, fetched.outcome)


def record_check(
    session: Session,
    settings: Settings,
    item: ContentItem,
    fetched: FetchResult,
    hosting: HostingResult | None,
) -> None:
    """Record a re-check: removal closes the item and stops its notices."""
    now = utcnow()
    item.last_checked_at = now
    item.last_check_outcome = fetched.outcome
    details: dict[str, object] = {
        "outcome": fetched.outcome,
        "status": fetched.status,
        "detail": fetched.detail,
        "final_url": fetched.final_url,
    }
    if fetched.sha256:
        # Same bytes as the analyst assessed, or as the last check saw? Only hashes are kept.
        assessed = {
            h["value"]
            for hashes in session.execute(
                select(Assessment.hashes).where(Assessment.item_id == item.id)
            ).scalars()
            for h in hashes
            if h["signal_type"] == "sha256"
        }
        if fetched.sha256 in assessed:
            details["content"] = "same as assessed"
        elif item.content_sha256 and fetched.sha256 != item.content_sha256:
            details["content"] = "changed since the last check"
        elif item.content_sha256:
            details["content"] = "unchanged"
        item.content_sha256 = fetched.sha256
    add_event(session, item, EventKind.rechecked, SYSTEM, details)
    if fetched.outcome == "removed":
        transition(
            session,
            item,
            ItemStage.removed,
            SYSTEM,
            EventKind.removed,
            {"detail": fetched.detail},
            at=now,
        )
        record(
            session,
            SYSTEM,
            EventType.ITEM_REMOVED,
            "item",
            item.reference,
            {"detail": fetched.detail},
        )
        return
    if hosting is not None and hosting.country_code is not None:
        apply_hosting(session, item, hosting, settings)


# --- escalation and hold expiry ------------------------------------------------------


def _escalate(
    sessions: sessionmaker[Session], tools: Toolkit, action_id: int, owner: str
) -> Outcome:
    with transaction(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None or action.item_id is None:
            return Outcome(action_id, ActionKind.escalate, "skipped")
        item = session.get_one(ContentItem, action.item_id)
        schedule.finish(action)
        if item.stage is not ItemStage.notified:
            return Outcome(action_id, ActionKind.escalate, "not needed")
        route = country_route(session, item.country_code)
        recipients = [org.name for org in (route.hotline, route.lea) if org is not None]
        if not recipients and route.secretariat is not None:
            recipients = [route.secretariat.name]
        now = utcnow()
        session.add(
            Notice(
                reference=references.new("E", 12),
                item_id=item.id,
                provider_id=item.provider_id,
                kind="escalation",
                sequence=1,
                channel=NoticeChannel.platform,
                recipient=", ".join(recipients),
                status=NoticeStatus.sent,
                created_at=now,
                sent_at=now,
                attempts=1,
            )
        )
        item.escalated_at = now
        details = {
            "to": recipients,
            "notices_sent": item.notice_count,
            "provider": item.provider.name if item.provider else None,
        }
        add_event(session, item, EventKind.escalated, SYSTEM, details)
        record(session, SYSTEM, EventType.ITEM_ESCALATED, "item", item.reference, details)
    return Outcome(action_id, ActionKind.escalate, "escalated")


def _expire_hold(
    sessions: sessionmaker[Session], tools: Toolkit, action_id: int, owner: str
) -> Outcome:
    with transaction(sessions) as session:
        action = _mine(session, action_id, owner)
        if action is None or action.hold_id is None:
            return Outcome(action_id, ActionKind.expire_hold, "skipped")
        hold = session.get_one(Hold, action.hold_id)
        expired = holds_.expire_hold(session, SYSTEM, hold)
        schedule.finish(action)
    return Outcome(action_id, ActionKind.expire_hold, "expired" if expired else "still active")


Handler = Callable[[sessionmaker[Session], Toolkit, int, str], Outcome]
HANDLERS: dict[ActionKind, Handler] = {
    ActionKind.resolve: _resolve,
    ActionKind.notice: _notice,
    ActionKind.recheck: _recheck,
    ActionKind.escalate: _escalate,
    ActionKind.expire_hold: _expire_hold,
}
