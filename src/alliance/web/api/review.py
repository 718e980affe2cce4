"""API of the review queue: open cases from an upload's matches, list and read them, decide
(one or many), their media previews (blurred; revealed and audited), and the action rules.

Routes only parse and call :mod:`alliance.review`; who may do what is decided there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.db.listing import Listing
from alliance.review import cases, decisions, previews, rules
from alliance.review.models import CaseStatus
from alliance.review.schemas import (
    BulkDecisionIn,
    BulkResult,
    CaseOut,
    CasePage,
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
