"""An analyst's work on an item: the queue, claims, the assessment, a re-check on request.

An analyst claims an item from the organisation's queue (two analysts never get the same
one; a claim lapses so an abandoned item returns). Only the holder of a live claim records
an assessment (:func:`assess_item`): the web page asks for an explicit claim first, the
API's one-call assessment claims a free item in the same transaction. Assessed illegal,
the item's notice is scheduled for when the LEA's window closes; assessed anything else,
the item is closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.models import User
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.banks import services as banks
from alliance.banks.schemas import Classification as BankClassification
from alliance.banks.schemas import EntryIn
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput
from alliance.settings import Settings
from alliance.takedown import holds as holds_
from alliance.takedown import schedule
from alliance.takedown.access import get_item
from alliance.takedown.lifecycle import add_event, record_step
from alliance.takedown.models import (
    Assessment,
    Classification,
    ContentItem,
    EventKind,
    ItemStage,
)
from alliance.takedown.schedule import ActionKey
from alliance.takedown.schemas import (
    AssessmentIn,
)

QUEUE_STAGES = (ItemStage.awaiting_assessment, ItemStage.unresolved)
ASSESSABLE_STAGES = (
    ItemStage.received,
    ItemStage.unresolved,
    ItemStage.awaiting_assessment,
    ItemStage.notice_pending,
    ItemStage.notified,
)


def queue_clause(principal: Principal) -> ColumnElement[bool]:
    if principal.organisation_id is not None:
        return ContentItem.assigned_organisation_id == principal.organisation_id
    return ContentItem.assigned_organisation_id.is_(None)


def _waiting_clause(principal: Principal, now: datetime) -> ColumnElement[bool]:
    """What waits for ``principal`` in its queue: the queue's items nobody else holds a
    live claim on (unclaimed, claimed by ``principal``, or whose claim lapsed). The one
    definition the queue page lists (:func:`waiting`) and the navigation counts
    (:func:`queue_count`)."""
    return and_(
        queue_clause(principal),
        ContentItem.stage.in_(QUEUE_STAGES),
        or_(
            ContentItem.claimed_by.is_(None),
            ContentItem.claimed_by == claimant(principal),
            ContentItem.claim_expires_at.is_(None),
            ContentItem.claim_expires_at <= now,
        ),
    )


def waiting(
    session: Session, principal: Principal, limit: int = 100, now: datetime | None = None
) -> list[ContentItem]:
    """The items waiting for ``principal`` (see :func:`_waiting_clause`), oldest first."""
    authorize(principal, Permission.ITEM_ASSESS)
    query = (
        select(ContentItem)
        .where(_waiting_clause(principal, now or utcnow()))
        .order_by(ContentItem.received_at, ContentItem.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def queue_count(session: Session, principal: Principal, now: datetime | None = None) -> int:
    """How many items :func:`waiting` lists (without its limit): the navigation's count."""
    authorize(principal, Permission.ITEM_ASSESS)
    query = select(func.count(ContentItem.id)).where(_waiting_clause(principal, now or utcnow()))
    return int(session.execute(query).scalar_one())


def claimed_by_colleagues(
    session: Session, principal: Principal, now: datetime | None = None
) -> list[ContentItem]:
    """The items of ``principal``'s queue another analyst (or case tool) is assessing: a
    live claim not its own. Not waiting for it; the queue page names who has them."""
    authorize(principal, Permission.ITEM_ASSESS)
    query = (
        select(ContentItem)
        .where(
            queue_clause(principal),
            ContentItem.stage.in_(QUEUE_STAGES),
            not_(_waiting_clause(principal, now or utcnow())),
        )
        .order_by(ContentItem.received_at, ContentItem.id)
    )
    return list(session.execute(query).scalars())


def queue(session: Session, principal: Principal, limit: int = 100) -> list[ContentItem]:
    """Items waiting for this organisation's assessment, oldest first, claimed ones too."""
    authorize(principal, Permission.ITEM_ASSESS)
    query = (
        select(ContentItem)
        .where(queue_clause(principal), ContentItem.stage.in_(QUEUE_STAGES))
        .order_by(ContentItem.received_at, ContentItem.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim_next(
    session: Session, principal: Principal, settings: Settings, *, skip: str | None = None
) -> ContentItem | None:
    """The oldest unclaimed item of the queue (but ``skip``, a reference), claimed for this
    analyst. Two analysts never get the same item: PostgreSQL skips rows another
    transaction has locked, and SQLite's single writer makes the select-and-claim atomic."""
    authorize(principal, Permission.ITEM_ASSESS)
    now = utcnow()
    query = (
        select(ContentItem)
        .where(
            queue_clause(principal),
            ContentItem.stage.in_(QUEUE_STAGES),
            or_(ContentItem.claimed_by.is_(None), ContentItem.claim_expires_at < now),
            ContentItem.reference != (skip or ""),
        )
        .order_by(ContentItem.received_at, ContentItem.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ContentItem)
    item = session.execute(query).scalars().first()
    if item is None:
        return None
    _claim(session, principal, item, settings, now)
    return item


def next_for_me(
    session: Session, principal: Principal, settings: Settings, *, skip: str | None = None
) -> ContentItem | None:
    """What an analyst working the queue assesses next (after ``skip``, the item just
    assessed): the oldest item of the queue it already holds a live claim on, else the
    oldest it may claim (claimed for it now, as :func:`claim_next`); None when nothing is
    left for it."""
    authorize(principal, Permission.ITEM_ASSESS)
    now = utcnow()
    mine = session.execute(
        select(ContentItem)
        .where(
            queue_clause(principal),
            ContentItem.stage.in_(QUEUE_STAGES),
            ContentItem.claimed_by == claimant(principal),
            ContentItem.claim_expires_at > now,
            ContentItem.reference != (skip or ""),
        )
        .order_by(ContentItem.received_at, ContentItem.id)
        .limit(1)
    ).scalar_one_or_none()
    if mine is not None:
        return mine
    return claim_next(session, principal, settings, skip=skip)


def _claim(
    session: Session, principal: Principal, item: ContentItem, settings: Settings, now: datetime
) -> None:
    item.claimed_by = claimant(principal)
    item.claimed_by_user_id = principal.user_id
    item.claim_expires_at = now + timedelta(minutes=settings.claim_minutes)
    add_event(
        session, item, EventKind.claimed, principal, {"until": item.claim_expires_at.isoformat()}
    )
    record(session, principal, EventType.ITEM_CLAIMED, "item", item.reference, {})


def claimant(principal: Principal) -> str:
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.api_key_id is not None:
        return f"api_key:{principal.api_key_id}"
    return principal.audit_label[:64]


def claimed_by_other(item: ContentItem, principal: Principal, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        item.claimed_by is not None
        and item.claimed_by != claimant(principal)
        and item.claim_expires_at is not None
        and item.claim_expires_at > now
    )


def claim_holder(session: Session, item: ContentItem, now: datetime | None = None) -> str | None:
    """Who holds a live claim on ``item`` in words (a user's name, or "a case tool (API
    key)"); None when nobody does."""
    now = now or utcnow()
    if item.claimed_by is None or item.claim_expires_at is None or item.claim_expires_at <= now:
        return None
    if item.claimed_by_user_id is not None:
        user = session.get(User, item.claimed_by_user_id)
        if user is not None:
            return user.display_name
    if item.claimed_by.startswith("api_key:"):
        return "a case tool (API key)"
    return item.claimed_by


def _unclaim(item: ContentItem) -> None:
    item.claimed_by = None
    item.claimed_by_user_id = None
    item.claim_expires_at = None


def _assessable(session: Session, principal: Principal, reference: str, closed: str) -> ContentItem:
    """The item, if this analyst may assess it now; ``closed`` says why not when its stage
    is past assessment."""
    item = get_item(session, principal, reference)
    authorize(principal, Permission.ITEM_ASSESS, item)
    if item.stage not in ASSESSABLE_STAGES:
        raise Conflict(f"item {item.reference} is {item.stage.value}; {closed}")
    if claimed_by_other(item, principal):
        raise Conflict(
            f"item {item.reference} is being assessed by another analyst"
            f" (claimed until {item.claim_expires_at:%Y-%m-%d %H:%M} UTC)"
        )
    return item


def claim_item(
    session: Session, principal: Principal, reference: str, settings: Settings
) -> ContentItem:
    item = _assessable(session, principal, reference, "there is nothing to assess")
    _claim(session, principal, item, settings, utcnow())
    return item


def release_item(session: Session, principal: Principal, reference: str) -> ContentItem:
    item = get_item(session, principal, reference)
    authorize(principal, Permission.ITEM_ASSESS, item)
    if claimed_by_other(item, principal):
        raise Conflict(f"item {item.reference} is claimed by another analyst")
    if item.claimed_by is not None:
        _unclaim(item)
        add_event(session, item, EventKind.released, principal)
        record(session, principal, EventType.ITEM_RELEASED, "item", item.reference, {})
    return item


def claimed_by_me(item: ContentItem, principal: Principal, now: datetime | None = None) -> bool:
    """Whether ``principal`` holds a live claim on ``item``."""
    now = now or utcnow()
    return (
        item.claimed_by == claimant(principal)
        and item.claim_expires_at is not None
        and item.claim_expires_at > now
    )


def assess_item(
    session: Session,
    principal: Principal,
    reference: str,
    data: AssessmentIn,
    settings: Settings,
    *,
    claim: bool = False,
) -> Assessment:
    """Record ``principal``'s assessment of an item it has claimed (Conflict otherwise:
    unclaimed, its claim lapsed, or another analyst's claim). With ``claim`` an item that
    nobody holds (or whose claim lapsed) is claimed first, in the same transaction: the
    API's one-call assessment; another analyst's live claim is refused all the same."""
    item = _assessable(session, principal, reference, "it can no longer be assessed")
    now = utcnow()
    if not claimed_by_me(item, principal, now):
        if claim:
            _claim(session, principal, item, settings, now)
        elif item.claimed_by == claimant(principal):
            raise Conflict(
                f"your claim on item {item.reference} lapsed; claim this item before assessing it"
            )
        else:
            raise Conflict(f"claim this item before assessing it ({item.reference})")
    if data.propose_to_bank and not data.classification.illegal:
        raise InvalidInput(
            "only hashes of illegal material (baseline or national) go to a bank",
            field="propose_to_bank",
        )
    if data.propose_to_bank and not data.hashes:
        raise InvalidInput("give the hashes to propose to the bank", field="hashes")
    assessment = Assessment(
        item_id=item.id,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        actor=principal.audit_label,
        classification=data.classification,
        age_group=data.age_group,
        gender=data.gender,
        content_type=data.content_type,
        site_type=data.site_type,
        commerciality=data.commerciality,
        hashes=[h.model_dump() for h in data.hashes],
        note=data.note,
        assessed_at=now,
    )
    session.add(assessment)
    session.flush()
    item.classification = data.classification
    item.assessed_at = item.assessed_at or now
    _unclaim(item)
    details = {"classification": data.classification.value, "hashes": len(data.hashes)}
    stage = None
    if not data.classification.illegal:
        stage = ItemStage.closed
    elif item.stage is ItemStage.awaiting_assessment:
        stage = ItemStage.notice_pending
    # None: illegal, and already past the queue (or not yet routed).
    record_step(session, item, stage, principal, EventKind.assessed, details, at=now)
    if item.stage is ItemStage.notice_pending:
        due = schedule.schedule_notice(session, item)
        add_event(
            session,
            item,
            EventKind.notice_scheduled,
            principal,
            {
                "due_at": due.isoformat(),
                "waits_for": "the LEA's window"
                if item.lea_window_ends_at is not None and item.lea_window_ends_at > now
                else None,
            },
        )
    record(session, principal, EventType.ITEM_ASSESSED, "item", item.reference, details)
    holds_.touch(session, item, principal, "assessment")
    if data.propose_to_bank:
        entries = [
            EntryIn(
                signal_type=h.signal_type,
                signal=h.value,
                classification=BankClassification(
                    baseline=data.classification is Classification.baseline
                ),
                note=f"from item {item.reference}",
            )
            for h in data.hashes
        ]
        banks.add_entries(session, principal, data.propose_to_bank, entries)
        add_event(
            session,
            item,
            EventKind.hashes_proposed,
            principal,
            {"bank": data.propose_to_bank, "count": len(entries)},
        )
    return assessment


def request_recheck(session: Session, principal: Principal, reference: str) -> ContentItem:
    """An analyst asks for a re-check now (e.g. the provider says it removed the page)."""
    authorize(principal, Permission.NOTICE_SEND)
    item = get_item(session, principal, reference)
    authorize(principal, Permission.NOTICE_SEND, item)
    if item.stage not in (ItemStage.notice_pending, ItemStage.notified):
        raise Conflict(
            f"item {item.reference} is {item.stage.value}; only notified items are re-checked"
        )
    now = utcnow()
    schedule.schedule(session, ActionKey.asked_recheck(item.id, now), now)
    add_event(session, item, EventKind.recheck_requested, principal)
    record(session, principal, EventType.ITEM_RECHECK_REQUESTED, "item", item.reference, {})
    return item
