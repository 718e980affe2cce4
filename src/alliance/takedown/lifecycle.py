"""An item's lifecycle: which stage may follow which, and its timeline.

Every change of an item's stage goes through :func:`transition`, which refuses a change
the table does not allow, does what closing an item means (the URL no longer open, the
removal or closing time stamped, every due action cancelled) and writes the timeline
event that says why. Steps that leave the stage as it is write their event with
:func:`add_event`; :func:`record_step` is either, for a step that moves the item on only
sometimes (routing an item that already had its assessment, a re-notice). The worker's
notices record many items at once: :func:`moved_if_at` is the stage change for one UPDATE
over them all, :func:`add_events` their timeline lines in one INSERT.

An item is *received*, resolved to a hosting country (or *unresolved* until someone routes
it by hand), routed to a queue where it is *awaiting assessment*; assessed illegal, it is
*notice pending* until the first notice makes it *notified*; a re-check that finds it gone
makes it *removed*; assessed anything else, it is *closed*. Removed and closed are final.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, insert, literal
from sqlalchemy.orm import Session

from alliance.audit.services import AuditActor
from alliance.db.base import utcnow
from alliance.errors import Conflict
from alliance.takedown import schedule
from alliance.takedown.models import OPEN_STAGES, ContentItem, EventKind, ItemEvent, ItemStage

S = ItemStage
TRANSITIONS: Mapping[ItemStage, frozenset[ItemStage]] = {
    # Resolution finds no country, or routes the item to a queue; an item assessed before
    # it was routed (an analyst was quicker than DNS) goes straight to its notice.
    S.received: frozenset({S.unresolved, S.awaiting_assessment, S.notice_pending, S.closed}),
    S.unresolved: frozenset({S.awaiting_assessment, S.notice_pending, S.closed}),
    S.awaiting_assessment: frozenset({S.notice_pending, S.closed}),
    # Re-assessment may still close a notified item; a re-check may find it removed.
    S.notice_pending: frozenset({S.notified, S.removed, S.closed}),
    S.notified: frozenset({S.removed, S.closed}),
    # Final: a URL reported again after removal opens a new item (a reappearance).
    S.removed: frozenset(),
    S.closed: frozenset(),
}


def add_event(
    session: Session,
    item: ContentItem,
    kind: EventKind,
    actor: AuditActor,
    details: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """One line of the item's timeline."""
    session.add(
        ItemEvent(
            item_id=item.id,
            kind=kind,
            actor=actor.audit_label,
            organisation_id=actor.organisation_id,
            details=details or {},
            at=at or utcnow(),
        )
    )


@dataclass(frozen=True)
class Event:
    """A timeline line for :func:`add_events`."""

    item_id: int
    kind: EventKind
    details: dict[str, Any]
    at: datetime


def add_events(session: Session, actor: AuditActor, events: Sequence[Event]) -> None:
    """Timeline lines of many items by one actor, in one statement (no ORM objects)."""
    if not events:
        return
    session.execute(
        insert(ItemEvent),
        [
            {
                "item_id": e.item_id,
                "kind": e.kind,
                "actor": actor.audit_label,
                "organisation_id": actor.organisation_id,
                "details": e.details,
                "at": e.at,
            }
            for e in events
        ],
    )


def moved_if_at(frm: ItemStage, to: ItemStage) -> ColumnElement[Any]:
    """The new value of ``stage`` in an UPDATE over many items: ``to`` where an item is at
    ``frm`` when the row is written (the database decides, so an item closed meanwhile
    stays closed), its stage otherwise. Only a move to an open stage: closing also cancels
    the item's actions, which :func:`transition` does."""
    if to not in TRANSITIONS[frm] or to not in OPEN_STAGES:
        raise ValueError(f"no move from {frm.value} to {to.value} in bulk")
    return case(
        (ContentItem.stage == frm, literal(to, ContentItem.stage.type)),
        else_=ContentItem.stage,
    )


def transition(
    session: Session,
    item: ContentItem,
    to: ItemStage,
    actor: AuditActor,
    event: EventKind,
    details: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Move ``item`` to stage ``to`` and write ``event`` on its timeline; Conflict if the
    table does not allow the change (nothing is changed then)."""
    if to not in TRANSITIONS[item.stage]:
        raise Conflict(f"item {item.reference} is {item.stage.value}; it cannot become {to.value}")
    now = at or utcnow()
    item.stage = to
    if to is ItemStage.removed:
        item.removed_at = now
    elif to is ItemStage.closed:
        item.closed_at = now
    if not item.is_open:
        # The URL may be reported again as a new item, and nothing is left to do for this one.
        item.open_url = None
        schedule.cancel_for_item(session, item.id)
    add_event(session, item, event, actor, details, at=now)


def record_step(
    session: Session,
    item: ContentItem,
    to: ItemStage | None,
    actor: AuditActor,
    event: EventKind,
    details: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Write ``event``, through :func:`transition` when the step moves the item to ``to``
    (None: the stage stays)."""
    if to is None:
        add_event(session, item, event, actor, details, at=at)
    else:
        transition(session, item, to, actor, event, details, at=at)
