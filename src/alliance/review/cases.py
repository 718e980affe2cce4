"""Cases: opened from an upload's matches, listed as the queue, read one at a time.

:func:`open_case` is the one entry for the upload service of member mode: it opens a case
for the content (or adds the matches to the content's undecided case), applies the action
rules (:mod:`alliance.review.rules`) and records each rule's effect on the case, in the
caller's transaction, every step audited.

The queue lists undecided cases oldest first. With 100,000 and more open, a page reads one
range of the index ``(organisation_id, undecided, opened_at, id)``; the counts of the tabs
come from ``review_case_counts`` (kept by :func:`set_status`), and a filtered count stops
at :data:`COUNT_CAP` (the page says "10,000+"), so no request counts every case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, TypeVar

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from alliance import references
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize, organisation_scope
from alliance.audit import EventType, record
from alliance.db.base import utcnow
from alliance.db.listing import Listing
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.review import rules
from alliance.review.models import ACTIVE, Case, CaseCount, CaseStatus
from alliance.review.models import CaseMatch as MatchRow
from alliance.review.schemas import (
    CaseMatch,
    CaseOut,
    CaseRow,
    ContentRef,
    DecisionOut,
    EffectOut,
    MatchOut,
)
from alliance.settings import Settings, get_settings

#: A filtered count stops here: "10,000+" is as useful as the exact figure, and cheaper.
COUNT_CAP = 10_000
CASE_SORTS: dict[str, Any] = {"opened": Case.opened_at}
_S = TypeVar("_S", bound=Select[Any])


def _bad(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, field=field)


def check_content(content: ContentRef, settings: Settings) -> None:
    """Refuse a reference to media outside the platform's own storage: a path that is
    absolute or climbs out of the media root, a URL under no allow-listed prefix."""
    if content.media_path is not None:
        if settings.resolved_review_media_root() is None:
            raise _bad("no media root is configured (ALLIANCE_REVIEW_MEDIA_ROOT)", "media_path")
        path = PurePosixPath(content.media_path)
        if path.is_absolute() or ".." in path.parts or "\\" in content.media_path:
            raise _bad(
                "the media path must be relative to the media root, without '..'", "media_path"
            )
    if content.media_url is not None and not url_allowed(content.media_url, settings):
        raise _bad("the media URL is not under an allow-listed prefix", "media_url")


def url_allowed(url: str, settings: Settings) -> bool:
    """Under a configured prefix, and no way out of it (no '..', no '@', no backslash,
    nor their percent-encoded forms, which a storage server may decode)."""
    lowered = url.lower()
    if any(bad in lowered for bad in ("..", "@", "\\", "#", "%2e", "%2f", "%5c", "%40")):
        return False
    return any(url.startswith(prefix) for prefix in settings.review_media_url_prefixes)


def open_case(
    session: Session,
    actor: Principal,
    content: ContentRef,
    matches: Sequence[CaseMatch],
    *,
    settings: Settings | None = None,
) -> Case:
    """Open a case for ``content`` from its ``matches``, or add them to its undecided case;
    apply the action rules to the new matches and record their effects on the case."""
    authorize(actor, Permission.CASE_OPEN)
    settings = settings or get_settings()
    if actor.organisation_id is None:
        raise InvalidInput("cases belong to an organisation: open them with its API key")
    if not matches:
        raise InvalidInput("a case needs at least one match", field="matches")
    check_content(content, settings)
    case = _active_case(session, actor.organisation_id, content.content_id)
    if case is None:
        case = _new_case(session, actor, content, matches)
    added = _add_matches(session, actor, case, matches)
    rules.apply(session, actor, case, added, settings)
    return case


def _active_case(session: Session, organisation_id: int, content_id: str) -> Case | None:
    """The content's undecided case, locked: two matches added at once are added in turn
    (each sees the other's matches and counts)."""
    return session.execute(
        select(Case)
        .where(Case.organisation_id == organisation_id, Case.active_key == content_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _new_case(
    session: Session, actor: Principal, content: ContentRef, matches: Sequence[CaseMatch]
) -> Case:
    assert actor.organisation_id is not None  # checked by open_case
    case = Case(
        reference=references.new("RC"),
        organisation_id=actor.organisation_id,
        content_id=content.content_id,
        media_path=content.media_path,
        media_url=content.media_url,
        active_key=content.content_id,
        status=CaseStatus.open,
        undecided=True,
        best_distance=min(m.distance for m in matches),
        match_count=0,
    )
    try:
        # A second upload of the same content, opened at the same moment on PostgreSQL,
        # meets the unique (organisation, active_key): this one adds to that case instead.
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        found = _active_case(session, actor.organisation_id, content.content_id)
        if found is None:
            raise
        return found
    count(session, case.organisation_id, CaseStatus.open, +1)
    record(
        session,
        actor,
        EventType.CASE_OPENED,
        "review_case",
        case.reference,
        {"content_id": content.content_id},
    )
    return case


def _add_matches(
    session: Session, actor: Principal, case: Case, matches: Sequence[CaseMatch]
) -> list[MatchRow]:
    """The matches the case did not hold yet (the same bank entry again is no news)."""
    held = {(m.bank, m.entry_id) for m in case.matches}
    added: list[MatchRow] = []
    for match in matches:
        if (match.bank, match.entry_id) in held:
            continue
        held.add((match.bank, match.entry_id))
        row = MatchRow(
            bank=match.bank,
            entry_id=match.entry_id,
            signal_type=match.signal_type,
            category=match.category,
            verification=match.verification,
            distance=match.distance,
            variant=match.variant,
            form=match.form,
        )
        case.matches.append(row)
        added.append(row)
    if not added:
        return added
    case.match_count += len(added)
    case.best_distance = min(case.best_distance, *(m.distance for m in added))
    case.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        EventType.CASE_MATCH_ADDED,
        "review_case",
        case.reference,
        {
            "matches": [
                {"bank": m.bank, "entry_id": m.entry_id, "distance": m.distance} for m in added
            ]
        },
    )
    return added


# --- status and counts ------------------------------------------------------------------


def count(session: Session, organisation_id: int, status: CaseStatus, delta: int) -> None:
    """Add ``delta`` to the organisation's count of cases in ``status``."""
    changed = session.execute(
        update(CaseCount)
        .where(CaseCount.organisation_id == organisation_id, CaseCount.status == status)
        .values(count=CaseCount.count + delta)
    )
    if changed.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(CaseCount(organisation_id=organisation_id, status=status, count=delta))
    except IntegrityError:  # another transaction added the row first
        count(session, organisation_id, status, delta)


def set_status(session: Session, case: Case, status: CaseStatus) -> None:
    """Move the case to ``status``, keeping the counts and the content's active key."""
    if status is case.status:
        return
    was_undecided = case.status in ACTIVE
    count(session, case.organisation_id, case.status, -1)
    count(session, case.organisation_id, status, +1)
    case.status = status
    case.undecided = status in ACTIVE
    case.updated_at = utcnow()
    if status in ACTIVE:
        case.active_key = case.content_id
        case.decided_at = None
    else:
        case.active_key = None
        if was_undecided or case.decided_at is None:  # closing keeps the decision's time
            case.decided_at = case.updated_at


def status_counts(session: Session, principal: Principal) -> dict[CaseStatus, int]:
    """Cases per status (the principal's organisation's; every one's for Reach.ALL)."""
    authorize(principal, Permission.CASE_READ)
    scope = organisation_scope(principal, Permission.CASE_READ)
    stmt = select(CaseCount.status, func.sum(CaseCount.count)).group_by(CaseCount.status)
    if scope is not None:
        stmt = stmt.where(CaseCount.organisation_id == scope)
    found = {CaseStatus(s): int(n or 0) for s, n in session.execute(stmt)}
    return {status: found.get(status, 0) for status in CaseStatus}


def waiting_count(session: Session, principal: Principal) -> int:
    """Undecided cases, for the navigation's count."""
    counts = status_counts(session, principal)
    return sum(counts[s] for s in ACTIVE)


# --- the queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """``status`` None: every undecided case (open, awaiting second review, escalated)."""

    status: CaseStatus | None = None
    bank: str | None = None
    overdue: bool = False


def sla_deadline(settings: Settings, now: datetime | None = None) -> datetime:
    """Cases opened before this are overdue (when still undecided)."""
    return (now or utcnow()) - timedelta(hours=settings.review_sla_hours)


def list_cases(
    session: Session,
    principal: Principal,
    listing: Listing,
    where: QueueFilter = QueueFilter(),
    *,
    settings: Settings | None = None,
) -> tuple[list[Case], int, bool]:
    """A page of cases, oldest first unless ``listing`` says otherwise; with their count
    (exact from the counts table when unfiltered, else up to :data:`COUNT_CAP`) and whether
    the count was capped."""
    authorize(principal, Permission.CASE_READ)
    settings = settings or get_settings()
    scope = organisation_scope(principal, Permission.CASE_READ)
    statuses = list(ACTIVE) if where.status is None else [where.status]
    clauses: list[Any] = []
    if scope is not None:
        clauses.append(Case.organisation_id == scope)
    if where.status is None:
        clauses.append(Case.undecided.is_(True))
    else:
        clauses.append(Case.status == where.status)
    if where.overdue:
        clauses.append(Case.opened_at < sla_deadline(settings))
        clauses.append(Case.undecided.is_(True))
    if where.bank:
        clauses.append(exists().where(MatchRow.case_id == Case.id, MatchRow.bank == where.bank))
    # A row of the queue needs none of a case's matches, decisions or effects.
    page = (
        select(Case)
        .where(*clauses)
        .options(lazyload(Case.matches), lazyload(Case.decisions), lazyload(Case.effects))
    )
    found = list(session.execute(_in_queue_order(page, listing)).scalars())
    if not where.bank and not where.overdue:
        counts = status_counts(session, principal)
        return found, sum(counts[s] for s in statuses), False
    capped = select(Case.id).where(*clauses).limit(COUNT_CAP + 1).subquery()
    total = int(session.execute(select(func.count()).select_from(capped)).scalar_one())
    return found, min(total, COUNT_CAP), total > COUNT_CAP


def _in_queue_order(stmt: _S, listing: Listing) -> _S:
    """Oldest first (newest first when ``listing`` is descending), the page it asks for.

    The order is the queue indexes' own, ``(opened_at, id)``, both ways alike and without a
    NULLS clause (``opened_at`` is never NULL), so that a page is one range of the index
    read forwards or backwards, with no sort. The listings' shared order
    (:func:`alliance.db.listing.ordered`) says ``opened_at NULLS LAST`` and then ``id``
    ascending whichever way: PostgreSQL then sorts every undecided case for a newest-first
    page, and SQLite sorts within each time."""
    if listing.sort is not None and listing.sort not in CASE_SORTS:
        raise InvalidInput(
            f"cannot sort by {listing.sort!r}; choose one of {', '.join(sorted(CASE_SORTS))}",
            field="sort",
        )
    if listing.descending and listing.sort is not None:
        stmt = stmt.order_by(Case.opened_at.desc(), Case.id.desc())
    else:
        stmt = stmt.order_by(Case.opened_at.asc(), Case.id.asc())
    stmt = stmt.offset(listing.offset)
    return stmt if listing.limit is None else stmt.limit(listing.limit)


def get_case(
    session: Session, principal: Principal, reference: str, *, for_change: bool = False
) -> Case:
    """The case, if the principal may see it; ``for_change`` locks it (and reads it
    afresh), so that two reviewers deciding it at once decide it in turn."""
    authorize(principal, Permission.CASE_READ)
    stmt = select(Case).where(Case.reference == reference)
    if for_change:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    case = session.execute(stmt).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no case {reference}")
    try:
        authorize(principal, Permission.CASE_READ, case)
    except PermissionDenied:
        raise NotFound(f"no case {reference}") from None
    return case


def assign_to_me(session: Session, principal: Principal, reference: str) -> Case:
    """Take the case: its assignee is the principal (audited; a case may change hands)."""
    case = get_case(session, principal, reference, for_change=True)
    authorize(principal, Permission.CASE_DECIDE, case)
    if case.status not in ACTIVE:
        raise InvalidInput(f"case {reference} is decided ({case.status.value})")
    case.assignee, case.assignee_user_id = principal.audit_label, principal.user_id
    case.updated_at = utcnow()
    record(session, principal, EventType.CASE_ASSIGNED, "review_case", reference, {})
    return case


# --- outputs ------------------------------------------------------------------------------


def _age(case: Case, now: datetime) -> float:
    end = case.decided_at or now
    return round((end - case.opened_at).total_seconds() / 3600, 2)


def _overdue(case: Case, settings: Settings, now: datetime) -> bool:
    return case.status in ACTIVE and case.opened_at < sla_deadline(settings, now)


def case_row(case: Case, settings: Settings, now: datetime) -> CaseRow:
    return CaseRow(
        reference=case.reference,
        content_id=case.content_id,
        status=case.status,
        opened_at=case.opened_at,
        age_hours=_age(case, now),
        overdue=_overdue(case, settings, now),
        assignee=case.assignee,
        best_distance=case.best_distance,
        match_count=case.match_count,
    )


def case_out(case: Case, settings: Settings | None = None) -> CaseOut:
    settings = settings or get_settings()
    now = utcnow()
    return CaseOut(
        reference=case.reference,
        content_id=case.content_id,
        media_path=case.media_path,
        media_url=case.media_url,
        status=case.status,
        opened_at=case.opened_at,
        decided_at=case.decided_at,
        age_hours=_age(case, now),
        overdue=_overdue(case, settings, now),
        assignee=case.assignee,
        best_distance=case.best_distance,
        match_count=case.match_count,
        matches=[
            MatchOut(
                id=m.id,
                bank=m.bank,
                entry_id=m.entry_id,
                signal_type=m.signal_type,
                category=m.category,
                verification=m.verification,
                distance=m.distance,
                variant=m.variant,
                form=m.form,
                matched_at=m.matched_at,
                feedback=m.feedback,
            )
            for m in case.matches
        ],
        decisions=[
            DecisionOut(
                decision=d.decision,
                reviewer=d.reviewer,
                reason=d.reason,
                result=d.result,
                decided_at=d.decided_at,
            )
            for d in case.decisions
        ],
        effects=[
            EffectOut(
                rule_id=e.rule_id,
                match_id=e.match_id,
                action=e.action,
                outcome=e.outcome,
                detail=e.detail,
                applied_at=e.applied_at,
            )
            for e in case.effects
        ],
        closed_at=case.closed_at,
        closed_by=case.closed_by,
        cybertipline_progress=case.cybertipline_progress,
        dsa_progress=case.dsa_progress,
        police_progress=case.police_progress,
    )
