"""What the worker does when an action falls due: resolve, notice, re-check, escalate, expire.

Each action runs in short transactions around its slow part, so no database lock is
held during a DNS lookup, a fetch or an SMTP conversation (the worker's notices go a
claimed batch at a time, each step for the whole batch: :func:`perform_notices`):

1. a writing transaction checks the action is still ours and still needed, and for a
   notice records the :class:`Notice` as ``sending`` (its reference is the e-mail's
   Message-ID and the webhook's Idempotency-Key);
2. the network step runs with no transaction open;
3. a writing transaction records the outcome, schedules the next step and finishes the
   action.

A worker killed between 1 and 3 leaves the action leased; when the lease lapses another
worker repeats it, and a notice already marked ``sending`` goes out again under the same
reference, so the receiver sees one notice (the same Message-ID), never two different
ones. Nothing is lost: the state is in the database, never only in memory. A message that
is not delivered does not hold back the others of its batch: its actions are retried
later, each on its own backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import case, func, insert, literal, select, update
from sqlalchemy.orm import Session, lazyload, sessionmaker
from sqlalchemy.orm.interfaces import ORMOption

from alliance import references
from alliance.accounts.models import Organisation
from alliance.audit import EventType, record
from alliance.audit.services import SYSTEM, AuditEntry, append_many
from alliance.db.base import utcnow
from alliance.db.bulk import among
from alliance.db.session import reading, transaction
from alliance.hosting.fetch import FetchResult, SafeFetcher
from alliance.hosting.geo import GeoDatabase
from alliance.hosting.models import HostingProvider
from alliance.hosting.resolution import HostingResult, resolve_hosting
from alliance.hosting.resolver import Resolver
from alliance.settings import Settings
from alliance.takedown import holds as holds_
from alliance.takedown import schedule
from alliance.takedown.lifecycle import Event, add_event, add_events, moved_if_at, transition
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
    Report,
    ReportItem,
    ScheduledAction,
)
from alliance.takedown.notices import (
    Assessor,
    NoticeDeliveryError,
    NoticeLine,
    NoticeMessage,
    NoticeSender,
)
from alliance.takedown.routing import apply_hosting, country_route
from alliance.takedown.schedule import ActionKey

log = logging.getLogger(__name__)

NOTICE_STAGES = (ItemStage.notice_pending, ItemStage.notified)
MAX_BATCH = 50  # lines in one message to a provider that batches its notices


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
#
# Notices go out a claimed batch at a time, in three steps of the same shape as one
# action's (see the module docstring): one transaction checks every action and records
# each Notice as ``sending``; the messages go out with no transaction open, each on its
# own (one failing does not stop the others); one transaction records every outcome. The
# bookkeeping is done in bulk statements, a few a batch whatever its size, not a dozen a
# notice. A step that fails for the whole batch (a bad row, a conflict) is done again one
# action at a time, so only the action at fault is retried later.


@dataclass(frozen=True)
class _Line:
    """One notice in a message: its action, item and Notice row."""

    action_id: int
    item_id: int
    reference: str  # the Notice's
    channel: NoticeChannel
    recipient: str
    line: NoticeLine


@dataclass(frozen=True)
class _Message:
    """One message and the claimed actions it answers for (those a batching provider's
    message gathered besides them are in ``lines`` only)."""

    claimed: tuple[int, ...]
    lines: tuple[_Line, ...]
    message: NoticeMessage


@dataclass(frozen=True)
class _Sent:
    """What became of one message: accepted at ``at``, or not (``error``; a
    :class:`NoticeDeliveryError` is the receiver's answer, anything else our fault)."""

    message: _Message
    at: datetime | None = None
    error: str | None = None
    refused: bool = False


def perform_notices(
    sessions: sessionmaker[Session], tools: Toolkit, action_ids: Sequence[int], owner: str
) -> list[Outcome]:
    """Send the notices of the claimed ``action_ids``: their outcomes, in that order."""
    outcomes: dict[int, Outcome] = {}
    batch = list(action_ids)

    def prepare(session: Session, parts: list[int]) -> _Done:
        return _prepare(session, tools, parts, owner, batch)

    messages = _together_or_alone(sessions, batch, prepare, owner, outcomes)
    sent = [_send(tools, m) for m in messages]

    def record(session: Session, parts: list[_Sent]) -> _Done:
        return _record(session, tools, parts, owner)

    _together_or_alone(sessions, sent, record, owner, outcomes)
    return [outcomes[a] for a in action_ids]


_Done = tuple[list[_Message], dict[int, Outcome]]  # messages to send, outcomes known
P = TypeVar("P", int, _Sent)


def _together_or_alone(
    sessions: sessionmaker[Session],
    parts: list[P],
    step: Callable[[Session, list[P]], _Done],
    owner: str,
    outcomes: dict[int, Outcome],
) -> list[_Message]:
    """Run ``step`` over all ``parts`` in one transaction; if that fails, over each part in
    a transaction of its own, and retry later the actions of a part that fails alone."""
    if not parts:
        return []
    try:
        with transaction(sessions) as session:
            messages, done = step(session, parts)
    except Exception as exc:
        if len(parts) == 1:
            _failed_alone(sessions, parts[0], owner, exc, outcomes)
            return []
        log.exception("a batch of %d notices failed; one at a time", len(parts))
    else:
        outcomes |= done
        return messages
    messages = []
    for part in parts:
        try:
            with transaction(sessions) as session:
                more, done = step(session, [part])
        except Exception as exc:
            _failed_alone(sessions, part, owner, exc, outcomes)
        else:
            messages += more
            outcomes |= done
    return messages


def _failed_alone(
    sessions: sessionmaker[Session],
    part: int | _Sent,
    owner: str,
    exc: Exception,
    outcomes: dict[int, Outcome],
) -> None:
    """A part that failed on its own: its actions are retried later (with the backoff); a
    notice already sent goes out again then, under the same reference."""
    if isinstance(part, _Sent):
        claimed = part.message.claimed
        every = tuple(line.action_id for line in part.message.lines)
    else:
        claimed = every = (part,)
    log.error("notice action(s) %s failed", ", ".join(map(str, claimed)), exc_info=exc)
    retry_later(sessions, every, owner, f"{type(exc).__name__}: {exc}")
    for action_id in claimed:
        outcomes[action_id] = Outcome(action_id, ActionKind.notice, f"error: {type(exc).__name__}")


def retry_later(
    sessions: sessionmaker[Session], action_ids: Sequence[int], owner: str, error: str
) -> None:
    """Back the actions off (still ``owner``'s, not done meanwhile) after an error."""
    with transaction(sessions) as session:
        for action_id in action_ids:
            action = _mine(session, action_id, owner)
            if action is not None:
                schedule.retry_later(action, error)


def _check_notice(
    session: Session,
    tools: Toolkit,
    action: ScheduledAction,
    item: ContentItem,
    holds: list[Hold],
    now: datetime,
    audit: list[AuditEntry],
) -> str | None:
    """Why no notice may go out now (and the action postponed), or None to send; audit
    entries to append go to ``audit``."""
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
        audit += [
            AuditEntry(
                EventType.HOLD_HIT,
                "hold",
                hold.reference,
                {"item": item.reference, "step": "notice"},
                organisation_id=hold.organisation_id,
            )
            for hold in matching
        ]
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


def _links(holds: list[Hold]) -> tuple[ORMOption, ...]:
    # An item's reports are read only to match holds against: not loaded when none is active.
    return () if holds else (lazyload(ContentItem.links),)


def _prepare(
    session: Session, tools: Toolkit, action_ids: list[int], owner: str, batch: list[int]
) -> _Done:
    """Check the claimed notice actions, record a ``sending`` Notice for each that goes out
    (a crash's left-over one is reused: the same reference goes out again) and compose the
    messages: one a notice, one per batching provider (up to MAX_BATCH lines). A
    batching provider's message gathers its other due notices, never one of ``batch``
    (the worker's claimed batch, which may be prepared one action at a time)."""
    now = utcnow()
    outcomes: dict[int, Outcome] = {}
    found = {
        a.id: a
        for a in session.scalars(
            select(ScheduledAction).where(among(session, ScheduledAction.id, action_ids))
        )
    }
    mine: list[ScheduledAction] = []
    for action_id in action_ids:
        action = found.get(action_id)
        if (
            action is None
            or action.status is not ActionStatus.due
            or action.lease_owner != owner
            or action.item_id is None
        ):  # done meanwhile, or our lease lapsed and another worker has it
            outcomes[action_id] = Outcome(action_id, ActionKind.notice, "skipped")
        else:
            mine.append(action)
    if not mine:
        return [], outcomes
    holds = holds_.active_holds(session, now)
    items = {
        i.id: i
        for i in session.scalars(
            select(ContentItem)
            .where(among(session, ContentItem.id, [a.item_id for a in mine]))
            .options(*_links(holds))
        )
    }
    audit: list[AuditEntry] = []
    # Who the messages go to: a provider that batches gets one (claimed and gathered
    # actions), any other one a notice.
    groups: dict[int, list[tuple[ScheduledAction, ContentItem]]] = {}
    for action in mine:
        assert action.item_id is not None
        item = items[action.item_id]
        why_not = _check_notice(session, tools, action, item, holds, now, audit)
        if why_not is not None:
            outcomes[action.id] = Outcome(action.id, ActionKind.notice, why_not)
            continue
        assert item.provider is not None
        key = item.provider.id if item.provider.batch_notices else -action.id
        groups.setdefault(key, []).append((action, item))
    claimed = {a.id for a in mine}
    batches: list[tuple[list[int], list[tuple[ScheduledAction, ContentItem]]]] = []
    for key, members in groups.items():
        provider = members[0][1].provider
        assert provider is not None
        room = MAX_BATCH - len(members)
        joining = (
            _gather(session, tools, provider, batch, owner, holds, now, audit, room)
            if key > 0 and room > 0
            else []
        )  # so a message always answers for at least one claimed action
        every = members + joining
        for begin in range(0, len(every), MAX_BATCH):
            chunk = every[begin : begin + MAX_BATCH]
            batches.append(([a.id for a, _ in chunk if a.id in claimed], chunk))
    everything = [pair for _, chunk in batches for pair in chunk]
    lines = _notice_lines(session, everything, now)
    messages = []
    for claimed_ids, chunk in batches:
        mine_lines = tuple(lines[action.id] for action, _ in chunk)
        first = mine_lines[0]
        provider = chunk[0][1].provider
        assert provider is not None
        messages.append(
            _Message(
                claimed=tuple(claimed_ids),
                lines=mine_lines,
                message=NoticeMessage(
                    reference=first.reference,
                    provider_name=provider.name,
                    recipient=first.recipient,
                    channel=first.channel.value,
                    lines=tuple(ln.line for ln in mine_lines),
                ),
            )
        )
    if audit:
        append_many(session, SYSTEM, audit)
    return messages, outcomes


def _notice_lines(
    session: Session, pairs: list[tuple[ScheduledAction, ContentItem]], now: datetime
) -> dict[int, _Line]:
    """Each action's line and its ``sending`` Notice: the one a crash left (its reference
    goes out again), else a new one; all new ones inserted in one statement."""
    if not pairs:
        return {}
    item_ids = [item.id for _, item in pairs]
    existing = {
        (row.item_id, row.sequence): row
        for row in session.execute(
            select(Notice.id, Notice.item_id, Notice.sequence, Notice.reference, Notice.status)
            .where(among(session, Notice.item_id, item_ids), Notice.kind == "notice")
        )
    }  # fmt: skip
    first_reports: dict[int, datetime] = dict(
        session.execute(
            select(ReportItem.item_id, func.min(Report.received_at))
            .join(Report, Report.id == ReportItem.report_id)
            .where(among(session, ReportItem.item_id, item_ids))
            .group_by(ReportItem.item_id)
        ).all()
    )
    assessors = _assessors(session, item_ids)
    new: list[dict[str, Any]] = []
    resend: list[int] = []
    notices: dict[int, str] = {}  # action: its notice's reference
    for action, item in pairs:
        provider = item.provider
        assert provider is not None
        channel, recipient = _channel(provider)
        sequence = item.notice_count + 1
        found = existing.get((item.id, sequence))
        if found is not None:  # a crash left it: it goes out again under its reference
            notices[action.id] = found.reference
            if found.status is not NoticeStatus.sending:
                resend.append(found.id)
            continue
        reference = references.new("N", 12)
        notices[action.id] = reference
        new.append(
            {
                "reference": reference,
                "item_id": item.id,
                "provider_id": provider.id,
                "kind": "notice",
                "sequence": sequence,
                "channel": channel,
                "recipient": recipient,
                "status": NoticeStatus.sending,
                "attempts": 0,
                "created_at": now,
            }
        )
    if new:  # known by their references: no ids to read back (row by row on SQLite)
        session.execute(insert(Notice), new)
    if resend:
        session.execute(
            update(Notice)
            .where(among(session, Notice.id, resend))
            .values(status=NoticeStatus.sending)
            .execution_options(synchronize_session=False)
        )
    lines = {}
    for action, item in pairs:
        channel, recipient = _channel(item.provider)  # type: ignore[arg-type]
        lines[action.id] = _Line(
            action_id=action.id,
            item_id=item.id,
            reference=notices[action.id],
            channel=channel,
            recipient=recipient,
            line=NoticeLine(
                item_reference=item.reference,
                url=item.url,
                classification=item.classification.value if item.classification else "baseline",
                ip_address=item.ip_address,
                country_code=item.country_code,
                first_reported_at=first_reports.get(item.id, item.received_at),
                notice_sequence=item.notice_count + 1,
                first_notice_at=item.first_notice_at,
                assessed_by=assessors.get(item.id),
            ),
        )
    return lines


def _assessors(session: Session, item_ids: list[int]) -> dict[int, Assessor]:
    """Each item's assessing organisation (its latest assessment's), for the notice's
    explanation and the organisation's trusted-flagger status (DSA Art. 16(2)(a), 22)."""
    latest = (
        select(func.max(Assessment.id).label("id"))
        .where(among(session, Assessment.item_id, item_ids))
        .group_by(Assessment.item_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Assessment.item_id,
            Organisation.name,
            Organisation.country_code,
            Organisation.trusted_flagger_awarded_by,
        )
        .join(latest, latest.c.id == Assessment.id)
        .join(Organisation, Organisation.id == Assessment.organisation_id)
    )
    return {
        row.item_id: Assessor(row.name, row.country_code, row.trusted_flagger_awarded_by)
        for row in rows
    }


def _gather(
    session: Session,
    tools: Toolkit,
    provider: HostingProvider,
    batch: list[int],
    owner: str,
    holds: list[Hold],
    now: datetime,
    audit: list[AuditEntry],
    room: int,
) -> list[tuple[ScheduledAction, ContentItem]]:
    """Other due notices for a provider that asked for batches join its message; leased
    to ``owner`` here (rows another worker is claiming right now are skipped)."""
    query = (
        select(ScheduledAction, ContentItem)
        .join(ContentItem, ContentItem.id == ScheduledAction.item_id)
        .where(
            ScheduledAction.kind == ActionKind.notice,
            ScheduledAction.status == ActionStatus.due,
            ScheduledAction.due_at <= now,
            ScheduledAction.id.not_in(batch),
            ScheduledAction.lease_expires_at.is_(None)
            | (ScheduledAction.lease_expires_at < now)
            | (ScheduledAction.lease_owner == owner),
            ContentItem.provider_id == provider.id,
        )
        .order_by(ScheduledAction.due_at, ScheduledAction.id)
        .limit(room)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=ScheduledAction, skip_locked=True)
    gathered = []
    for action, item in session.execute(query.options(*_links(holds))):
        action.lease_owner = owner
        action.lease_expires_at = now + schedule.LEASE
        if _check_notice(session, tools, action, item, holds, now, audit) is None:
            gathered.append((action, item))
    return gathered


def _send(tools: Toolkit, message: _Message) -> _Sent:
    """Send one message (no transaction open): what became of it, never an exception."""
    try:
        tools.sender_for(NoticeChannel(message.message.channel)).send(message.message)
    except NoticeDeliveryError as exc:
        return _Sent(message, error=exc.message, refused=True)
    except Exception as exc:  # ours, not the receiver's: retried later, the others go on
        log.exception("notice %s could not be sent", message.message.reference)
        return _Sent(message, error=f"{type(exc).__name__}: {exc}")
    return _Sent(message, at=utcnow())


def _by_id(key: Any, column: Any, values: dict[Any, Any]) -> Any:
    """``column``'s new value in an UPDATE of many rows: ``values[k]`` for the row whose
    ``key`` is k (a typed value: a timestamp must pass through the column's UTC type)."""
    return case(
        *((key == k, literal(value, column.type)) for k, value in values.items()),
        else_=column,
    )


def _record(session: Session, tools: Toolkit, sent: list[_Sent], owner: str) -> _Done:
    """Record what became of the messages: a statement or two for all the notices sent, an
    action's retry or failure for one that was not; the audit entries appended at the end
    (the chain's lock held as briefly as may be)."""
    audit: list[AuditEntry] = []
    outcomes: dict[int, Outcome] = {}
    delivered = [
        (s.at, s.message.message.reference, line)
        for s in sent
        if s.at is not None
        for line in s.message.lines
    ]
    if delivered:
        _delivered(session, tools, delivered, audit)
    for s in sent:
        message = s.message
        if s.at is not None:
            extra = len(message.lines) - len(message.claimed)  # gathered: counted on the first
            for n, action_id in enumerate(message.claimed):
                outcomes[action_id] = Outcome(
                    action_id, ActionKind.notice, "sent", notices_sent=1 + (extra if n == 0 else 0)
                )
            continue
        assert s.error is not None
        if s.refused:
            _delivery_failed(session, message.lines, owner, s.error, audit)
            result = f"delivery failed: {s.error}"
        else:
            for line in message.lines:
                action = _mine(session, line.action_id, owner)
                if action is not None:
                    schedule.retry_later(action, s.error)
            result = f"error: {s.error.split(':', 1)[0]}"
        for action_id in message.claimed:
            outcomes[action_id] = Outcome(action_id, ActionKind.notice, result)
    if audit:
        append_many(session, SYSTEM, audit)
    return [], outcomes


def _delivery_failed(
    session: Session, lines: tuple[_Line, ...], owner: str, error: str, audit: list[AuditEntry]
) -> None:
    """The receiver refused a message: each of its actions retried later (the Notice keeps
    its reference for the retry), failed for good after schedule.MAX_ATTEMPTS."""
    found = {
        n.reference: n
        for n in session.scalars(
            select(Notice).where(among(session, Notice.reference, [ln.reference for ln in lines]))
        )
    }
    for line in lines:
        notice = found[line.reference]
        notice.attempts += 1
        notice.last_error = error[:500]
        action = _mine(session, line.action_id, owner)
        if action is None:
            continue
        schedule.retry_later(action, error)
        if action.status is ActionStatus.failed:
            notice.status = NoticeStatus.failed
            item = session.get_one(ContentItem, line.item_id)
            add_event(session, item, EventKind.notice_failed, SYSTEM, {"error": error[:300]})
            audit.append(
                AuditEntry(
                    EventType.NOTICE_FAILED,
                    "notice",
                    notice.reference,
                    {"item": item.reference, "error": error[:300]},
                )
            )


def _delivered(
    session: Session,
    tools: Toolkit,
    delivered: list[tuple[datetime, str, _Line]],
    audit: list[AuditEntry],
) -> None:
    """Notices accepted: sent, their items notified, their actions done and the next steps
    scheduled, in a few statements for the lot."""
    at = {line.reference: when for when, _, line in delivered}
    recorded = set(
        session.scalars(
            update(Notice)
            .where(
                among(session, Notice.reference, list(at)),
                Notice.status == NoticeStatus.sending,
            )  # not one another worker (whose lease this was) recorded already
            .values(
                status=NoticeStatus.sent,
                sent_at=_by_id(Notice.reference, Notice.sent_at, at),
                attempts=Notice.attempts + 1,
                last_error=None,
            )
            .returning(Notice.reference)
            .execution_options(synchronize_session=False)
        )
    )
    now = utcnow()
    session.execute(
        update(ScheduledAction)
        .where(among(session, ScheduledAction.id, [line.action_id for _, _, line in delivered]))
        .values(status=ActionStatus.done, done_at=now, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    fresh = [entry for entry in delivered if entry[2].reference in recorded]
    if not fresh:
        return
    by_item = {line.item_id: when for when, _, line in fresh}
    items = {
        row.id: row
        for row in session.execute(
            update(ContentItem)
            .where(among(session, ContentItem.id, list(by_item)))
            .values(
                notice_count=_by_id(
                    ContentItem.id,
                    ContentItem.notice_count,
                    {line.item_id: line.line.notice_sequence for _, _, line in fresh},
                ),
                first_notice_at=func.coalesce(
                    ContentItem.first_notice_at,
                    _by_id(ContentItem.id, ContentItem.first_notice_at, by_item),
                ),
                last_notice_at=_by_id(ContentItem.id, ContentItem.last_notice_at, by_item),
                stage=moved_if_at(ItemStage.notice_pending, ItemStage.notified),
            )
            .returning(ContentItem.id, ContentItem.stage, ContentItem.first_notice_at)
            .execution_options(synchronize_session=False)
        )
    }
    events = []
    settings = tools.settings
    follow_ups: list[tuple[ActionKey, datetime]] = []
    for when, message_reference, line in fresh:
        details = {
            "notice": line.reference,
            "sequence": line.line.notice_sequence,
            "channel": line.channel.value,
            "recipient": line.recipient,
            "message": message_reference,
        }
        events.append(Event(line.item_id, EventKind.notice_sent, details, when))
        audit.append(AuditEntry(EventType.NOTICE_SENT, "item", line.line.item_reference, details))
        item = items[line.item_id]
        if item.stage is ItemStage.notified:  # closed or removed meanwhile: nothing follows
            follow_ups += [
                (
                    ActionKey.nth_notice(line.item_id, line.line.notice_sequence + 1),
                    when + timedelta(hours=settings.renotice_hours),
                ),
                (
                    ActionKey.recheck(line.item_id, 1),  # each re-check schedules the next
                    when + timedelta(hours=min(settings.recheck_hours, settings.renotice_hours)),
                ),
                (
                    ActionKey.escalate(line.item_id),
                    item.first_notice_at + timedelta(days=settings.escalate_after_days),
                ),
            ]
    add_events(session, SYSTEM, events)
    schedule.schedule_many(session, follow_ups)


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


def _notice(sessions: sessionmaker[Session], tools: Toolkit, action_id: int, owner: str) -> Outcome:
    return perform_notices(sessions, tools, [action_id], owner)[0]


Handler = Callable[[sessionmaker[Session], Toolkit, int, str], Outcome]
HANDLERS: dict[ActionKind, Handler] = {
    ActionKind.resolve: _resolve,
    ActionKind.notice: _notice,
    ActionKind.recheck: _recheck,
    ActionKind.escalate: _escalate,
    ActionKind.expire_hold: _expire_hold,
}
