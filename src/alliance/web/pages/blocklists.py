"""Pages of the lists for blocking: the public appeal form, the appeals analysts decide,
the URL and keyword lists, and subscribers' blocking self-tests.

Every decision is made by :mod:`alliance.blocklists`; these handlers parse forms, call a
service and render. Listed URLs are shown as text, never as links.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.blocklists import appeals, keywords, self_tests, urls
from alliance.blocklists.appeals import APPEAL_SORTS
from alliance.blocklists.keywords import KEYWORD_SORTS
from alliance.blocklists.models import AppealStatus, KeywordCategory, SelfTestResult
from alliance.blocklists.schemas import AppealDecisionIn, KeywordIn, PublicAppealIn, SelfTestIn
from alliance.blocklists.self_tests import SELF_TEST_SORTS
from alliance.blocklists.urls import URL_SORTS
from alliance.db.base import utcnow
from alliance.errors import AllianceError, InvalidInput
from alliance.takedown import public
from alliance.web.errors import failed_form, status_for
from alliance.web.forms import Form as WebForm
from alliance.web.guards import DbSession, page_public, page_requires
from alliance.web.labels import label
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state, client_address
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

APPEAL_LABELS = {"url": "Listed address (URL)", "contact": "Your e-mail", "reason": "Why"}
DECISION_LABELS = {"decision": "Decision", "outcome": "Reasons"}
KEYWORD_LABELS = {"term": "Term", "category": "Category", "language": "Language"}
SELF_TEST_LABELS = {"quarter": "Quarter", "tested_on": "Date of the test", "result": "Result"}
SELF_TEST_LABELS |= {"note": "Note"}


# --- the public appeal form ---------------------------------------------------------------


def _appeal_form(
    request: Request, form: WebForm | None = None, *, status_code: int = 200
) -> Response:
    state = app_state(request)
    bits = state.settings.proof_of_work_bits
    return render(
        request,
        "appeal.html",
        {
            "challenge": public.issue_challenge(state.secret_key, bits),
            "bits": bits,
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/appeal", dependencies=[page_public])
def appeal_form(request: Request, url: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """The form, with ``?url=`` filled in: a provider's block page links here with the
    address it blocked."""
    return _appeal_form(request, WebForm(values={"url": url}) if url else None)


@router.post("/appeal", dependencies=[page_public, csrf])
def appeal_submit(
    request: Request,
    url: Annotated[str, Form(max_length=2000)] = "",
    contact: Annotated[str, Form(max_length=254)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    challenge: Annotated[str, Form(max_length=300)] = "",
    nonce: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {"url": url, "contact": contact, "reason": reason}
    state = app_state(request)
    try:
        if not nonce:
            raise InvalidInput(
                "the form's anti-abuse check did not run; enable JavaScript and try again"
            )
        data = PublicAppealIn(
            url=url.strip(),
            contact=contact.strip(),
            reason=reason.strip(),
            challenge=challenge,
            nonce=nonce,
        )
        # A transaction of its own: a refusal is committed with its audit event and the
        # spent challenge, and no appeal.
        with state.sessions.begin() as session:
            result = appeals.submit_public_appeal(
                session, data, client_address(request), state.settings, state.secret_key
            )
            if isinstance(result, appeals.Refused):
                raise result.error
            reference = result.reference
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=APPEAL_LABELS)
        if form.errors.pop("challenge", None) or form.errors.pop("nonce", None):
            form.message = "The form's anti-abuse check failed; please send it again."
        return _appeal_form(request, form, status_code=status)
    return render(request, "appeal_thanks.html", {"reference": reference})


# --- appeals, for the analysts who decide them ------------------------------------------------

APPEAL_STATES = [("pending", "Waiting"), ("upheld", "Upheld"), ("rejected", "Rejected")]


def _appeals_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    state_text = request.query_params.get("status") or AppealStatus.pending.value
    try:
        status = AppealStatus(state_text)
    except ValueError:
        raise InvalidInput("choose pending, upheld or rejected appeals", field="status") from None
    table, listing = read_table(
        request, sortable=APPEAL_SORTS, default="received_at", filters={"status": status.value}
    )
    found, total = appeals.list_appeals(session, principal, listing, status)
    table.total = total
    if table.csv:
        header = ["Appeal", "URL", "Contact", "Reason", "Status", "Received", "Reviewer"]
        header += ["Outcome", "Decided"]
        rows = [
            (a.reference, a.url, a.contact, a.reason, a.status, a.received_at, a.reviewer,
             a.outcome, a.decided_at)
            for a in found
        ]  # fmt: skip
        return csv_response(f"appeals-{status.value}.csv", header, rows)
    table.rows(found)
    shown = [appeals.appeal_out(a) for a in found[: table.page_size]]
    return render(
        request,
        "appeals.html",
        {
            "appeals": shown,
            "table": table,
            "status": status.value,
            "states": APPEAL_STATES,
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/appeals")
def appeals_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.APPEAL_DECIDE),
) -> Response:
    return _appeals_page(request, session, principal)


@router.post("/appeals/{reference}/decision", dependencies=[csrf])
def appeal_decide(
    request: Request,
    session: DbSession,
    reference: str,
    decision: Annotated[str, Form(max_length=16)] = "",
    outcome: Annotated[str, Form(max_length=5000)] = "",
    principal: Principal = page_requires(Permission.APPEAL_DECIDE),
) -> Response:
    values = {"decision": decision, "outcome": outcome}
    try:
        data = AppealDecisionIn.model_validate({"decision": decision, "outcome": outcome.strip()})
        with session.begin_nested():  # a refused decision leaves nothing behind
            decided = appeals.decide_appeal(session, principal, reference, data)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, AllianceError) and status_for(exc) in (403, 404):
            raise
        form, status = failed_form(exc, values, labels=DECISION_LABELS, name=reference)
        return _appeals_page(request, session, principal, form=form, status_code=status)
    if decided.status is AppealStatus.upheld:
        notice = f"Appeal {reference} upheld: the URL leaves the list in the next delta."
    else:
        notice = f"Appeal {reference} rejected: the URL stays listed."
    return redirect(request, "/appeals", notice=notice)


# --- the lists ------------------------------------------------------------------------------


@router.get("/blocklists/urls")
def url_list_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.BLOCKLIST_READ),
) -> Response:
    q = (request.query_params.get("q") or "").strip()[:500]
    delisted = request.query_params.get("delisted") == "1"
    table, listing = read_table(
        request,
        sortable=URL_SORTS,
        default="-listed_at",
        filters={"q": q, "delisted": "1" if delisted else ""},
    )
    found, total = urls.list_urls(session, principal, listing, include_delisted=delisted, q=q)
    table.total = total
    if table.csv:
        header = ["URL", "Host", "Category", "Listed", "Delisted", "Why delisted"]
        rows = [
            (e.url, e.host, e.category, e.listed_at, e.delisted_at, e.delist_reason) for e in found
        ]
        return csv_response("url-list.csv", header, rows)
    return render(
        request,
        "blocklist_urls.html",
        {"entries": table.rows(found), "table": table, "q": q, "delisted": delisted},
    )


def _keywords_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    table, listing = read_table(request, sortable=KEYWORD_SORTS, default="term")
    found, total = keywords.list_keywords(session, principal, listing)
    table.total = total
    if table.csv:
        header = ["Term", "Category", "Language", "Added"]
        rows = [(k.term, k.category, k.language, k.added_at) for k in found]
        return csv_response("keyword-list.csv", header, rows)
    return render(
        request,
        "blocklist_keywords.html",
        {
            "entries": table.rows(found),
            "table": table,
            "may_manage": principal.can(Permission.KEYWORD_MANAGE),
            "categories": [(c.value, label(c)) for c in KeywordCategory],
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/blocklists/keywords")
def keyword_list_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.BLOCKLIST_READ),
) -> Response:
    return _keywords_page(request, session, principal)


@router.post("/blocklists/keywords", dependencies=[csrf])
def keyword_add(
    request: Request,
    session: DbSession,
    term: Annotated[str, Form(max_length=200)] = "",
    category: Annotated[str, Form(max_length=16)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    principal: Principal = page_requires(Permission.KEYWORD_MANAGE),
) -> Response:
    values = {"term": term, "category": category, "language": language}
    try:
        data = KeywordIn.model_validate(
            {"term": term, "category": category, "language": language.strip() or None}
        )
        with session.begin_nested():
            added = keywords.add_keyword(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, AllianceError) and status_for(exc) == 403:
            raise
        form, status = failed_form(exc, values, labels=KEYWORD_LABELS, name="add")
        return _keywords_page(request, session, principal, form=form, status_code=status)
    return redirect(request, "/blocklists/keywords", notice=f"Added {added.term!r}.")


@router.post("/blocklists/keywords/remove", dependencies=[csrf])
def keyword_remove(
    request: Request,
    session: DbSession,
    term: Annotated[str, Form(max_length=200)] = "",
    principal: Principal = page_requires(Permission.KEYWORD_MANAGE),
) -> Response:
    removed = keywords.remove_keyword(session, principal, term)
    return redirect(request, "/blocklists/keywords", notice=f"Removed {removed.term!r}.")


# --- blocking self-tests ------------------------------------------------------------------


def _self_tests_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    table, listing = read_table(request, sortable=SELF_TEST_SORTS, default="-recorded_at")
    found, total = self_tests.list_self_tests(session, principal, listing)
    table.total = total
    if table.csv:
        header = ["Organisation", "Quarter", "Tested on", "Result", "Note", "Recorded by"]
        header.append("Recorded")
        rows = [
            (t.organisation.slug, t.quarter, t.tested_on, t.result, t.note, t.recorded_by,
             t.recorded_at)
            for t in found
        ]  # fmt: skip
        return csv_response("self-tests.csv", header, rows)
    today = utcnow().date()
    return render(
        request,
        "self_tests.html",
        {
            "tests": table.rows(found),
            "table": table,
            "may_record": principal.can(Permission.SELF_TEST_RECORD)
            and principal.organisation_id is not None,
            "results": [(r.value, label(r)) for r in SelfTestResult],
            "this_quarter": self_tests.quarter_of(today),
            "today": today.isoformat(),
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/self-tests")
def self_tests_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.SELF_TEST_READ),
) -> Response:
    return _self_tests_page(request, session, principal)


@router.post("/self-tests", dependencies=[csrf])
def self_test_record(
    request: Request,
    session: DbSession,
    tested_on: Annotated[str, Form(max_length=10)] = "",
    result: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.SELF_TEST_RECORD),
) -> Response:
    values = {"tested_on": tested_on, "result": result, "note": note}
    try:
        try:
            day = date.fromisoformat(tested_on.strip())
        except ValueError:
            raise InvalidInput("give the date as YYYY-MM-DD", field="tested_on") from None
        data = SelfTestIn.model_validate(
            {
                "quarter": self_tests.quarter_of(day),
                "tested_on": day,
                "result": result,
                "note": note.strip(),
            }
        )
        with session.begin_nested():
            recorded = self_tests.record_self_test(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, AllianceError) and status_for(exc) == 403:
            raise
        form, status = failed_form(exc, values, labels=SELF_TEST_LABELS)
        return _self_tests_page(request, session, principal, form=form, status_code=status)
    return redirect(
        request,
        "/self-tests",
        notice=f"Self-test for {recorded.quarter} recorded: {label(recorded.result)}.",
    )
