"""What waits for a principal, counted for the dashboard and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.db.base import utcnow
from alliance.takedown import holds as holds_
from alliance.takedown.access import item_visible_clause
from alliance.takedown.assessment import QUEUE_STAGES, claimant, queue_clause
from alliance.takedown.models import (
    ContentItem,
    ItemStage,
)


@dataclass(frozen=True)
class Count:
    """One figure of the dashboard: ``key`` names the list it counts (the web links it)."""

    key: str
    label: str
    value: int


def dashboard_counts(session: Session, principal: Principal) -> list[Count]:
    """The principal's takedown work at a glance, for the dashboard; each figure counts
    exactly what one list shows (items of one stage, active holds). What waits for the
    principal itself (its queue, its alerts) is counted by :func:`queue_count` and
    :func:`alliance.cooperation.services.open_alert_count`."""
    counts: list[Count] = []

    def count(query: Any) -> int:
        return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())

    def items_in(stage: ItemStage) -> int:
        return count(
            select(ContentItem.id).where(item_visible_clause(principal), ContentItem.stage == stage)
        )

    if principal.can(Permission.ITEM_READ):
        counts.append(
            Count(
                "awaiting_assessment",
                "Items awaiting assessment",
                items_in(ItemStage.awaiting_assessment),
            )
        )
        counts.append(
            Count("notified", "Items notified, not yet removed", items_in(ItemStage.notified))
        )
    if principal.can(Permission.HOLD_READ):
        counts.append(Count("holds", "Active holds", len(holds_.list_holds(session, principal))))
    return counts


def queue_count(session: Session, principal: Principal, now: datetime | None = None) -> int:
    """Items of the principal's queue it may take: unclaimed, claimed by itself, or whose
    claim has lapsed (the queue page lists those claimed by others too)."""
    authorize(principal, Permission.ITEM_ASSESS)
    now = now or utcnow()
    query = select(func.count(ContentItem.id)).where(
        queue_clause(principal),
        ContentItem.stage.in_(QUEUE_STAGES),
        or_(
            ContentItem.claimed_by.is_(None),
            ContentItem.claimed_by == claimant(principal),
            ContentItem.claim_expires_at.is_(None),
            ContentItem.claim_expires_at <= now,
        ),
    )
    return int(session.execute(query).scalar_one())
