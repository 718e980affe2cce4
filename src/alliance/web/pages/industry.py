"""Industry report pages: the LEA inbox and a report's page (accept, decline, forward,
outcome), the secretariat's triage, and the time to acceptance per country.

Handlers only parse and call :mod:`alliance.industry`; a bad value renders the page again
with the error beside the field and what was typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.errors import AllianceError, InvalidInput, NotFound
from alliance.industry import inbox, metrics, outcomes, routing, submission
from alliance.industry.inbox import INBOX_VIEWS
from alliance.industry.models import Outcome, ReportStatus
from alliance.industry.schemas import AssignIn, DeclineIn, ForwardIn, OutcomeIn
from alliance.web.errors import failed_form
from alliance.web.forms import Form as PageForm
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

LABELS = {"reason": "Reason", "country": "Country", "note": "Note", "outcome": "Outcome"}
OUTCOMES = tuple(o.value for o in Outcome)


@router.get("/industry-inbox")
def inbox_page(
    request: Request,
    session: DbSession,
    view: str = "open",
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> Response:
    """The agency's industry reports: open ones most urgent first; accepted; declined."""
    if view not in INBOX_VIEWS:
        raise InvalidInput("view: choose open, accepted or declined", field="view")
    reports = [inbox.report_out(r) for r in inbox.list_inbox(session, principal, view)]
    return render(
        request,
        "industry_inbox.html",
        {"reports": reports, "view": view, "views": INBOX_VIEWS},
    )


def _report_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    form: PageForm | None = None,
    status_code: int = 200,
) -> Response:
    report = inbox.get_for_agency(session, principal, reference)
    return render(
        request,
        "industry_report.html",
        {
            "r": inbox.report_out(report),
            "may_decide": report.status is ReportStatus.routed,
            "may_record": report.status is ReportStatus.accepted,
            "outcomes": OUTCOMES,
            "form": form or PageForm(),
        },
        status_code=status_code,
    )


@router.get("/industry-inbox/{reference}")
def report_page(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> Response:
    """One report routed to the agency: the uploader's details, hashes, matches, its way
    so far, and what the agency may do with it."""
    return _report_page(request, session, principal, reference)


def _failed(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    exc: ValidationError | AllianceError,
    values: dict[str, str],
    name: str,
) -> Response:
    if isinstance(exc, NotFound):
        raise exc
    form, status = failed_form(exc, values, labels=LABELS, name=name)
    return _report_page(request, session, principal, reference, form=form, status_code=status)


@router.post("/industry-inbox/{reference}/accept", dependencies=[csrf])
def report_accept(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> Response:
    """Accept the report: the agency takes it and watches the uploader's account."""
    try:
        with session.begin_nested():
            report = inbox.accept(session, principal, reference)
    except AllianceError as exc:
        return _failed(request, session, principal, reference, exc, {}, "accept")
    return redirect(
        request,
        f"/industry-inbox/{report.reference}",
        notice=f"Report {report.reference} accepted; {report.organisation.name} sees that "
        "your agency has it. Record the outcome when there is one.",
    )


@router.post("/industry-inbox/{reference}/decline", dependencies=[csrf])
def report_decline(
    request: Request,
    session: DbSession,
    reference: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> Response:
    """Decline the report, saying why."""
    values = {"reason": reason}
    try:
        if not reason.strip():
            raise InvalidInput("say why the report is declined", field="reason")
        data = DeclineIn(reason=reason)
        with session.begin_nested():
            report = inbox.decline(session, principal, reference, data)
    except (ValidationError, AllianceError) as exc:
        return _failed(request, session, principal, reference, exc, values, "decline")
    return redirect(request, "/industry-inbox", notice=f"Report {report.reference} declined.")


@router.post("/industry-inbox/{reference}/forward", dependencies=[csrf])
def report_forward(
    request: Request,
    session: DbSession,
    reference: str,
    country: Annotated[str, Form(max_length=2)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> Response:
    """Forward the report to another country's police, with a note for them."""
    values = {"country": country, "note": note}
    try:
        if not country.strip():
            raise InvalidInput("choose the country to forward the report to", field="country")
        data = ForwardIn(country=country, note=note.strip())
        with session.begin_nested():
            report = inbox.forward(session, principal, reference, data)
            where = report.country_code
    except (ValidationError, AllianceError) as exc:
        return _failed(request, session, principal, reference, exc, values, "forward")
    return redirect(
        request,
        "/industry-inbox",
        notice=f"Report {report.reference} forwarded to the police of {where}.",
    )


@router.post("/industry-inbox/{reference}/outcome", dependencies=[csrf])
def report_outcome(
    request: Request,
    session: DbSession,
    reference: str,
    outcome: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_DECIDE),
) -> Response:
    """Record what came of the report; the reporting platform reads it."""
    values = {"outcome": outcome, "note": note}
    try:
        if outcome not in OUTCOMES:
            raise InvalidInput("choose an outcome", field="outcome")
        data = OutcomeIn(outcome=Outcome(outcome), note=note.strip())
        with session.begin_nested():
            report = outcomes.record_outcome(session, principal, reference, data)
    except (ValidationError, AllianceError) as exc:
        return _failed(request, session, principal, reference, exc, values, "outcome")
    return redirect(
        request,
        f"/industry-inbox/{report.reference}",
        notice=f"Outcome recorded; {report.organisation.name} reads it.",
    )


# --- the secretariat's triage ---------------------------------------------------------


def _triage_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: PageForm | None = None,
    status_code: int = 200,
) -> Response:
    reports = [inbox.report_out(r) for r in routing.list_triage(session, principal)]
    return render(
        request,
        "industry_triage.html",
        {"reports": reports, "form": form or PageForm()},
        status_code=status_code,
    )


@router.get("/industry-triage")
def triage_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_TRIAGE),
) -> Response:
    """Industry reports no country's police received, with why; assign each a country."""
    return _triage_page(request, session, principal)


@router.post("/industry-triage/{reference}/assign", dependencies=[csrf])
def triage_assign(
    request: Request,
    session: DbSession,
    reference: str,
    country: Annotated[str, Form(max_length=2)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_TRIAGE),
) -> Response:
    """Route a report from triage to a country's police."""
    values = {"country": country, "note": note}
    name = f"assign-{reference.strip().upper()}"
    try:
        if not country.strip():
            raise InvalidInput("choose the country whose police should have it", field="country")
        data = AssignIn(country=country, note=note.strip())
        with session.begin_nested():
            report = routing.assign(session, principal, reference, data)
            where = report.country_code
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            raise
        form, status = failed_form(exc, values, labels=LABELS, name=name)
        return _triage_page(request, session, principal, form=form, status_code=status)
    return redirect(
        request,
        "/industry-triage",
        notice=f"Report {report.reference} routed to the police of {where}.",
    )


# --- the platform's own reports ------------------------------------------------------------


@router.get("/industry-reports")
def sent_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.INDUSTRY_REPORT_READ),
) -> Response:
    """The platform's industry reports: where each stands and what came of it."""
    reports = [
        (r.organisation.name, submission.platform_out(r))
        for r in submission.list_sent(session, principal)
    ]
    return render(request, "industry_sent.html", {"reports": reports})


# --- the metric ---------------------------------------------------------------------------


@router.get("/metrics/industry-reports")
def metrics_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.INDUSTRY_METRICS_READ),
) -> Response:
    """Time from a platform's confirmation to an LEA's acceptance, per country."""
    figures: Any = metrics.acceptance_times(session, principal)
    return render(request, "metrics_industry.html", {"m": figures})
