"""API for the lists for blocking: their signed snapshots and deltas (what ``alliance
sync`` fetches), the lists as JSON, keywords, appeals and blocking self-tests.

Routes only parse and call :mod:`alliance.blocklists`; who may do what is decided there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.blocklists import appeals, distribution, keywords, self_tests, urls
from alliance.blocklists.models import AppealStatus
from alliance.blocklists.schemas import (
    AppealDecisionIn,
    AppealOut,
    AppealReceipt,
    KeywordIn,
    KeywordOut,
    PublicAppealIn,
    SelfTestIn,
    SelfTestOut,
    UrlOut,
)
from alliance.db.listing import Listing
from alliance.validation import Offset, SeqNo, Text
from alliance.web.api.signed import signed_document, signed_route
from alliance.web.errors import answers, error_response, status_for
from alliance.web.guards import DbSession, requires
from alliance.web.guards import public as public_guard
from alliance.web.state import app_state, client_address

router = APIRouter(prefix="/api/v1", tags=["blocklists"])

Limit = Annotated[int, Query(ge=1, le=1000)]


class UrlPage(BaseModel):
    total: int
    entries: list[UrlOut]


class KeywordPage(BaseModel):
    total: int
    entries: list[KeywordOut]


class TermIn(BaseModel):
    term: Text = Field(min_length=1, max_length=200)


class AppealPage(BaseModel):
    total: int
    appeals: list[AppealOut]


class SelfTestPage(BaseModel):
    total: int
    self_tests: list[SelfTestOut]


# --- distribution --------------------------------------------------------------------


@router.get("/lists/{name}/snapshot", **signed_route("signed alliance.blocklist snapshot"))
def list_snapshot(
    name: str,
    request: Request,
    session: DbSession,
    principal: Principal = requires(Permission.BLOCKLIST_READ),
) -> Response:
    """Every entry on the list (``urls`` or ``keywords``) now, as a signed
    ``alliance.blocklist`` document (docs/blocklists.md)."""
    body = distribution.snapshot(session, principal, name, app_state(request).signer)
    return signed_document(request, body, name, "snapshot")


@router.get("/lists/{name}/delta", **signed_route("signed alliance.blocklist delta"))
def list_delta(
    name: str,
    request: Request,
    session: DbSession,
    since: Annotated[SeqNo, Query(description="your checkpoint")] = 0,
    principal: Principal = requires(Permission.BLOCKLIST_READ),
) -> Response:
    """Entries changed after ``since``, those that left the list included, signed."""
    body = distribution.delta(session, principal, name, since, app_state(request).signer)
    return signed_document(request, body, name, "delta")


# --- the lists as JSON -----------------------------------------------------------------


@router.get("/lists/urls")
def list_urls(
    session: DbSession,
    q: Annotated[str | None, Query(max_length=500, description="part of the URL")] = None,
    delisted: Annotated[bool, Query(description="include URLs that left the list")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
    principal: Principal = requires(Permission.BLOCKLIST_READ),
) -> UrlPage:
    """The URL list, newest first. Subscribers sync the signed documents instead."""
    found, total = urls.list_urls(
        session,
        principal,
        Listing(sort="listed_at", descending=True, limit=limit, offset=offset),
        include_delisted=delisted,
        q=q,
    )
    entries = [UrlOut.model_validate(e, from_attributes=True) for e in found]
    return UrlPage(total=total, entries=entries)


@router.get("/lists/keywords")
def list_keywords(
    session: DbSession,
    limit: Limit = 100,
    offset: Offset = 0,
    principal: Principal = requires(Permission.BLOCKLIST_READ),
) -> KeywordPage:
    """The terms on the keyword list, alphabetically."""
    found, total = keywords.list_keywords(
        session, principal, Listing(sort="term", limit=limit, offset=offset)
    )
    return KeywordPage(
        total=total, entries=[KeywordOut.model_validate(k, from_attributes=True) for k in found]
    )


@router.post("/lists/keywords", status_code=201, responses=answers(409))
def add_keyword(
    data: KeywordIn, session: DbSession, principal: Principal = requires(Permission.KEYWORD_MANAGE)
) -> KeywordOut:
    """Add a term (kept case-folded, NFKC); one already on the list is 409."""
    added = keywords.add_keyword(session, principal, data)
    return KeywordOut.model_validate(added, from_attributes=True)


@router.post("/lists/keywords/remove", responses=answers(404))
def remove_keyword(
    data: TermIn, session: DbSession, principal: Principal = requires(Permission.KEYWORD_MANAGE)
) -> KeywordOut:
    """Take a term off the list; the next delta tells subscribers."""
    removed = keywords.remove_keyword(session, principal, data.term)
    return KeywordOut.model_validate(removed, from_attributes=True)


# --- appeals -----------------------------------------------------------------------------


@router.post(
    "/public/appeals",
    status_code=201,
    dependencies=[public_guard],
    response_model=AppealReceipt,
    responses=answers(404, 409, 429),
)
def public_appeal(
    data: PublicAppealIn, request: Request, session: DbSession
) -> AppealReceipt | Response:
    """Appeal against a listed URL, without an account, with a solved challenge from
    ``GET /api/v1/public/challenge``. A URL not on the list is 404, one with an appeal
    waiting 409; a spent challenge 409, too many submissions from one address 429."""
    state = app_state(request)
    result = appeals.submit_public_appeal(
        session, data, client_address(request), state.settings, state.secret_key
    )
    if isinstance(result, appeals.Refused):  # audited; committed with the spent challenge
        error = result.error
        return error_response(request, status_for(error), error.code, error.message)
    return AppealReceipt(reference=result.reference, status=result.status)


@router.get("/appeals")
def list_appeals(
    session: DbSession,
    status: AppealStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    principal: Principal = requires(Permission.APPEAL_DECIDE),
) -> AppealPage:
    """Appeals, oldest first (those waiting, with ``status=pending``)."""
    found, total = appeals.list_appeals(
        session, principal, Listing(sort="received_at", limit=limit, offset=offset), status
    )
    return AppealPage(total=total, appeals=[appeals.appeal_out(a) for a in found])


@router.get("/appeals/{reference}")
def get_appeal(
    reference: str, session: DbSession, principal: Principal = requires(Permission.APPEAL_DECIDE)
) -> AppealOut:
    return appeals.appeal_out(appeals.get_appeal(session, principal, reference))


@router.post("/appeals/{reference}/decision", responses=answers(409))
def decide_appeal(
    reference: str,
    data: AppealDecisionIn,
    session: DbSession,
    principal: Principal = requires(Permission.APPEAL_DECIDE),
) -> AppealOut:
    """Uphold (the URL leaves the list in the next delta) or reject, with the reasons."""
    return appeals.appeal_out(appeals.decide_appeal(session, principal, reference, data))


# --- self-tests ----------------------------------------------------------------------------


@router.post("/self-tests", status_code=201)
def record_self_test(
    data: SelfTestIn,
    session: DbSession,
    principal: Principal = requires(Permission.SELF_TEST_RECORD),
) -> SelfTestOut:
    """Record your organisation's quarterly blocking self-test."""
    return self_tests.self_test_out(self_tests.record_self_test(session, principal, data))


@router.get("/self-tests")
def list_self_tests(
    session: DbSession,
    limit: Limit = 100,
    offset: Offset = 0,
    principal: Principal = requires(Permission.SELF_TEST_READ),
) -> SelfTestPage:
    """Your organisation's self-tests, newest first (every subscriber's for the
    secretariat)."""
    found, total = self_tests.list_self_tests(
        session, principal, Listing(sort="recorded_at", descending=True, limit=limit, offset=offset)
    )
    return SelfTestPage(total=total, self_tests=[self_tests.self_test_out(t) for t in found])
