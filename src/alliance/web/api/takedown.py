"""API for notice and takedown: reports, the public form, items, the assessment queue,
investigation holds and takedown-time metrics (their deconfliction alerts are under
:mod:`alliance.web.api.cooperation`).

Routes only parse and call :mod:`alliance.takedown`; who may see what is decided there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.takedown import access, assessment, holds, intake, metrics, public, reading, routing
from alliance.takedown.models import ContentItem, ItemStage
from alliance.takedown.schemas import (
    AssessmentIn,
    BatchIn,
    BatchReceipt,
    HoldIn,
    HoldOut,
    ItemDetail,
    ItemOut,
    MetricsReport,
    PublicReportIn,
    ReportIn,
    ReportReceipt,
    RouteIn,
)
from alliance.validation import CountryCode, Days, Offset
from alliance.web.errors import answers
from alliance.web.guards import DbSession, requires
from alliance.web.guards import public as public_guard
from alliance.web.state import app_state, client_address

router = APIRouter(prefix="/api/v1", tags=["takedown"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="your unique id for this request: a retry with the same key and body "
        "returns the first receipt (replayed: true) instead of reporting twice",
    ),
]


class Challenge(BaseModel):
    challenge: str = Field(description="send it back with the report")
    bits: int = Field(description="leading zero bits SHA-256(challenge ':' nonce) must have")


class PublicReceipt(BaseModel):
    """What an anonymous reporter is told: nothing about routing, hosting or holds."""

    reference: str
    message: str


class HoldDetail(HoldOut):
    items: list[str] = Field(description="open items the hold currently matches")


class RenewIn(BaseModel):
    days: Days = Field(description="the hold runs this many days from now")


def _items_out(session: Session, items: list[ContentItem]) -> list[ItemOut]:
    names = reading.organisation_names(session)
    active = holds.active_holds(session)
    return [reading.item_out(session, item, names=names, holds=active) for item in items]


# --- reports -------------------------------------------------------------------------


@router.post("/reports", status_code=201, responses=answers(409))
def submit_report(
    data: ReportIn,
    response: Response,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = requires(Permission.REPORT_SUBMIT),
) -> ReportReceipt:
    """Report one or more URLs. Each URL is normalised and joins the open item of the same
    URL, or opens a new one; one bad URL refuses the whole report (400, naming it), and
    nothing is saved. A replay of an ``Idempotency-Key`` answers 200 with the first receipt;
    the same key with a different body is 409."""
    [receipt] = intake.submit_reports(session, principal, [data], idempotency_key=idempotency_key)
    if receipt.replayed:
        response.status_code = 200
    return receipt


@router.post("/reports/batch", status_code=201, responses=answers(409))
def submit_batch(
    data: BatchIn,
    response: Response,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = requires(Permission.REPORT_SUBMIT),
) -> BatchReceipt:
    """Up to 1000 reports at once, all or nothing, with the same ``Idempotency-Key`` rules
    as a single report. The counts say how many URLs opened items and how many joined one."""
    receipts = intake.submit_reports(
        session, principal, data.reports, idempotency_key=idempotency_key
    )
    if receipts and all(r.replayed for r in receipts):
        response.status_code = 200
    links = [link for r in receipts for link in r.items]
    created = sum(link.new for link in links)
    return BatchReceipt(reports=receipts, items_created=created, items_joined=len(links) - created)


@router.get("/reports/{report}")
def get_report(
    report: str, session: DbSession, principal: Principal = requires(Permission.ITEM_READ)
) -> ReportReceipt:
    """A report's receipt: the items its URLs became. A report you may not see is 404."""
    return intake.get_report(session, principal, report)


# --- the public form -----------------------------------------------------------------


@router.get("/public/challenge", dependencies=[public_guard])
def public_challenge(request: Request) -> Challenge:
    """A fresh proof-of-work challenge for the public report form (valid 15 minutes,
    spent once): find a ``nonce`` such that SHA-256 of ``challenge:nonce`` starts with
    ``bits`` zero bits."""
    state = app_state(request)
    bits = state.settings.proof_of_work_bits
    return Challenge(challenge=public.issue_challenge(state.secret_key, bits), bits=bits)


@router.post(
    "/public/reports", status_code=201, dependencies=[public_guard], responses=answers(409, 429)
)
def public_report(data: PublicReportIn, request: Request, session: DbSession) -> PublicReceipt:
    """Report a URL anonymously, with a solved challenge. A spent challenge is 409, a wrong
    nonce 400, too many reports from one address 429 (with ``Retry-After``). The answer is
    the report's reference only."""
    state = app_state(request)
    receipt = public.submit_public_report(
        session, data, client_address(request), state.settings, state.secret_key
    )
    return PublicReceipt(
        reference=receipt.reference,
        message="Thank you. Your report was received and will be assessed by an analyst.",
    )


# --- items and the assessment queue ----------------------------------------------------


@router.get("/items")
def list_items(
    session: DbSession,
    stage: ItemStage | None = None,
    country: Annotated[CountryCode | None, Query(description="hosting country")] = None,
    q: Annotated[str | None, Query(max_length=500, description="reference or URL part")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
    principal: Principal = requires(Permission.ITEM_READ),
) -> list[ItemOut]:
    """Items you may see (routed to you, reported by you, or shared with your LEA),
    newest first."""
    items = reading.list_items(
        session, principal, stage=stage, country=country, search=q, limit=limit, offset=offset
    )
    return _items_out(session, items)


@router.get("/items/{reference}")
def get_item(
    reference: str, session: DbSession, principal: Principal = requires(Permission.ITEM_READ)
) -> ItemDetail:
    """One item with its timeline, assessments and notices. A hold shows only as
    ``on_hold`` and ``until``."""
    return reading.item_detail(session, principal, access.get_item(session, principal, reference))


@router.get("/queue")
def assessment_queue(
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    principal: Principal = requires(Permission.ITEM_ASSESS),
) -> list[ItemOut]:
    """Your organisation's items waiting for assessment, oldest first (claimed ones too)."""
    return _items_out(session, assessment.queue(session, principal, limit=limit))


@router.post(
    "/queue/claim",
    response_model=ItemOut,
    responses={204: {"description": "the queue has no unclaimed item"}},
)
def claim_next(
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.ITEM_ASSESS),
) -> ItemOut | Response:
    """Claim the oldest unclaimed item of your queue; 204 when there is none. Two claimants
    (analysts or case tools with an API key) never get the same item; a claim lapses after
    ALLIANCE_CLAIM_MINUTES."""
    item = assessment.claim_next(session, principal, app_state(request).settings)
    if item is None:
        return Response(status_code=204)
    return reading.item_out(session, item)


@router.post("/items/{reference}/claim", responses=answers(409))
def claim_item(
    reference: str,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.ITEM_ASSESS),
) -> ItemOut:
    """Claim one item for yourself (409 if another analyst holds a live claim)."""
    item = assessment.claim_item(session, principal, reference, app_state(request).settings)
    return reading.item_out(session, item)


@router.post("/items/{reference}/release", responses=answers(409))
def release_item(
    reference: str, session: DbSession, principal: Principal = requires(Permission.ITEM_ASSESS)
) -> ItemOut:
    """Give up your claim on an item: it returns to the queue."""
    return reading.item_out(session, assessment.release_item(session, principal, reference))


@router.post("/items/{reference}/assessment", responses=answers(409))
def assess_item(
    reference: str,
    data: AssessmentIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.ITEM_ASSESS),
) -> ItemDetail:
    """Record an assessment. Illegal material goes on to notice (after the LEA window and
    any hold); anything else closes the item. Optionally proposes the hashes to a bank.

    Claims are enforced: this call claims and assesses in one transaction when the item is
    unclaimed (or its claim lapsed) or already claimed by you; it answers 409 when another
    analyst or key holds a live claim. (The web page asks for an explicit claim first.)"""
    assessment.assess_item(
        session, principal, reference, data, app_state(request).settings, claim=True
    )
    return reading.item_detail(session, principal, access.get_item(session, principal, reference))


@router.post("/items/{reference}/route", responses=answers(409))
def route_item(
    reference: str,
    data: RouteIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.ITEM_ROUTE),
) -> ItemOut:
    """Route an open item to a hosting country by hand (e.g. an unresolved host)."""
    item = routing.route_manually(session, principal, reference, data, app_state(request).settings)
    return reading.item_out(session, item)


@router.post("/items/{reference}/clear", responses=answers(409))
def clear_for_notice(
    reference: str,
    session: DbSession,
    principal: Principal = requires(Permission.HOLD_MANAGE),
) -> ItemOut:
    """The hosting country's LEA has no objection: its window closes now and the notice
    goes out at once, unless a hold still matches."""
    return reading.item_out(session, routing.clear_for_notice(session, principal, reference))


@router.post("/items/{reference}/recheck", responses=answers(409))
def recheck(
    reference: str,
    session: DbSession,
    principal: Principal = requires(Permission.NOTICE_SEND),
) -> ItemOut:
    """Re-check a notified item now (e.g. the provider says it removed it); the worker
    fetches it within seconds."""
    return reading.item_out(session, assessment.request_recheck(session, principal, reference))


# --- holds -----------------------------------------------------------------------


@router.get("/holds")
def list_holds(
    session: DbSession,
    include_ended: bool = False,
    principal: Principal = requires(Permission.HOLD_READ),
) -> list[HoldOut]:
    """Your agency's holds, newest first; released and expired ones with ``include_ended``."""
    found = holds.list_holds(session, principal, include_ended=include_ended)
    return [holds.hold_out(hold, principal) for hold in found]


@router.post("/holds", status_code=201, responses=answers(404, 409))
def place_hold(
    data: HoldIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.HOLD_MANAGE),
) -> HoldOut:
    """Place an investigation hold on a URL, domain, hash or report (law enforcement only).
    While it is active no notice goes out for a matching item; others see only "on hold
    until". The reason is seen by your agency alone."""
    hold = holds.place_hold(session, principal, data, app_state(request).settings)
    return holds.hold_out(hold, principal)


@router.get("/holds/{hold}")
def get_hold(
    hold: str, session: DbSession, principal: Principal = requires(Permission.HOLD_READ)
) -> HoldDetail:
    """One of your agency's holds, with the open items it currently matches. Another
    agency's hold is 404."""
    found = holds.get_hold(session, principal, hold)
    return HoldDetail(
        **holds.hold_out(found, principal).model_dump(),
        items=[item.reference for item in holds.items_under_hold(session, found)],
    )


@router.post("/holds/{hold}/renew", responses=answers(409))
def renew_hold(
    hold: str,
    data: RenewIn,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.HOLD_MANAGE),
) -> HoldOut:
    """Extend an active hold to ``days`` from now (at most the configured maximum)."""
    renewed = holds.renew_hold(session, principal, hold, data.days, app_state(request).settings)
    return holds.hold_out(renewed, principal)


@router.post("/holds/{hold}/release", responses=answers(409))
def release_hold(
    hold: str, session: DbSession, principal: Principal = requires(Permission.HOLD_MANAGE)
) -> HoldOut:
    """End a hold now: items nothing else holds get their notice scheduled."""
    return holds.hold_out(holds.release_hold(session, principal, hold), principal)


# --- metrics -------------------------------------------------------------------------


@router.get("/metrics/takedown")
def takedown_metrics(
    session: DbSession,
    group_by: Literal["country", "provider", "month", "all"] = "country",
    since: Annotated[datetime | None, Query(description="items received from")] = None,
    until: Annotated[datetime | None, Query(description="items received before")] = None,
    principal: Principal = requires(Permission.METRICS_READ),
) -> MetricsReport:
    """Takedown times (median, 90th percentile, share removed within 1/3/7 days, the long
    tail over 42 days) of items assessed illegal, grouped by country, provider or month."""
    return metrics.takedown_metrics(session, principal, group_by=group_by, since=since, until=until)
