"""API for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, organisation_scope
from alliance.audit import services as audit
from alliance.audit.schemas import AuditEventOut, VerifyResult
from alliance.errors import InvalidInput
from alliance.web.guards import DbSession, requires

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/events")
def list_events(
    session: DbSession,
    actor: str | None = None,
    event_type: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    principal: Principal = requires(Permission.AUDIT_READ),
) -> list[AuditEventOut]:
    """Audit events, newest first; your organisation's, or every one's for the secretariat."""
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("give times with a time zone, e.g. 2026-01-31T00:00:00Z")
    flt = audit.AuditFilter(
        actor=actor,
        event_type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        since=since,
        until=until,
        organisation_id=organisation_scope(principal, Permission.AUDIT_READ),
    )
    return [
        AuditEventOut(
            seq=e.seq,
            occurred_at=e.occurred_at,
            actor=e.actor,
            organisation_id=e.organisation_id,
            event_type=e.event_type,
            subject_type=e.subject_type,
            subject_id=e.subject_id,
            details=audit.details_of(e),
            hash=e.hash,
        )
        for e in audit.list_events(session, flt, limit=limit)
    ]


@router.get("/verify")
def verify(
    session: DbSession, principal: Principal = requires(Permission.AUDIT_VERIFY)
) -> VerifyResult:
    """Walk the whole hash chain and report the first altered, missing or moved event."""
    return audit.verify(session)
