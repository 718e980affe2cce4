"""Items as their readers see them: lists, an item with its timeline, assessments and
notices, and the reports that formed it. A platform that reported an item sees its own
reports of it, not who else did.

A report is read by the organisation that sent it, by the hotline and LEA an item it
named was routed to, and by the secretariat; to anybody else it is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.db import like
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.hosting.models import HostingProvider
from alliance.takedown import access
from alliance.takedown import holds as holds_
from alliance.takedown.access import item_visible_clause
from alliance.takedown.models import (
    Assessment,
    ContentItem,
    EventKind,
    Hold,
    ItemEvent,
    ItemStage,
    Notice,
    Report,
)
from alliance.takedown.schemas import (
    AssessmentOut,
    EventOut,
    ItemDetail,
    ItemOut,
    NoticeOut,
    ReportDetail,
    ReportOut,
)

# Who works on an item and who else reported it: not shown to a platform that reported it.
ANALYSTS_ONLY = frozenset({EventKind.claimed, EventKind.released, EventKind.report_joined})
# Who placed, renewed or released a hold, and which hold: for the holding agency alone.
HOLD_EVENTS = frozenset(
    {EventKind.hold_placed, EventKind.hold_renewed, EventKind.hold_released, EventKind.hold_ended}
)


#: The columns a list of items may be sorted by. A stage sorts in the order of the
#: workflow (received first, closed last), not by its code.
ITEM_SORTS: dict[str, Any] = {
    "reference": ContentItem.reference,
    "url": ContentItem.url,
    "stage": case({stage: n for n, stage in enumerate(ItemStage)}, value=ContentItem.stage),
    "classification": ContentItem.classification,
    "country": ContentItem.country_code,
    "provider": select(HostingProvider.name)
    .where(HostingProvider.id == ContentItem.provider_id)
    .scalar_subquery(),
    "reports": ContentItem.report_count,
    "received": ContentItem.received_at,
}


def _items_query(
    principal: Principal,
    stage: ItemStage | None,
    country: str | None,
    search: str | None,
) -> Select[Any]:
    authorize(principal, Permission.ITEM_READ)
    query = select(ContentItem).where(item_visible_clause(principal))
    if stage is not None:
        query = query.where(ContentItem.stage == stage)
    if country:
        query = query.where(ContentItem.country_code == country.upper())
    if search:
        term = search.strip()
        query = query.where(
            or_(ContentItem.reference == term.upper(), like.contains(ContentItem.url, term))
        )
    return query


def list_items(
    session: Session,
    principal: Principal,
    *,
    stage: ItemStage | None = None,
    country: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
    listing: Listing | None = None,
) -> list[ContentItem]:
    """Items ``principal`` may see, filtered; newest first unless ``listing`` says
    otherwise (a column of :data:`ITEM_SORTS`, and the page)."""
    query = _items_query(principal, stage, country, search)
    if listing is None:
        listing = Listing(sort="received", descending=True, limit=min(limit, 1000), offset=offset)
    tiebreak = ContentItem.id.desc() if listing.descending else ContentItem.id.asc()
    return list(session.execute(ordered(query, listing, ITEM_SORTS, [tiebreak])).scalars())


def count_items(
    session: Session,
    principal: Principal,
    *,
    stage: ItemStage | None = None,
    country: str | None = None,
    search: str | None = None,
) -> int:
    """How many items :func:`list_items` finds with the same filters, on every page."""
    query = _items_query(principal, stage, country, search)
    counted = select(func.count()).select_from(query.with_only_columns(ContentItem.id).subquery())
    return int(session.execute(counted).scalar_one())


def organisation_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(Organisation.id, Organisation.name)).all()
    return {row[0]: row[1] for row in rows}


def item_out(
    session: Session,
    item: ContentItem,
    *,
    names: dict[int, str] | None = None,
    holds: Sequence[Hold] | None = None,
    detail: type[ItemOut] = ItemOut,
    **extra: Any,
) -> ItemOut:
    names = names if names is not None else organisation_names(session)
    reappearance = None
    if item.reappearance_of_id is not None:
        reappearance = session.get_one(ContentItem, item.reappearance_of_id).reference
    return detail(
        reference=item.reference,
        url=item.url,
        host=item.host,
        stage=item.stage,
        classification=item.classification,
        report_count=item.report_count,
        ip_address=item.ip_address,
        country_code=item.country_code,
        asn=item.asn,
        provider=item.provider.name if item.provider else None,
        assigned_to=names.get(item.assigned_organisation_id)
        if item.assigned_organisation_id
        else None,
        lea=names.get(item.lea_organisation_id) if item.lea_organisation_id else None,
        received_at=item.received_at,
        assessed_at=item.assessed_at,
        lea_informed_at=item.lea_informed_at,
        lea_window_ends_at=item.lea_window_ends_at,
        first_notice_at=item.first_notice_at,
        last_notice_at=item.last_notice_at,
        notice_count=item.notice_count,
        escalated_at=item.escalated_at,
        removed_at=item.removed_at,
        last_checked_at=item.last_checked_at,
        last_check_outcome=item.last_check_outcome,
        claimed=item.claimed_by is not None
        and item.claim_expires_at is not None
        and item.claim_expires_at > utcnow(),
        hold=holds_.hold_status(session, item, holds=holds),
        reappearance_of=reappearance,
        **extra,
    )


def _own_only(principal: Principal, item: ContentItem) -> bool:
    """Whether ``principal`` reads ``item`` only as one of its reporters (a platform)."""
    return principal.reach(
        Permission.ITEM_READ
    ) is not Reach.ALL and principal.organisation_id not in (
        item.assigned_organisation_id,
        item.lea_organisation_id,
    )


def _event_details(
    session: Session, event: ItemEvent, providers: dict[int, str], references: dict[int, str]
) -> dict[str, Any]:
    """The event's details with the names of what its ids point at (a provider, an item)."""

    def provider_name(provider_id: int) -> str:
        if provider_id not in providers:
            found = session.get(HostingProvider, provider_id)
            providers[provider_id] = found.name if found else f"provider {provider_id}"
        return providers[provider_id]

    details = dict(event.details)
    if details.get("provider_id") is not None:
        details.setdefault("provider", provider_name(int(details["provider_id"])))
    moved_from = details.get("from")
    if isinstance(moved_from, dict) and moved_from.get("provider_id") is not None:
        details["from"] = {**moved_from, "provider": provider_name(int(moved_from["provider_id"]))}
    if details.get("earlier_item_id") is not None:
        item_id = int(details["earlier_item_id"])
        if item_id not in references:
            earlier = session.get(ContentItem, item_id)
            references[item_id] = earlier.reference if earlier else ""
        details.setdefault("earlier_item", references[item_id])
    return details


def _event_out(
    session: Session,
    event: ItemEvent,
    names: dict[int, str],
    *,
    own_only: bool,
    own_holds: frozenset[str],
    providers: dict[int, str],
    references: dict[int, str],
) -> EventOut:
    details = _event_details(session, event, providers, references)
    actor = event.actor if not own_only else ""
    organisation = names.get(event.organisation_id) if event.organisation_id else None
    if event.kind in HOLD_EVENTS and details.get("hold") not in own_holds:
        # Others learn that a hold applies (and until when), not whose or which.
        actor, organisation = "", None
        details = {k: v for k, v in details.items() if k in ("until", "notice_due_at")}
    return EventOut(
        at=event.at, kind=event.kind, actor=actor, organisation=organisation, details=details
    )


def _own_hold_references(
    session: Session, principal: Principal, events: Sequence[ItemEvent]
) -> frozenset[str]:
    """Which of the holds named by ``events`` are of ``principal``'s agency (whose hold
    events it reads in full)."""
    named = {str(e.details.get("hold")) for e in events if e.kind in HOLD_EVENTS}
    if principal.organisation_id is None or not named:
        return frozenset()
    found = session.execute(
        select(Hold.reference).where(
            Hold.organisation_id == principal.organisation_id, Hold.reference.in_(named)
        )
    ).scalars()
    return frozenset(found)


def item_detail(session: Session, principal: Principal, item: ContentItem) -> ItemDetail:
    names = organisation_names(session)
    events = list(
        session.execute(
            select(ItemEvent)
            .where(ItemEvent.item_id == item.id)
            .order_by(ItemEvent.at, ItemEvent.id)
        ).scalars()
    )
    # A hold placed before the item came (or ended after it closed) says so here too.
    covering = holds_.covering_hold_events(session, item, events)
    if covering:
        events = sorted(events + covering, key=lambda e: e.at)
    assessments = session.execute(
        select(Assessment).where(Assessment.item_id == item.id).order_by(Assessment.assessed_at)
    ).scalars()
    notices = session.execute(
        select(Notice).where(Notice.item_id == item.id).order_by(Notice.created_at, Notice.id)
    ).scalars()
    # A platform sees its own reports of the item, not who else reported it.
    own_only = _own_only(principal, item)
    own_holds = _own_hold_references(session, principal, events)
    providers: dict[int, str] = {}
    references: dict[int, str] = {}
    reports = [
        link.report.reference
        for link in item.links
        if not own_only or link.report.reporter_organisation_id == principal.organisation_id
    ]
    out = item_out(
        session,
        item,
        names=names,
        detail=ItemDetail,
        events=[
            _event_out(
                session,
                e,
                names,
                own_only=own_only,
                own_holds=own_holds,
                providers=providers,
                references=references,
            )
            for e in events
            if not own_only or e.kind not in ANALYSTS_ONLY
        ],
        assessments=[
            AssessmentOut(
                classification=a.classification,
                age_group=a.age_group,
                gender=a.gender,
                content_type=a.content_type,
                site_type=a.site_type,
                commerciality=a.commerciality,
                hashes=a.hashes,
                note=a.note if not own_only else "",
                organisation=a.organisation.name if a.organisation else None,
                actor=a.actor,
                assessed_at=a.assessed_at,
            )
            for a in assessments
        ],
        notices=[
            NoticeOut(
                reference=n.reference,
                kind=n.kind,
                sequence=n.sequence,
                channel=n.channel.value,
                recipient=n.recipient,
                status=n.status.value,
                created_at=n.created_at,
                sent_at=n.sent_at,
                attempts=n.attempts,
                last_error=n.last_error,
            )
            for n in notices
        ],
        reports=reports,
    )
    assert isinstance(out, ItemDetail)
    return out


# --- reports -----------------------------------------------------------------------------


def report_out(
    report: Report, names: dict[int, str], *, submitted_url: str | None = None
) -> ReportOut:
    return ReportOut(
        reference=report.reference,
        source=report.source,
        received_at=report.received_at,
        reporter=names.get(report.reporter_organisation_id)
        if report.reporter_organisation_id
        else None,
        contact=report.reporter_contact,
        country_hint=report.country_hint,
        description=report.description,
        hashes=list(report.hashes or []),
        submitted_url=submitted_url,
    )


def item_reports(session: Session, principal: Principal, item: ContentItem) -> list[ReportOut]:
    """The reports that formed ``item``, oldest first, as ``principal`` may read them: a
    platform that reported the item sees its own reports only."""
    names = organisation_names(session)
    links = sorted(item.links, key=lambda link: (link.report.received_at, link.report.id))
    return [
        report_out(link.report, names, submitted_url=link.submitted_url)
        for link in links
        if access.report_visible(principal, link.report)
        and (
            not _own_only(principal, item)
            or link.report.reporter_organisation_id == principal.organisation_id
        )
    ]


def report_detail(session: Session, principal: Principal, report: Report) -> ReportDetail:
    """A report with the items it named that ``principal`` may see."""
    names = organisation_names(session)
    ids = [link.item_id for link in report.links]
    visible = list(
        session.execute(
            select(ContentItem)
            .where(ContentItem.id.in_(ids), item_visible_clause(principal))
            .order_by(ContentItem.id)
        ).scalars()
    )
    active = holds_.active_holds(session)
    base = report_out(report, names)
    return ReportDetail(
        **base.model_dump(),
        items=[item_out(session, i, names=names, holds=active) for i in visible],
        other_items=len(ids) - len(visible),
    )
