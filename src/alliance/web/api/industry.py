"""API for industry reports: a platform sends a confirmed case and reads its outcome; the
police's inbox; the secretariat's triage; the time to acceptance per country.

Routes only parse and call :mod:`alliance.industry`; who may see what is decided there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.hosting.geo import GeoDatabase
from alliance.industry import inbox, metrics, outcomes, routing, submission
from alliance.industry.inbox import InboxView
from alliance.industry.schemas import (
    AssignIn,
    DeclineIn,
    ForwardIn,
    IndustryMetricsOut,
    IndustryReportIn,
    IndustryReportOut,
    OutcomeIn,
    PlatformReportOut,
)
from alliance.settings import Settings
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1", tags=["industry reports"])

Reference = Annotated[str, Path(min_length=1, max_length=100)]


def submit_with_geo(
    session: DbSession, principal: Principal, data: IndustryReportIn, settings: Settings
) -> submission.Submitted:
    """Submit with the configured geolocation database (ALLIANCE_GEO_COUNTRY_DB), if any,
    open for the request's duration."""
    geo = GeoDatabase.from_settings(settings)
    try:
        return submission.submit(session, principal, data, geo)
    finally:
        if geo is not None:
            geo.close()


@router.post("/industry-reports", status_code=201, responses=answers(409))
def submit_report(
    data: IndustryReportIn,
    request: Request,
    response: Response,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_SUBMIT),
) -> PlatformReportOut:
    """A confirmed case, for the police of the uploader's country: hashes, the uploader's
    account, IP addresses with times and declared country, bank matches, the platform's
    classification — never the media (a field that would carry them is refused, 400).
    Routed at once by the IP addresses' country, else the declared country, else to the
    secretariat's triage. The same ``case_reference`` again answers 200 with the same
    report; with different contents, 409."""
    done = submit_with_geo(session, principal, data, app_state(request).settings)
    if not done.created:
        response.status_code = 200
    return submission.platform_out(done.report, created=done.created)


@router.get("/industry-reports/{reference}")
def report_status(
    reference: Reference,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_READ),
) -> PlatformReportOut:
    """Your report's status and outcome, by the hub's reference (``IR-…``) or your case
    reference. Nothing of who handled it, nor of any other member's reports."""
    return submission.platform_out(submission.status_of(session, principal, reference))


@router.get("/industry-inbox")
def inbox_list(
    session: DbSession,
    view: Annotated[InboxView, Query(description="open (to decide), accepted or declined")] = (
        "open"
    ),
    principal: Principal = requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> list[IndustryReportOut]:
    """Your agency's industry reports: open ones most urgent first (a child possibly at
    risk, new material, a known series, known material; then the oldest)."""
    return [inbox.report_out(r) for r in inbox.list_inbox(session, principal, view)]


@router.get("/industry-inbox/{reference}")
def inbox_report(
    reference: Reference,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> IndustryReportOut:
    """One report routed to your agency, in full."""
    return inbox.report_out(inbox.get_for_agency(session, principal, reference))


@router.post("/industry-inbox/{reference}/accept", responses=answers(409))
def inbox_accept(
    reference: Reference,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> IndustryReportOut:
    """Accept the report; your agency watches the uploader's account from now on."""
    return inbox.report_out(inbox.accept(session, principal, reference))


@router.post("/industry-inbox/{reference}/decline", responses=answers(409))
def inbox_decline(
    reference: Reference,
    data: DeclineIn,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> IndustryReportOut:
    """Decline the report, with the reason."""
    return inbox.report_out(inbox.decline(session, principal, reference, data))


@router.post("/industry-inbox/{reference}/forward", responses=answers(409))
def inbox_forward(
    reference: Reference,
    data: ForwardIn,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> IndustryReportOut:
    """Forward the report to another country's police, with a note for them."""
    return inbox.report_out(inbox.forward(session, principal, reference, data))


@router.post("/industry-inbox/{reference}/outcome", responses=answers(409))
def inbox_outcome(
    reference: Reference,
    data: OutcomeIn,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> IndustryReportOut:
    """Record what came of an accepted report; the reporting platform reads it."""
    return inbox.report_out(outcomes.record_outcome(session, principal, reference, data))


@router.get("/industry-triage")
def triage_list(
    session: DbSession, principal: Principal = requires(Permission.INDUSTRY_REPORT_TRIAGE)
) -> list[IndustryReportOut]:
    """Reports no country's police received, with the reason, oldest first."""
    return [inbox.report_out(r) for r in routing.list_triage(session, principal)]


@router.post("/industry-triage/{reference}/assign", responses=answers(409))
def triage_assign(
    reference: Reference,
    data: AssignIn,
    session: DbSession,
    principal: Principal = requires(Permission.INDUSTRY_REPORT_TRIAGE),
) -> IndustryReportOut:
    """Route a report from triage to a country's police."""
    return inbox.report_out(routing.assign(session, principal, reference, data))


@router.get("/metrics/industry-reports")
def acceptance_metrics(
    session: DbSession, principal: Principal = requires(Permission.INDUSTRY_METRICS_READ)
) -> IndustryMetricsOut:
    """Time from a platform's confirmation to an LEA's acceptance, per country (median
    hours, how many accepted, how many wait), and for the alliance."""
    return metrics.acceptance_times(session, principal)
