"""Rewriting the audit chain so that it is consistent in itself again, as someone who can
write to the database (but does not hold the signing key) would."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from alliance.audit import SYSTEM, EventType, record
from alliance.audit.anchors import export_lines, parse_lines, sign_head
from alliance.audit.models import AuditAnchor, AuditEvent, AuditHead
from alliance.audit.schemas import SignedHead
from alliance.audit.services import GENESIS_HASH, event_hash
from alliance.db.base import utcnow
from alliance.signing import Signer

#: The platform and key the audit tests sign with.
PLATFORM = "alliance-test"
KEY = Signer.generate()


def add_events(session: Session, n: int) -> None:
    """``n`` ordinary events, appended as services append them."""
    for i in range(n):
        record(session, SYSTEM, EventType.ORG_UPDATED, "organisation", i, {"n": i})


def export_anchors(session: Session) -> list[SignedHead]:
    """Sign the head and take every anchor away, as `alliance audit anchor export` does."""
    sign_head(session, KEY, PLATFORM)
    return parse_lines(list(export_lines(session)))


def forget_anchors(session: Session) -> None:
    """What a forger with the database does next: the stored anchors go too."""
    session.execute(delete(AuditAnchor))
    session.expire_all()


def rehash_from(session: Session, seq: int) -> None:
    """Edit event ``seq`` and recompute every hash after it, and the head: consistent."""
    events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    prev = None
    for event in events:
        if prev is not None:
            event.prev_hash = prev
        if event.seq == seq:
            event.details = json.dumps({"n": "forged"})
        if event.seq >= seq:
            event.hash = event_hash(event)
        prev = event.hash
    head = session.get_one(AuditHead, 1)
    head.hash = events[-1].hash
    session.flush()


def cut_tail(session: Session, keep: int) -> None:
    session.execute(delete(AuditEvent).where(AuditEvent.seq > keep))
    kept = session.execute(select(AuditEvent.hash).where(AuditEvent.seq == keep)).scalar_one()
    session.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": keep, "h": kept})
    session.expire_all()


def wipe(session: Session) -> None:
    session.execute(delete(AuditEvent))
    session.execute(delete(AuditHead))
    session.expire_all()


def insert_event(session: Session, seq: int, *, prev_hash: str | None = None) -> AuditEvent:
    """An event written straight into the table, numbered ``seq`` and correctly hashed
    (following ``prev_hash``: by default the event before it, or the genesis hash), leaving
    the head alone."""
    if prev_hash is None:
        before = session.execute(
            select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)
        ).scalar_one_or_none()
        prev_hash = before or GENESIS_HASH
    event = AuditEvent(
        seq=seq,
        occurred_at=utcnow(),
        actor="user:mallory",
        actor_user_id=None,
        organisation_id=None,
        event_type="org:created",
        subject_type="organisation",
        subject_id="666",
        details=json.dumps({"n": "forged"}),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    session.expire_all()
    return event
