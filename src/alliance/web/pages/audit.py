"""The audit log page: filter events, verify the chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, organisation_scope
from alliance.audit import anchors
from alliance.audit import services as audit
from alliance.audit.schemas import SignedHead, VerifyResult
from alliance.errors import AllianceError, InvalidInput
from alliance.web.errors import status_for
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state

router = APIRouter(include_in_schema=False)


def _day(value: date | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


@router.get("/audit")
def audit_page(
    request: Request,
    session: DbSession,
    actor: str | None = None,
    event_type: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    principal: Principal = page_requires(Permission.AUDIT_READ),
) -> Response:
    flt = audit.AuditFilter(
        actor=actor or None,
        event_type=event_type or None,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        since=_day(since),
        until=_day(until, end=True),
        organisation_id=organisation_scope(principal, Permission.AUDIT_READ),
    )
    return render(
        request,
        "audit.html",
        {
            "recent": audit.list_events(session, flt, limit=200),
            "f": flt,
            "since": since,
            "until": until,
            "can_verify": principal.can(Permission.AUDIT_VERIFY),
        },
    )


@router.get("/audit/verify")
def audit_verify_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.AUDIT_VERIFY),
) -> Response:
    return _verified(request, session, [])


@router.post("/audit/verify", dependencies=[Depends(csrf_protect)])
def audit_verify_against_file(
    request: Request,
    session: DbSession,
    file: Annotated[UploadFile | None, File()] = None,
    principal: Principal = page_requires(Permission.AUDIT_VERIFY),
) -> Response:
    """Verify against an exported anchor file, as `alliance audit verify --anchor`."""
    try:
        if file is None or not file.filename:
            raise InvalidInput("choose an anchor file (from `alliance audit anchor export`)")
        given = anchors.parse_file(file.file.read(), file.filename)
        return _verified(request, session, given)
    except AllianceError as exc:
        return _audit_page(request, session, error=exc.message, status_code=status_for(exc))


@router.get("/audit/anchors.jsonl")
def audit_anchors_file(
    session: DbSession, principal: Principal = page_requires(Permission.AUDIT_READ)
) -> Response:
    """The signed heads as the JSON lines `alliance audit anchor export` writes."""
    text = "".join(f"{line}\n" for line in anchors.export_lines(session))
    return PlainTextResponse(
        text,
        media_type="application/jsonl",
        headers={"Content-Disposition": 'attachment; filename="audit-anchors.jsonl"'},
    )


def _verified(request: Request, session: DbSession, given: list[SignedHead]) -> Response:
    state = app_state(request)
    result = anchors.verify_and_sign(
        session, state.signer, state.settings.platform_name, given=given
    )
    return _audit_page(request, session, verification=result)


def _audit_page(
    request: Request,
    session: DbSession,
    *,
    verification: VerifyResult | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "audit.html",
        {
            "recent": audit.list_events(session, audit.AuditFilter(), limit=50),
            "f": audit.AuditFilter(),
            "verification": verification,
            "error": error,
            "can_verify": True,
        },
        status_code=status_code,
    )
