"""Who reads which industry report: the one rule, for every service and page.

- the reporting platform: its own reports' status and outcome (``INDUSTRY_REPORT_READ``),
  found by the hub's reference or its own case reference;
- an agency: the reports routed to it now (``INDUSTRY_REPORT_DECIDE``), in full; a report
  it forwarded is the receiving agency's from then on;
- the secretariat: the reports waiting in its triage (``INDUSTRY_REPORT_TRIAGE``).

Anything else is "not found", so a reference reveals nothing about other members' reports.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.errors import NotFound
from alliance.industry.models import IndustryReport, ReportStatus


def _not_found(reference: str) -> NotFound:
    return NotFound(f"no industry report {reference.strip()[:100]} for you")


def get_report(
    session: Session, principal: Principal, reference: str, permission: Permission
) -> IndustryReport:
    """The report ``reference`` names, as ``permission`` lets the principal read it."""
    authorize(principal, permission)
    wanted = reference.strip()
    if permission is Permission.INDUSTRY_REPORT_READ:
        query = select(IndustryReport).where(
            or_(
                IndustryReport.reference == wanted.upper(),
                IndustryReport.case_reference == wanted,
            )
        )
        if principal.reach(permission) is not Reach.ALL:
            query = query.where(IndustryReport.organisation_id == (principal.organisation_id or -1))
        # A case reference is the platform's own: with ALL reach the hub's reference wins.
        found = session.execute(
            query.order_by((IndustryReport.reference == wanted.upper()).desc()).limit(1)
        ).scalar_one_or_none()
        if found is None:
            raise _not_found(reference)
        return found
    report = session.execute(
        select(IndustryReport).where(IndustryReport.reference == wanted.upper())
    ).scalar_one_or_none()
    if report is None:
        raise _not_found(reference)
    if permission is Permission.INDUSTRY_REPORT_DECIDE:
        if principal.organisation_id is None or (
            report.lea_organisation_id != principal.organisation_id
        ):
            raise _not_found(reference)
        return report
    if permission is Permission.INDUSTRY_REPORT_TRIAGE:
        if report.status is not ReportStatus.triage:
            raise _not_found(reference)
        return report
    raise _not_found(reference)
