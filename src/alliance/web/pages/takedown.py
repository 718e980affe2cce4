"""Notice-and-takedown pages: the public report form, the analyst queue, items, holds,
takedown metrics and the hosting-provider directory.

Pages show URLs, hashes and workflow state only, never media: an item's URL is text, not
a link, so that analysts open it in their own safe environment. Every decision is made by
:mod:`alliance.takedown`; these handlers parse forms, call a service and render.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import ValidationError

from alliance import charts
from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.banks import services as banks
from alliance.cooperation import services as cooperation
from alliance.countries import display_name
from alliance.db.base import utcnow
from alliance.errors import AllianceError, Conflict, InvalidInput, NotFound, PermissionDenied
from alliance.hosting import services as hosting
from alliance.legal.hints import item_hint
from alliance.takedown import access, assessment, intake, public, reading, routing
from alliance.takedown import holds as holds_
from alliance.takedown.holds import HoldState
from alliance.takedown.metrics import takedown_metrics
from alliance.takedown.models import (
    AgeGroup,
    Classification,
    Commerciality,
    ContentItem,
    ContentType,
    EventKind,
    Gender,
    HoldTarget,
    ItemStage,
    SiteType,
)
from alliance.takedown.schemas import (
    AssessmentIn,
    HashIn,
    HoldIn,
    HoldOut,
    ItemDetail,
    MetricsReport,
    MetricsRow,
    PublicReportIn,
    ReportIn,
    ReportReceipt,
    RouteIn,
)
from alliance.web.errors import failed_form, status_for
from alliance.web.forms import Form as WebForm
from alliance.web.forms import failed, friendly
from alliance.web.guards import DbSession, page_public, page_requires
from alliance.web.labels import country_choices, label, when, zone
from alliance.web.pages.cooperation import alert_rows
from alliance.web.pages.rendering import TIME_ZONE_COOKIE, redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state, client_address
from alliance.web.tables import csv_response, read_table
from alliance.web.timeline import actor_words, describe

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
PAGE_SIZE = 50
GROUPINGS = ("country", "provider", "month")

ASSESSMENT_CHOICES: dict[str, list[StrEnum]] = {
    "age_group": list(AgeGroup),
    "gender": list(Gender),
    "content_type": list(ContentType),
    "site_type": list(SiteType),
    "commerciality": list(Commerciality),
}


# --- the public report form ------------------------------------------------------------

PUBLIC_REPORT_LABELS = {
    "url": "Address (URL)",
    "description": "What you saw",
    "contact": "Your e-mail",
    "country": "Country",
}
#: The models' names of the public form's fields where they differ.
PUBLIC_REPORT_FIELDS = {"urls": "url", "country_hint": "country"}


def _report_form(
    request: Request,
    form: WebForm | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    state = app_state(request)
    bits = state.settings.proof_of_work_bits
    return render(
        request,
        "report.html",
        {
            "challenge": public.issue_challenge(state.secret_key, bits),
            "bits": bits,
            "demo_urls": state.demo_urls(),
            "form": form or WebForm(),
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/report", dependencies=[page_public])
def report_form(request: Request) -> Response:
    return _report_form(request)


@router.post("/report", dependencies=[page_public, csrf])
def report_submit(
    request: Request,
    url: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    contact: Annotated[str, Form(max_length=254)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    challenge: Annotated[str, Form(max_length=300)] = "",
    nonce: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    values = {"url": url, "description": description, "contact": contact, "country": country}
    state = app_state(request)
    try:
        if not url.strip():
            raise InvalidInput("give the address (URL) of the page or file", field="url")
        if not nonce:
            raise InvalidInput(
                "the form's anti-abuse check did not run; enable JavaScript and try again"
            )
        data = PublicReportIn(
            url=url.strip(),
            description=description.strip(),
            contact=contact or None,
            country_hint=country.strip() or None,
            challenge=challenge,
            nonce=nonce,
        )
        # A transaction of its own: a refused report leaves nothing behind.
        with state.sessions.begin() as session:
            receipt = public.submit_public_report(
                session, data, client_address(request), state.settings, state.secret_key
            )
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(
            exc, values, fields=PUBLIC_REPORT_FIELDS, labels=PUBLIC_REPORT_LABELS
        )
        if form.errors.pop("challenge", None) or form.errors.pop("nonce", None):
            form.message = "The form's anti-abuse check failed; please send it again."
        retry = getattr(exc, "retry_after_seconds", None)
        return _report_form(
            request,
            form,
            status_code=status,
            headers={"retry-after": str(retry)} if retry else None,
        )
    return render(request, "report_thanks.html", {"reference": receipt.reference})


# --- members' reports -------------------------------------------------------------------

MEMBER_REPORT_LABELS = {"urls": "URLs", "description": "Description", "hashes": "Hashes"}


def _member_report_page(
    request: Request,
    form: WebForm | None = None,
    *,
    receipt: ReportReceipt | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "report_member.html",
        {"form": form or WebForm(), "receipt": receipt},
        status_code=status_code,
    )


@router.get("/reports/new")
def member_report_form(
    request: Request, principal: Principal = page_requires(Permission.REPORT_SUBMIT)
) -> Response:
    return _member_report_page(request)


@router.post("/reports/new", dependencies=[csrf])
def member_report_submit(
    request: Request,
    session: DbSession,
    urls: Annotated[str, Form(max_length=200_000)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    hashes: Annotated[str, Form(max_length=20_000)] = "",
    principal: Principal = page_requires(Permission.REPORT_SUBMIT),
) -> Response:
    """A member reports as its organisation: several URLs, optional hashes, no captcha."""
    values = {"urls": urls, "description": description, "hashes": hashes}
    try:
        lines = [line.strip() for line in urls.splitlines() if line.strip()]
        if not lines:
            raise InvalidInput("give at least one URL", field="urls")
        data = ReportIn(
            urls=lines, description=description.strip(), hashes=parse_hash_lines(hashes)
        )
        with session.begin_nested():  # a refused report leaves nothing behind
            receipt = intake.submit_reports(session, principal, [data])[0]
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=MEMBER_REPORT_LABELS)
        return _member_report_page(request, form, status_code=status)
    return _member_report_page(request, receipt=receipt)


# --- the analyst queue -----------------------------------------------------------------


@router.get("/queue")
def queue_page(
    request: Request,
    session: DbSession,
    empty: bool = False,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    # The rows are what waits for this analyst, as many as the navigation counts (one
    # definition: assessment.waiting and queue_count); colleagues' items come after.
    now = utcnow()
    items = assessment.waiting(session, principal, now=now)
    total = assessment.queue_count(session, principal, now=now)
    others = assessment.claimed_by_colleagues(session, principal, now=now)
    active = holds_.active_holds(session)
    names = reading.organisation_names(session)
    rows = [reading.item_out(session, i, names=names, holds=active) for i in items]
    taken = [reading.item_out(session, i, names=names, holds=active) for i in others]
    # Who holds each claim and until when: the queue says who is working on what.
    claims = {
        i.reference: (
            "you"
            if assessment.claimed_by_me(i, principal, now)
            else assessment.claim_holder(session, i, now),
            i.claim_expires_at,
        )
        for i in [*items, *others]
        if assessment.claim_holder(session, i, now) is not None
    }
    return render(
        request,
        "queue.html",
        {"items": rows, "total": total, "taken": taken, "empty": empty, "claims": claims},
    )


@router.post("/queue/claim", dependencies=[csrf])
def queue_claim(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    item = assessment.claim_next(session, principal, app_state(request).settings)
    if item is None:
        return redirect(request, "/queue?empty=1")
    tz = zone(request.cookies.get(TIME_ZONE_COOKIE))
    until = f" until {when(item.claim_expires_at, tz)}" if item.claim_expires_at else ""
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"Item {item.reference} claimed for you{until}: assess it or release it.",
    )


# --- items -----------------------------------------------------------------------------


ITEM_COLUMNS = ("reference", "url", "stage", "classification", "country", "provider")
ITEM_CSV_HEADER = (
    "Item",
    "URL",
    "Stage",
    "Classification",
    "Country",
    "Provider",
    "Reports",
    "Received (UTC)",
    "On hold until (UTC)",
)


@router.get("/items")
def item_list(
    request: Request,
    session: DbSession,
    stage: str = "",
    country: str = "",
    q: str = "",
    principal: Principal = page_requires(Permission.ITEM_READ),
) -> Response:
    try:
        stage_value = ItemStage(stage) if stage else None
    except ValueError:
        raise InvalidInput("choose a stage from the list", field="stage") from None
    filters = {"stage": stage, "country": country.strip().upper(), "q": q.strip()}
    table, listing = read_table(
        request,
        sortable=(*ITEM_COLUMNS, "reports", "received"),
        default="-received",
        filters=filters,
    )
    country_value, search = filters["country"] or None, filters["q"] or None
    items = reading.list_items(
        session, principal, stage=stage_value, country=country_value, search=search, listing=listing
    )
    active = holds_.active_holds(session)
    names = reading.organisation_names(session)
    if table.csv:
        outs = [reading.item_out(session, i, names=names, holds=active) for i in items]
        return csv_response(
            "items.csv",
            ITEM_CSV_HEADER,
            (
                (
                    o.reference,
                    o.url,
                    o.stage,
                    o.classification,
                    o.country_code,
                    o.provider,
                    o.report_count,
                    o.received_at,
                    o.hold.until if o.hold.on_hold else None,
                )
                for o in outs
            ),
        )
    table.rows(items)
    shown = items[: table.page_size]
    table.total = reading.count_items(
        session, principal, stage=stage_value, country=country_value, search=search
    )
    rows = [reading.item_out(session, i, names=names, holds=active) for i in shown]
    registered = accounts.jurisdiction_names(session)
    return render(
        request,
        "items.html",
        {
            "items": rows,
            "table": table,
            "stages": list(ItemStage),
            "f": filters,
            "country_choices": country_choices([*registered, filters["country"]], registered),
        },
    )


def _may_assess(principal: Principal, item: ContentItem) -> bool:
    """What the assessment services will allow (the one policy), to show the form or not."""
    try:
        authorize(principal, Permission.ITEM_ASSESS, item)
    except PermissionDenied:
        return False
    return True


def _may_place_hold(principal: Principal) -> bool:
    return (
        principal.can(Permission.HOLD_MANAGE)
        and principal.organisation_kind is OrgKind.law_enforcement
    )


ASSESS_LABELS = {
    "classification": "Classification",
    "age_group": "Age group",
    "gender": "Gender",
    "content_type": "Content type",
    "site_type": "Site type",
    "commerciality": "Commerciality",
    "hashes": "Hashes",
    "note": "Note",
    "propose_to_bank": "Propose to a bank",
}
ROUTE_LABELS = {"country_code": "Hosting country", "note": "Note"}
HOLD_LABELS = {"reason": "Reason", "days": "Days"}


def _user_when(request: Request, moment: datetime) -> str:
    """A time as the user's pages show it (their time zone, to the minute)."""
    return when(moment, zone(request.cookies.get(TIME_ZONE_COOKIE)))


def _event_label(kind: str) -> str:
    try:
        return label(EventKind(kind))
    except ValueError:
        return label(kind)


def _takedown_state(
    session: DbSession, principal: Principal, item: ContentItem, detail: ItemDetail
) -> dict[str, Any]:
    """What the takedown-state section shows (the page and its polled fragment)."""
    return {
        "item": detail,
        "may_clear": principal.can(Permission.HOLD_MANAGE)
        and item.lea_organisation_id is not None
        and item.lea_organisation_id == principal.organisation_id
        and item.is_open
        and (item.lea_window_ends_at is None or item.lea_window_ends_at > utcnow()),
        "may_recheck": principal.can(Permission.NOTICE_SEND)
        and item.stage in (ItemStage.notice_pending, ItemStage.notified),
    }


def _item_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    item = access.get_item(session, principal, reference)
    detail = reading.item_detail(session, principal, item)
    # Who holds an item and why is for the holding agency alone; others see "until T".
    # The agency's own holds stay listed once released or expired.
    own_holds: list[HoldOut] = []
    if principal.organisation_id is not None and principal.can(Permission.HOLD_READ):
        agency_holds = [
            h
            for h in holds_.list_holds(session, principal, include_ended=True)
            if h.organisation_id == principal.organisation_id
        ]
        own_holds = [
            holds_.hold_out(h, principal)
            for h in holds_.holds_matching(session, item, holds=agency_holds)
        ]
    may_assess = _may_assess(principal, item)
    may_route = principal.can(Permission.ITEM_ROUTE) and item.is_open
    contributable = []
    if may_assess and principal.can(Permission.ENTRY_CONTRIBUTE):
        contributable = [
            b.name for b in banks.visible_banks(session, principal) if not b.suppression
        ]
    settings = app_state(request).settings
    analyst_view = principal.reach(Permission.ITEM_READ) is Reach.ALL or (
        principal.organisation_id is not None
        and principal.organisation_id in (item.assigned_organisation_id, item.lea_organisation_id)
    )
    return render(
        request,
        "item.html",
        {
            **_takedown_state(session, principal, item, detail),
            "reports": reading.item_reports(session, principal, item),
            "own_holds": own_holds,
            "may_assess": may_assess and item.stage in assessment.ASSESSABLE_STAGES,
            "claimed_by_me": assessment.claimed_by_me(item, principal),
            "claimed_by_other": assessment.claimed_by_other(item, principal),
            "claim_holder": assessment.claim_holder(session, item) if analyst_view else None,
            "claim_until": item.claim_expires_at,
            "may_route": may_route,
            "country_options": [("", "—")]
            + [
                (j.code, f"{j.code} · {j.name}")
                for j in accounts.list_jurisdictions(session, principal)
            ]
            if may_route
            else [],
            "event_label": _event_label,
            "describe": describe,
            "actor_words": actor_words,
            "classifications": list(Classification),
            "choices": ASSESSMENT_CHOICES,
            "banks": contributable,
            "may_place_hold": _may_place_hold(principal) and item.is_open,
            "default_days": settings.hold_default_days,
            "max_days": settings.hold_max_days,
            "form": form or WebForm(),
            # The hosting country's law per the published legal matrix: a hint only.
            "legal_hint": item_hint(
                session, item.country_code, [a.content_type for a in detail.assessments]
            ),
        },
        status_code=status_code,
    )


@router.get("/items/{reference}")
def item_page(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_READ),
) -> Response:
    return _item_page(request, session, principal, reference)


@router.get("/items/{reference}/takedown")
def item_takedown_state(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_READ),
) -> Response:
    """The takedown-state section alone, polled by the item page (htmx, every 10 s) so the
    notices and re-checks the worker records show without a reload."""
    item = access.get_item(session, principal, reference)
    detail = reading.item_detail(session, principal, item)
    return render(
        request,
        "_item_takedown.html",
        _takedown_state(session, principal, item, detail),
        take_notice=False,
    )


@router.post("/items/{reference}/claim", dependencies=[csrf])
def item_claim(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    try:
        with session.begin_nested():
            item = assessment.claim_item(session, principal, reference, app_state(request).settings)
    except (Conflict, PermissionDenied) as exc:
        form, status = failed_form(exc, {}, name="assess")
        return _item_page(request, session, principal, reference, form=form, status_code=status)
    assert item.claim_expires_at is not None
    until = _user_when(request, item.claim_expires_at)
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"You claim item {item.reference} until {until}; assess it before then.",
    )


@router.post("/items/{reference}/release", dependencies=[csrf])
def item_release(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    item = assessment.release_item(session, principal, reference)
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"Claim on item {item.reference} released: it is back in the queue.",
    )


def parse_hash_lines(text: str, field: str = "hashes") -> list[HashIn]:
    """``type:hex`` per line (blank lines ignored), each checked by :class:`HashIn`; an
    error names the line and belongs to the form's ``field``."""
    hashes = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        signal_type, sep, value = line.partition(":")
        if not sep:
            raise InvalidInput(
                f"hash line {number}: write <type>:<hex>, e.g. md5:d41d8c…", field=field
            )
        try:
            hashes.append(HashIn(signal_type=signal_type, value=value))
        except ValidationError as exc:
            messages = [friendly(e) for e in exc.errors()]
            raise InvalidInput(f"hash line {number}: {'; '.join(messages)}", field=field) from None
    return hashes


@router.post("/items/{reference}/assess", dependencies=[csrf])
def item_assess(
    request: Request,
    session: DbSession,
    reference: str,
    classification: Annotated[str, Form()] = "",
    age_group: Annotated[str, Form()] = "",
    gender: Annotated[str, Form()] = "",
    content_type: Annotated[str, Form()] = "",
    site_type: Annotated[str, Form()] = "",
    commerciality: Annotated[str, Form()] = "",
    hashes: Annotated[str, Form(max_length=20_000)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    propose_to_bank: Annotated[str, Form(max_length=200)] = "",
    then: Annotated[str, Form(max_length=10)] = "",
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    """The page asks for an explicit claim first: the service refuses an item this
    analyst has not claimed (or whose claim lapsed). ``then``: "next" (the form's first
    button) goes on to the next item of the queue, claimed for the analyst, or back to
    the queue when nothing is left; otherwise the analyst stays on this item."""
    values = {
        "classification": classification,
        "age_group": age_group,
        "gender": gender,
        "content_type": content_type,
        "site_type": site_type,
        "commerciality": commerciality,
        "hashes": hashes,
        "note": note,
        "propose_to_bank": propose_to_bank,
    }
    try:
        if not classification:
            raise InvalidInput("choose a classification", field="classification")
        data = AssessmentIn.model_validate(
            {
                "classification": classification,
                "age_group": age_group or None,
                "gender": gender or None,
                "content_type": content_type or None,
                "site_type": site_type or None,
                "commerciality": commerciality or None,
                "hashes": parse_hash_lines(hashes),
                "note": note.strip(),
                "propose_to_bank": propose_to_bank or None,
            }
        )
        with session.begin_nested():  # a refusal undoes only this assessment
            done = assessment.assess_item(
                session, principal, reference, data, app_state(request).settings
            )
    except NotFound:
        raise
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=ASSESS_LABELS, name="assess")
        return _item_page(request, session, principal, reference, form=form, status_code=status)
    recorded = f"Assessment recorded: {label(done.classification)}."
    if then != "next":
        return redirect(request, f"/items/{reference.strip().upper()}", notice=recorded)
    following = assessment.next_for_me(
        session, principal, app_state(request).settings, skip=reference.strip().upper()
    )
    if following is None:
        return redirect(
            request, "/queue", notice=f"{recorded} The queue is empty: nothing left to claim."
        )
    expires = following.claim_expires_at
    until = f" until {_user_when(request, expires)}" if expires else ""
    return redirect(
        request,
        f"/items/{following.reference}",
        notice=f"{recorded} Next: item {following.reference}, claimed for you{until}.",
    )


@router.post("/items/{reference}/route", dependencies=[csrf])
def item_route(
    request: Request,
    session: DbSession,
    reference: str,
    country_code: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.ITEM_ROUTE),
) -> Response:
    values = {"country_code": country_code, "note": note}
    try:
        if not country_code.strip():
            raise InvalidInput("choose the hosting country", field="country_code")
        data = RouteIn(country_code=country_code, note=note.strip())
        with session.begin_nested():
            item = routing.route_manually(
                session, principal, reference, data, app_state(request).settings
            )
    except NotFound:
        raise
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=ROUTE_LABELS, name="route")
        return _item_page(request, session, principal, reference, form=form, status_code=status)
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"Item {item.reference} routed to "
        f"{display_name(data.country_code, accounts.jurisdiction_names(session))}.",
    )


@router.post("/items/{reference}/clear", dependencies=[csrf])
def item_clear(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    item = routing.clear_for_notice(session, principal, reference)
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"Item {item.reference} cleared for notice: the notice goes out now"
        " unless a hold matches it.",
    )


@router.post("/items/{reference}/recheck", dependencies=[csrf])
def item_recheck(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.NOTICE_SEND),
) -> Response:
    item = assessment.request_recheck(session, principal, reference)
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"Re-check of item {item.reference} requested: the result shows here shortly.",
    )


@router.post("/items/{reference}/hold", dependencies=[csrf])
def item_place_hold(
    request: Request,
    session: DbSession,
    reference: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
    days: Annotated[str, Form(max_length=12)] = "",
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    """Place a hold on the item's URL, through the same service (and rules) as /holds."""
    item = access.get_item(session, principal, reference)
    values = {"reason": reason, "days": days}
    try:
        data = HoldIn.model_validate(
            {
                "target_type": HoldTarget.url,
                "target_value": item.url,
                "reason": reason,
                "days": days.strip() or None,
            }
        )
        with session.begin_nested():
            hold = holds_.place_hold(session, principal, data, app_state(request).settings)
    except (ValidationError, AllianceError) as exc:
        form, status = failed_form(exc, values, labels=HOLD_LABELS, name="hold")
        return _item_page(request, session, principal, reference, form=form, status_code=status)
    until = _user_when(request, hold.expires_at)
    return redirect(
        request,
        f"/items/{item.reference}",
        notice=f"Hold {hold.reference} placed on this address until {until}.",
    )


# --- reports -----------------------------------------------------------------------------


@router.get("/reports/{reference}")
def report_page(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_READ),
) -> Response:
    """A report as the reporter wrote it, with links to its items; not found for anybody
    who may not read it (the same rule as items, in :mod:`alliance.takedown.access`)."""
    report = access.get_report(session, principal, reference)
    detail = reading.report_detail(session, principal, report)
    return render(request, "report_case.html", {"report": detail})


# --- holds -----------------------------------------------------------------------


HOLD_STATES = [
    (HoldState.active.value, "Active"),
    (HoldState.released.value, "Released"),
    (HoldState.expired.value, "Expired"),
    (HoldState.all.value, "All"),
]
HOLD_SORTS = ("reference", "agency", "target", "placed", "expires", "renewals", "released")
HOLD_CSV_HEADER = (
    "Hold",
    "Status",
    "Agency",
    "Target type",
    "Target",
    "Reason",
    "Placed (UTC)",
    "Placed by",
    "Expires (UTC)",
    "Renewals",
    "Released (UTC)",
    "Items held now",
)
HOLD_FIELDS = {"target_type": "Target type", "target_value": "Target", "reason": "Reason"}
HOLD_FIELDS |= {"days": "Days"}


def _holds_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    state_text = request.query_params.get("state") or HoldState.active.value
    try:
        state = HoldState(state_text)
    except ValueError:
        raise InvalidInput("choose active, released, expired or all holds", field="state") from None
    table, listing = read_table(
        request, sortable=HOLD_SORTS, default="-placed", filters={"state": state.value}
    )
    found = holds_.list_holds(session, principal, state=state, listing=listing)
    now = utcnow()
    if table.csv:
        counts = holds_.held_counts(session, found)
        return csv_response(
            "holds.csv",
            HOLD_CSV_HEADER,
            (
                (
                    h.reference,
                    holds_.state_of(h, now),
                    h.organisation.name,
                    h.target_type,
                    h.target_value,
                    out.reason,
                    h.placed_at,
                    out.placed_by,
                    h.expires_at,
                    h.renewals,
                    h.released_at,
                    counts[h.id],
                )
                for h in found
                for out in [holds_.hold_out(h, principal, now)]
            ),
        )
    table.rows(found)
    shown = found[: table.page_size]
    counts = holds_.held_counts(session, shown)
    rows = [
        (holds_.hold_out(h, principal, now), holds_.state_of(h, now), counts[h.id]) for h in shown
    ]
    alerts = (
        cooperation.list_alerts(session, principal, source=holds_.SOURCE)
        if principal.can(Permission.ALERT_READ)
        else []
    )
    settings = app_state(request).settings
    return render(
        request,
        "holds.html",
        {
            "holds": rows,
            "table": table,
            "state": state.value,
            "states": HOLD_STATES,
            "rows": alert_rows(alerts, principal),
            "may_acknowledge": principal.can(Permission.ALERT_MANAGE),
            "back": "/holds",
            "may_manage": principal.can(Permission.HOLD_MANAGE),
            "may_place": principal.can(Permission.HOLD_MANAGE)
            and principal.organisation_kind is OrgKind.law_enforcement,
            "target_types": [(t.value, label(t)) for t in HoldTarget],
            "default_days": settings.hold_default_days,
            "max_days": settings.hold_max_days,
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/holds")
def holds_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.HOLD_READ),
) -> Response:
    return _holds_page(request, session, principal)


@router.post("/holds", dependencies=[csrf])
def hold_place(
    request: Request,
    session: DbSession,
    target_type: Annotated[str, Form()] = "",
    target_value: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    days: Annotated[str, Form(max_length=6)] = "",
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    values = {"target_type": target_type, "target_value": target_value, "reason": reason}
    values["days"] = days
    settings = app_state(request).settings
    # Every field at fault is named at once: the days, the form's fields, then the target.
    problems: list[AllianceError] = []
    number: int | None = None
    if days.strip() and not days.strip().isdigit():
        problems.append(InvalidInput("give the days as a whole number", field="days"))
    elif days.strip():
        number = int(days)
        if not 1 <= number <= settings.hold_max_days:
            problems.append(
                InvalidInput(
                    f"give from 1 to {settings.hold_max_days} days; renew the hold when it"
                    " nears expiry",
                    field="days",
                )
            )
    form = WebForm(values=values, labels=HOLD_FIELDS, name="hold")
    data: HoldIn | None = None
    try:
        data = HoldIn.model_validate(
            {
                "target_type": target_type,
                "target_value": target_value.strip(),
                "reason": reason.strip(),
                "days": number,
            }
        )
    except ValidationError as exc:
        form = failed(exc, values, labels=HOLD_FIELDS, name="hold")
    kind = next((t for t in HoldTarget if t.value == target_type), None)
    try:
        if kind is not None and target_value.strip() and not form.error_for("target_value"):
            holds_.normalise_target(session, kind, target_value)
        if data is not None and not problems:
            with session.begin_nested():
                hold = holds_.place_hold(session, principal, data, settings)
    except PermissionDenied:
        raise
    except AllianceError as exc:
        problems.append(exc)
    if problems or form.failed:
        # A missing report alone is 404, a duplicate alone 409; anything else a bad form.
        alone = len(problems) == 1 and not form.failed
        status = status_for(problems[0]) if alone else 400
        for problem in problems:
            shown = failed(problem, values, labels=HOLD_FIELDS)
            for field, message in shown.errors.items():
                form.errors.setdefault(field, message)
            form.message = form.message or shown.message
        return _holds_page(request, session, principal, form=form, status_code=status)
    until = when(hold.expires_at, zone(request.cookies.get(TIME_ZONE_COOKIE)))
    return redirect(
        request, f"/holds/{hold.reference}", notice=f"Hold {hold.reference} placed until {until}."
    )


def _hold_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    found = holds_.get_hold(session, principal, reference)
    active = holds_.active_holds(session)
    names = reading.organisation_names(session)
    items = [
        reading.item_out(session, i, names=names, holds=active)
        for i in holds_.items_under_hold(session, found)
    ]
    now = utcnow()
    return render(
        request,
        "hold.html",
        {
            "hold": holds_.hold_out(found, principal, now),
            "state": holds_.state_of(found, now),
            "placed_by": holds_.actor_words(found.placed_by),
            "history": holds_.hold_history(session, principal, found, now),
            "items": items,
            "may_manage": principal.can(Permission.HOLD_MANAGE),
            "default_days": app_state(request).settings.hold_default_days,
            "max_days": app_state(request).settings.hold_max_days,
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/holds/{hold}")
def hold_page(
    request: Request,
    session: DbSession,
    hold: str,
    principal: Principal = page_requires(Permission.HOLD_READ),
) -> Response:
    return _hold_page(request, session, principal, hold)


@router.post("/holds/{hold}/renew", dependencies=[csrf])
def hold_renew(
    request: Request,
    session: DbSession,
    hold: str,
    days: Annotated[str, Form(max_length=12)] = "",
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    settings = app_state(request).settings
    try:
        if not days.strip().isdigit():
            raise InvalidInput("give the days as a whole number", field="days")
        with session.begin_nested():
            renewed = holds_.renew_hold(session, principal, hold, int(days), settings)
    except InvalidInput as exc:
        exc.field = exc.field or "days"
        form, status = failed_form(exc, {"days": days}, labels={"days": "Days"}, name="renew")
        return _hold_page(request, session, principal, hold, form=form, status_code=status)
    except Conflict as exc:
        form, status = failed_form(exc, {"days": days}, name="renew")
        return _hold_page(request, session, principal, hold, form=form, status_code=status)
    until = when(renewed.expires_at, zone(request.cookies.get(TIME_ZONE_COOKIE)))
    return redirect(
        request,
        f"/holds/{renewed.reference}",
        notice=f"Hold {renewed.reference} renewed until {until}.",
    )


@router.post("/holds/{hold}/release", dependencies=[csrf])
def hold_release(
    request: Request,
    session: DbSession,
    hold: str,
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    try:
        with session.begin_nested():
            released = holds_.release_hold(session, principal, hold)
    except Conflict as exc:
        form, status = failed_form(exc, {}, name="release")
        return _hold_page(request, session, principal, hold, form=form, status_code=status)
    return redirect(
        request,
        "/holds",
        notice=f"Hold {released.reference} released: the items it held may be noticed now.",
    )


# --- takedown metrics ------------------------------------------------------------------


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def removal_chart(rows: list[MetricsRow], group_by: str = "group") -> Markup:
    """Horizontal bars of median and p90 hours from receipt to removal, one per group."""
    bars = []
    for row in rows:
        median = row.received_to_removed.median_hours
        p90 = row.received_to_removed.p90_hours
        label = row.group[: charts.LABEL_CHARS]
        bars.append(
            charts.Bar(
                label=label,
                value=p90,
                tip=f"{label}: p90 {_hours(p90)} h",
                inner=median,
                inner_tip=f"{label}: median {_hours(median)} h",
                note="none removed"
                if median is None
                else f"{median:.0f} / {'—' if p90 is None else f'{p90:.0f}'} h",
            )
        )
    return Markup(  # noqa: S704 - charts escapes every text it draws
        charts.horizontal_bars(
            bars,
            title=f"Median and 90th-percentile hours from receipt to removal per {group_by}",
            testid="removal-chart",
            axis_label=lambda hours: f"{hours:.0f} h",
            empty_message="No items in this period.",
        )
    )


def _day(text: str, field: str, *, end: bool = False) -> datetime | None:
    if not text.strip():
        return None
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("give a date as YYYY-MM-DD, e.g. 2026-01-31", field=field) from None
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


GROUPING_LABELS = {"country": "Hosting country", "provider": "Hosting provider", "month": "Month"}
METRICS_FIELDS = {"group_by": "Group by", "since": "Received from", "until": "Received to"}
#: The intervals of the takedown clock, in the table's order, as its headers say them.
INTERVAL_LABELS = {
    "received_to_assessed": "Received → assessed",
    "assessed_to_lea_informed": "Assessed → LEA informed",
    "received_to_first_notice": "Received → first notice",
    "first_notice_to_removed": "First notice → removed",
    "received_to_removed": "Received → removed",
}


def _metrics_csv(report: MetricsReport) -> Response:
    header = [GROUPING_LABELS.get(report.group_by, "Group"), "Items", "Removed"]
    for text in INTERVAL_LABELS.values():
        header += [f"{text}: items", f"{text}: median hours", f"{text}: p90 hours"]
    header += [
        "Removed within 1 day (%)",
        "Removed within 3 days (%)",
        "Removed within 7 days (%)",
        "Open over 42 days (%)",
        "Re-appearances",
        "Notices sent",
    ]

    def share(value: float | None) -> str:
        return "" if value is None else f"{value * 100:.1f}"

    def cells(group: str, row: MetricsRow) -> list[object]:
        out: list[object] = [group, row.items, row.removed]
        for name in INTERVAL_LABELS:
            stats = getattr(row, name)
            out += [stats.count, stats.median_hours, stats.p90_hours]
        out += [
            share(row.removed_within_1_day),
            share(row.removed_within_3_days),
            share(row.removed_within_7_days),
            share(row.open_over_42_days),
            row.reappearances,
            row.notices_sent,
        ]
        return out

    rows = [cells(r.group, r) for r in report.rows] + [cells("All", report.overall)]
    return csv_response(f"takedown-metrics-by-{report.group_by}.csv", header, rows)


@router.get("/metrics/takedown")
def metrics_page(
    request: Request,
    session: DbSession,
    group_by: str = "country",
    since: str = "",
    until: str = "",
    principal: Principal = page_requires(Permission.METRICS_READ),
) -> Response:
    values = {"group_by": group_by, "since": since.strip(), "until": until.strip()}
    context: dict[str, Any] = {
        "groupings": list(GROUPING_LABELS.items()),
        "intervals": INTERVAL_LABELS,
        "f": values,
        "form": WebForm(values=values),
        "report": None,
        "rows": [],
    }
    try:
        if group_by not in GROUPINGS:
            raise InvalidInput("choose country, provider or month", field="group_by")
        start, end = _day(since, "since"), _day(until, "until", end=True)
        if start is not None and end is not None and end <= start:
            raise InvalidInput("choose a date on or after the first date", field="until")
        report = takedown_metrics(session, principal, group_by=group_by, since=start, until=end)
    except InvalidInput as exc:
        context["form"], status = failed_form(exc, values, labels=METRICS_FIELDS)
        return render(request, "metrics_takedown.html", context, status_code=status)
    if request.query_params.get("format") == "csv":
        return _metrics_csv(report)
    api_query = {"group_by": group_by}
    api_query |= {"since": start.isoformat()} if start else {}
    api_query |= {"until": end.isoformat()} if end else {}
    context |= {
        "report": report,
        "rows": report.rows,
        "chart": removal_chart(report.rows, GROUPING_LABELS[group_by].lower()),
        "api_query": urlencode(api_query),
        "csv_query": urlencode({k: v for k, v in values.items() if v} | {"format": "csv"}),
    }
    return render(request, "metrics_takedown.html", context)


# --- hosting providers -----------------------------------------------------------------


PROVIDER_CSV_HEADER = (
    "Provider",
    "Short name",
    "Country",
    "AS numbers",
    "Abuse e-mail",
    "Webhook",
    "Notices batched",
    "Active",
    "Updated (UTC)",
)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@router.get("/providers")
def provider_list(
    request: Request,
    session: DbSession,
    country: Annotated[str, Query(max_length=2)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    principal: Principal = page_requires(Permission.PROVIDER_READ),
) -> Response:
    filters = {"country": country.strip().upper(), "q": q.strip()}
    filter_form = None
    if filters["country"] and not (len(filters["country"]) == 2 and filters["country"].isalpha()):
        # Said beside the field; the list is shown unfiltered by country meanwhile.
        filter_form = failed(
            InvalidInput("give a country as two letters, e.g. NL", field="country"),
            {"country": country, "q": q},
            labels={"country": "Country"},
        )
        filters["country"] = ""
    table, listing = read_table(
        request,
        sortable=("name", "slug", "country", "active", "updated"),
        default="name",
        filters=filters,
    )
    found = hosting.list_providers(
        session,
        principal,
        country=filters["country"] or None,
        search=filters["q"] or None,
        listing=listing,
    )
    if table.csv:
        return csv_response(
            "providers.csv",
            PROVIDER_CSV_HEADER,
            (
                (
                    p.name,
                    p.slug,
                    p.country_code,
                    " ".join(f"AS{asn}" for asn in p.asns or []),
                    p.abuse_email,
                    _yes(bool(p.abuse_webhook_url)),
                    _yes(p.batch_notices),
                    _yes(p.active),
                    p.updated_at,
                )
                for p in found
            ),
        )
    table.rows(found)
    return render(
        request,
        "providers.html",
        {
            "providers": found[: table.page_size],
            "table": table,
            "f": filters,
            "form": filter_form,
            "country_choices": country_choices(
                [*hosting.provider_countries(session, principal), filters["country"]],
                accounts.jurisdiction_names(session),
            ),
        },
        status_code=400 if filter_form else 200,
    )


@router.get("/providers/{slug}")
def provider_page(
    request: Request,
    session: DbSession,
    slug: str,
    principal: Principal = page_requires(Permission.PROVIDER_READ),
) -> Response:
    return render(
        request, "provider.html", {"provider": hosting.get_provider(session, principal, slug)}
    )
