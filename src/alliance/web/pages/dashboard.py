"""The dashboard: who you are, what you may do, what happened lately."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from alliance.accounts.models import ApiKey, Organisation, User
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, organisation_scope, visible_clause
from alliance.audit.services import AuditFilter, list_events
from alliance.db.base import utcnow
from alliance.takedown.dashboard import dashboard_counts
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.audit import audit_rows
from alliance.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.DASHBOARD_VIEW),
) -> Response:
    organisation = (
        session.get(Organisation, principal.organisation_id)
        if principal.organisation_id is not None
        else None
    )
    stats: list[tuple[str, int]] = []
    if principal.can(Permission.ORG_READ):
        stats.append(
            (
                "Member organisations",
                session.execute(
                    select(func.count()).select_from(Organisation).where(Organisation.active)
                ).scalar_one(),
            )
        )
    if principal.can(Permission.USER_READ):
        stats.append(
            (
                "Users you can see",
                session.execute(
                    select(func.count())
                    .select_from(User)
                    .where(
                        visible_clause(principal, Permission.USER_READ, User.organisation_id),
                        User.active,
                    )
                ).scalar_one(),
            )
        )
    if principal.can(Permission.KEY_READ):
        stats.append(
            (
                "Active API keys",
                session.execute(
                    select(func.count())
                    .select_from(ApiKey)
                    .where(
                        visible_clause(principal, Permission.KEY_READ, ApiKey.organisation_id),
                        ApiKey.revoked_at.is_(None),
                        ApiKey.expires_at > utcnow(),
                    )
                ).scalar_one(),
            )
        )
    stats += dashboard_counts(session, principal)
    recent = []
    if principal.can(Permission.AUDIT_READ):
        scope = organisation_scope(principal, Permission.AUDIT_READ)
        recent = list_events(session, AuditFilter(organisation_id=scope), limit=10)
    return render(
        request,
        "dashboard.html",
        {
            "organisation": organisation,
            "permissions": [p for p in Permission if principal.can(p)],
            "stats": stats,
            "recent": recent,
            "rows": audit_rows(session, recent),
        },
    )
