"""Victim-identification pages: seizure triage, series and their victims, referrals and the
identified-victims KPI.

Pages show hashes, counts and workflow state only, never media. Who may see what is decided
by :mod:`alliance.victims` (law enforcement only; a series' details to its agencies only;
the secretariat sees the KPI): these handlers parse forms, call a service and render. A
form whose service refuses comes back with the message and what was typed, and the
refusal undoes only that form's work (``begin_nested``) — never a second transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import ValidationError

from alliance.accounts import services as accounts
from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Permission
from alliance.accounts.policy import Principal
from alliance.db.base import utcnow
from alliance.errors import AllianceError, InvalidInput, NotFound
from alliance.validation import PageNumber
from alliance.victims import access, exchange, identification, metrics, referrals, series, triage
from alliance.victims.formats import SeizureFormat
from alliance.victims.models import (
    AgeGroup,
    AgencyRole,
    ReferralStatus,
    SeriesStatus,
    Verdict,
    VictimStatus,
)
from alliance.victims.schemas import (
    AgencyIn,
    DecisionIn,
    IdentifyIn,
    KpiYear,
    LinkIn,
    MergeIn,
    ReferralIn,
    ReferralOut,
    SafeguardIn,
    SeizureOut,
    SeriesIn,
    SeriesUpdate,
    TriageReport,
    VictimIn,
    VictimMetrics,
)
from alliance.web import forms as web_forms
from alliance.web.errors import status_for
from alliance.web.forms import Form as WebForm
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.tables import csv_response, read_table

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)
ITEMS_PAGE = 100
MEMBERS_PAGE = 100
VERDICTS = tuple(v.value for v in Verdict)
EXPORT_TYPES = {"icse": ("text/csv; charset=utf-8", ".csv"), "vics": ("application/json", ".json")}

#: What a redirect after a form may announce (``?done=<key>``): fixed texts, nothing echoed.
DONE_MESSAGES = {
    "created": "Series started.",
    "linked": "The seizure's new and near-duplicate items were linked to this series.",
    "updated": "Series updated.",
    "agency": "The agency was invited: it now sees this series and gets its alerts.",
    "victim": "Victim recorded.",
    "identified": "Victim marked identified; every media record of the series now says so.",
    "safeguarded": "Victim marked safeguarded.",
    "merged": "The other series was merged into this one.",
    "referred": "Referral sent; the receiving agency decides on it.",
    "accepted": "Referral accepted: your agency now works on the series.",
    "declined": "Referral declined; the referring agency reads your reason.",
}


def _validation_message(error: ValidationError) -> str:
    parts = []
    for err in error.errors()[:5]:
        field = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts) or "invalid input"


def _refusal(exc: Exception) -> tuple[str, int]:
    """The message and status of a refused form; not-found is the error page's business."""
    if isinstance(exc, NotFound):
        raise exc
    if isinstance(exc, ValidationError):
        return _validation_message(exc), 400
    if isinstance(exc, AllianceError):
        return exc.message, status_for(exc)
    raise exc


def _countries(text: str) -> list[str]:
    """``"NL, be GB"`` → ``["NL", "be", "GB"]``; the schemas check and normalise them."""
    return [c for c in re.split(r"[\s,;]+", text.strip()) if c]


def _done(done: str) -> str | None:
    return DONE_MESSAGES.get(done)


def _page_number(page: int) -> int:
    return max(page, 1)


# --- seizures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One part of a proportion bar, in percent of the whole."""

    key: str
    label: str
    count: int
    x: float
    width: float


def proportion(report: TriageReport) -> list[Segment]:
    """Known, near-duplicate and new as consecutive parts of 100."""
    segments = []
    x = 0.0
    for key, label, count in (
        ("known", "known", report.known),
        ("near", "near-duplicate", report.near),
        ("new", "new", report.new),
    ):
        width = 100.0 * count / report.items if report.items else 0.0
        segments.append(Segment(key, label, count, round(x, 3), round(width, 3)))
        x += width
    return segments


def _seizures_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = [
        SeizureOut.model_validate(s, from_attributes=True)
        for s in triage.list_seizures(session, principal)
    ]
    return render(
        request,
        "seizures.html",
        {
            "seizures": rows,
            "formats": [f.value for f in SeizureFormat],
            "form": form or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/seizures")
def seizures_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.SEIZURE_TRIAGE),
) -> Response:
    return _seizures_page(request, session, principal)


@router.post("/seizures", dependencies=[csrf])
def seizure_submit(
    request: Request,
    session: DbSession,
    file: Annotated[UploadFile | None, File()] = None,
    fmt: Annotated[str, Form(alias="format", max_length=8)] = "",
    case_reference: Annotated[str, Form(max_length=120)] = "",
    shared_note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = page_requires(Permission.SEIZURE_TRIAGE),
) -> Response:
    """Triage an uploaded seizure hash set; all or nothing, then show its result."""
    form = {"format": fmt, "case_reference": case_reference, "shared_note": shared_note}
    try:
        if file is None or not file.filename:
            raise InvalidInput("choose the seizure's hash file (VICS JSON, JSON lines or CSV)")
        try:
            chosen = SeizureFormat(fmt) if fmt else None
        except ValueError:
            raise InvalidInput(f"unknown format {fmt!r}") from None
        data = file.file.read()
        with session.begin_nested():  # a refused file leaves nothing behind
            seizure = triage.triage_seizure(
                session,
                principal,
                data,
                fmt=chosen,
                filename=file.filename,
                case_reference=case_reference,
                shared_note=shared_note,
            )
    except AllianceError as exc:
        message, status = _refusal(exc)
        return _seizures_page(
            request, session, principal, error=message, form=form, status_code=status
        )
    return redirect(request, f"/seizures/{seizure.reference}")


def _seizure_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    verdict: str = "",
    page: PageNumber = 1,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = triage.get_seizure(session, principal, reference)
    if verdict and verdict not in VERDICTS:
        raise InvalidInput(f"verdict is one of {', '.join(VERDICTS)}")
    page = _page_number(page)
    report = triage.report(session, principal, found)
    lines = triage.lines(
        session,
        found,
        verdict=Verdict(verdict) if verdict else None,
        offset=(page - 1) * ITEMS_PAGE,
        limit=ITEMS_PAGE + 1,
    )
    may_link = principal.can(Permission.SERIES_MANAGE) and report.new + report.near > 0
    linkable = (
        [
            s
            for s in series.list_series(session, principal, include_closed=False)
            if s.merged_into_id is None
        ]
        if may_link
        else []
    )
    return render(
        request,
        "seizure.html",
        {
            "report": report,
            "segments": proportion(report),
            "lines": lines[:ITEMS_PAGE],
            "verdicts": VERDICTS,
            "verdict": verdict,
            "page": page,
            "has_next": len(lines) > ITEMS_PAGE,
            "first_line": (page - 1) * ITEMS_PAGE,
            "may_link": may_link,
            "linkable": linkable,
            "form": form or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/seizures/{seizure}")
def seizure_page(
    request: Request,
    session: DbSession,
    seizure: str,
    verdict: str = "",
    page: PageNumber = 1,
    principal: Principal = page_requires(Permission.SEIZURE_TRIAGE),
) -> Response:
    return _seizure_page(request, session, principal, seizure, verdict=verdict, page=page)


@router.post("/seizures/{seizure}/series", dependencies=[csrf])
def seizure_start_series(
    request: Request,
    session: DbSession,
    seizure: str,
    name: Annotated[str, Form(max_length=200)] = "",
    countries: Annotated[str, Form(max_length=200)] = "",
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    """Start a series of the seizure's new and near-duplicate items."""
    form = {"name": name, "countries": countries}
    try:
        data = SeriesIn(name=name, countries=_countries(countries), seizure=seizure)
        with session.begin_nested():
            created = series.create_series(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        message, status = _refusal(exc)
        return _seizure_page(
            request, session, principal, seizure, error=message, form=form, status_code=status
        )
    return redirect(request, f"/series/{created.code}?done=created")


@router.post("/seizures/{seizure}/link", dependencies=[csrf])
def seizure_link(
    request: Request,
    session: DbSession,
    seizure: str,
    code: Annotated[str, Form(max_length=32)] = "",
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    """Link the seizure's new and near-duplicate items to a series the agency works on."""
    form = {"code": code}
    try:
        if not code.strip():
            raise InvalidInput("choose the series to link to")
        with session.begin_nested():
            series.link_items(session, principal, code, LinkIn(seizure=seizure))
    except AllianceError as exc:
        if isinstance(exc, NotFound) and code.strip():
            # The series may not be found (it is not the agency's); the seizure exists.
            triage.get_seizure(session, principal, seizure)
            message, status = exc.message, 404
        else:
            message, status = _refusal(exc)
        return _seizure_page(
            request, session, principal, seizure, error=message, form=form, status_code=status
        )
    return redirect(request, f"/series/{code.strip().upper()}?done=linked")


# --- series --------------------------------------------------------------------------


SERIES_STATUSES = tuple(s.value for s in SeriesStatus)
SERIES_CSV_HEADER = (
    "Series",
    "Code name",
    "Status",
    "Merged into",
    "Owner",
    "Owner country",
    "Countries",
    "First seen (UTC)",
    "Media",
    "Victims",
    "Victims identified",
    "Updated (UTC)",
)


def _series_list_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    """The series the agency works on: sortable, paged, filtered by status and a search of
    names and codes, as CSV; with the form that starts a new one."""
    query = request.query_params
    status = (query.get("status") or "").strip()
    search = (query.get("q") or "").strip()[:120]
    if status and status not in SERIES_STATUSES:
        raise InvalidInput("Status: choose one of the options offered", field="status")
    table, listing = read_table(
        request,
        sortable=series.SERIES_SORTS,
        default="-updated",
        filters={"status": status, "q": search},
    )
    found = series.find_series(
        session,
        principal,
        status=SeriesStatus(status) if status else None,
        search=search,
        listing=listing,
    )
    if table.csv:
        return csv_response(
            "series.csv",
            SERIES_CSV_HEADER,
            (
                (
                    s.code,
                    s.name,
                    s.status,
                    s.merged_into,
                    s.owner,
                    s.owner_country,
                    " ".join(s.countries),
                    s.first_seen_at,
                    s.media,
                    s.victims,
                    s.identified_victims,
                    s.updated_at,
                )
                for s in series.series_outs(session, found)
            ),
        )
    table.rows(found)  # sets has_next
    return render(
        request,
        "series_list.html",
        {
            "series": series.series_outs(session, found[: table.page_size]),
            "table": table,
            "status": status,
            "search": search,
            "statuses": SERIES_STATUSES,
            "may_manage": principal.can(Permission.SERIES_MANAGE),
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/series")
def series_list_page(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.SERIES_READ),
) -> Response:
    return _series_list_page(request, session, principal)


@router.post("/series", dependencies=[csrf])
def series_create(
    request: Request,
    session: DbSession,
    name: Annotated[str, Form(max_length=200)] = "",
    countries: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=20_000)] = "",
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    values = {"name": name, "countries": countries, "notes": notes}
    try:
        data = SeriesIn(name=name, countries=_countries(countries), notes=notes.strip())
        with session.begin_nested():
            created = series.create_series(session, principal, data)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            raise
        status = 400 if isinstance(exc, ValidationError) else status_for(exc)
        if isinstance(exc, AllianceError) and exc.field is None and "name" in exc.message:
            exc = type(exc)(exc.message, field="name")  # e.g. a code name already taken
        form = web_forms.failed(
            exc,
            values,
            labels={"name": "Code name", "countries": "Countries involved", "notes": "Notes"},
            name="new-series",
        )
        return _series_list_page(request, session, principal, form=form, status_code=status)
    return redirect(request, f"/series/{created.code}?done=created")


def _lea_agencies(session: DbSession, principal: Principal) -> list[Organisation]:
    """Law-enforcement members, for the invitation form."""
    return [
        o
        for o in accounts.list_organisations(session, principal)
        if o.kind is OrgKind.law_enforcement and o.active
    ]


def _series_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    code: str,
    *,
    page: PageNumber = 1,
    done: str = "",
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = series.get_series(session, principal, code)
    detail = series.series_detail(session, principal, found.code)
    page = _page_number(page)
    members = series.members(
        session, principal, found.code, offset=(page - 1) * MEMBERS_PAGE, limit=MEMBERS_PAGE + 1
    )
    open_ = found.merged_into_id is None
    is_owner = access.agency_role(session, found, principal.organisation_id) == AgencyRole.owner
    may_manage = principal.can(Permission.SERIES_MANAGE) and open_
    working = {a.slug for a in detail.agencies}
    invitable = (
        [o for o in _lea_agencies(session, principal) if o.slug not in working]
        if may_manage and is_owner
        else []
    )
    mergeable = (
        [
            s
            for s in series.list_series(session, principal, include_closed=False)
            if s.id != found.id and s.merged_into_id is None
        ]
        if may_manage and is_owner
        else []
    )
    may_refer = principal.can(Permission.REFERRAL_MANAGE) and open_
    victims = (
        [
            identification.victim_out(v)
            for v in identification.list_victims(session, principal, found.code)
        ]
        if principal.can(Permission.VICTIM_READ)
        else []
    )
    sent = (
        [
            referrals.referral_out(r)
            for r in referrals.list_referrals(session, principal, incoming=False)
            if r.series_id == found.id
        ]
        if principal.can(Permission.REFERRAL_MANAGE)
        else []
    )
    return render(
        request,
        "series.html",
        {
            "series": detail,
            "members": members[:MEMBERS_PAGE],
            "page": page,
            "has_next": len(members) > MEMBERS_PAGE,
            "victims": victims,
            "referrals": sent,
            "is_owner": is_owner,
            "may_manage": may_manage,
            "may_manage_victims": principal.can(Permission.VICTIM_MANAGE) and open_,
            "may_refer": may_refer,
            "may_export": principal.can(Permission.RECORDS_EXCHANGE),
            "statuses": [s.value for s in SeriesStatus],
            "age_groups": [a.value for a in AgeGroup],
            "invitable": invitable,
            "mergeable": mergeable,
            "countries": [j.code for j in accounts.list_jurisdictions(session, principal)]
            if may_refer
            else [],
            "today": utcnow().date().isoformat(),
            "done": _done(done),
            "form": form or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/series/{code}")
def series_page(
    request: Request,
    session: DbSession,
    code: str,
    page: PageNumber = 1,
    done: str = "",
    principal: Principal = page_requires(Permission.SERIES_READ),
) -> Response:
    return _series_page(request, session, principal, code, page=page, done=done)


def _series_form(
    request: Request,
    session: DbSession,
    principal: Principal,
    code: str,
    form: dict[str, str],
    exc: Exception,
) -> Response:
    """The series page again, with the refusal's message and what was typed."""
    message, status = _refusal(exc)
    return _series_page(
        request, session, principal, code, error=message, form=form, status_code=status
    )


@router.post("/series/{code}/edit", dependencies=[csrf])
def series_edit(
    request: Request,
    session: DbSession,
    code: str,
    status: Annotated[str, Form(max_length=32)] = "",
    notes: Annotated[str, Form(max_length=20_000)] = "",
    countries: Annotated[str, Form(max_length=200)] = "",
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    """Change the status, the notes (the series' agencies read them) and the countries."""
    form = {"status": status, "notes": notes, "countries": countries}
    try:
        data = SeriesUpdate(
            status=SeriesStatus(status) if status else None,
            notes=notes.strip(),
            countries=_countries(countries) if countries.strip() else None,
        )
        with session.begin_nested():
            changed = series.update_series(session, principal, code, data)
    except ValidationError as exc:
        return _series_form(request, session, principal, code, form, exc)
    except ValueError:
        refused = InvalidInput(f"unknown status {status!r}")
        return _series_form(request, session, principal, code, form, refused)
    except AllianceError as exc:
        return _series_form(request, session, principal, code, form, exc)
    return redirect(request, f"/series/{changed.code}?done=updated")


@router.post("/series/{code}/agencies", dependencies=[csrf])
def series_invite(
    request: Request,
    session: DbSession,
    code: str,
    organisation: Annotated[str, Form(max_length=64)] = "",
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    form = {"organisation": organisation}
    try:
        if not organisation.strip():
            raise InvalidInput("choose the agency to invite")
        with session.begin_nested():
            agency = series.add_agency(
                session, principal, code, AgencyIn(organisation=organisation)
            )
    except AllianceError as exc:
        if isinstance(exc, NotFound) and organisation.strip():
            series.get_series(session, principal, code)  # the series is there: the agency isn't
            exc = InvalidInput(exc.message)
        return _series_form(request, session, principal, code, form, exc)
    return redirect(request, f"/series/{agency.series.code}?done=agency")


@router.post("/series/{code}/merge", dependencies=[csrf])
def series_merge(
    request: Request,
    session: DbSession,
    code: str,
    into: Annotated[str, Form(max_length=32)] = "",
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    """Fold this series into another the agency works on (owner of this one only)."""
    form = {"into": into}
    try:
        if not into.strip():
            raise InvalidInput("choose the series that absorbs this one")
        with session.begin_nested():
            survivor = series.merge_series(session, principal, code, MergeIn(into=into))
    except AllianceError as exc:
        if isinstance(exc, NotFound) and into.strip():
            series.get_series(session, principal, code)
            exc = InvalidInput(exc.message)
        return _series_form(request, session, principal, code, form, exc)
    return redirect(request, f"/series/{survivor.code}?done=merged")


@router.post("/series/{code}/victims", dependencies=[csrf])
def series_add_victim(
    request: Request,
    session: DbSession,
    code: str,
    age_group: Annotated[str, Form(max_length=32)] = "unknown",
    principal: Principal = page_requires(Permission.VICTIM_MANAGE),
) -> Response:
    """Record a victim of the series: an internal reference and an age group, never a name."""
    form = {"age_group": age_group}
    try:
        data = VictimIn(age_group=AgeGroup(age_group) if age_group else AgeGroup.unknown)
        with session.begin_nested():
            victim = identification.add_victim(session, principal, code, data)
    except ValidationError as exc:
        return _series_form(request, session, principal, code, form, exc)
    except ValueError:
        refused = InvalidInput(f"unknown age group {age_group!r}")
        return _series_form(request, session, principal, code, form, refused)
    except AllianceError as exc:
        return _series_form(request, session, principal, code, form, exc)
    return redirect(request, f"/series/{victim.series.code}?done=victim#victims")


def _victim_form(
    request: Request,
    session: DbSession,
    principal: Principal,
    back: str,
    form: dict[str, str],
    exc: Exception,
) -> Response:
    """A refused identify / safeguard: the series page it came from, or the error page."""
    if not back.strip():  # no page to return to: the error page
        message, _ = _refusal(exc)
        raise InvalidInput(message) if isinstance(exc, ValidationError) else exc
    return _series_form(request, session, principal, back, form, exc)


def _date(text: str, label: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{label}: {text!r} is not a date (YYYY-MM-DD)") from None


@router.post("/victims/{victim}/identify", dependencies=[csrf])
def victim_identify(
    request: Request,
    session: DbSession,
    victim: str,
    identified_on: Annotated[str, Form(max_length=10)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    series_code: Annotated[str, Form(alias="series", max_length=32)] = "",
    principal: Principal = page_requires(Permission.VICTIM_MANAGE),
) -> Response:
    """Mark a victim identified by the agency, on a date (default today), in a country
    (default the agency's); every media record of the series becomes "victim identified"."""
    form = {"victim": victim, "identified_on": identified_on, "country": country}
    try:
        data = IdentifyIn(
            identified_on=_date(identified_on, "identified on"), country=country.strip() or None
        )
        with session.begin_nested():
            found = identification.identify_victim(session, principal, victim, data)
    except (ValidationError, AllianceError) as exc:
        return _victim_form(request, session, principal, series_code, form, exc)
    return redirect(request, f"/series/{found.series.code}?done=identified#victims")


@router.post("/victims/{victim}/safeguard", dependencies=[csrf])
def victim_safeguard(
    request: Request,
    session: DbSession,
    victim: str,
    safeguarded_on: Annotated[str, Form(max_length=10)] = "",
    series_code: Annotated[str, Form(alias="series", max_length=32)] = "",
    principal: Principal = page_requires(Permission.VICTIM_MANAGE),
) -> Response:
    form = {"victim": victim, "safeguarded_on": safeguarded_on}
    try:
        data = SafeguardIn(safeguarded_on=_date(safeguarded_on, "safeguarded on"))
        with session.begin_nested():
            found = identification.safeguard_victim(session, principal, victim, data)
    except (ValidationError, AllianceError) as exc:
        return _victim_form(request, session, principal, series_code, form, exc)
    return redirect(request, f"/series/{found.series.code}?done=safeguarded#victims")


@router.post("/series/{code}/referrals", dependencies=[csrf])
def series_refer(
    request: Request,
    session: DbSession,
    code: str,
    country: Annotated[str, Form(max_length=2)] = "",
    indicators: Annotated[str, Form(max_length=5000)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    principal: Principal = page_requires(Permission.REFERRAL_MANAGE),
) -> Response:
    """Refer the series to the police of the country where the victim most likely is;
    indicators one a line."""
    form = {"country": country, "indicators": indicators, "note": note}
    try:
        if not country.strip():
            raise InvalidInput("choose the country to refer the series to")
        data = ReferralIn(country=country, indicators=indicators.splitlines(), note=note.strip())
        with session.begin_nested():
            referrals.refer_series(session, principal, code, data)
    except (ValidationError, AllianceError) as exc:
        return _series_form(request, session, principal, code, form, exc)
    return redirect(request, "/referrals?done=referred")


@router.get("/series/{code}/export")
def series_export(
    request: Request,
    session: DbSession,
    code: str,
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "icse",
    principal: Principal = page_requires(Permission.RECORDS_EXCHANGE),
) -> Response:
    """The series' media records as ICSE CSV or VICS JSON (what ``GET
    /api/v1/series/{code}/export`` gives an API key), for a browser session. Rendered in
    full before the request's transaction ends: a series is thousands of rows, not
    millions."""
    if fmt not in EXPORT_TYPES:
        raise InvalidInput("format is icse or vics")
    body = "".join(exchange.export_records(session, principal, series=code, fmt=fmt))
    media_type, suffix = EXPORT_TYPES[fmt]
    name = code.strip().upper()
    return Response(
        body.encode(),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}{suffix}"'},
    )


# --- referrals -----------------------------------------------------------------------

REFERRAL_DIRECTIONS = {"incoming": True, "outgoing": False}
REFERRAL_STATUSES = tuple(r.value for r in ReferralStatus)
REFERRAL_CSV_HEADER = (
    "Referral",
    "Direction",
    "From",
    "To",
    "Country",
    "Series",
    "Series name",
    "Media",
    "Victims",
    "Hashes",
    "Status",
    "Sent (UTC)",
    "Decided (UTC)",
    "Reason",
)
#: Hashes of a package shown on one page of the referral's page (the CSV has them all).
PACKAGE_HASHES_PAGE = 100
PACKAGE_HASH_KINDS = (("md5", "MD5"), ("sha1", "SHA-1"), ("sha256", "SHA-256"), ("pdq", "PDQ"))


@dataclass(frozen=True)
class ReferralRow:
    """A referral as the list shows it, from the point of view of the reading agency."""

    out: ReferralOut
    incoming: bool
    media: int
    victims: int
    hashes: int
    may_open_series: bool  # the agency works on the series (sent it, or accepted it)


def referral_row(referral: Any, agency_id: int | None) -> ReferralRow:
    out = referrals.referral_out(referral)
    package = out.package
    incoming = referral.to_organisation_id == agency_id
    return ReferralRow(
        out=out,
        incoming=incoming,
        media=int(package.get("media") or 0),
        victims=int((package.get("victims") or {}).get("total") or 0),
        hashes=len(package.get("hashes") or []),
        may_open_series=not incoming or out.status is ReferralStatus.accepted,
    )


def _choice(value: str, allowed: Any, name: str, text: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(f"{text}: choose one of the options offered", field=name)
    return value


@router.get("/referrals")
def referrals_page(
    request: Request,
    session: DbSession,
    done: str = "",
    direction: str = "",
    status: str = "",
    principal: Principal = page_requires(Permission.REFERRAL_MANAGE),
) -> Response:
    """Referrals to and from the agency: sortable, paged, filtered, as CSV."""
    chosen_direction = _choice(direction, REFERRAL_DIRECTIONS, "direction", "Direction")
    chosen_status = _choice(status, REFERRAL_STATUSES, "status", "Status")
    table, listing = read_table(
        request,
        sortable=referrals.REFERRAL_SORTS,
        default="-created",
        filters={"direction": direction, "status": status},
    )
    found = referrals.list_referrals(
        session,
        principal,
        incoming=REFERRAL_DIRECTIONS[chosen_direction] if chosen_direction else None,
        status=ReferralStatus(chosen_status) if chosen_status else None,
        listing=listing,
    )
    rows = [referral_row(r, principal.organisation_id) for r in found]
    if table.csv:
        return csv_response(
            "referrals.csv",
            REFERRAL_CSV_HEADER,
            (
                (
                    r.out.reference,
                    "Incoming" if r.incoming else "Outgoing",
                    r.out.from_organisation,
                    r.out.to_organisation,
                    r.out.to_country,
                    r.out.series.code,
                    r.out.series.name,
                    r.media,
                    r.victims,
                    r.hashes,
                    r.out.status,
                    r.out.created_at,
                    r.out.decided_at,
                    r.out.decision_reason,
                )
                for r in rows
            ),
        )
    return render(
        request,
        "referrals.html",
        {
            "rows": table.rows(rows),
            "table": table,
            "direction": direction,
            "status": status,
            "statuses": REFERRAL_STATUSES,
            "done": _done(done),
        },
    )


def _package_hashes(package: dict[str, Any]) -> list[dict[str, str]]:
    return [h for h in package.get("hashes") or [] if isinstance(h, dict)]


def _counted(counts: Any, vocabulary: type[StrEnum]) -> list[tuple[object, int]]:
    """A package's counts by code, keyed by the enum member where one is known (so that
    ``|label`` gives the same words as everywhere else)."""
    known = {m.value: m for m in vocabulary}
    if not isinstance(counts, dict):
        return []
    return [(known.get(k, k), int(v)) for k, v in counts.items()]


def _referral_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    form: WebForm | None = None,
    status_code: int = 200,
) -> Response:
    found = referrals.get_referral(session, principal, reference)
    row = referral_row(found, principal.organisation_id)
    table, listing = read_table(request, sortable=(), page_size=PACKAGE_HASHES_PAGE)
    hashes = _package_hashes(row.out.package)
    if table.csv:
        return csv_response(
            f"{row.out.reference}-hashes.csv",
            [text for _, text in PACKAGE_HASH_KINDS],
            ([h.get(kind) for kind, _ in PACKAGE_HASH_KINDS] for h in hashes),
        )
    start = listing.offset
    shown = table.rows(hashes[start : start + PACKAGE_HASHES_PAGE + 1])
    return render(
        request,
        "referral.html",
        {
            "row": row,
            "r": row.out,
            "hashes": shown,
            "first_hash": start,
            "hash_kinds": PACKAGE_HASH_KINDS,
            "by_age": _counted(
                (row.out.package.get("victims") or {}).get("by_age_group"), AgeGroup
            ),
            "by_status": _counted(
                (row.out.package.get("victims") or {}).get("by_status"), VictimStatus
            ),
            "table": table,
            "may_decide": row.incoming and row.out.status is ReferralStatus.pending,
            "form": form or WebForm(),
        },
        status_code=status_code,
    )


@router.get("/referrals/{referral}")
def referral_page(
    request: Request,
    session: DbSession,
    referral: str,
    principal: Principal = page_requires(Permission.REFERRAL_MANAGE),
) -> Response:
    """A referral's package — counts, indicators, the note and every hash — which the
    receiving agency reads before it accepts or declines."""
    return _referral_page(request, session, principal, referral)


@router.post("/referrals/{referral}/decision", dependencies=[csrf])
def referral_decide(
    request: Request,
    session: DbSession,
    referral: str,
    decision: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    principal: Principal = page_requires(Permission.REFERRAL_MANAGE),
) -> Response:
    """Accept (the agency joins the series) or decline with a reason."""
    values = {"decision": decision, "reason": reason}
    try:
        if decision not in ("accept", "decline"):
            raise InvalidInput("accept or decline the referral", field="decision")
        data = DecisionIn(accept=decision == "accept", reason=reason.strip())
        with session.begin_nested():
            decided = referrals.decide_referral(session, principal, referral, data)
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            raise
        if isinstance(exc, InvalidInput) and exc.field is None and "reason" in exc.message:
            exc = InvalidInput(exc.message, field="reason")
        status = 400 if isinstance(exc, ValidationError) else status_for(exc)
        form = web_forms.failed(
            exc, values, labels={"reason": "Reason", "decision": "Decision"}, name="decide"
        )
        return _referral_page(request, session, principal, referral, form=form, status_code=status)
    series_words = f"{decided.series.name} ({decided.series.code})"
    if data.accept:
        return redirect(
            request,
            f"/series/{decided.series.code}",
            notice=f"Referral {decided.reference} accepted: your agency now works on series "
            f"{series_words}.",
        )
    return redirect(
        request,
        "/referrals",
        notice=f"Referral {decided.reference} of series {series_words} declined; "
        f"{decided.from_organisation.name} reads your reason.",
    )


# --- the KPI -------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The KPI tiles: this year's figures for the alliance or one country."""

    year: int
    identified: int
    cumulative: int
    growth: float | None
    target_met: bool | None
    median_days: float | None
    last_year: KpiYear | None


def headline(rows: list[KpiYear], year: int) -> Headline:
    this = next((r for r in rows if r.year == year), None)
    before = next((r for r in rows if r.year == year - 1), None)
    cumulative = this.cumulative if this else (rows[-1].cumulative if rows else 0)
    return Headline(
        year=year,
        identified=this.identified if this else 0,
        cumulative=cumulative,
        growth=this.growth if this else None,
        target_met=this.target_met if this else None,
        median_days=this.median_days_to_identification if this else None,
        last_year=before,
    )


def _latest_per_country(report: VictimMetrics, year: int) -> list[KpiYear]:
    latest: dict[str, KpiYear] = {}
    for row in report.by_country:
        if row.country is not None and row.year <= year:
            latest[row.country] = row
    return [latest[c] for c in sorted(latest)]


@router.get("/victims/metrics")
def victim_metrics_page(
    request: Request,
    session: DbSession,
    country: str = "",
    principal: Principal = page_requires(Permission.VICTIM_METRICS_READ),
) -> Response:
    """Identified victims per year against the +10 % target; counts only, no records."""
    chosen = country.strip().upper() or None
    report = metrics.victim_metrics(session, principal, country=chosen)
    year = utcnow().year
    rows = report.years if chosen is None else [r for r in report.by_country if r.country == chosen]
    chart = Markup(metrics.chart_svg(report, country=chosen))  # noqa: S704 - escaped by charts
    context: dict[str, Any] = {
        "report": report,
        "rows": rows,
        "headline": headline(rows, year),
        "per_country": _latest_per_country(report, year),
        "chart": chart,
        "country": chosen or "",
        "countries": [j.code for j in accounts.list_jurisdictions(session, principal)],
        "target": report.target_growth,
    }
    return render(request, "victims_metrics.html", context)
