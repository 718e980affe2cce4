"""Appeals: a site owner who believes a URL is wrongly listed asks for it to be delisted.

Anyone may appeal, without an account (site owners are outside the alliance), through the
public form — a proof of work and the hourly limit per address that every public form
has — on the page or the API. Only a URL that is on the list can be appealed: any other
is refused with a message saying so, and no appeal is written; the refusal is audited and
counts against the address's limit, like every public submission. A hotline analyst
reviews the appeal and records the outcome with reasons: **upheld** takes the URL off the
list (the next delta tells every subscriber), **rejected** leaves it. One appeal per URL
waits at a time.
Every step is audited; the appellant's contact and reasons stay in the appeal, not in
the audit details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance import references
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import AuditActor, EventType, SystemActor, record
from alliance.blocklists import lists, urls
from alliance.blocklists.models import Appeal, AppealStatus, DelistReason, ListName
from alliance.blocklists.schemas import AppealDecisionIn, AppealIn, AppealOut, PublicAppealIn
from alliance.db.base import utcnow
from alliance.db.listing import Listing, ordered
from alliance.errors import AllianceError, Conflict, InvalidInput, NotFound
from alliance.settings import Settings
from alliance.takedown.public import spend_challenge

#: Who an appeal comes from in the audit log: the public, whose contact stays in the appeal.
APPELLANT = SystemActor(audit_label="public:appeal")

APPEAL_SORTS: dict[str, Any] = {
    "received_at": Appeal.received_at,
    "status": Appeal.status,
    "decided_at": Appeal.decided_at,
}


def submit_appeal(session: Session, data: AppealIn, actor: AuditActor = APPELLANT) -> Appeal:
    """Record an appeal against a listed URL. Refused (nothing written) when the URL is
    not a URL, is not on the list, or already has an appeal waiting."""
    try:
        entry = urls.listed_entry(session, data.url)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="url") from None
    waiting = session.execute(
        select(Appeal.reference).where(
            Appeal.entry_id == entry.id, Appeal.status == AppealStatus.pending
        )
    ).scalar_one_or_none()
    if waiting is not None:
        raise Conflict(
            f"an appeal for {entry.url} is already waiting for review ({waiting})", field="url"
        )
    appeal = Appeal(
        reference=references.new("AP"),
        url=entry.url,
        entry_id=entry.id,
        contact=data.contact,
        reason=data.reason,
        status=AppealStatus.pending,
        outcome="",
    )
    session.add(appeal)
    session.flush()
    record(
        session,
        actor,
        EventType.APPEAL_RECEIVED,
        "appeal",
        appeal.reference,
        {"entry": entry.id, "host": entry.host},
    )
    return appeal


@dataclass(frozen=True)
class Refused:
    """A public appeal refused after its proof of work was spent: the caller answers with
    ``error`` and commits, so that the refusal stays audited and counts against the
    address's hourly limit, while no appeal is written."""

    error: AllianceError


def submit_public_appeal(
    session: Session, data: PublicAppealIn, client_address: str, settings: Settings, secret: str
) -> Appeal | Refused:
    """The public form's appeal: its proof of work and rate limit first (raised: nothing
    to keep), then the appeal, or its refusal — a URL that is not a URL or not on the
    list, or an appeal already waiting — audited, for the caller to commit."""
    spend_challenge(
        session, data.challenge, data.nonce, client_address, settings, secret, what="appeals"
    )
    try:
        return submit_appeal(
            session, AppealIn(url=data.url, contact=data.contact, reason=data.reason)
        )
    except (InvalidInput, NotFound, Conflict) as exc:
        # What was refused, not the URL: it may name a page nobody should look up.
        details = {"refusal": exc.code, "field": exc.field}
        record(session, APPELLANT, EventType.APPEAL_REFUSED, "appeal", "-", details)
        return Refused(exc)


def get_appeal(session: Session, principal: Principal, reference: str) -> Appeal:
    authorize(principal, Permission.APPEAL_DECIDE)
    appeal = session.execute(
        select(Appeal).where(Appeal.reference == reference)
    ).scalar_one_or_none()
    if appeal is None:
        raise NotFound(f"no appeal {reference}")
    return appeal


def decide_appeal(
    session: Session, principal: Principal, reference: str, data: AppealDecisionIn
) -> Appeal:
    """Uphold (the URL leaves the list in the next delta) or reject a waiting appeal."""
    appeal = get_appeal(session, principal, reference)
    if appeal.status is not AppealStatus.pending:
        raise Conflict(f"appeal {reference} was already decided ({appeal.status.value})")
    appeal.status = AppealStatus(data.decision)
    appeal.reviewer, appeal.reviewer_user_id = principal.audit_label, principal.user_id
    appeal.outcome, appeal.decided_at = data.outcome, utcnow()
    delisted = False
    if appeal.status is AppealStatus.upheld:
        # Locked, then read again: the worker may have delisted the page meanwhile.
        url_list = lists.locked(session, ListName.urls)
        session.refresh(appeal.entry)
        if appeal.entry.delisted_at is None:
            details = {"appeal": reference}
            urls.delist(session, principal, url_list, appeal.entry, DelistReason.appeal, details)
            delisted = True
    record(
        session,
        principal,
        EventType.APPEAL_UPHELD
        if appeal.status is AppealStatus.upheld
        else EventType.APPEAL_REJECTED,
        "appeal",
        reference,
        {"entry": appeal.entry_id, "delisted": delisted},
    )
    return appeal


def list_appeals(
    session: Session, principal: Principal, listing: Listing, status: AppealStatus | None = None
) -> tuple[list[Appeal], int]:
    authorize(principal, Permission.APPEAL_DECIDE)
    where = [] if status is None else [Appeal.status == status]
    total = session.execute(select(func.count(Appeal.id)).where(*where)).scalar_one()
    stmt = ordered(select(Appeal).where(*where), listing, APPEAL_SORTS, [Appeal.id.asc()])
    return list(session.execute(stmt).unique().scalars()), int(total)


def appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        reference=appeal.reference,
        url=appeal.url,
        contact=appeal.contact,
        reason=appeal.reason,
        status=appeal.status,
        received_at=appeal.received_at,
        reviewer=appeal.reviewer,
        outcome=appeal.outcome,
        decided_at=appeal.decided_at,
        still_listed=appeal.entry.delisted_at is None,
    )
