"""Reports in: each URL joins its open item or opens a new one, all or nothing.

A request's reports are normalised up front (one bad URL refuses the whole request), an
``Idempotency-Key`` replays the earlier receipts instead of reporting twice, and a URL
removed before opens a new item marked as its reappearance. The reporter gets a receipt:
each URL's item, new or joined, and whether a hold keeps its notice back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType
from alliance.audit.services import AuditEntry, SystemActor, record_many
from alliance.cooperation import services as cooperation
from alliance.db import like
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput
from alliance.hosting.urls import NormalisedUrl, normalise_url
from alliance.takedown import access
from alliance.takedown import holds as holds_
from alliance.takedown.models import (
    ContentItem,
    EventKind,
    Hold,
    ItemEvent,
    ItemStage,
    Report,
    ReportItem,
    ReportSource,
    ScheduledAction,
)
from alliance.takedown.schedule import ActionKey
from alliance.takedown.schemas import (
    SOURCE_FOR_KIND,
    ReportIn,
    ReportItemOut,
    ReportReceipt,
)

PUBLIC = SystemActor(audit_label="public")


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
        raise InvalidInput(f"nothing was saved: {shown}{more}", field="urls")
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
                    like.startswith(Report.idempotency_key, f"{key}:"),
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

    def event(item: ContentItem, kind: EventKind, details: dict[str, Any]) -> None:
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
                event(item, EventKind.received, details)
                if item.reappearance_of_id is not None:
                    event(item, EventKind.reappeared, {"earlier_item_id": item.reappearance_of_id})
            else:
                joins[item.id] = joins.get(item.id, 0) + 1
                event(item, EventKind.report_joined, details)
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
        key = ActionKey.resolve(item.id)
        session.add(
            ScheduledAction(key=str(key), kind=key.kind, item_id=item.id, due_at=now, attempts=0)
        )
    return {item.id for item in created}


def get_report(session: Session, principal: Principal, reference: str) -> ReportReceipt:
    return _receipt(session, access.get_report(session, principal, reference))
