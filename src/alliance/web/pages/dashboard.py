"""The dashboard: who you are, what waits for you, what you may do, what happened lately.

Every figure is a link to the list it counts.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from alliance.web.waiting import WAITING_PAGES, counted

router = APIRouter(include_in_schema=False)

#: The lists the takedown figures count (alliance.takedown.dashboard.Count.key).
TAKEDOWN_PAGES: dict[str, str] = {
    "awaiting_assessment": "/items?stage=awaiting_assessment",
    "notified": "/items?stage=notified",
    "holds": "/holds",
}
WAITING_LABELS: dict[str, str] = {
    "queue": "Items in your queue you may take",
    "alerts": "Unacknowledged alerts to your agency",
    "referrals": "Referrals awaiting your decision",
    "review": "Review cases undecided",
    "industry_reports": "Industry reports awaiting your decision",
    "industry_triage": "Industry reports waiting for triage",
}


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    href: str


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
    waiting = [
        Figure(WAITING_LABELS[key], value, WAITING_PAGES[key])
        for key, value in counted(request, principal).items()
    ]
    stats: list[Figure] = []
    if principal.can(Permission.ORG_READ):
        stats.append(
            Figure(
                "Member organisations",
                session.execute(
                    select(func.count()).select_from(Organisation).where(Organisation.active)
                ).scalar_one(),
                "/orgs",
            )
        )
    if principal.can(Permission.USER_READ):
        stats.append(
            Figure(
                "Active users you can see",
                session.execute(
                    select(func.count())
                    .select_from(User)
                    .where(
                        visible_clause(principal, Permission.USER_READ, User.organisation_id),
                        User.active,
                    )
                ).scalar_one(),
                "/users",
            )
        )
    if principal.can(Permission.KEY_READ):
        stats.append(
            Figure(
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
                "/keys",
            )
        )
    stats += [
        Figure(count.label, count.value, TAKEDOWN_PAGES[count.key])
        for count in dashboard_counts(session, principal)
    ]
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
            "waiting_figures": waiting,
            "stats": stats,
            "recent": recent,
            "rows": audit_rows(session, principal, recent),
        },
    )
