"""Scheduling the worker's actions: idempotent by key, claimed under a lease.

A step is scheduled by key (``notice:42:2`` is item 42's second notice), so scheduling it
twice is harmless. A worker claims due actions with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (on SQLite the single writer lock serialises claims) and holds a lease on them;
a worker that dies leaves the lease to lapse and another worker takes the action over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from alliance.db.base import utcnow
from alliance.takedown.models import ActionKind, ActionStatus, ContentItem, ScheduledAction

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def schedule(
    session: Session,
    key: str,
    kind: ActionKind,
    due_at: datetime,
    *,
    item_id: int | None = None,
    hold_id: int | None = None,
    reschedule: bool = False,
) -> ScheduledAction:
    """Schedule ``key`` at ``due_at``; an existing due action keeps its time unless
    ``reschedule`` (then it moves to ``due_at``). A finished action is not revived."""
    action = session.execute(
        select(ScheduledAction).where(ScheduledAction.key == key)
    ).scalar_one_or_none()
    if action is None:
        action = ScheduledAction(
            key=key, kind=kind, due_at=due_at, item_id=item_id, hold_id=hold_id, attempts=0
        )
        session.add(action)
        session.flush()
    elif reschedule and action.status is ActionStatus.due:
        action.due_at = due_at
    return action


def notice_key(item: ContentItem) -> str:
    """The key of the item's next notice: ``notice:ID:N``, N its sequence number."""
    return f"notice:{item.id}:{item.notice_count + 1}"


def schedule_notice(session: Session, item: ContentItem, *, reschedule: bool = False) -> datetime:
    """Schedule the item's next notice when its LEA window closes (now if it has); the due
    time. Holds are checked when it falls due, not here."""
    now = utcnow()
    due = max(now, item.lea_window_ends_at or now)
    schedule(
        session, notice_key(item), ActionKind.notice, due, item_id=item.id, reschedule=reschedule
    )
    return due


def cancel_for_item(session: Session, item_id: int, *kinds: ActionKind) -> int:
    """Cancel the item's due actions of ``kinds`` (all kinds when none given)."""
    query = update(ScheduledAction).where(
        ScheduledAction.item_id == item_id, ScheduledAction.status == ActionStatus.due
    )
    if kinds:
        query = query.where(ScheduledAction.kind.in_(kinds))
    result = session.execute(query.values(status=ActionStatus.cancelled, done_at=utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_due(
    session: Session, owner: str, limit: int, now: datetime | None = None
) -> list[ScheduledAction]:
    """Claim up to ``limit`` due actions for ``owner`` (commit afterwards to keep them)."""
    now = now or utcnow()
    query = (
        select(ScheduledAction)
        .where(
            ScheduledAction.status == ActionStatus.due,
            ScheduledAction.due_at <= now,
            or_(
                ScheduledAction.lease_expires_at.is_(None),
                ScheduledAction.lease_expires_at < now,
            ),
        )
        .order_by(ScheduledAction.due_at, ScheduledAction.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    actions = list(session.execute(query).scalars())
    for action in actions:
        action.lease_owner = owner
        action.lease_expires_at = now + LEASE
    session.flush()
    return actions


def finish(action: ScheduledAction) -> None:
    action.status = ActionStatus.done
    action.done_at = utcnow()
    action.lease_owner = None
    action.lease_expires_at = None


def retry_later(action: ScheduledAction, error: str, now: datetime | None = None) -> None:
    """Record a failure; back off exponentially, give up after MAX_ATTEMPTS."""
    now = now or utcnow()
    action.attempts += 1
    action.last_error = error[:500]
    action.lease_owner = None
    action.lease_expires_at = None
    if action.attempts >= MAX_ATTEMPTS:
        action.status = ActionStatus.failed
        action.done_at = now
    else:
        action.due_at = now + timedelta(minutes=2 ** min(action.attempts, 10))


def postpone(action: ScheduledAction, due_at: datetime) -> None:
    action.due_at = due_at
    action.lease_owner = None
    action.lease_expires_at = None
