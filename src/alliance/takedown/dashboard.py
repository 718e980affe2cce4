"""What waits for a principal, counted for the dashboard and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.takedown import holds as holds_
from alliance.takedown.access import item_visible_clause
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
    principal itself (its queue, its alerts) is counted by
    :func:`alliance.takedown.assessment.queue_count` and
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
