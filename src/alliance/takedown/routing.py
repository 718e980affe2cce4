"""Where an item goes: its hosting country's hotline queue and LEA.

Resolution records the hosting (IP address, country, provider) and routes the item; a
country without a hotline routes to its LEA, without either to the secretariat, and an
item with no country waits in the secretariat's queue for an analyst to route it by hand.
The LEA is informed first and its window keeps the notice back until it closes, or until
the LEA clears the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Jurisdiction, Organisation
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.services import SYSTEM, AuditActor
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, PermissionDenied
from alliance.hosting.resolution import HostingResult
from alliance.settings import Settings
from alliance.takedown import schedule
from alliance.takedown.access import get_item
from alliance.takedown.lifecycle import add_event, record_step, transition
from alliance.takedown.models import (
    ContentItem,
    EventKind,
    ItemStage,
)
from alliance.takedown.schemas import (
    RouteIn,
)


@dataclass(frozen=True)
class CountryRoute:
    hotline: Organisation | None
    lea: Organisation | None
    secretariat: Organisation | None

    @property
    def queue(self) -> Organisation | None:
        """A country without a hotline routes to its LEA, without either to the secretariat."""
        return self.hotline or self.lea or self.secretariat


def country_route(session: Session, country: str | None) -> CountryRoute:
    def first(kind: OrgKind, country_code: str | None = None) -> Organisation | None:
        query = select(Organisation).where(Organisation.kind == kind, Organisation.active.is_(True))
        if country_code is not None:
            query = query.where(Organisation.country_code == country_code)
        return session.execute(query.order_by(Organisation.id).limit(1)).scalar_one_or_none()

    secretariat = first(OrgKind.secretariat)
    if country is None:
        return CountryRoute(None, None, secretariat)
    return CountryRoute(
        first(OrgKind.hotline, country), first(OrgKind.law_enforcement, country), secretariat
    )


@dataclass(frozen=True)
class _Routed:
    route: CountryRoute
    stage: ItemStage | None  # the stage routing moves the item to, if any


def _route_to(
    session: Session, item: ContentItem, country: str, settings: Settings, now: datetime
) -> _Routed:
    """Route the item to ``country``'s queue and LEA; the caller records the step."""
    route = country_route(session, country)
    item.assigned_organisation_id = route.queue.id if route.queue else None
    item.lea_organisation_id = route.lea.id if route.lea else None
    item.routed_at = now
    if route.lea is not None:
        item.lea_informed_at = item.lea_informed_at or now
        item.lea_window_ends_at = now + timedelta(hours=settings.lea_window_hours)
    else:
        item.lea_window_ends_at = now
    item.country_code = country
    stage = None
    if item.stage in (ItemStage.received, ItemStage.unresolved):
        if item.classification is None:
            stage = ItemStage.awaiting_assessment
        elif item.classification.illegal:
            stage = ItemStage.notice_pending  # assessed before it was routed
    return _Routed(route, stage)


def apply_hosting(
    session: Session,
    item: ContentItem,
    result: HostingResult,
    settings: Settings,
    actor: AuditActor = SYSTEM,
) -> None:
    """Record where ``item`` is hosted and route it; a changed country re-routes ("moved")."""
    now = utcnow()
    item.resolved_at = now
    item.resolution_error = result.error
    if result.country_code is None:
        if item.country_code is None and item.stage in (ItemStage.received, ItemStage.unresolved):
            route = country_route(session, None)
            item.assigned_organisation_id = route.secretariat.id if route.secretariat else None
            if item.stage is ItemStage.received:
                transition(
                    session,
                    item,
                    ItemStage.unresolved,
                    actor,
                    EventKind.unresolved,
                    {"error": result.error},
                )
                record(
                    session,
                    actor,
                    EventType.ITEM_UNRESOLVED,
                    "item",
                    item.reference,
                    {"error": result.error},
                )
        else:
            add_event(session, item, EventKind.resolution_failed, actor, {"error": result.error})
        return
    before = (item.country_code, item.ip_address, item.provider_id)
    item.ip_address = result.ip_address
    item.asn = result.asn
    item.provider_id = result.provider_id
    details: dict[str, Any] = {
        "ip_address": result.ip_address,
        "country": result.country_code,
        "asn": result.asn,
        "provider_id": result.provider_id,
    }
    if item.routed_at is None or item.country_code is None:
        routed = _route_to(session, item, result.country_code, settings, now)
        route = routed.route
        details["routed_to"] = route.queue.name if route.queue else None
        details["lea"] = route.lea.name if route.lea else None
        record_step(session, item, routed.stage, actor, EventKind.routed, details)
        record(session, actor, EventType.ITEM_ROUTED, "item", item.reference, details)
        if route.lea is not None:
            add_event(
                session,
                item,
                EventKind.lea_informed,
                actor,
                {
                    "lea": route.lea.name,
                    "window_ends_at": item.lea_window_ends_at.isoformat()
                    if item.lea_window_ends_at
                    else None,
                },
            )
    elif before != (result.country_code, result.ip_address, result.provider_id):
        details["from"] = {"country": before[0], "ip_address": before[1], "provider_id": before[2]}
        stage = None
        if before[0] != result.country_code:
            routed = _route_to(session, item, result.country_code, settings, now)
            stage = routed.stage
            details["routed_to"] = routed.route.queue.name if routed.route.queue else None
        record_step(session, item, stage, actor, EventKind.moved, details)
        record(session, actor, EventType.ITEM_MOVED, "item", item.reference, details)
    if item.stage in (ItemStage.notice_pending, ItemStage.notified):
        schedule.schedule_notice(session, item, reschedule=before[0] != result.country_code)


def route_manually(
    session: Session, principal: Principal, reference: str, data: RouteIn, settings: Settings
) -> ContentItem:
    """An analyst routes an unresolved item by hand (e.g. the host is known otherwise)."""
    authorize(principal, Permission.ITEM_ROUTE)
    item = get_item(session, principal, reference)
    if not item.is_open:
        raise Conflict(f"item {item.reference} is {item.stage.value}")
    country = data.country_code
    if country is None:
        raise InvalidInput("name the hosting country", field="country_code")
    if session.get(Jurisdiction, country) is None:
        # An unknown code would route the item to nobody but the secretariat, silently.
        raise InvalidInput(f"{country} is not a country of the alliance", field="country_code")
    previous = item.country_code
    routed = _route_to(session, item, country, settings, utcnow())
    details = {
        "country": country,
        "from": previous,
        "routed_to": routed.route.queue.name if routed.route.queue else None,
        "note": data.note,
    }
    record_step(session, item, routed.stage, principal, EventKind.routed, details)
    record(session, principal, EventType.ITEM_ROUTED, "item", item.reference, details)
    if item.stage is ItemStage.notice_pending:
        schedule.schedule_notice(session, item, reschedule=True)
    return item


def clear_for_notice(session: Session, principal: Principal, reference: str) -> ContentItem:
    """The item's LEA says it has no objection: its window closes now (IWF-style police
    clearance), so the notice can go out at once unless a hold still matches."""
    authorize(principal, Permission.HOLD_MANAGE)
    item = get_item(session, principal, reference)
    if principal.reach(Permission.HOLD_MANAGE) is not Reach.ALL and (
        item.lea_organisation_id != principal.organisation_id
    ):
        raise PermissionDenied("only the LEA of the hosting country clears an item for notice")
    if not item.is_open:
        raise Conflict(f"item {item.reference} is {item.stage.value}")
    now = utcnow()
    if item.lea_window_ends_at is None or item.lea_window_ends_at > now:
        item.lea_window_ends_at = now
    add_event(session, item, EventKind.lea_cleared, principal)
    record(session, principal, EventType.ITEM_CLEARED, "item", item.reference, {})
    if item.stage in (ItemStage.notice_pending, ItemStage.notified):
        schedule.schedule_notice(session, item, reschedule=True)
    return item
