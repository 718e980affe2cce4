"""Scheduling the worker's actions: idempotent by key, claimed under a lease.

A step is scheduled by key (``notice:42:2`` is item 42's second notice), so scheduling it
twice is harmless; :class:`ActionKey` is the one place keys are built and read. A worker
claims due actions with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (on SQLite the single
writer lock serialises claims) and holds a lease on them; a worker that dies leaves the
lease to lapse and another worker takes the action over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alliance.db.base import utcnow
from alliance.takedown.models import ActionKind, ActionStatus, ContentItem, ScheduledAction

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class ActionKey:
    """A scheduled action's key, ``kind:target[:step]``: the target is an item's id (a
    hold's for ``expire_hold``); the step numbers repeats of a kind (the second notice is
    ``notice:42:2``) or, for a re-check an analyst asked for, is ``asked:<unix time>``."""

    kind: ActionKind
    target: int
    step: str | None = None

    def __str__(self) -> str:
        parts = [self.kind.value, str(self.target)]
        if self.step is not None:
            parts.append(self.step)
        return ":".join(parts)

    @classmethod
    def parse(cls, key: str) -> ActionKey:
        kind, _, rest = key.partition(":")
        target, _, step = rest.partition(":")
        try:
            parsed = cls(ActionKind(kind), int(target), step or None)
        except ValueError:
            parsed = None
        if parsed is None or str(parsed) != key:  # e.g. " 7", "+7" or a trailing ":"
            raise ValueError(f"not an action key: {key!r}")
        return parsed

    @property
    def number(self) -> int | None:
        """The step's number, or None when the step is not one (an asked-for re-check)."""
        return int(self.step) if self.step is not None and self.step.isdigit() else None

    @classmethod
    def resolve(cls, item_id: int) -> ActionKey:
        return cls(ActionKind.resolve, item_id, "0")

    @classmethod
    def notice(cls, item: ContentItem) -> ActionKey:
        """The item's next notice: N is its sequence number."""
        return cls.nth_notice(item.id, item.notice_count + 1)

    @classmethod
    def nth_notice(cls, item_id: int, sequence: int) -> ActionKey:
        return cls(ActionKind.notice, item_id, str(sequence))

    @classmethod
    def recheck(cls, item_id: int, number: int) -> ActionKey:
        """A re-check of the chain that follows notices: each schedules the next."""
        return cls(ActionKind.recheck, item_id, str(number))

    @classmethod
    def asked_recheck(cls, item_id: int, at: datetime) -> ActionKey:
        """A re-check an analyst asked for at ``at``: outside the chain."""
        return cls(ActionKind.recheck, item_id, f"asked:{at.timestamp():.0f}")

    @classmethod
    def escalate(cls, item_id: int) -> ActionKey:
        return cls(ActionKind.escalate, item_id)

    @classmethod
    def expire_hold(cls, hold_id: int, renewals: int) -> ActionKey:
        """A hold's expiry; each renewal schedules a new one."""
        return cls(ActionKind.expire_hold, hold_id, str(renewals))


def schedule(
    session: Session, key: ActionKey, due_at: datetime, *, reschedule: bool = False
) -> ScheduledAction:
    """Schedule the action ``key`` names at ``due_at``; an existing due action keeps its time
    unless ``reschedule`` (then it moves to ``due_at``). A finished action is not revived."""
    action = session.execute(
        select(ScheduledAction).where(ScheduledAction.key == str(key))
    ).scalar_one_or_none()
    if action is None:
        on_hold = key.kind is ActionKind.expire_hold
        action = ScheduledAction(
            key=str(key),
            kind=key.kind,
            due_at=due_at,
            item_id=None if on_hold else key.target,
            hold_id=key.target if on_hold else None,
            attempts=0,
        )
        session.add(action)
        session.flush()
    elif reschedule and action.status is ActionStatus.due:
        action.due_at = due_at
    return action


def schedule_many(session: Session, keyed: Sequence[tuple[ActionKey, datetime]]) -> None:
    """:func:`schedule` (without ``reschedule``) for many actions in one statement: a key
    already scheduled keeps its action as it is, whether due or finished."""
    if not keyed:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(ScheduledAction)
    elif dialect == "sqlite":
        statement = sqlite.insert(ScheduledAction)
    else:  # pragma: no cover - the two databases Alliance runs on
        raise NotImplementedError(dialect)
    now = utcnow()
    session.execute(
        statement.on_conflict_do_nothing(index_elements=["key"]),
        [
            {
                "key": str(key),
                "kind": key.kind,
                "due_at": due_at,
                "item_id": None if key.kind is ActionKind.expire_hold else key.target,
                "hold_id": key.target if key.kind is ActionKind.expire_hold else None,
                "status": ActionStatus.due,
                "attempts": 0,
                "created_at": now,
            }
            for key, due_at in keyed
        ],
    )


def schedule_notice(session: Session, item: ContentItem, *, reschedule: bool = False) -> datetime:
    """Schedule the item's next notice when its LEA window closes (now if it has); the due
    time. Holds are checked when it falls due, not here."""
    now = utcnow()
    due = max(now, item.lea_window_ends_at or now)
    schedule(session, ActionKey.notice(item), due, reschedule=reschedule)
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
