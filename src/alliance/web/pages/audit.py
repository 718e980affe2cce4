"""The audit log page: filter events, verify the chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, organisation_scope
from alliance.audit import anchors
from alliance.audit import services as audit
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import render
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
    state = app_state(request)
    result = anchors.verify_and_sign(session, state.signer, state.settings.platform_name)
    return render(
        request,
        "audit.html",
        {
            "recent": audit.list_events(session, audit.AuditFilter(), limit=50),
            "f": audit.AuditFilter(),
            "verification": result,
            "can_verify": True,
        },
        status_code=200,
    )
