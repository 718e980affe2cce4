"""API for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, organisation_scope
from alliance.audit import anchors
from alliance.audit import services as audit
from alliance.audit.schemas import AuditEventOut, SignedHead, VerifyResult
from alliance.errors import InvalidInput
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state

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
    request: Request, session: DbSession, principal: Principal = requires(Permission.AUDIT_VERIFY)
) -> VerifyResult:
    """Walk the whole hash chain, compare it with the stored signed heads, and report the
    first altered, missing or moved event; an intact chain's head is signed."""
    return _verify(request, session, [])


class AnchorsIn(BaseModel):
    anchors: list[SignedHead] = Field(
        default_factory=list,
        max_length=10_000,
        description="signed heads exported earlier (GET /api/v1/audit/anchors, or the lines "
        "of `alliance audit anchor export`)",
    )


@router.post("/verify")
def verify_against_anchors(
    request: Request,
    session: DbSession,
    body: AnchorsIn,
    principal: Principal = requires(Permission.AUDIT_VERIFY),
) -> VerifyResult:
    """As GET, and the chain must still hold every given signed head: a re-hashed, cut or
    wiped log fails here although it is consistent in itself. 400 when an anchor's
    signature does not verify with the platform key."""
    return _verify(request, session, body.anchors)


def _verify(request: Request, session: DbSession, given: list[SignedHead]) -> VerifyResult:
    settings = app_state(request).settings
    signer = app_state(request).signer
    return anchors.verify_and_sign(session, signer, settings.platform_name, given=given)


@router.get("/anchors")
def list_anchors(
    session: DbSession, principal: Principal = requires(Permission.AUDIT_READ)
) -> list[SignedHead]:
    """Every signed head of the audit chain, oldest first, to keep outside the platform.
    They hold sequence numbers and hashes only, no event content."""
    return [anchors.signed_head(a) for a in anchors.stored(session)]
