"""What waits for the user, counted beside the navigation's links.

:func:`counted` counts once per page, when the page shell (``base.html``) draws the
navigation or the dashboard shows the same figures, in the request's own transaction (the
session the ``DbSession`` dependency keeps on ``request.state``); fragments swapped in by
htmx, error pages (their transaction has ended) and the API never count. Each count is one
indexed ``count(*)``.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.cooperation.services import open_alert_count
from alliance.industry.inbox import open_count as industry_open_count
from alliance.industry.routing import triage_count as industry_triage_count
from alliance.review.cases import waiting_count as review_waiting_count
from alliance.takedown.assessment import queue_count
from alliance.victims.referrals import pending_referral_count

#: Where each count's records are listed, for the dashboard's links.
WAITING_PAGES: dict[str, str] = {
    "queue": "/queue",
    "alerts": "/alerts?unacknowledged=true",
    "referrals": "/referrals",
    "review": "/review",
    "industry_reports": "/industry-inbox",
    "industry_triage": "/industry-triage",
}


def waiting_counts(session: Session, principal: Principal) -> dict[str, int]:
    """``queue``: items awaiting assessment the principal may take; ``alerts``: its
    agency's unacknowledged alerts; ``referrals``: referrals to its agency awaiting a
    decision; ``review``: its platform's undecided review cases (from the counts table, no
    scan). Only the counts its role may read."""
    counts: dict[str, int] = {}
    if principal.can(Permission.ITEM_ASSESS):
        counts["queue"] = queue_count(session, principal)
    if principal.can(Permission.ALERT_READ):
        counts["alerts"] = open_alert_count(session, principal)
    if principal.can(Permission.REFERRAL_MANAGE):
        counts["referrals"] = pending_referral_count(session, principal)
    if principal.can(Permission.CASE_READ):
        counts["review"] = review_waiting_count(session, principal)
    if principal.can(Permission.INDUSTRY_REPORT_DECIDE):
        counts["industry_reports"] = industry_open_count(session, principal)
    if principal.can(Permission.INDUSTRY_REPORT_TRIAGE):
        counts["industry_triage"] = industry_triage_count(session, principal)
    return counts


def counted(request: Request, principal: Principal | None) -> dict[str, int]:
    """:func:`waiting_counts` for this request, counted at most once; nothing without a
    principal or outside the request's transaction."""
    found: dict[str, int] | None = getattr(request.state, "waiting_counts", None)
    if found is not None:
        return found
    session: Session | None = getattr(request.state, "db_session", None)
    if principal is None or session is None:
        return {}
    found = waiting_counts(session, principal)
    request.state.waiting_counts = found
    return found
