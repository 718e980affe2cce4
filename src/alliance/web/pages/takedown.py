"""Notice-and-takedown pages: the public report form, the analyst queue, items, holds,
takedown metrics and the hosting-provider directory.

Pages show URLs, hashes and workflow state only, never media: an item's URL is text, not
a link, so that analysts open it in their own safe environment. Every decision is made by
:mod:`alliance.takedown`; these handlers parse forms, call a service and render.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import ValidationError

from alliance import charts
from alliance.accounts import services as accounts
from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal, authorize
from alliance.banks import services as banks
from alliance.cooperation import services as cooperation
from alliance.db.base import utcnow
from alliance.errors import AllianceError, InvalidInput, NotFound, PermissionDenied
from alliance.hosting import services as hosting
from alliance.takedown import access, assessment, intake, public, reading, routing
from alliance.takedown import holds as holds_
from alliance.takedown.metrics import takedown_metrics
from alliance.takedown.models import (
    AgeGroup,
    Classification,
    Commerciality,
    ContentItem,
    ContentType,
    Gender,
    HoldTarget,
    ItemStage,
    SiteType,
)
from alliance.takedown.schemas import (
    AssessmentIn,
    HashIn,
    HoldIn,
    MetricsRow,
    PublicReportIn,
    ReportIn,
    ReportReceipt,
    RouteIn,
)
from alliance.validation import Days, PageNumber
from alliance.web.errors import status_for
from alliance.web.guards import DbSession, page_public, page_requires
from alliance.web.pages.cooperation import alert_rows
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state, client_address

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
PAGE_SIZE = 50
GROUPINGS = ("country", "provider", "month")

ASSESSMENT_CHOICES: dict[str, list[str]] = {
    "age_group": [v.value for v in AgeGroup],
    "gender": [v.value for v in Gender],
    "content_type": [v.value for v in ContentType],
    "site_type": [v.value for v in SiteType],
    "commerciality": [v.value for v in Commerciality],
}


def _validation_message(error: ValidationError) -> str:
    parts = []
    for err in error.errors()[:5]:
        field = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts) or "invalid input"


# --- the public report form ------------------------------------------------------------


def _report_form(
    request: Request,
    values: dict[str, str] | None = None,
    *,
    error: str | None = None,
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
            "values": values or {},
            "error": error,
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
    except ValidationError as exc:
        if not url.strip():
            message = "give the address (URL) of the page or file"
        elif not nonce:
            message = "the form's anti-abuse check did not run; enable JavaScript and try again"
        else:
            message = _validation_message(exc)
        return _report_form(request, values, error=message, status_code=400)
    except AllianceError as exc:
        retry = getattr(exc, "retry_after_seconds", None)
        return _report_form(
            request,
            values,
            error=exc.message,
            status_code=status_for(exc),
            headers={"retry-after": str(retry)} if retry else None,
        )
    return render(request, "report_thanks.html", {"reference": receipt.reference})


# --- members' reports -------------------------------------------------------------------


def _member_report_page(
    request: Request,
    values: dict[str, str] | None = None,
    *,
    receipt: ReportReceipt | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "report_member.html",
        {"values": values or {}, "receipt": receipt, "error": error},
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
        data = ReportIn(
            urls=[line.strip() for line in urls.splitlines() if line.strip()],
            description=description.strip(),
            hashes=parse_hash_lines(hashes),
        )
        with session.begin_nested():  # a refused report leaves nothing behind
            receipt = intake.submit_reports(session, principal, [data])[0]
    except ValidationError as exc:
        message = "give at least one URL" if not urls.strip() else _validation_message(exc)
        return _member_report_page(request, values, error=message, status_code=400)
    except AllianceError as exc:
        return _member_report_page(request, values, error=exc.message, status_code=status_for(exc))
    return _member_report_page(request, receipt=receipt)


# --- the analyst queue -----------------------------------------------------------------


@router.get("/queue")
def queue_page(
    request: Request,
    session: DbSession,
    empty: bool = False,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    items = assessment.queue(session, principal)
    active = holds_.active_holds(session)
    names = reading.organisation_names(session)
    rows = [reading.item_out(session, i, names=names, holds=active) for i in items]
    return render(request, "queue.html", {"items": rows, "empty": empty})


@router.post("/queue/claim", dependencies=[csrf])
def queue_claim(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    item = assessment.claim_next(session, principal, app_state(request).settings)
    if item is None:
        return redirect(request, "/queue?empty=1")
    return redirect(request, f"/items/{item.reference}")


# --- items -----------------------------------------------------------------------------


@router.get("/items")
def item_list(
    request: Request,
    session: DbSession,
    stage: str = "",
    country: str = "",
    q: str = "",
    page: PageNumber = 1,
    principal: Principal = page_requires(Permission.ITEM_READ),
) -> Response:
    try:
        stage_value = ItemStage(stage) if stage else None
    except ValueError:
        raise InvalidInput(f"unknown stage {stage!r}") from None
    page = max(page, 1)
    items = reading.list_items(
        session,
        principal,
        stage=stage_value,
        country=country.strip() or None,
        search=q.strip() or None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    active = holds_.active_holds(session)
    names = reading.organisation_names(session)
    rows = [reading.item_out(session, i, names=names, holds=active) for i in items[:PAGE_SIZE]]
    return render(
        request,
        "items.html",
        {
            "items": rows,
            "stages": [s.value for s in ItemStage],
            "f": {"stage": stage, "country": country, "q": q},
            "page": page,
            "has_next": len(items) > PAGE_SIZE,
        },
    )


def _may_assess(principal: Principal, item: ContentItem) -> bool:
    """What the assessment services will allow (the one policy), to show the form or not."""
    try:
        authorize(principal, Permission.ITEM_ASSESS, item)
    except PermissionDenied:
        return False
    return True


def _item_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    item = access.get_item(session, principal, reference)
    detail = reading.item_detail(session, principal, item)
    # Who holds an item and why is for the holding agency alone; others see "until T".
    own_holds = [
        holds_.hold_out(h, principal)
        for h in holds_.holds_matching(session, item)
        if principal.organisation_id is not None and h.organisation_id == principal.organisation_id
    ]
    may_assess = _may_assess(principal, item)
    may_route = principal.can(Permission.ITEM_ROUTE) and item.is_open
    contributable = []
    if may_assess and principal.can(Permission.ENTRY_CONTRIBUTE):
        contributable = [
            b.name for b in banks.visible_banks(session, principal) if not b.suppression
        ]
    return render(
        request,
        "item.html",
        {
            "item": detail,
            "own_holds": own_holds,
            "may_assess": may_assess and item.stage in assessment.ASSESSABLE_STAGES,
            "claimed_by_me": item.claimed_by == assessment.claimant(principal) and detail.claimed,
            "may_clear": principal.can(Permission.HOLD_MANAGE)
            and item.lea_organisation_id is not None
            and item.lea_organisation_id == principal.organisation_id
            and item.is_open
            and (item.lea_window_ends_at is None or item.lea_window_ends_at > utcnow()),
            "may_recheck": principal.can(Permission.NOTICE_SEND)
            and item.stage in (ItemStage.notice_pending, ItemStage.notified),
            "claimed_by_other": assessment.claimed_by_other(item, principal),
            "may_route": may_route,
            "countries": [j.code for j in accounts.list_jurisdictions(session, principal)]
            if may_route
            else [],
            "classifications": [c.value for c in Classification],
            "choices": ASSESSMENT_CHOICES,
            "banks": contributable,
            "form": form or {},
            "error": error,
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


@router.post("/items/{reference}/claim", dependencies=[csrf])
def item_claim(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    item = assessment.claim_item(session, principal, reference, app_state(request).settings)
    return redirect(request, f"/items/{item.reference}")


@router.post("/items/{reference}/release", dependencies=[csrf])
def item_release(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    item = assessment.release_item(session, principal, reference)
    return redirect(request, f"/items/{item.reference}")


def parse_hash_lines(text: str) -> list[HashIn]:
    """``type:hex`` per line (blank lines ignored), each checked by :class:`HashIn`."""
    hashes = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        signal_type, sep, value = line.partition(":")
        if not sep:
            raise InvalidInput(f"hash line {number}: write <type>:<hex>, e.g. md5:d41d8c…")
        try:
            hashes.append(HashIn(signal_type=signal_type, value=value))
        except ValidationError as exc:
            message = _validation_message(exc).split(": ", 1)[-1]
            raise InvalidInput(f"hash line {number}: {message}") from None
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
    principal: Principal = page_requires(Permission.ITEM_ASSESS),
) -> Response:
    form = {
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
            raise InvalidInput("choose a classification")
        data = AssessmentIn(
            classification=Classification(classification),
            age_group=age_group or None,
            gender=gender or None,
            content_type=content_type or None,
            site_type=site_type or None,
            commerciality=commerciality or None,
            hashes=parse_hash_lines(hashes),
            note=note.strip(),
            propose_to_bank=propose_to_bank or None,
        )
        with session.begin_nested():  # a refusal undoes only this assessment
            assessment.assess_item(session, principal, reference, data, app_state(request).settings)
    except (ValueError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            raise
        if isinstance(exc, ValidationError):
            message = _validation_message(exc)
        elif isinstance(exc, AllianceError):
            message = exc.message
        else:
            message = f"unknown classification {classification!r}"
        status = status_for(exc) if isinstance(exc, AllianceError) else 400
        return _item_page(
            request, session, principal, reference, error=message, form=form, status_code=status
        )
    return redirect(request, f"/items/{reference.strip().upper()}")


@router.post("/items/{reference}/route", dependencies=[csrf])
def item_route(
    request: Request,
    session: DbSession,
    reference: str,
    country_code: Annotated[str, Form(max_length=2)],
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.ITEM_ROUTE),
) -> Response:
    try:
        data = RouteIn(country_code=country_code, note=note.strip())
    except ValidationError as exc:
        raise InvalidInput(_validation_message(exc)) from None
    item = routing.route_manually(session, principal, reference, data, app_state(request).settings)
    return redirect(request, f"/items/{item.reference}")


@router.post("/items/{reference}/clear", dependencies=[csrf])
def item_clear(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    item = routing.clear_for_notice(session, principal, reference)
    return redirect(request, f"/items/{item.reference}")


@router.post("/items/{reference}/recheck", dependencies=[csrf])
def item_recheck(
    request: Request,
    session: DbSession,
    reference: str,
    principal: Principal = page_requires(Permission.NOTICE_SEND),
) -> Response:
    item = assessment.request_recheck(session, principal, reference)
    return redirect(request, f"/items/{item.reference}")


# --- holds -----------------------------------------------------------------------


def _holds_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = [
        (holds_.hold_out(h, principal), len(holds_.items_under_hold(session, h)))
        for h in holds_.list_holds(session, principal)
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
            "rows": alert_rows(alerts, principal),
            "may_acknowledge": principal.can(Permission.ALERT_MANAGE),
            "back": "/holds",
            "may_manage": principal.can(Permission.HOLD_MANAGE),
            "may_place": principal.can(Permission.HOLD_MANAGE)
            and principal.organisation_kind is OrgKind.law_enforcement,
            "target_types": [t.value for t in HoldTarget],
            "default_days": settings.hold_default_days,
            "max_days": settings.hold_max_days,
            "form": form or {},
            "error": error,
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
    form = {"target_type": target_type, "target_value": target_value, "reason": reason}
    form["days"] = days
    try:
        data = HoldIn(
            target_type=HoldTarget(target_type),
            target_value=target_value,
            reason=reason,
            days=int(days) if days.strip() else None,
        )
        with session.begin_nested():
            hold = holds_.place_hold(session, principal, data, app_state(request).settings)
    except ValidationError as exc:
        return _holds_page(
            request, session, principal, error=_validation_message(exc), form=form, status_code=400
        )
    except ValueError:
        return _holds_page(
            request,
            session,
            principal,
            error="choose a target type and give the days as a number",
            form=form,
            status_code=400,
        )
    except AllianceError as exc:
        return _holds_page(
            request, session, principal, error=exc.message, form=form, status_code=status_for(exc)
        )
    return redirect(request, f"/holds/{hold.reference}")


@router.get("/holds/{hold}")
def hold_page(
    request: Request,
    session: DbSession,
    hold: str,
    principal: Principal = page_requires(Permission.HOLD_READ),
) -> Response:
    found = holds_.get_hold(session, principal, hold)
    active = holds_.active_holds(session)
    names = reading.organisation_names(session)
    items = [
        reading.item_out(session, i, names=names, holds=active)
        for i in holds_.items_under_hold(session, found)
    ]
    return render(
        request,
        "hold.html",
        {
            "hold": holds_.hold_out(found, principal),
            "items": items,
            "may_manage": principal.can(Permission.HOLD_MANAGE),
            "default_days": app_state(request).settings.hold_default_days,
            "max_days": app_state(request).settings.hold_max_days,
        },
    )


@router.post("/holds/{hold}/renew", dependencies=[csrf])
def hold_renew(
    request: Request,
    session: DbSession,
    hold: str,
    days: Annotated[Days, Form()],
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    renewed = holds_.renew_hold(session, principal, hold, days, app_state(request).settings)
    return redirect(request, f"/holds/{renewed.reference}")


@router.post("/holds/{hold}/release", dependencies=[csrf])
def hold_release(
    request: Request,
    session: DbSession,
    hold: str,
    principal: Principal = page_requires(Permission.HOLD_MANAGE),
) -> Response:
    holds_.release_hold(session, principal, hold)
    return redirect(request, "/holds")


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


def _day(text: str, *, end: bool = False) -> datetime | None:
    if not text.strip():
        return None
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)") from None
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


@router.get("/metrics/takedown")
def metrics_page(
    request: Request,
    session: DbSession,
    group_by: str = "country",
    since: str = "",
    until: str = "",
    principal: Principal = page_requires(Permission.METRICS_READ),
) -> Response:
    if group_by not in GROUPINGS:
        raise InvalidInput(f"group by one of {', '.join(GROUPINGS)}")
    start, end = _day(since), _day(until, end=True)
    report = takedown_metrics(session, principal, group_by=group_by, since=start, until=end)
    api_query = {"group_by": group_by}
    api_query |= {"since": start.isoformat()} if start else {}
    api_query |= {"until": end.isoformat()} if end else {}
    return render(
        request,
        "metrics_takedown.html",
        {
            "report": report,
            "rows": report.rows,
            "chart": removal_chart(report.rows, group_by),
            "groupings": GROUPINGS,
            "f": {"group_by": group_by, "since": since, "until": until},
            "api_query": urlencode(api_query),
        },
    )


# --- hosting providers -----------------------------------------------------------------


@router.get("/providers")
def provider_list(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.PROVIDER_READ),
) -> Response:
    return render(
        request, "providers.html", {"providers": hosting.list_providers(session, principal)}
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
