"""Pages of the review queue: the queue (filters, SLA age, bulk decisions), a case (its
matches, the blurred preview and its audited reveal, the decision form, the rules' effects,
the reports that follow a confirmed case and closing it) and the action rules.

Every decision is made by :mod:`alliance.review`, every report sent by
:mod:`alliance.member` (the CyberTipline, the DSA statement, the police through the hub),
as the API's routes (:mod:`alliance.web.api.review`) and the CLI send them; these handlers
parse forms, call a service and render. A report's handler opens no transaction of its
own while the outside service is waited for: the service keeps each step on the case in
short transactions, and the page is drawn afterwards. Previews are served with
``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.errors import AllianceError, ConfigurationError, InvalidInput
from alliance.member import cybertipline as member_cybertipline
from alliance.member import dsa as member_dsa
from alliance.member import police as member_police
from alliance.member.uploader import EXAMPLE, given_before, ip_lines, uploader_of
from alliance.review import cases, decisions, previews, reports, rules
from alliance.review.models import ACTIVE, CaseStatus, DecisionKind, RuleAction
from alliance.review.schemas import BulkDecisionIn, DecisionIn, RuleChangeIn, RuleIn
from alliance.validation import RecordId
from alliance.web.errors import failed_form, status_for
from alliance.web.forms import Form as WebForm
from alliance.web.guards import DbSession, page_requires
from alliance.web.labels import label
from alliance.web.pages.rendering import back_to, here, redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

QUEUE = "/review"
DECISION_LABELS = {"decision": "Decision", "reason": "Reason", "cases": "Cases"}
RULE_LABELS = {"bank": "Bank", "max_distance": "Distance at most", "action": "Action"}
#: No decision chosen until the reviewer chooses one: a click alone confirms nothing.
DECISIONS = [("", "Choose a decision"), *((d.value, label(d)) for d in DecisionKind)]
#: The queue's tabs: every undecided case, then each status.
TABS = [("", "Undecided"), *((s.value, label(s)) for s in CaseStatus)]
NO_STORE = {"cache-control": "no-store"}
UPLOADER_LABELS = {
    "account": "Account",
    "ip": "Addresses the uploader used",
    "country": "Declared country",
    "classification": "Classification",
    "note": "Note for the police",
    "media": "The case's file",
}
CLASSIFICATIONS = [
    ("", "The matches' own category"),
    ("A1", "A1 — prepubescent, sex act"),
    ("A2", "A2 — prepubescent, lascivious exhibition"),
    ("B1", "B1 — pubescent, sex act"),
    ("B2", "B2 — pubescent, lascivious exhibition"),
]
ACCOUNT_ACTIONS = [
    ("", "None"),
    ("suspended", "Suspended"),
    ("terminated", "Terminated"),
]
#: Each report's form on the case page, with the prefix of its fields' ids.
REPORT_FORMS = {"cybertipline": "ct-", "dsa": "dsa-", "police": "po-", "close": "close-"}


# --- the queue ------------------------------------------------------------------------------


def _queue_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
    back: str | None = None,
) -> Response:
    settings = app_state(request).settings
    query = request.query_params
    status_text = query.get("status") or ""
    try:
        status = CaseStatus(status_text) if status_text else None
    except ValueError:
        raise InvalidInput("choose a status of the list", field="status") from None
    bank = (query.get("bank") or "").strip()[:100]
    overdue = query.get("overdue") == "1"
    table, listing = read_table(
        request,
        sortable=cases.CASE_SORTS,
        default="opened",
        filters={"status": status_text, "bank": bank, "overdue": "1" if overdue else ""},
    )
    where = cases.QueueFilter(status=status, bank=bank or None, overdue=overdue)
    found, total, capped = cases.list_cases(session, principal, listing, where, settings=settings)
    table.total = total
    table.path = QUEUE  # also when drawn again by a refused bulk decision
    now = utcnow()
    rows = [cases.case_row(c, settings, now) for c in found]
    if table.csv:
        header = ["Case", "Content", "Status", "Opened", "Hours open", "Overdue", "Matches"]
        header += ["Nearest distance", "Assignee"]
        return csv_response(
            "review-cases.csv",
            header,
            [
                (r.reference, r.content_id, r.status, r.opened_at, r.age_hours, r.overdue,
                 r.match_count, r.best_distance, r.assignee)
                for r in rows
            ],
        )  # fmt: skip
    counts = cases.status_counts(session, principal)
    tab_counts = {"": sum(counts[s] for s in ACTIVE)} | {s.value: n for s, n in counts.items()}
    return render(
        request,
        "review_queue.html",
        {
            "cases": table.rows(rows),
            "table": table,
            "capped": capped,
            "status": status_text,
            "bank": bank,
            "overdue": overdue,
            "tabs": TABS,
            "tab_counts": tab_counts,
            "decisions": DECISIONS,
            "sla_hours": settings.review_sla_hours,
            "may_decide": principal.can(Permission.CASE_DECIDE),
            "back": back_to(request, back, QUEUE) if back is not None else here(request),
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get(QUEUE)
def queue_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_READ),
) -> Response:
    return _queue_page(request, session, principal)


@router.post("/review/decisions", dependencies=[csrf])
def bulk_decide(
    request: Request,
    session: DbSession,
    cases_: Annotated[list[str], Form(alias="cases", max_length=500)] = [],  # noqa: B006 - FastAPI's default
    decision: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    values = {"decision": decision, "reason": reason}
    try:
        if not cases_:
            raise InvalidInput("choose at least one case of the list", field="cases")
        data = BulkDecisionIn.model_validate(
            {"cases": cases_, "decision": decision, "reason": reason.strip()}
        )
        with session.begin_nested():  # one refused case leaves nothing behind
            decided = decisions.bulk_decide(
                session, principal, data, settings=app_state(request).settings
            )
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=DECISION_LABELS, name="bulk")
        return _queue_page(request, session, principal, form=form, status_code=status, back=back)
    kind = label(DecisionKind(decision))
    notice = f"{len(decided)} case{'' if len(decided) == 1 else 's'} decided: {kind}."
    return redirect(request, back_to(request, back, QUEUE), notice=notice)


# --- a case -----------------------------------------------------------------------------------


def _case_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
    revealed: str | None = None,
) -> Response:
    settings = app_state(request).settings
    case = cases.get_case(session, principal, reference)
    form = form or WebForm()
    states = reports.states_of(case)
    given = given_before(case.police_report, case.cybertipline_report)
    defaults = (
        {
            "account": given.account_id or "",
            "ip": "\n".join(ip_lines(given)),
            "country": given.declared_country or "",
        }
        if given is not None
        else {}
    )
    report_forms = {
        name: form if form.is_(name) else WebForm(values=dict(defaults), name=name, prefix=prefix)
        for name, prefix in REPORT_FORMS.items()
    }
    destinations = app_state(request).destinations
    return render(
        request,
        "review_case.html",
        {
            "case": cases.case_out(case, settings),
            "decisions": DECISIONS,
            "undecided": case.status in ACTIVE,
            "reportable": case.status is CaseStatus.confirmed,
            "closed": case.status is CaseStatus.closed,
            "may_decide": principal.can(Permission.CASE_DECIDE),
            "may_reveal": principal.can(Permission.MEDIA_REVEAL),
            "revealed": revealed,
            "second_review": settings.review_second_reviewer,
            "form": form,
            "report_forms": report_forms,
            "states": {kind.value: state for kind, state in states.items()},
            "resumable": {kind.value: state.resumable for kind, state in states.items()},
            "may_close": reports.may_close(states),
            "user_notice": case.dsa_user_notice,
            "missing": {
                "cybertipline": destinations.cybertipline_missing(),
                "dsa": destinations.dsa_missing(),
                "police": None,
            },
            "police_through": destinations.police_through,
            "classifications": CLASSIFICATIONS,
            "account_actions": ACCOUNT_ACTIONS,
            "ip_example": EXAMPLE,
            "kept": {
                "cybertipline": case.cybertipline_report is not None,
                "dsa": case.dsa_statement is not None,
                "police": case.police_report is not None,
            },
        },
        status_code=status_code,
        headers=NO_STORE,
    )


@router.get("/review/cases/{case}")
def case_page(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_READ),
) -> Response:
    return _case_page(request, session, principal, case)


@router.get("/review/cases/{case}/preview")
def case_preview(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_READ),
) -> Response:
    """The blurred greyscale preview (the placeholder when the file cannot be read)."""
    shown = previews.preview(session, principal, case, settings=app_state(request).settings)
    return Response(shown.data, media_type=shown.media_type, headers=NO_STORE)


@router.post("/review/cases/{case}/reveal", dependencies=[csrf])
def case_reveal(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.MEDIA_REVEAL),
) -> Response:
    """The media unblurred, in the page (audited). From htmx: only the picture's figure."""
    shown = previews.revealed(session, principal, case, settings=app_state(request).settings)
    data_uri = f"data:{shown.media_type};base64," + base64.b64encode(shown.data).decode()
    if request.headers.get("hx-request") == "true":
        return render(
            request,
            "_review_media.html",
            {"reference": case, "revealed": data_uri, "may_reveal": True},
            headers=NO_STORE,
            take_notice=False,
        )
    return _case_page(request, session, principal, case, revealed=data_uri)


@router.post("/review/cases/{case}/decision", dependencies=[csrf])
def case_decide(
    case: str,
    request: Request,
    session: DbSession,
    decision: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    values = {"decision": decision, "reason": reason}
    try:
        data = DecisionIn.model_validate({"decision": decision, "reason": reason.strip()})
        with session.begin_nested():
            decided = decisions.decide(
                session, principal, case, data, settings=app_state(request).settings
            )
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, AllianceError) and status_for(exc) == 404:
            raise
        form, status = failed_form(exc, values, labels=DECISION_LABELS, name="decide")
        return _case_page(request, session, principal, case, form=form, status_code=status)
    notice = f"Case {case}: {label(decided.status)}."
    return redirect(request, f"/review/cases/{case}", notice=notice)


@router.post("/review/cases/{case}/take", dependencies=[csrf])
def case_take(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    try:
        with session.begin_nested():
            cases.assign_to_me(session, principal, case)
    except InvalidInput as exc:
        form, status = failed_form(exc, {}, name="take")
        return _case_page(request, session, principal, case, form=form, status_code=status)
    return redirect(request, f"/review/cases/{case}", notice=f"Case {case} is yours.")


# --- the reports that follow a confirmed case -----------------------------------------------
#
# Each handler sends its report through alliance.member (no transaction of the request's is
# open meanwhile: the service keeps every step on the case in short transactions of its
# own), then redirects with what happened, or draws the case again with the error beside
# the form: the report's state on the page says where it stopped.


def _report_failed(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    exc: ValidationError | AllianceError,
    values: dict[str, str],
    name: str,
) -> Response:
    if isinstance(exc, AllianceError) and status_for(exc) == 404 and exc.field is None:
        found = True
        try:
            cases.get_case(session, principal, reference)
        except AllianceError:
            found = False
        if not found:
            raise exc
    # A report the outside service stopped is ReportStopped: 502, and the case says where.
    form, status = failed_form(
        exc, values, labels=UPLOADER_LABELS, name=name, prefix=REPORT_FORMS[name]
    )
    if isinstance(exc, ConfigurationError):  # the form cannot work here: said beside it
        status = 503
    return _case_page(request, session, principal, reference, form=form, status_code=status)


@router.post("/review/cases/{case}/cybertipline", dependencies=[csrf])
def case_cybertipline(
    case: str,
    request: Request,
    session: DbSession,
    account: Annotated[str, Form(max_length=200)] = "",
    ip: Annotated[str, Form(max_length=20_000)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    classification: Annotated[str, Form(max_length=2)] = "",
    child_at_risk: Annotated[str, Form(max_length=3)] = "",
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    """File the case with NCMEC's CyberTipline, or resume its filing."""
    values = {"account": account, "ip": ip, "country": country, "classification": classification}
    state = app_state(request)
    try:
        uploader = uploader_of(account, ip.splitlines(), country)
        reports.check_reportable(state.sessions, principal, case)
        with state.destinations.cybertipline() as tipline:
            done = member_cybertipline.file_case(
                state.sessions,
                principal,
                case,
                tipline=tipline,
                settings=state.settings,
                uploader=uploader,
                classification=classification or None,
                child_at_risk=bool(child_at_risk),
            )
    except (ValidationError, AllianceError) as exc:
        return _report_failed(request, session, principal, case, exc, values, "cybertipline")
    notice = f"Case {case}: filed with NCMEC's CyberTipline as report {done.report_id}."
    return redirect(request, f"/review/cases/{case}#reports", notice=notice)


@router.post("/review/cases/{case}/cybertipline/withdraw", dependencies=[csrf])
def case_cybertipline_withdraw(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    """Retract the case's unfinished CyberTipline report, so that it can be filed anew."""
    state = app_state(request)
    try:
        reports.check_reportable(state.sessions, principal, case)
        with state.destinations.cybertipline() as tipline:
            done = member_cybertipline.withdraw(state.sessions, principal, case, tipline=tipline)
    except AllianceError as exc:
        return _report_failed(request, session, principal, case, exc, {}, "cybertipline")
    what = f"report {done.report_id}" if done.report_id else "the report"
    notice = f"Case {case}: {what} withdrawn from the CyberTipline; it may be filed anew."
    return redirect(request, f"/review/cases/{case}#reports", notice=notice)


@router.post("/review/cases/{case}/dsa", dependencies=[csrf])
def case_dsa(
    case: str,
    request: Request,
    session: DbSession,
    account_action: Annotated[str, Form(max_length=16)] = "",
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    """Send the case's statement of reasons to the DSA Transparency Database."""
    values = {"account_action": account_action}
    state = app_state(request)
    try:
        action = member_dsa.account_action_of(account_action)
        reports.check_reportable(state.sessions, principal, case)
        with state.destinations.dsa() as database:
            done = member_dsa.submit_case(
                state.sessions,
                principal,
                case,
                database=database,
                settings=state.settings,
                account_action=action,
            )
    except (ValidationError, AllianceError) as exc:
        return _report_failed(request, session, principal, case, exc, values, "dsa")
    entry = next(iter(done.entries.values()))
    said = f"accepted as {entry.uuid}" if entry.uuid else "already in the database"
    notice = f"Case {case}: statement of reasons {said}."
    return redirect(request, f"/review/cases/{case}#reports", notice=notice)


@router.post("/review/cases/{case}/police", dependencies=[csrf])
def case_police(
    case: str,
    request: Request,
    session: DbSession,
    account: Annotated[str, Form(max_length=200)] = "",
    ip: Annotated[str, Form(max_length=20_000)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    classification: Annotated[str, Form(max_length=2)] = "",
    child_at_risk: Annotated[str, Form(max_length=3)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    """Report the case to the police of the uploader's country through the alliance, or
    (once sent) ask the hub what became of it."""
    values = {
        "account": account,
        "ip": ip,
        "country": country,
        "classification": classification,
        "note": note,
    }
    state = app_state(request)
    try:
        uploader = uploader_of(account, ip.splitlines(), country)
        reports.check_reportable(state.sessions, principal, case)
        with state.destinations.police(state.sessions, principal) as channel:
            sent = member_police.send_to_police(
                state.sessions,
                principal,
                case,
                channel=channel,
                uploader=uploader,
                classification=classification or None,
                child_at_risk=bool(child_at_risk),
                note=note.strip(),
                settings=state.settings,
            )
    except (ValidationError, AllianceError) as exc:
        return _report_failed(request, session, principal, case, exc, values, "police")
    answer = sent.answer
    where = f" of {answer.country}" if answer.country else ""
    said = {
        "triage": "received by the alliance; the secretariat will find the country's police",
        "routed": f"sent to the police{where}",
        "accepted": f"accepted by the police{where}",
        "declined": f"declined by the police{where}",
    }[answer.status.value]
    outcome = f"; outcome: {label(answer.outcome)}" if answer.outcome else ""
    notice = f"Case {case}: report {answer.reference} {said}{outcome}."
    return redirect(request, f"/review/cases/{case}#reports", notice=notice)


@router.post("/review/cases/{case}/close", dependencies=[csrf])
def case_close(
    case: str,
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_DECIDE),
) -> Response:
    """Close a confirmed case (refused while one of its reports has stopped mid-way)."""
    try:
        with session.begin_nested():
            reports.close_case(session, principal, case)
    except AllianceError as exc:
        if status_for(exc) == 404:
            raise
        form, status = failed_form(exc, {}, name="close", prefix=REPORT_FORMS["close"])
        return _case_page(request, session, principal, case, form=form, status_code=status)
    return redirect(request, f"/review/cases/{case}", notice=f"Case {case} closed.")


# --- action rules ----------------------------------------------------------------------------


def _rules_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "review_rules.html",
        {
            "rules": rules.list_rules(session, principal),
            "actions": [(a.value, label(a)) for a in RuleAction],
            "may_manage": principal.can(Permission.RULE_MANAGE),
            "hook": bool(app_state(request).settings.review_removal_hook_url),
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/review/rules")
def rules_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CASE_READ),
) -> Response:
    return _rules_page(request, session, principal)


@router.post("/review/rules", dependencies=[csrf])
def rule_add(
    request: Request,
    session: DbSession,
    bank: Annotated[str, Form(max_length=100)] = "",
    max_distance: Annotated[str, Form(max_length=8)] = "",
    action: Annotated[str, Form(max_length=16)] = "",
    principal: Principal = page_requires(Permission.RULE_MANAGE),
) -> Response:
    values = {"bank": bank, "max_distance": max_distance, "action": action}
    try:
        data = RuleIn.model_validate(
            {"bank": bank.strip(), "max_distance": max_distance.strip(), "action": action}
        )
        with session.begin_nested():
            rule = rules.add_rule(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=RULE_LABELS, name="rule")
        return _rules_page(request, session, principal, form=form, status_code=status)
    text = f"Rule added: on a match of {rule.bank} at distance {rule.max_distance} or less, "
    return redirect(request, "/review/rules", notice=text + f"{label(rule.action).lower()}.")


@router.post("/review/rules/{rule_id}/enabled", dependencies=[csrf])
def rule_enable(
    rule_id: RecordId,
    request: Request,
    session: DbSession,
    enabled: Annotated[str, Form(max_length=1)] = "",
    principal: Principal = page_requires(Permission.RULE_MANAGE),
) -> Response:
    if enabled not in ("0", "1"):
        form, status = failed_form(
            InvalidInput("choose enable or disable", field="enabled"), {}, name="enable"
        )
        return _rules_page(request, session, principal, form=form, status_code=status)
    rule = rules.change_rule(session, principal, rule_id, RuleChangeIn(enabled=enabled == "1"))
    state = "enabled" if rule.enabled else "disabled"
    return redirect(request, "/review/rules", notice=f"Rule {rule.id} {state}.")
