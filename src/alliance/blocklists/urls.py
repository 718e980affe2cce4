"""The URL list: pages that takedown confirmed and that are still up.

A page is listed when its takedown item is assessed illegal (baseline or national) and
open (a notice is due or sent), the hosting country's LEA window has closed and no
investigation hold matches it: a block tells the site's operator that the page was
found, so a page waits off the list for as long as a notice would (the police first). It
leaves the list when its item leaves those stages — a re-check found it removed, or it was
closed — or when an analyst upholds an appeal (:mod:`alliance.blocklists.appeals`).
Blocking is a stop-gap while removal is pursued, as the IWF's URL list is: the list
follows the takedown workflow and never runs ahead of it.

:func:`refresh` compares the list with the takedown items and applies the difference. It
is idempotent and set-based, so the worker runs it after each round of actions (re-checks
are worker actions) and every minute (assessments, LEA windows and holds end outside
it); ``alliance blocklist refresh`` runs it by hand. Takedown knows nothing of the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import SYSTEM, AuditActor, EventType, record
from alliance.blocklists import lists
from alliance.blocklists.models import Blocklist, DelistReason, ListedUrl, ListName, UrlCategory
from alliance.db.base import utcnow
from alliance.db.like import contains
from alliance.db.listing import Listing, ordered
from alliance.errors import NotFound
from alliance.hosting.urls import normalise_url
from alliance.takedown import holds
from alliance.takedown.models import Classification, ContentItem, ItemStage

#: Item stages in which a confirmed page is still up: assessed illegal, not yet removed.
LIVE_STAGES = (ItemStage.notice_pending, ItemStage.notified)
_ILLEGAL = (Classification.baseline, Classification.national)

URL_SORTS: dict[str, Any] = {
    "url": ListedUrl.url,
    "host": ListedUrl.host,
    "category": ListedUrl.category,
    "listed_at": ListedUrl.listed_at,
    "delisted_at": ListedUrl.delisted_at,
}


@dataclass
class Refreshed:
    listed: list[str] = field(default_factory=list)
    delisted: list[str] = field(default_factory=list)
    held: int = 0  # confirmed pages left off because a hold matches them


def _gone(session: Session) -> list[tuple[ListedUrl, ItemStage]]:
    """Listed entries whose item is no longer live, with the item's stage."""
    rows = session.execute(
        select(ListedUrl, ContentItem.stage)
        .join(ContentItem, ListedUrl.item_id == ContentItem.id)
        .where(ListedUrl.delisted_at.is_(None), ContentItem.stage.not_in(LIVE_STAGES))
        .order_by(ListedUrl.id)
        .execution_options(populate_existing=True)
    ).all()
    return [(entry, stage) for entry, stage in rows]


def _confirmed(session: Session, now: datetime) -> list[ContentItem]:
    """Items confirmed and live, their LEA window over, whose URL is not listed for them.
    An item is listed at most once: after an upheld appeal its URL stays off the list
    until another item (a re-appearance, confirmed again) names it."""
    query = (
        select(ContentItem)
        .where(
            ContentItem.stage.in_(LIVE_STAGES),
            ContentItem.classification.in_(_ILLEGAL),
            or_(ContentItem.lea_window_ends_at.is_(None), ContentItem.lea_window_ends_at <= now),
            ~exists().where(
                ListedUrl.url == ContentItem.url,
                or_(ListedUrl.delisted_at.is_(None), ListedUrl.item_id == ContentItem.id),
            ),
        )
        .order_by(ContentItem.id)
    )
    return list(session.execute(query).unique().scalars())


def refresh(session: Session, actor: AuditActor = SYSTEM) -> Refreshed:
    """Bring the URL list in line with takedown: list confirmed live pages, delist those
    whose item was removed or closed. Each change takes the list's next sequence number
    and is audited; nothing changes, and nothing is locked, when nothing differs."""
    done = Refreshed()
    now = utcnow()
    if not _gone(session) and not _confirmed(session, now):
        return done
    # Something differs: lock the list and look again, so that two workers refreshing at
    # once (PostgreSQL) do not both list or delist the same page.
    url_list = lists.locked(session, ListName.urls)
    for entry, stage in _gone(session):
        reason = DelistReason.removed if stage is ItemStage.removed else DelistReason.closed
        delist(session, actor, url_list, entry, reason)
        done.delisted.append(entry.url)
    candidates = _confirmed(session, now)
    active = holds.active_holds(session, now) if candidates else []
    for item in candidates:
        if active and holds.holds_matching(session, item, holds=active):
            done.held += 1
            continue
        _list(session, actor, url_list, item)
        done.listed.append(item.url)
    return done


def _list(session: Session, actor: AuditActor, url_list: Blocklist, item: ContentItem) -> None:
    category = (
        UrlCategory.baseline
        if item.classification is Classification.baseline
        else UrlCategory.national
    )
    entry = session.execute(select(ListedUrl).where(ListedUrl.url == item.url)).scalar_one_or_none()
    now = utcnow()
    if entry is None:
        entry = ListedUrl(url=item.url, host=item.host)
        session.add(entry)
    entry.item_id, entry.category, entry.listed_at = item.id, category, now
    entry.delisted_at, entry.delist_reason = None, None
    entry.changed_seq = lists.next_change(url_list)
    session.flush()
    record(
        session,
        actor,
        EventType.BLOCKLIST_URL_LISTED,
        "blocklist_url",
        entry.id,
        {"item": item.reference, "host": item.host, "category": category.value},
        organisation_id=item.assigned_organisation_id,
    )


def delist(
    session: Session,
    actor: AuditActor,
    url_list: Blocklist,
    entry: ListedUrl,
    reason: DelistReason,
    details: dict[str, str] | None = None,
) -> None:
    """Take ``entry`` off the list (``url_list`` locked by the caller); audited."""
    entry.delisted_at, entry.delist_reason = utcnow(), reason
    entry.changed_seq = lists.next_change(url_list)
    record(
        session,
        actor,
        EventType.BLOCKLIST_URL_DELISTED,
        "blocklist_url",
        entry.id,
        {"host": entry.host, "reason": reason.value, **(details or {})},
    )


def listed_entry(session: Session, raw_url: str) -> ListedUrl:
    """The entry now listed for ``raw_url`` (normalised as takedown does); NotFound, with
    the field at fault, when the URL is not on the list."""
    url = normalise_url(raw_url).url
    entry = session.execute(
        select(ListedUrl).where(ListedUrl.url == url, ListedUrl.delisted_at.is_(None))
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound(f"{url} is not on the URL list", field="url")
    return entry


def list_urls(
    session: Session,
    principal: Principal,
    listing: Listing,
    *,
    include_delisted: bool = False,
    q: str | None = None,
) -> tuple[list[ListedUrl], int]:
    """A page of the URL list and how many entries match in all."""
    authorize(principal, Permission.BLOCKLIST_READ)
    where: list[ColumnElement[bool]] = []
    if not include_delisted:
        where.append(ListedUrl.delisted_at.is_(None))
    if q:
        where.append(contains(ListedUrl.url, q))
    total = session.execute(select(func.count(ListedUrl.id)).where(*where)).scalar_one()
    stmt = ordered(select(ListedUrl).where(*where), listing, URL_SORTS, [ListedUrl.id.asc()])
    return list(session.execute(stmt).scalars()), int(total)
