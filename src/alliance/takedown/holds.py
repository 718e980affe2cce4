"""Investigation holds and deconfliction — the mechanism the anchors lack.

An LEA places a hold on a URL, a domain, a hash or a report. While an active hold matches
an item, no notice goes out for it, by anyone; everyone else sees only "on hold until T".
Each hold registers its target with :mod:`alliance.cooperation`, so when another
organisation touches it (reports it, matches it, assesses it) the holding agency gets a
deconfliction alert, by the same mechanism as every other watched target. Holds are
matched in Python against the (small) set of active holds, by cooperation's one rule
(:func:`hold_matches` delegates to ``target_matches``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.models import AuditEvent
from alliance.audit.services import SYSTEM, AuditActor, details_of
from alliance.cooperation import services as cooperation
from alliance.cooperation.models import DeconflictionAlert, TargetKind, WatchedTarget
from alliance.cooperation.services import Touched
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.hosting.urls import normalise_domain, normalise_url
from alliance.settings import Settings
from alliance.takedown import schedule
from alliance.takedown.lifecycle import add_event
from alliance.takedown.models import (
    OPEN_STAGES,
    Assessment,
    ContentItem,
    EventKind,
    Hold,
    HoldTarget,
    ItemEvent,
    ItemStage,
    Report,
)
from alliance.takedown.schedule import ActionKey
from alliance.takedown.schemas import HashIn, HoldIn, HoldOut, HoldStatus

SOURCE = "hold"  # holds' targets in alliance.cooperation


def targets_of(session: Session, item: ContentItem) -> Touched:
    """What of an item a hold or another watched target can name."""
    targets = Touched(url=item.url, host=item.host)
    for link in item.links:
        targets.reports.add(link.report.reference)
        targets.hashes.update(f"{h['signal_type']}:{h['value']}" for h in link.report.hashes)
    assessed = session.execute(select(Assessment.hashes).where(Assessment.item_id == item.id))
    for hashes in assessed.scalars():
        targets.hashes.update(f"{h['signal_type']}:{h['value']}" for h in hashes)
    if item.content_sha256:
        targets.hashes.add(f"sha256:{item.content_sha256}")
    return targets


def hold_matches(hold: Hold, targets: Touched) -> bool:
    return cooperation.target_matches(hold.target_type, hold.target_value, targets)


def is_active(hold: Hold, now: datetime) -> bool:
    return hold.released_at is None and hold.expires_at > now


def active_holds(session: Session, now: datetime | None = None) -> list[Hold]:
    now = now or utcnow()
    return list(
        session.execute(
            select(Hold).where(Hold.released_at.is_(None), Hold.expires_at > now)
        ).scalars()
    )


def holds_matching(
    session: Session,
    item: ContentItem,
    *,
    holds: Sequence[Hold] | None = None,
    targets: Touched | None = None,
) -> list[Hold]:
    holds = active_holds(session) if holds is None else holds
    if not holds:
        return []
    targets = targets or targets_of(session, item)
    return [hold for hold in holds if hold_matches(hold, targets)]


def hold_status(
    session: Session, item: ContentItem, *, holds: Sequence[Hold] | None = None
) -> HoldStatus:
    matching = holds_matching(session, item, holds=holds)
    if not matching:
        return HoldStatus(on_hold=False)
    return HoldStatus(on_hold=True, until=max(h.expires_at for h in matching))


def touch(
    session: Session,
    item: ContentItem,
    actor: AuditActor,
    action: str,
    *,
    watched: Sequence[WatchedTarget] | None = None,
) -> list[DeconflictionAlert]:
    """``actor`` did ``action`` to ``item``: alert every other agency watching any of it
    (a hold, a series). ``watched`` is ``cooperation.active_targets``, loaded once by a
    caller touching many items."""
    if watched is not None and not watched:
        return []
    return cooperation.touch(
        session,
        actor,
        targets_of(session, item),
        action,
        subject=item.reference,
        targets=watched,
    )


# --- placing, renewing, releasing -----------------------------------------------------


def normalise_target(session: Session, target_type: HoldTarget, value: str) -> str:
    value = value.strip()
    match target_type:
        case HoldTarget.url:
            try:
                return normalise_url(value).url
            except InvalidInput as exc:
                exc.field = exc.field or "target_value"  # the form shows it beside the target
                raise
        case HoldTarget.domain:
            try:
                return normalise_domain(value)
            except InvalidInput as exc:
                exc.field = exc.field or "target_value"
                raise
        case HoldTarget.hash:
            signal_type, sep, digest = value.partition(":")
            if not sep:
                raise InvalidInput(
                    "a hash target is written <type>:<hex>, e.g. sha256:ab12...",
                    field="target_value",
                )
            try:
                return HashIn(signal_type=signal_type, value=digest).key
            except ValueError as exc:
                raise InvalidInput(f"hash target: {exc}", field="target_value") from None
        case HoldTarget.report:
            reference = value.upper()
            found = session.execute(select(Report.id).where(Report.reference == reference))
            if found.first() is None:
                raise NotFound(f"no report {reference}", field="target_value")
            return reference
    raise InvalidInput(f"unknown hold target {target_type}")  # pragma: no cover


def _holding_agency(session: Session, principal: Principal) -> Organisation:
    authorize(principal, Permission.HOLD_MANAGE)
    if (
        principal.organisation_id is None
        or principal.organisation_kind is not OrgKind.law_enforcement
    ):
        raise PermissionDenied("only a law-enforcement agency may place an investigation hold")
    return session.get_one(Organisation, principal.organisation_id)


def place_hold(session: Session, principal: Principal, data: HoldIn, settings: Settings) -> Hold:
    agency = _holding_agency(session, principal)
    days = data.days or settings.hold_default_days
    if days > settings.hold_max_days:
        raise InvalidInput(
            f"a hold may run at most {settings.hold_max_days} days; renew it when it nears expiry",
            field="days",
        )
    value = normalise_target(session, data.target_type, data.target_value)
    now = utcnow()
    duplicate = session.execute(
        select(Hold.reference).where(
            Hold.organisation_id == agency.id,
            Hold.target_type == data.target_type,
            Hold.target_value == value,
            Hold.released_at.is_(None),
            Hold.expires_at > now,
        )
    ).scalar_one_or_none()
    if duplicate is not None:
        raise Conflict(
            f"your agency already holds this target ({duplicate}); renew that hold",
            field="target_value",
        )
    hold = Hold(
        reference=references.new("H"),
        organisation_id=agency.id,
        target_type=data.target_type,
        target_value=value,
        reason=data.reason.strip(),
        placed_by=principal.audit_label,
        placed_at=now,
        expires_at=now + timedelta(days=days),
        renewals=0,
    )
    session.add(hold)
    session.flush()
    cooperation.register(
        session,
        organisation_id=agency.id,
        kind=TargetKind(hold.target_type.value),
        value=value,
        source=SOURCE,
        source_reference=hold.reference,
        expires_at=hold.expires_at,
    )
    schedule.schedule(session, ActionKey.expire_hold(hold.id, 0), hold.expires_at)
    _mark_items(session, hold, EventKind.hold_placed, principal)
    # The reason stays out of the audit trail's details: only the agency may read it.
    record(
        session,
        principal,
        EventType.HOLD_PLACED,
        "hold",
        hold.reference,
        {
            "target_type": hold.target_type.value,
            "target": value,
            "expires_at": hold.expires_at.isoformat(),
        },
        organisation_id=agency.id,
    )
    return hold


def _own_hold(session: Session, principal: Principal, reference: str) -> Hold:
    return _agency_hold(session, principal, reference, Permission.HOLD_MANAGE)


def _agency_hold(
    session: Session, principal: Principal, reference: str, permission: Permission
) -> Hold:
    """The hold ``reference`` if ``permission`` reaches it; another agency's is not found."""
    authorize(principal, permission)
    hold = session.execute(
        select(Hold).where(Hold.reference == reference.upper())
    ).scalar_one_or_none()
    if hold is None or (
        principal.reach(permission) is not Reach.ALL
        and hold.organisation_id != principal.organisation_id
    ):
        raise NotFound(f"no hold {reference} of your agency")
    return hold


def renew_hold(
    session: Session, principal: Principal, reference: str, days: int, settings: Settings
) -> Hold:
    hold = _own_hold(session, principal, reference)
    now = utcnow()
    if not is_active(hold, now):
        raise Conflict(f"hold {hold.reference} is no longer active; place a new one")
    if not 1 <= days <= settings.hold_max_days:
        raise InvalidInput(f"renew for 1 to {settings.hold_max_days} days", field="days")
    hold.expires_at = now + timedelta(days=days)
    hold.renewals += 1
    cooperation.set_expiry(session, SOURCE, hold.reference, hold.expires_at)
    schedule.schedule(session, ActionKey.expire_hold(hold.id, hold.renewals), hold.expires_at)
    _mark_items(session, hold, EventKind.hold_renewed, principal)
    record(
        session,
        principal,
        EventType.HOLD_RENEWED,
        "hold",
        hold.reference,
        {"expires_at": hold.expires_at.isoformat(), "renewals": hold.renewals},
        organisation_id=hold.organisation_id,
    )
    return hold


def release_hold(session: Session, principal: Principal, reference: str) -> Hold:
    hold = _own_hold(session, principal, reference)
    if hold.released_at is not None:
        raise Conflict(f"hold {hold.reference} was already released")
    hold.released_at = utcnow()
    hold.released_by = principal.audit_label
    cooperation.end(session, SOURCE, hold.reference)
    record(
        session,
        principal,
        EventType.HOLD_RELEASED,
        "hold",
        hold.reference,
        {},
        organisation_id=hold.organisation_id,
    )
    resume_notices(session, hold, principal, EventKind.hold_released)
    return hold


def expire_hold(session: Session, actor: AuditActor, hold: Hold) -> bool:
    """The worker's expiry step; False when the hold was renewed or released meanwhile."""
    now = utcnow()
    if hold.released_at is not None or hold.expires_at > now:
        return False
    record(
        session,
        actor,
        EventType.HOLD_EXPIRED,
        "hold",
        hold.reference,
        {},
        organisation_id=hold.organisation_id,
    )
    resume_notices(session, hold)
    return True


def _mark_items(session: Session, hold: Hold, kind: EventKind, actor: AuditActor) -> None:
    """A line on the timeline of every open item ``hold`` matches (who, which hold, until);
    :mod:`alliance.takedown.reading` shows who and which to the holding agency only."""
    for item in items_under_hold(session, hold):
        details = {"hold": hold.reference, "until": hold.expires_at.isoformat()}
        add_event(session, item, kind, actor, details)


def resume_notices(
    session: Session,
    hold: Hold,
    actor: AuditActor = SYSTEM,
    kind: EventKind = EventKind.hold_ended,
) -> int:
    """A hold ended (``kind``: released by ``actor``, or expired): every open item it
    matched says so on its timeline, and those nothing else holds get their notice due
    now. The number of items whose notice resumed."""
    now = utcnow()
    others = [h for h in active_holds(session, now) if h.id != hold.id]
    resumed = 0
    for item in items_under_hold(session, hold):
        targets = targets_of(session, item)
        details: dict[str, object] = {"hold": hold.reference}
        if item.stage in (ItemStage.notice_pending, ItemStage.notified) and not any(
            hold_matches(h, targets) for h in others
        ):
            due = schedule.schedule_notice(session, item, reschedule=True)
            details["notice_due_at"] = due.isoformat()
            resumed += 1
        add_event(session, item, kind, actor, details)
    return resumed


# --- reading ------------------------------------------------------------------------


def hold_out(hold: Hold, principal: Principal, now: datetime | None = None) -> HoldOut:
    own = principal.organisation_id == hold.organisation_id
    return HoldOut(
        reference=hold.reference,
        organisation=hold.organisation.name,
        target_type=hold.target_type,
        target_value=hold.target_value,
        reason=hold.reason if own else None,
        placed_by=hold.placed_by if own else None,
        placed_at=hold.placed_at,
        expires_at=hold.expires_at,
        renewals=hold.renewals,
        released_at=hold.released_at,
        released_by=hold.released_by if own else None,
        active=is_active(hold, now or utcnow()),
    )


class HoldState(StrEnum):
    """Which holds a list shows: a hold is active until released or past its expiry."""

    active = "active"
    released = "released"
    expired = "expired"
    all = "all"


def state_of(hold: Hold, now: datetime) -> HoldState:
    if hold.released_at is not None:
        return HoldState.released
    return HoldState.active if hold.expires_at > now else HoldState.expired


#: The columns a list of holds may be sorted by.
HOLD_SORTS: dict[str, Any] = {
    "reference": Hold.reference,
    "agency": select(Organisation.name)
    .where(Organisation.id == Hold.organisation_id)
    .scalar_subquery(),
    "target": Hold.target_value,
    "placed": Hold.placed_at,
    "expires": Hold.expires_at,
    "renewals": Hold.renewals,
    "released": Hold.released_at,
}


def list_holds(
    session: Session,
    principal: Principal,
    *,
    include_ended: bool = False,
    state: HoldState | None = None,
    listing: Listing | None = None,
) -> list[Hold]:
    """The holds ``principal`` may read (its agency's, or all of them), newest first
    unless ``listing`` says otherwise. ``state`` picks active, released or expired ones
    (default: active only, or every hold with ``include_ended``)."""
    authorize(principal, Permission.HOLD_READ)
    query = select(Hold)
    if principal.reach(Permission.HOLD_READ) is not Reach.ALL:
        query = query.where(Hold.organisation_id == (principal.organisation_id or -1))
    if state is None:
        state = HoldState.all if include_ended else HoldState.active
    now = utcnow()
    match state:
        case HoldState.active:
            query = query.where(Hold.released_at.is_(None), Hold.expires_at > now)
        case HoldState.released:
            query = query.where(Hold.released_at.is_not(None))
        case HoldState.expired:
            query = query.where(Hold.released_at.is_(None), Hold.expires_at <= now)
    listing = listing or Listing(sort="placed", descending=True, limit=None)
    tiebreak = Hold.id.desc() if listing.descending else Hold.id.asc()
    return list(session.execute(ordered(query, listing, HOLD_SORTS, [tiebreak])).scalars())


def held_counts(session: Session, holds: Sequence[Hold]) -> dict[int, int]:
    """How many open items each of ``holds`` holds now (0 for an ended hold); each open
    item's targets are read once for all the holds."""
    now = utcnow()
    counts = {hold.id: 0 for hold in holds}
    active = [hold for hold in holds if is_active(hold, now)]
    if not active:
        return counts
    open_items = session.execute(
        select(ContentItem).where(ContentItem.stage.in_(OPEN_STAGES))
    ).scalars()
    for item in open_items:
        targets = targets_of(session, item)
        for hold in active:
            if hold_matches(hold, targets):
                counts[hold.id] += 1
    return counts


@dataclass(frozen=True)
class HoldEvent:
    """One step of a hold's life: placed, renewed, released or expired."""

    at: datetime
    what: str
    by: str | None
    until: datetime | None = None


_HISTORY = {
    EventType.HOLD_PLACED.value: "placed",
    EventType.HOLD_RENEWED.value: "renewed",
    EventType.HOLD_RELEASED.value: "released",
    EventType.HOLD_EXPIRED.value: "expired",
}


def actor_words(actor: str) -> str:
    """An audit actor (``user:nl-police``, ``api_key:…``, ``system``) as a reader says it."""
    kind, _, name = actor.partition(":")
    match kind:
        case "user":
            return name
        case "api_key":
            return f"API key {name}"
        case "operator":
            return f"{name} (server console)"
        case "system":
            return "automatically"
    return actor


def hold_history(
    session: Session, principal: Principal, hold: Hold, now: datetime | None = None
) -> list[HoldEvent]:
    """What happened to ``hold`` and when, from the audit trail; who did it only for the
    holding agency (others never see who placed a hold)."""
    authorize(principal, Permission.HOLD_READ)
    own = principal.organisation_id == hold.organisation_id
    events = session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "hold",
            AuditEvent.subject_id == hold.reference,
            AuditEvent.event_type.in_(list(_HISTORY)),
        )
        .order_by(AuditEvent.seq)
    ).scalars()
    history = []
    for event in events:
        details = details_of(event)
        until = details.get("expires_at")
        history.append(
            HoldEvent(
                at=event.occurred_at,
                what=_HISTORY[event.event_type],
                by=actor_words(event.actor) if own else None,
                until=datetime.fromisoformat(until) if isinstance(until, str) else None,
            )
        )
    now = now or utcnow()
    if state_of(hold, now) is HoldState.expired and not any(e.what == "expired" for e in history):
        # Past its expiry before the worker's step recorded it: it has ended all the same.
        history.append(HoldEvent(at=hold.expires_at, what="expired", by=None))
    return history


def get_hold(session: Session, principal: Principal, reference: str) -> Hold:
    return _agency_hold(session, principal, reference, Permission.HOLD_READ)


def covering_hold_events(
    session: Session, item: ContentItem, events: Sequence[ItemEvent]
) -> list[ItemEvent]:
    """The lines ``item``'s timeline lacks about the holds that cover it: a hold placed
    before the item was reported (on its URL, domain or hash) put no "hold placed" line on
    it, as :func:`_mark_items` marks the items open at the time only; nor did its release
    or expiry when the item had closed by then. Made from the holds themselves, not kept
    (not added to the session), for :mod:`alliance.takedown.reading` to merge by time.
    """
    since = item.received_at
    candidates = list(
        session.execute(
            select(Hold)
            .where(
                Hold.expires_at > since,
                or_(Hold.released_at.is_(None), Hold.released_at > since),
            )
            .order_by(Hold.placed_at, Hold.id)
        ).scalars()
    )
    if not candidates:
        return []
    ended_at = None if item.is_open else (item.closed_at or item.removed_at)
    marked: dict[EventKind, set[str]] = {}
    for event in events:
        marked.setdefault(event.kind, set()).add(str(event.details.get("hold")))
    placed = marked.get(EventKind.hold_placed, set())
    ended = marked.get(EventKind.hold_released, set()) | marked.get(EventKind.hold_ended, set())
    targets = targets_of(session, item)
    now = utcnow()
    lines: list[ItemEvent] = []
    for hold in candidates:
        if ended_at is not None and hold.placed_at > ended_at:
            continue  # placed after the item was closed: it never held it
        if not hold_matches(hold, targets):
            continue
        if hold.reference not in placed:
            lines.append(
                ItemEvent(
                    item_id=item.id,
                    at=hold.placed_at,
                    kind=EventKind.hold_placed,
                    actor=hold.placed_by,
                    organisation_id=hold.organisation_id,
                    details={"hold": hold.reference, "until": hold.expires_at.isoformat()},
                )
            )
        if hold.reference in ended:
            continue
        if hold.released_at is not None:
            lines.append(
                ItemEvent(
                    item_id=item.id,
                    at=hold.released_at,
                    kind=EventKind.hold_released,
                    actor=hold.released_by or SYSTEM.audit_label,
                    organisation_id=hold.organisation_id,
                    details={"hold": hold.reference},
                )
            )
        elif hold.expires_at <= now:
            lines.append(
                ItemEvent(
                    item_id=item.id,
                    at=hold.expires_at,
                    kind=EventKind.hold_ended,
                    actor=SYSTEM.audit_label,
                    organisation_id=None,
                    details={"hold": hold.reference},
                )
            )
    return lines


def items_under_hold(session: Session, hold: Hold) -> list[ContentItem]:
    open_items = session.execute(
        select(ContentItem).where(ContentItem.stage.in_(OPEN_STAGES)).order_by(ContentItem.id)
    ).scalars()
    return [item for item in open_items if hold_matches(hold, targets_of(session, item))]
