"""API of the review queue: open cases from an upload's matches, list and read them, decide
(one or many), their media previews (blurred; revealed and audited), the action rules, and
the reports that follow a confirmed case (NCMEC's CyberTipline, the DSA statement of
reasons, the police through the hub) and closing it.

Routes only parse and call :mod:`alliance.review` and :mod:`alliance.member`, the services
the case page and ``alliance review`` call; who may do what is decided there. A report's
route opens no transaction of the request's: the service keeps every step on the case in
short transactions of its own while the outside service is waited for, and the answer is
read afterwards. A step the outside service failed is 502 (``report_stopped``, with where
in ``details``); the same call resumes it, with the same ids.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.db.listing import Listing
from alliance.db.session import reading
from alliance.member import cybertipline as member_cybertipline
from alliance.member import dsa as member_dsa
from alliance.member import police as member_police
from alliance.member.schemas import CyberTiplineIn, DsaIn, PoliceIn
from alliance.review import cases, decisions, previews, reports, rules
from alliance.review.models import CaseStatus
from alliance.review.schemas import (
    BulkDecisionIn,
    BulkResult,
    CaseOut,
    CasePage,
    CaseReportsOut,
    DecisionIn,
    OpenCaseIn,
    RuleChangeIn,
    RuleIn,
    RuleOut,
)
from alliance.validation import Offset, RecordId
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1/review", tags=["review"])

Limit = Annotated[int, Query(ge=1, le=500)]
BankName = Annotated[str | None, Query(max_length=100)]
#: A preview is never kept by a browser or a proxy.
NO_STORE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


@router.post("/cases", status_code=201)
def open_case(
    data: OpenCaseIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_OPEN),
) -> CaseOut:
    """Open a case for an upload from its matches (or add them to the content's undecided
    case); the action rules fire and their effects are in the answer."""
    settings = app_state(request).settings
    case = cases.open_case(session, principal, data.content, data.matches, settings=settings)
    return cases.case_out(case, settings)


@router.get("/cases")
def list_cases(
    request: Request,
    session: DbSession,
    status: CaseStatus | None = None,
    bank: BankName = None,
    overdue: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
    principal: Principal = requires(Permission.CASE_READ),
) -> CasePage:
    """Cases oldest first: without ``status``, every undecided one (open, awaiting second
    review, escalated)."""
    settings = app_state(request).settings
    found, total, capped = cases.list_cases(
        session,
        principal,
        Listing(sort="opened", limit=limit, offset=offset),
        cases.QueueFilter(status=status, bank=bank or None, overdue=overdue),
        settings=settings,
    )
    now = utcnow()
    return CasePage(
        total=total,
        total_capped=capped,
        cases=[cases.case_row(c, settings, now) for c in found],
    )


@router.get("/cases/{case}")
def get_case(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_READ),
) -> CaseOut:
    return cases.case_out(cases.get_case(session, principal, case), app_state(request).settings)


@router.post("/cases/{case}/decision", responses=answers(409))
def decide(
    case: str,
    data: DecisionIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> CaseOut:
    """Confirm, false positive (disputed with each bank's contributor) or escalate."""
    settings = app_state(request).settings
    decided = decisions.decide(session, principal, case, data, settings=settings)
    return cases.case_out(decided, settings)


@router.post("/cases/{case}/take")
def take(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> CaseOut:
    """Take the case: you become its assignee."""
    taken = cases.assign_to_me(session, principal, case)
    return cases.case_out(taken, app_state(request).settings)


@router.post("/decisions", responses=answers(409))
def bulk_decide(
    data: BulkDecisionIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> BulkResult:
    """The same decision on many cases, all or none: one refused case refuses the lot."""
    decided = decisions.bulk_decide(session, principal, data, settings=app_state(request).settings)
    return BulkResult(
        decided=[c.reference for c in decided], status={c.reference: c.status for c in decided}
    )


@router.get(
    "/cases/{case}/preview",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "blurred greyscale PNG"}},
)
def preview(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_READ),
) -> Response:
    """The case's media, small, greyscale and blurred (a placeholder if it cannot be read)."""
    shown = previews.preview(session, principal, case, settings=app_state(request).settings)
    return Response(shown.data, media_type=shown.media_type, headers=NO_STORE)


@router.post(
    "/cases/{case}/reveal",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "unblurred greyscale PNG"}},
)
def reveal(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.MEDIA_REVEAL),
) -> Response:
    """The case's media unblurred; every call is audited."""
    shown = previews.revealed(session, principal, case, settings=app_state(request).settings)
    return Response(shown.data, media_type=shown.media_type, headers=NO_STORE)


@router.get("/rules")
def list_rules(
    session: DbSession, principal: Principal = requires(Permission.CASE_READ)
) -> list[RuleOut]:
    return [
        RuleOut.model_validate(r, from_attributes=True)
        for r in rules.list_rules(session, principal)
    ]


@router.post("/rules", status_code=201)
def add_rule(
    data: RuleIn, session: DbSession, principal: Principal = requires(Permission.RULE_MANAGE)
) -> RuleOut:
    """On a match of ``bank`` (``*``: any) at ``max_distance`` or nearer: remove, queue or
    report, when a case opens."""
    return RuleOut.model_validate(rules.add_rule(session, principal, data), from_attributes=True)


@router.post("/rules/{rule_id}")
def change_rule(
    rule_id: RecordId,
    data: RuleChangeIn,
    session: DbSession,
    principal: Principal = requires(Permission.RULE_MANAGE),
) -> RuleOut:
    """Enable or disable a rule."""
    rule = rules.change_rule(session, principal, rule_id, data)
    return RuleOut.model_validate(rule, from_attributes=True)


# --- the reports that follow a confirmed case -----------------------------------------------


def _reports_now(request: Request, principal: Principal, case: str) -> CaseReportsOut:
    """Where the case's reports stand once a report's run is over (read afresh)."""
    with reading(app_state(request).sessions) as session:
        return reports.reports_out(cases.get_case(session, principal, case))


@router.get("/cases/{case}/reports")
def case_reports(
    case: str, session: DbSession, principal: Principal = requires(Permission.CASE_READ)
) -> CaseReportsOut:
    """Where each report of the case stands: not started, under way, stopped (where, and
    why), done (NCMEC's report id, the database's uuid, the hub's reference and the
    police's outcome) or withdrawn; and the statement of reasons the uploader reads."""
    return reports.reports_out(cases.get_case(session, principal, case))


@router.post("/cases/{case}/cybertipline", responses=answers(409, 502))
def file_cybertipline(
    case: str,
    data: CyberTiplineIn,
    request: Request,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> CaseReportsOut:
    """File the confirmed case with NCMEC's CyberTipline: the file from your own storage,
    its hashes, the uploader given here. After a stop, the same call resumes it with the
    report first built (the same report id and file ids; the body is not used)."""
    state = app_state(request)
    reports.check_reportable(state.sessions, principal, case)
    with state.destinations.cybertipline() as tipline:
        member_cybertipline.file_case(
            state.sessions,
            principal,
            case,
            tipline=tipline,
            settings=state.settings,
            uploader=data.uploader,
            classification=data.classification,
            child_at_risk=data.child_at_risk,
        )
    return _reports_now(request, principal, case)


@router.post("/cases/{case}/cybertipline/withdraw", responses=answers(409, 502))
def withdraw_cybertipline(
    case: str, request: Request, principal: Principal = requires(Permission.CASE_DECIDE)
) -> CaseReportsOut:
    """Retract the case's unfinished CyberTipline report at NCMEC (a filed one cannot be),
    so that the case may be filed anew."""
    state = app_state(request)
    reports.check_reportable(state.sessions, principal, case)
    with state.destinations.cybertipline() as tipline:
        member_cybertipline.withdraw(state.sessions, principal, case, tipline=tipline)
    return _reports_now(request, principal, case)


@router.post("/cases/{case}/dsa", responses=answers(409, 502))
def submit_dsa(
    case: str,
    data: DsaIn,
    request: Request,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> CaseReportsOut:
    """Send the confirmed case's statement of reasons to the DSA Transparency Database
    (its puid the case's reference: never stored twice), and keep the notice the uploader
    reads with it. After a stop, the same call sends the statement first built."""
    state = app_state(request)
    reports.check_reportable(state.sessions, principal, case)
    action = member_dsa.account_action_of(data.account_action)
    with state.destinations.dsa() as database:
        member_dsa.submit_case(
            state.sessions,
            principal,
            case,
            database=database,
            settings=state.settings,
            account_action=action,
        )
    return _reports_now(request, principal, case)


@router.post("/cases/{case}/police", responses=answers(409, 502))
def send_police(
    case: str,
    data: PoliceIn,
    request: Request,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> CaseReportsOut:
    """Report the confirmed case to the police of the uploader's country through the
    alliance's hub (hashes and what is given here, never the media). Once sent, the same
    call asks the hub what became of it (also for a closed case)."""
    state = app_state(request)
    reports.check_reportable(state.sessions, principal, case)
    with state.destinations.police(state.sessions, principal) as channel:
        member_police.send_to_police(
            state.sessions,
            principal,
            case,
            channel=channel,
            uploader=data.uploader,
            classification=data.classification,
            child_at_risk=data.child_at_risk,
            note=data.note.strip(),
            settings=state.settings,
        )
    return _reports_now(request, principal, case)


@router.post("/cases/{case}/close", responses=answers(409))
def close(
    case: str,
    session: DbSession,
    principal: Principal = requires(Permission.CASE_DECIDE),
) -> CaseReportsOut:
    """Close the confirmed case: read-only from now on (but for the police's answer).
    Refused while a report is under way or stopped mid-way."""
    return reports.reports_out(reports.close_case(session, principal, case))
