"""Reports, content items, routing, the assessment queue and the item timeline.

Visibility: an organisation sees an item routed to it (its queue), an item its country's
LEA was informed of, and an item it reported; the secretariat sees every item. An item
you may not see is reported as not found. Holds and notices live in :mod:`holds` and the
worker; this module decides where an item goes and who may work on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, false, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType, record
from alliance.audit.services import SYSTEM, AuditActor, AuditEntry, SystemActor, record_many
from alliance.banks import services as banks
from alliance.banks.schemas import Classification as BankClassification
from alliance.banks.schemas import EntryIn
from alliance.cooperation import services as cooperation
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.hosting.resolution import HostingResult
from alliance.hosting.urls import NormalisedUrl, normalise_url
from alliance.settings import Settings
from alliance.takedown import holds as holds_
from alliance.takedown import schedule
from alliance.takedown.models import (
    ActionKind,
    Assessment,
    Classification,
    ContentItem,
    Hold,
    ItemEvent,
    ItemStage,
    Notice,
    Report,
    ReportItem,
    ReportSource,
    ScheduledAction,
)
from alliance.takedown.schemas import (
    SOURCE_FOR_KIND,
    AssessmentIn,
    AssessmentOut,
    EventOut,
    ItemDetail,
    ItemOut,
    NoticeOut,
    ReportIn,
    ReportItemOut,
    ReportReceipt,
    RouteIn,
)

PUBLIC = SystemActor(audit_label="public")
QUEUE_STAGES = (ItemStage.awaiting_assessment, ItemStage.unresolved)
ASSESSABLE_STAGES = (
    ItemStage.received,
    ItemStage.unresolved,
    ItemStage.awaiting_assessment,
    ItemStage.notice_pending,
    ItemStage.notified,
)


def add_event(
    session: Session,
    item: ContentItem,
    kind: str,
    actor: AuditActor,
    details: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
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


# --- visibility ----------------------------------------------------------------------


def item_visible_clause(principal: Principal) -> ColumnElement[bool]:
    reach = principal.reach(Permission.ITEM_READ)
    if reach is None:
        return false()
    if reach is Reach.ALL:
        return true()
    org = principal.organisation_id
    if org is None:
        return false()
    reported = (
        select(ReportItem.item_id)
        .join(Report, Report.id == ReportItem.report_id)
        .where(Report.reporter_organisation_id == org)
    )
    return or_(
        ContentItem.assigned_organisation_id == org,
        ContentItem.lea_organisation_id == org,
        ContentItem.id.in_(reported),
    )


def get_item(session: Session, principal: Principal, reference: str) -> ContentItem:
    authorize(principal, Permission.ITEM_READ)
    item = session.execute(
        select(ContentItem).where(
            ContentItem.reference == reference.strip().upper(), item_visible_clause(principal)
        )
    ).scalar_one_or_none()
    if item is None:
        raise NotFound(f"no item {reference}")
    return item


def list_items(
    session: Session,
    principal: Principal,
    *,
    stage: ItemStage | None = None,
    country: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ContentItem]:
    authorize(principal, Permission.ITEM_READ)
    query = select(ContentItem).where(item_visible_clause(principal))
    if stage is not None:
        query = query.where(ContentItem.stage == stage)
    if country:
        query = query.where(ContentItem.country_code == country.upper())
    if search:
        term = search.strip()
        query = query.where(
            or_(ContentItem.reference == term.upper(), ContentItem.url.contains(term))
        )
    query = query.order_by(ContentItem.received_at.desc(), ContentItem.id.desc())
    return list(session.execute(query.limit(min(limit, 1000)).offset(offset)).scalars())


# --- intake --------------------------------------------------------------------------


def _digest(data: ReportIn) -> str:
    return hashlib.sha256(
        orjson.dumps(data.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


def _normalise_all(reports: Sequence[ReportIn]) -> list[list[tuple[str, NormalisedUrl]]]:
    """Every URL normalised up front: one bad URL refuses the whole request, naming it."""
    problems = []
    out = []
    for r_index, report in enumerate(reports):
        urls: list[tuple[str, NormalisedUrl]] = []
        seen = set()
        for u_index, raw in enumerate(report.urls):
            try:
                normalised = normalise_url(raw)
            except InvalidInput as exc:
                where = f"report {r_index + 1}, " if len(reports) > 1 else ""
                problems.append(f"{where}url {u_index + 1} ({raw[:80]!r}): {exc.message}")
                continue
            if normalised.url not in seen:
                seen.add(normalised.url)
                urls.append((raw, normalised))
        out.append(urls)
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InvalidInput(f"nothing was saved: {shown}{more}")
    return out


def _receipt(
    session: Session,
    report: Report,
    *,
    named: Sequence[tuple[str, ContentItem]] | None = None,
    new_items: Collection[int] = (),
    replayed: bool = False,
    holds: Sequence[Hold] | None = None,
) -> ReportReceipt:
    """What a reporter learns of its report: each URL's item, new or joined, and whether a
    hold keeps its notice back. ``named`` (URL as submitted, item) when the caller has them
    in hand; otherwise read from the report's links."""
    holds = holds_.active_holds(session) if holds is None else holds
    if named is None:
        named = [(link.submitted_url, link.item) for link in report.links]
    items = [
        ReportItemOut(
            url=item.url,
            submitted_url=submitted,
            item=item.reference,
            new=item.id in new_items,
            on_hold_until=holds_.hold_status(session, item, holds=holds).until,
        )
        for submitted, item in named
    ]
    return ReportReceipt(
        reference=report.reference,
        received_at=report.received_at,
        items=items,
        replayed=replayed,
    )


def _replay(
    session: Session, org_id: int | None, key: str, reports: Sequence[ReportIn]
) -> list[ReportReceipt] | None:
    """The receipts of an earlier request with this Idempotency-Key, or None."""
    keys = [key] if len(reports) == 1 else [f"{key}:{i}" for i in range(len(reports))]
    earlier = {
        r.idempotency_key: r
        for r in session.execute(
            select(Report).where(
                Report.reporter_organisation_id == org_id,
                or_(
                    Report.idempotency_key == key,
                    Report.idempotency_key.startswith(f"{key}:", autoescape=True),
                ),
            )
        ).scalars()
    }
    if not earlier:
        return None
    if set(earlier) != set(keys) or any(
        earlier[k].request_digest != _digest(r) for k, r in zip(keys, reports, strict=True)
    ):
        raise Conflict(
            "this Idempotency-Key was used before with a different request; use a new key"
        )
    return [_receipt(session, earlier[k], replayed=True) for k in keys]


def _open_items(session: Session, urls: Sequence[str]) -> dict[str, ContentItem]:
    found: dict[str, ContentItem] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        for item in session.execute(
            select(ContentItem).where(ContentItem.open_url.in_(chunk))
        ).scalars():
            assert item.open_url is not None
            found[item.open_url] = item
    return found


def _removed_before(session: Session, urls: Sequence[str]) -> dict[str, int]:
    """The latest removed item of each URL: a new report of it is a re-appearance."""
    found: dict[str, int] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        rows = session.execute(
            select(ContentItem.url, ContentItem.id)
            .where(ContentItem.url.in_(chunk), ContentItem.stage == ItemStage.removed)
            .order_by(ContentItem.id)
        )
        for url, item_id in rows:
            found[url] = item_id
    return found


def submit_reports(
    session: Session,
    actor: Principal | SystemActor,
    reports: Sequence[ReportIn],
    *,
    source: ReportSource | None = None,
    idempotency_key: str | None = None,
    reporter_contact: str | None = None,
) -> list[ReportReceipt]:
    """Take in reports, all or nothing: each URL joins its open item or opens a new one.

    Safe under concurrent requests: a URL another request opened meanwhile is joined (the
    unique ``open_url`` decides), and report counts are incremented in SQL, not in Python.
    Audit events are written last, so the audit chain's lock is held only briefly.
    """
    org_id = actor.organisation_id
    if isinstance(actor, Principal):
        authorize(actor, Permission.REPORT_SUBMIT)
        if source is None:
            kind = actor.organisation_kind.value if actor.organisation_kind else "secretariat"
            source = SOURCE_FOR_KIND[kind]
    source = source or ReportSource.public
    if all(r.origin == "scanner" for r in reports) and source is not ReportSource.public:
        source = ReportSource.scanner
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not 1 <= len(idempotency_key) <= 150:
            raise InvalidInput("Idempotency-Key must be 1 to 150 characters")
        replayed = _replay(session, org_id, idempotency_key, reports)
        if replayed is not None:
            return replayed
    normalised = _normalise_all(reports)
    distinct = {n.url: n for urls in normalised for _, n in urls}
    open_items = _open_items(session, sorted(distinct))
    removed = _removed_before(session, [u for u in distinct if u not in open_items])
    now = utcnow()

    saved: list[Report] = []
    for index, data in enumerate(reports):
        key = None
        if idempotency_key is not None:
            key = idempotency_key if len(reports) == 1 else f"{idempotency_key}:{index}"
        saved.append(
            Report(
                reference=references.new("R"),
                source=source,
                reporter_organisation_id=org_id,
                reporter_contact=reporter_contact,
                description=data.description,
                country_hint=data.country_hint,
                hashes=[h.model_dump() for h in data.hashes],
                idempotency_key=key,
                request_digest=_digest(data) if key else None,
                actor=actor.audit_label,
                received_at=now,
            )
        )
    session.add_all(saved)
    # Sorted, so that concurrent requests take the unique index's locks in one order and
    # cannot deadlock on each other's new URLs.
    created = _open_new_items(
        session,
        [distinct[url] for url in sorted(distinct) if url not in open_items],
        removed,
        now,
        open_items,
    )

    joins: dict[int, int] = {}
    first_mention = set(created)
    touched_by_report: list[list[ContentItem]] = []
    new_by_report: list[set[int]] = []
    session.flush()  # report ids
    # Links and timeline rows in bulk (plain executemany: thousands of rows a request).
    links: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    def event(item: ContentItem, kind: str, details: dict[str, Any]) -> None:
        events.append(
            {
                "item_id": item.id,
                "kind": kind,
                "actor": actor.audit_label,
                "organisation_id": org_id,
                "details": details,
                "at": now,
            }
        )

    for report, urls in zip(saved, normalised, strict=True):
        touched: list[ContentItem] = []
        fresh: set[int] = set()
        for raw, n in urls:
            item = open_items[n.url]
            links.append({"report_id": report.id, "item_id": item.id, "submitted_url": raw[:4000]})
            details = {"report": report.reference, "source": source.value}
            if item.id in first_mention:
                first_mention.discard(item.id)
                fresh.add(item.id)
                event(item, "received", details)
                if item.reappearance_of_id is not None:
                    event(item, "reappeared", {"earlier_item_id": item.reappearance_of_id})
            else:
                joins[item.id] = joins.get(item.id, 0) + 1
                event(item, "report_joined", details)
            touched.append(item)
        touched_by_report.append(touched)
        new_by_report.append(fresh)
    session.execute(insert(ReportItem), links)
    session.execute(insert(ItemEvent), events)
    by_count: dict[int, list[int]] = {}
    for item_id, count in joins.items():
        by_count.setdefault(count, []).append(item_id)
    for count, item_ids in sorted(by_count.items()):
        # Incremented in SQL, never read-modify-write; ids sorted so that concurrent
        # requests lock the rows in one order.
        session.execute(
            update(ContentItem)
            .where(ContentItem.id.in_(sorted(item_ids)))
            .values(report_count=ContentItem.report_count + count)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    for item in open_items.values():
        # Counts and links changed in SQL: read them again when next needed.
        session.expire(item, ["report_count", "links"])
    for report in saved:
        session.expire(report, ["links"])

    holds = holds_.active_holds(session)
    watched = cooperation.active_targets(session)
    receipts = []
    entries = []
    for report, urls, touched, fresh in zip(
        saved, normalised, touched_by_report, new_by_report, strict=True
    ):
        if watched:
            for item in touched:
                holds_.touch(session, item, actor, "report", watched=watched)
        entries.append(
            AuditEntry(
                EventType.REPORT_RECEIVED,
                "report",
                report.reference,
                {
                    "source": source.value,
                    "items": [i.reference for i in touched][:50],
                    "new_items": len(fresh),
                },
                org_id,
            )
        )
        named = [(raw[:4000], item) for (raw, _n), item in zip(urls, touched, strict=True)]
        receipts.append(_receipt(session, report, named=named, new_items=fresh, holds=holds))
    record_many(session, actor, entries)
    return receipts


def _open_new_items(
    session: Session,
    wanted: Sequence[NormalisedUrl],
    removed: dict[str, int],
    now: datetime,
    open_items: dict[str, ContentItem],
) -> set[int]:
    """Open an item for each URL; a URL another request opened meanwhile is joined instead.
    Adds them to ``open_items``; returns the ids of the items really created here."""

    def new_item(n: NormalisedUrl) -> ContentItem:
        return ContentItem(
            reference=references.new("I"),
            url=n.url,
            open_url=n.url,
            host=n.host,
            stage=ItemStage.received,
            report_count=1,
            notice_count=0,
            reappearance_of_id=removed.get(n.url),
            received_at=now,
        )

    created: list[ContentItem] = []
    try:
        with session.begin_nested():  # all at once; the rare race falls back to one by one
            created = [new_item(n) for n in wanted]
            session.add_all(created)
            session.flush()
    except IntegrityError:
        created = []
        for n in wanted:
            item = new_item(n)
            try:
                with session.begin_nested():
                    session.add(item)
                    session.flush()
                created.append(item)
            except IntegrityError:
                existing = session.execute(
                    select(ContentItem).where(ContentItem.open_url == n.url)
                ).scalar_one()
                open_items[n.url] = existing
    for item in created:
        open_items[item.url] = item
        # A new item's first action: its key cannot exist yet.
        session.add(
            ScheduledAction(
                key=f"resolve:{item.id}:0",
                kind=ActionKind.resolve,
                item_id=item.id,
                due_at=now,
                attempts=0,
            )
        )
    return {item.id for item in created}


# --- routing -------------------------------------------------------------------------


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


def _route_to(
    session: Session, item: ContentItem, country: str, settings: Settings, now: datetime
) -> CountryRoute:
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
    if item.stage in (ItemStage.received, ItemStage.unresolved):
        if item.classification is None:
            item.stage = ItemStage.awaiting_assessment
        elif item.classification.illegal:
            item.stage = ItemStage.notice_pending
    return route


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
                item.stage = ItemStage.unresolved
                add_event(session, item, "unresolved", actor, {"error": result.error})
                record(
                    session,
                    actor,
                    EventType.ITEM_UNRESOLVED,
                    "item",
                    item.reference,
                    {"error": result.error},
                )
        else:
            add_event(session, item, "resolution_failed", actor, {"error": result.error})
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
        route = _route_to(session, item, result.country_code, settings, now)
        details["routed_to"] = route.queue.name if route.queue else None
        details["lea"] = route.lea.name if route.lea else None
        add_event(session, item, "routed", actor, details)
        record(session, actor, EventType.ITEM_ROUTED, "item", item.reference, details)
        if route.lea is not None:
            add_event(
                session,
                item,
                "lea_informed",
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
        if before[0] != result.country_code:
            route = _route_to(session, item, result.country_code, settings, now)
            details["routed_to"] = route.queue.name if route.queue else None
        add_event(session, item, "moved", actor, details)
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
        raise InvalidInput("name the hosting country")
    previous = item.country_code
    route = _route_to(session, item, country, settings, utcnow())
    details = {
        "country": country,
        "from": previous,
        "routed_to": route.queue.name if route.queue else None,
        "note": data.note,
    }
    add_event(session, item, "routed", principal, details)
    record(session, principal, EventType.ITEM_ROUTED, "item", item.reference, details)
    if item.stage is ItemStage.notice_pending:
        schedule.schedule_notice(session, item, reschedule=True)
    return item


# --- the assessment queue ------------------------------------------------------------


def _queue_clause(principal: Principal) -> ColumnElement[bool]:
    if principal.organisation_id is not None:
        return ContentItem.assigned_organisation_id == principal.organisation_id
    return ContentItem.assigned_organisation_id.is_(None)


def queue(session: Session, principal: Principal, limit: int = 100) -> list[ContentItem]:
    """Items waiting for this organisation's assessment, oldest first, claimed ones too."""
    authorize(principal, Permission.ITEM_ASSESS)
    query = (
        select(ContentItem)
        .where(_queue_clause(principal), ContentItem.stage.in_(QUEUE_STAGES))
        .order_by(ContentItem.received_at, ContentItem.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim_next(session: Session, principal: Principal, settings: Settings) -> ContentItem | None:
    """The oldest unclaimed item of the queue, claimed for this analyst. Two analysts
    never get the same item: PostgreSQL skips rows another transaction has locked, and
    SQLite's single writer makes the select-and-claim atomic."""
    authorize(principal, Permission.ITEM_ASSESS)
    now = utcnow()
    query = (
        select(ContentItem)
        .where(
            _queue_clause(principal),
            ContentItem.stage.in_(QUEUE_STAGES),
            or_(ContentItem.claimed_by.is_(None), ContentItem.claim_expires_at < now),
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


def _claim(
    session: Session, principal: Principal, item: ContentItem, settings: Settings, now: datetime
) -> None:
    item.claimed_by = claimant(principal)
    item.claimed_by_user_id = principal.user_id
    item.claim_expires_at = now + timedelta(minutes=settings.claim_minutes)
    add_event(session, item, "claimed", principal, {"until": item.claim_expires_at.isoformat()})
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


def claim_item(
    session: Session, principal: Principal, reference: str, settings: Settings
) -> ContentItem:
    item = get_item(session, principal, reference)
    authorize(principal, Permission.ITEM_ASSESS, item)
    if item.stage not in ASSESSABLE_STAGES:
        raise Conflict(f"item {item.reference} is {item.stage.value}; there is nothing to assess")
    if claimed_by_other(item, principal):
        raise Conflict(f"item {item.reference} is being assessed by another analyst")
    _claim(session, principal, item, settings, utcnow())
    return item


def release_item(session: Session, principal: Principal, reference: str) -> ContentItem:
    item = get_item(session, principal, reference)
    authorize(principal, Permission.ITEM_ASSESS, item)
    if claimed_by_other(item, principal):
        raise Conflict(f"item {item.reference} is claimed by another analyst")
    if item.claimed_by is not None:
        item.claimed_by = None
        item.claimed_by_user_id = None
        item.claim_expires_at = None
        add_event(session, item, "released", principal)
        record(session, principal, EventType.ITEM_RELEASED, "item", item.reference, {})
    return item


def assess_item(
    session: Session, principal: Principal, reference: str, data: AssessmentIn, settings: Settings
) -> Assessment:
    item = get_item(session, principal, reference)
    authorize(principal, Permission.ITEM_ASSESS, item)
    if item.stage not in ASSESSABLE_STAGES:
        raise Conflict(f"item {item.reference} is {item.stage.value}; it can no longer be assessed")
    if claimed_by_other(item, principal):
        raise Conflict(f"item {item.reference} is being assessed by another analyst")
    if data.propose_to_bank and not data.classification.illegal:
        raise InvalidInput("only hashes of illegal material (baseline or national) go to a bank")
    if data.propose_to_bank and not data.hashes:
        raise InvalidInput("give the hashes to propose to the bank")
    now = utcnow()
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
    item.claimed_by = None
    item.claimed_by_user_id = None
    item.claim_expires_at = None
    if data.classification.illegal:
        if item.stage is ItemStage.awaiting_assessment:
            item.stage = ItemStage.notice_pending
        if item.stage is ItemStage.notice_pending:
            due = schedule.schedule_notice(session, item)
            add_event(
                session,
                item,
                "notice_scheduled",
                principal,
                {
                    "due_at": due.isoformat(),
                    "waits_for": "the LEA's window"
                    if item.lea_window_ends_at is not None and item.lea_window_ends_at > now
                    else None,
                },
            )
    else:
        item.stage = ItemStage.closed
        item.closed_at = now
        item.open_url = None
        schedule.cancel_for_item(session, item.id)
    details = {"classification": data.classification.value, "hashes": len(data.hashes)}
    add_event(session, item, "assessed", principal, details)
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
            "hashes_proposed",
            principal,
            {"bank": data.propose_to_bank, "count": len(entries)},
        )
    return assessment


# --- reading -------------------------------------------------------------------------


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


def item_detail(session: Session, principal: Principal, item: ContentItem) -> ItemDetail:
    names = organisation_names(session)
    events = session.execute(
        select(ItemEvent).where(ItemEvent.item_id == item.id).order_by(ItemEvent.at, ItemEvent.id)
    ).scalars()
    assessments = session.execute(
        select(Assessment).where(Assessment.item_id == item.id).order_by(Assessment.assessed_at)
    ).scalars()
    notices = session.execute(
        select(Notice).where(Notice.item_id == item.id).order_by(Notice.created_at, Notice.id)
    ).scalars()
    # A platform sees its own reports of the item, not who else reported it.
    own_only = principal.reach(
        Permission.ITEM_READ
    ) is not Reach.ALL and principal.organisation_id not in (
        item.assigned_organisation_id,
        item.lea_organisation_id,
    )
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
            EventOut(
                at=e.at,
                kind=e.kind,
                actor=e.actor if not own_only else "",
                organisation=names.get(e.organisation_id) if e.organisation_id else None,
                details=e.details,
            )
            for e in events
            if not own_only or e.kind not in ("claimed", "released", "report_joined")
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


def get_report(session: Session, principal: Principal, reference: str) -> ReportReceipt:
    authorize(principal, Permission.ITEM_READ)
    report = session.execute(
        select(Report).where(Report.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if report is None:
        raise NotFound(f"no report {reference}")
    if principal.reach(Permission.ITEM_READ) is not Reach.ALL:
        visible = report.reporter_organisation_id == principal.organisation_id or any(
            principal.organisation_id
            in (link.item.assigned_organisation_id, link.item.lea_organisation_id)
            for link in report.links
        )
        if not visible:
            raise NotFound(f"no report {reference}")
    return _receipt(session, report)


# --- LEA clearance and re-checks on request ------------------------------------------


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
    add_event(session, item, "lea_cleared", principal)
    record(session, principal, EventType.ITEM_CLEARED, "item", item.reference, {})
    if item.stage in (ItemStage.notice_pending, ItemStage.notified):
        schedule.schedule_notice(session, item, reschedule=True)
    return item


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
    schedule.schedule(
        session,
        f"recheck:{item.id}:asked:{now.timestamp():.0f}",
        ActionKind.recheck,
        now,
        item_id=item.id,
    )
    add_event(session, item, "recheck_requested", principal)
    record(session, principal, EventType.ITEM_RECHECK_REQUESTED, "item", item.reference, {})
    return item


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
                        _queue_clause(principal), ContentItem.stage.in_(QUEUE_STAGES)
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
