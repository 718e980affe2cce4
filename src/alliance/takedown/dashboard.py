"""What waits for a principal, counted for the dashboard."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.cooperation import services as cooperation
from alliance.takedown import holds as holds_
from alliance.takedown.access import item_visible_clause
from alliance.takedown.assessment import QUEUE_STAGES, queue_clause
from alliance.takedown.models import (
    ContentItem,
    ItemStage,
)


def dashboard_counts(session: Session, principal: Principal) -> list[tuple[str, int]]:
    """What waits for this principal, for the dashboard."""
    counts: list[tuple[str, int]] = []

    def count(query: Any) -> int:
        return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())

    if principal.can(Permission.ITEM_ASSESS):
        counts.append(
            (
                "Items waiting for assessment",
                count(
                    select(ContentItem.id).where(
                        queue_clause(principal), ContentItem.stage.in_(QUEUE_STAGES)
                    )
                ),
            )
        )
    if principal.can(Permission.ITEM_READ):
        counts.append(
            (
                "Items notified, not yet removed",
                count(
                    select(ContentItem.id).where(
                        item_visible_clause(principal), ContentItem.stage == ItemStage.notified
                    )
                ),
            )
        )
    if principal.can(Permission.HOLD_READ):
        counts.append(("Active holds", len(holds_.list_holds(session, principal))))
    if principal.can(Permission.ALERT_READ):
        counts.append(
            ("Unacknowledged deconfliction alerts", cooperation.count_alerts(session, principal))
        )
    return counts
