"""Writing, listing and verifying the audit chain.

Services call :func:`record` inside the transaction that makes the change, so an event
exists exactly when its change does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, false, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alliance.audit.events import EventType
from alliance.audit.models import AuditEvent, AuditHead
from alliance.audit.schemas import VerifyResult
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import AllianceError

GENESIS_HASH = "0" * 64


class AuditActor(Protocol):
    """Whoever acts: a logged-in user, an API key, the operator's CLI, the system."""

    @property
    def audit_label(self) -> str: ...

    @property
    def user_id(self) -> int | None: ...

    @property
    def organisation_id(self) -> int | None: ...


@dataclass(frozen=True)
class SystemActor:
    audit_label: str = "system"
    user_id: int | None = None
    organisation_id: int | None = None


SYSTEM = SystemActor()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: AuditEvent) -> str:
    body = canonical_json(
        {
            "seq": event.seq,
            "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
            "actor": event.actor,
            "actor_user_id": event.actor_user_id,
            "organisation_id": event.organisation_id,
            "event_type": event.event_type,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "details": event.details,
            "prev_hash": event.prev_hash,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    actor: AuditActor,
    event_type: EventType,
    subject_type: str,
    subject_id: str | int,
    details: dict[str, Any] | None = None,
    *,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain (in the caller's transaction).

    ``organisation_id`` defaults to the actor's organisation; pass it to file the event
    under the organisation the subject belongs to (e.g. a failed login for a user).
    """
    entry = AuditEntry(event_type, subject_type, subject_id, details, organisation_id)
    return record_many(session, actor, [entry])[0]


@dataclass(frozen=True)
class AuditEntry:
    event_type: EventType
    subject_type: str
    subject_id: str | int
    details: dict[str, Any] | None = None
    organisation_id: int | None = None


def record_many(
    session: Session, actor: AuditActor, entries: Sequence[AuditEntry]
) -> list[AuditEvent]:
    """Append several events by one actor, taking the chain's lock once (bulk imports)."""
    events = _chained(session, actor, entries)
    session.add_all(events)
    session.flush()
    return events


def append_many(session: Session, actor: AuditActor, entries: Sequence[AuditEntry]) -> None:
    """:func:`record_many` in one INSERT, for a caller that needs no event objects back (the
    worker's notices): the ORM reads each new row's id back, which SQLite does one row at
    a time."""
    events = _chained(session, actor, entries)
    if events:
        session.execute(insert(AuditEvent), [{c: getattr(e, c) for c in _COLUMNS} for e in events])
    session.flush()


_COLUMNS = (
    "seq", "occurred_at", "actor", "actor_user_id", "organisation_id", "event_type",
    "subject_type", "subject_id", "details", "prev_hash", "hash",
)  # fmt: skip


def _chained(
    session: Session, actor: AuditActor, entries: Sequence[AuditEntry]
) -> list[AuditEvent]:
    """The events for ``entries``, chained after the head, which is locked (until the
    transaction ends: that keeps the chain linear) and moved on to the last of them."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    events = []
    seq, prev = head.seq, head.hash
    for entry in entries:
        org = entry.organisation_id
        seq += 1
        event = AuditEvent(
            seq=seq,
            occurred_at=utcnow(),
            actor=actor.audit_label,
            actor_user_id=actor.user_id,
            organisation_id=org if org is not None else actor.organisation_id,
            event_type=str(entry.event_type),
            subject_type=entry.subject_type,
            subject_id=str(entry.subject_id),
            details=canonical_json(entry.details or {}),
            prev_hash=prev,
        )
        event.hash = prev = event_hash(event)
        events.append(event)
    head.seq, head.hash = seq, prev
    return events


class TamperDetected(AllianceError):
    """The audit chain, or a signed head of it, does not hold what it held (exit 1)."""

    code = "tamper_detected"


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain; report the first event whose content or position was altered.

    Every row of ``audit_events`` is accounted for: the events must be exactly 1..*N*, *N*
    the head's. An event numbered below 1 (or not at all), a gap, a duplicate or an event
    after the head is tampering, however well hashed.
    """
    return walk(session, after_seq=0, after_hash=GENESIS_HASH, batch=batch)


def walk(session: Session, *, after_seq: int, after_hash: str, batch: int = 5000) -> VerifyResult:
    """Check the events after ``after_seq`` (whose hash is ``after_hash``) up to the head.

    From the start of the chain (0, the genesis hash) this is a full verification; from a
    signed head it checks only that the newer events extend what was signed. Either way
    no event may be numbered below 1 (one indexed look-up) or after the head (the walk
    goes on to the last event in the table, not to the head).
    """
    stray = _outside_the_chain(session)
    if stray is not None:
        return stray
    expected_seq, prev, checked = after_seq + 1, after_hash, 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.seq >= expected_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for event in rows:
            if event.seq < expected_seq:  # the ordered walk meets a second copy right away
                reason = f"event {event.seq} more than once: inserted"
                return _broken(checked - 1, session, event.seq, reason)
            if event.seq != expected_seq:
                return _gap(checked, session, expected_seq, event.seq)
            if event.prev_hash != prev:
                return _broken(checked, session, event.seq, "does not follow the event before it")
            if event_hash(event) != event.hash:
                return _broken(checked, session, event.seq, "content altered")
            prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
        session.expunge_all()
    last = expected_seq - 1
    twice = _duplicates(session, after_seq, last, checked)
    if twice:
        named = ", ".join(str(seq) for seq in twice)
        reason = f"{'event' if len(twice) == 1 else 'events'} {named} more than once: inserted"
        return _broken(twice[0] - after_seq - 1, session, twice[0], reason)
    head = session.get(AuditHead, 1)
    if head is None:
        if last > 0:
            return _broken(checked, session, last + 1, "chain head missing (deleted?)")
        return VerifyResult(ok=True, checked=checked, head_seq=0)
    if head.seq < last:
        beyond = _span(head.seq + 1, last)
        reason = (
            f"{beyond} after the head (event {head.seq}): inserted beyond the chain, "
            "or the head set back"
        )
        return _broken(max(head.seq - after_seq, 0), session, head.seq + 1, reason)
    if head.seq != last or head.hash != prev:
        return _broken(checked, session, last + 1, "newest events missing (deleted?)")
    return VerifyResult(ok=True, checked=checked, head_seq=head.seq)


_NAMED = 10  # stray sequence numbers named in a message


def _outside_the_chain(session: Session) -> VerifyResult | None:
    """Events numbered below 1, where the chain starts, or not numbered at all (possible
    only once the column's constraint was dropped): no walk from 1 would meet them."""
    below = list(
        session.execute(
            select(AuditEvent.seq)
            .where(AuditEvent.seq < 1)
            .order_by(AuditEvent.seq)
            .limit(_NAMED + 1)
        ).scalars()
    )
    if below:
        named = ", ".join(str(seq) for seq in below[:_NAMED])
        more = " and more" if len(below) > _NAMED else ""
        noun = "event" if len(below) == 1 else "events"
        reason = (
            f"{noun} {named}{more} before event 1, where the chain starts: "
            "inserted outside the chain"
        )
        return _broken(0, session, below[0], reason)
    unnumbered = session.execute(
        select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1)
    ).scalar_one_or_none()
    if unnumbered is not None:
        reason = (
            f"an event without a sequence number (row {unnumbered}): inserted outside the chain"
        )
        return _broken(0, session, None, reason)
    return None


def _duplicates(session: Session, after_seq: int, last: int, checked: int) -> list[int]:
    """Sequence numbers the walk met once but the table holds more than once (possible only
    once the unique constraint was dropped; a second copy may sit at a batch boundary)."""
    in_range = (AuditEvent.seq > after_seq) & (AuditEvent.seq <= last)
    rows = session.execute(select(func.count()).select_from(AuditEvent).where(in_range))
    if rows.scalar_one() == checked:
        return []
    return list(
        session.execute(
            select(AuditEvent.seq)
            .where(in_range)
            .group_by(AuditEvent.seq)
            .having(func.count() > 1)
            .order_by(AuditEvent.seq)
            .limit(_NAMED)
        ).scalars()
    )


def _gap(checked: int, session: Session, expected: int, found: int) -> VerifyResult:
    """The walk expected event ``expected`` and met ``found``: deleted, or after the head."""
    head = session.get(AuditHead, 1)
    if head is not None and expected > head.seq:
        reason = (
            f"event {found} after the head (event {head.seq}), with no event {expected} "
            "before it: inserted beyond the chain"
        )
        return _broken(checked, session, found, reason)
    return _broken(checked, session, expected, "event missing (deleted?)")


def _span(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first} to {last}"


def broken_message(result: VerifyResult) -> str:
    where = f" at event {result.broken_seq}" if result.broken_seq is not None else ""
    message = f"audit chain broken{where}: {result.reason}"
    if result.anchor_signed_at is None and (result.broken_seq or 0) >= 1:
        # found by the walk: what came before it holds
        message += f" ({result.checked} events before it are intact)"
    return message


def _broken(checked: int, session: Session, seq: int | None, reason: str) -> VerifyResult:
    head = session.get(AuditHead, 1)
    return VerifyResult(
        ok=False, checked=checked, head_seq=head.seq if head else 0, broken_seq=seq, reason=reason
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    organisation_id: int | None = None
    #: (subject type, subject id) pairs, any of which matches: what a name stands for
    #: (alliance.accounts.subjects.subjects_named); the type "*" matches any type.
    subjects: tuple[tuple[str, str], ...] | None = None


#: Columns a list of events sorts by (alliance.db.listing): the time it was recorded.
EVENT_SORTS: dict[str, ColumnElement[Any]] = {
    "when": AuditEvent.occurred_at.expression,
    "seq": AuditEvent.seq.expression,
}


def list_events(
    session: Session, flt: AuditFilter, *, limit: int = 100, listing: Listing | None = None
) -> list[AuditEvent]:
    """Newest first, up to ``limit``, unless ``listing`` orders and pages them.
    ``event_type`` matches a prefix, so ``user:`` finds every user event; ``actor``
    matches exactly (``user:alice``) or, without a kind, any actor of that name
    (``alice``); ``subjects`` matches any of several subjects (what a name stands for)."""
    query = select(AuditEvent)
    if listing is None:
        query = query.order_by(AuditEvent.seq.desc()).limit(limit)
    else:
        direction = AuditEvent.seq.desc() if listing.descending else AuditEvent.seq.asc()
        query = ordered(query, listing, EVENT_SORTS, [direction])
    if flt.actor:
        if ":" in flt.actor:
            query = query.where(AuditEvent.actor == flt.actor)
        else:
            query = query.where(
                or_(
                    AuditEvent.actor == flt.actor,
                    AuditEvent.actor.endswith(":" + flt.actor, autoescape=True),
                )
            )
    if flt.subject_type:
        query = query.where(AuditEvent.subject_type == flt.subject_type)
    if flt.subject_id:
        query = query.where(AuditEvent.subject_id == flt.subject_id)
    if flt.subjects is not None:
        query = query.where(
            or_(
                false(),
                *(
                    AuditEvent.subject_id == ident
                    if kind == "*"
                    else and_(AuditEvent.subject_type == kind, AuditEvent.subject_id == ident)
                    for kind, ident in flt.subjects
                ),
            )
        )
    if flt.event_type:
        query = query.where(AuditEvent.event_type.startswith(flt.event_type, autoescape=True))
    if flt.since:
        query = query.where(AuditEvent.occurred_at >= flt.since)
    if flt.until:
        query = query.where(AuditEvent.occurred_at < flt.until)
    if flt.organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == flt.organisation_id)
    return list(session.execute(query).scalars())


def details_of(event: AuditEvent) -> dict[str, Any]:
    value = json.loads(event.details)
    assert isinstance(value, dict)
    return value
