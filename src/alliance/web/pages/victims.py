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
from alliance.errors import AllianceError, Conflict, InvalidInput, NotFound
from alliance.validation import ID_MAX, PageNumber
from alliance.victims import access, exchange, identification, metrics, referrals, series, triage
from alliance.victims.formats import SeizureFormat
from alliance.victims.models import (
    AgeGroup,
    AgencyRole,
    ReferralStatus,
    SeriesStatus,
    Verdict,
    VictimStatus,
    age_group,
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
from alliance.web.errors import failed_form
from alliance.web.forms import Form as PageForm
from alliance.web.forms import failed
from alliance.web.guards import DbSession, page_requires
from alliance.web.labels import label
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


def age_group_label(code: object) -> str:
    """The label of an age group stored as a code (a referral package counts victims by
    it), the victims' former bands read in the one vocabulary."""
    try:
        return label(age_group(str(code)))
    except ValueError:
        return label(code)


def _countries(text: str) -> list[str]:
    """``"NL, be GB"`` → ``["NL", "be", "GB"]``; the schemas check and normalise them."""
    return [c for c in re.split(r"[\s,;]+", text.strip()) if c]


def _done(done: str) -> str | None:
    return DONE_MESSAGES.get(done)


def _page_number(page: int) -> int:
    return max(page, 1)


# --- seizures ------------------------------------------------------------------------

#: Labels of the seizure forms' fields, for the error summary at the top of a form.
SEIZURE_LABELS = {
    "file": "Hash file",
    "format": "Format",
    "case_reference": "Your case reference",
    "shared_note": "Note to share",
    "lines": "Items",
    "name": "Code name",
    "countries": "Countries",
    "code": "Series",
}
SEIZURE_EXPORTS = ("csv", "vics")
#: How many items the Start / Link form lists with a box each; a bigger seizure is
#: placed in steps (what was linked leaves the list).
CANDIDATES_SHOWN = 1000


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
    for key, text, count in (
        ("known", "known", report.known),
        ("near", "near-duplicate", report.near),
        ("new", "new", report.new),
    ):
        width = 100.0 * count / report.items if report.items else 0.0
        segments.append(Segment(key, text, count, round(x, 3), round(width, 3)))
        x += width
    return segments


def _seizures_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    form: PageForm | None = None,
    status_code: int = 200,
) -> Response:
    table, listing = read_table(
        request, sortable=triage.SEIZURE_COLUMNS, default="-submitted", page_size=50
    )
    found = triage.list_seizures(session, principal, listing=listing)
    rows = [SeizureOut.model_validate(s, from_attributes=True) for s in found]
    if table.csv:
        return csv_response(
            "seizures.csv",
            (
                "Seizure",
                "Submitted (UTC)",
                "Case reference",
                "Items",
                "Known",
                "Near-duplicates",
                "New",
            ),
            (
                (s.reference, s.submitted_at, s.case_reference, s.items, s.known, s.near, s.new)
                for s in rows
            ),
        )
    return render(
        request,
        "seizures.html",
        {
            "seizures": table.rows(rows),
            "table": table,
            "formats": [(f.value, FORMAT_NAMES.get(f.value, f.value)) for f in SeizureFormat],
            "form": form or PageForm(),
        },
        status_code=status_code,
    )


#: The seizure formats in words.
FORMAT_NAMES = {
    "vics": "VICS JSON",
    "jsonl": "JSON lines (alliance hash)",
    "csv": "CSV",
}


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
    values = {
        "format": fmt,
        "case_reference": case_reference,
        "shared_note": shared_note,
        "file": "",
    }
    try:
        if file is None or not file.filename:
            raise InvalidInput(
                "choose the seizure's hash file (VICS JSON, JSON lines or CSV)", field="file"
            )
        try:
            chosen = SeizureFormat(fmt) if fmt else None
        except ValueError:
            raise InvalidInput("choose one of the formats offered", field="format") from None
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
        if isinstance(exc, InvalidInput) and exc.field is None:
            exc.field = "file"  # what is wrong is the file: its lines, its format, its size
        form, status = failed_form(exc, values, labels=SEIZURE_LABELS)
        return _seizures_page(request, session, principal, form=form, status_code=status)
    return redirect(
        request,
        f"/seizures/{seizure.reference}",
        notice=f"Seizure {seizure.reference} triaged: {_count(seizure.items, 'item')}, "
        f"{seizure.known} known, {seizure.near} near-duplicates, {seizure.new} new.",
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _seizure_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    reference: str,
    *,
    verdict: str = "",
    page: PageNumber = 1,
    form: PageForm | None = None,
    status_code: int = 200,
) -> Response:
    found = triage.get_seizure(session, principal, reference)
    if verdict and verdict not in VERDICTS:
        raise InvalidInput("choose one of the verdicts offered: known, near-duplicate or new")
    page = _page_number(page)
    report = triage.report(session, principal, found)
    lines = triage.lines(
        session,
        found,
        verdict=Verdict(verdict) if verdict else None,
        offset=(page - 1) * ITEMS_PAGE,
        limit=ITEMS_PAGE + 1,
    )
    may_manage = principal.can(Permission.SERIES_MANAGE)
    choosable, more = (
        series.candidates(session, principal, found.reference, limit=CANDIDATES_SHOWN)
        if may_manage
        else ([], False)
    )
    linkable = (
        [
            s
            for s in series.list_series(session, principal, include_closed=False)
            if s.merged_into_id is None
        ]
        if may_manage
        else []
    )
    form = form or PageForm()
    kept = form.value("lines").split(",") if form.failed else None
    return render(
        request,
        "seizure.html",
        {
            "report": report,
            "segments": proportion(report),
            "lines": lines[:ITEMS_PAGE],
            "verdicts": [Verdict(v) for v in VERDICTS],
            "verdict": verdict,
            "page": page,
            "has_next": len(lines) > ITEMS_PAGE,
            "first_line": (page - 1) * ITEMS_PAGE,
            "may_link": bool(choosable) or (may_manage and form.is_("choose") and form.failed),
            "candidates": choosable,
            "candidates_more": more,
            "kept": kept,
            "linkable": linkable,
            "linkable_options": [(s.code, f"{s.code} · {s.name}") for s in linkable],
            "form": form,
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


@router.get("/seizures/{seizure}/export")
def seizure_export(
    request: Request,
    session: DbSession,
    seizure: str,
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "csv",
    principal: Principal = page_requires(Permission.SEIZURE_TRIAGE),
) -> Response:
    """The triage verdicts of every item: CSV for a spreadsheet, VICS JSON for a forensic
    tool (it reads back as a seizure)."""
    if fmt not in SEIZURE_EXPORTS:
        raise InvalidInput("choose CSV or VICS", field="format")
    found = triage.get_seizure(session, principal, seizure)
    if fmt == "csv":
        return csv_response(
            f"{found.reference}-triage.csv",
            triage.EXPORT_HEADER,
            triage.export_rows(session, found),
        )
    return Response(
        "".join(triage.export_vics(session, found)).encode(),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{found.reference}-triage.json"'},
    )


def _chosen_lines(values: list[str]) -> list[int]:
    """The boxes ticked: the seizure's item numbers; anything else is refused."""
    if not values:
        raise InvalidInput("choose at least one item", field="lines")
    if not all(v.isdigit() and 0 < int(v) <= ID_MAX for v in values):
        raise InvalidInput("choose among the seizure's items", field="lines")
    return sorted({int(v) for v in values})


@router.post("/seizures/{seizure}/series", dependencies=[csrf])
def seizure_start_series(
    request: Request,
    session: DbSession,
    seizure: str,
    name: Annotated[str, Form(max_length=200)] = "",
    countries: Annotated[str, Form(max_length=200)] = "",
    line: Annotated[list[str] | None, Form(max_length=12)] = None,
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    """Start a series of the items chosen."""
    values = {"name": name, "countries": countries, "lines": ",".join(line or [])}
    try:
        data = SeriesIn(
            name=name,
            countries=_countries(countries),
            seizure=seizure,
            lines=_chosen_lines(line or []),
        )
        with session.begin_nested():
            created = series.create_series(session, principal, data)
            members = series.series_out(session, created).media
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            raise
        form, status = failed_form(exc, values, labels=SEIZURE_LABELS, name="choose")
        return _seizure_page(
            request, session, principal, seizure, form=_countries_said(form), status_code=status
        )
    return redirect(
        request,
        f"/series/{created.code}",
        notice=f"Series {created.code} ({created.name}) started with {_count(members, 'item')}"
        f" of seizure {data.seizure}.",
    )


@router.post("/seizures/{seizure}/link", dependencies=[csrf])
def seizure_link(
    request: Request,
    session: DbSession,
    seizure: str,
    code: Annotated[str, Form(max_length=32)] = "",
    line: Annotated[list[str] | None, Form(max_length=12)] = None,
    principal: Principal = page_requires(Permission.SERIES_MANAGE),
) -> Response:
    """Link the items chosen to a series the agency works on."""
    values = {"code": code, "lines": ",".join(line or [])}
    try:
        if not code.strip():
            raise InvalidInput("choose the series to link to", field="code")
        data = LinkIn(seizure=seizure, lines=_chosen_lines(line or []))
        with session.begin_nested():
            linked = series.link_items(session, principal, code, data)
    except (ValidationError, AllianceError) as exc:
        found = triage.get_seizure(session, principal, seizure)  # else the seizure's 404
        if isinstance(exc, NotFound):
            # The series is not found (it is not the agency's); the seizure exists.
            exc = InvalidInput(exc.message, field="code")
        form, status = failed_form(exc, values, labels=SEIZURE_LABELS, name="choose")
        return _seizure_page(
            request, session, principal, found.reference, form=form, status_code=status
        )
    target = code.strip().upper()
    return redirect(
        request,
        f"/series/{target}",
        notice=f"{_count(linked, 'item')} of seizure {data.seizure} linked to series {target}.",
    )


def _countries_said(form: PageForm) -> PageForm:
    """A list of countries is typed on one line: its errors name the code, not a line."""
    if "countries" in form.errors:
        form.errors["countries"] = re.sub(r"^line \d+: ", "", form.errors["countries"])
    return form


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
    form: PageForm | None = None,
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
            "form": form or PageForm(),
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
        if isinstance(exc, AllianceError) and exc.field is None and "name" in exc.message:
            exc = type(exc)(exc.message, field="name")  # e.g. a code name already taken
        form, status = failed_form(
            exc,
            values,
            labels={"name": "Code name", "countries": "Countries involved", "notes": "Notes"},
            name="new-series",
        )
        return _series_list_page(request, session, principal, form=form, status_code=status)
    return redirect(request, f"/series/{created.code}", notice=f"Series {created.code} started.")


def _lea_agencies(session: DbSession, principal: Principal) -> list[Organisation]:
    """Law-enforcement members, for the invitation form."""
    return [
        o
        for o in accounts.list_organisations(session, principal)
        if o.kind is OrgKind.law_enforcement and o.active
    ]


#: Labels of the series page's fields, for the error summary at the top of a form.
SERIES_LABELS = {
    "status": "Status",
    "countries": "Countries",
    "notes": "Notes",
    "organisation": "Agency",
    "into": "Series that absorbs this one",
    "age_group": "Apparent age group",
    "identified_on": "Identified on",
    "country": "Identifying country",
    "safeguarded_on": "Safeguarded on",
    "indicators": "Indicators",
    "note": "Note",
}


def _phrase(value: object) -> str:
    return label(value).lower()


def event_text(kind: str, details: dict[str, Any]) -> str:
    """A series timeline event in words (never ``key=value``)."""
    d = details
    if kind == "created":
        return f"Started as “{d.get('name', '')}”"
    if kind == "updated":
        parts = []
        status = d.get("status")
        if isinstance(status, list) and len(status) == 2:
            parts.append(
                f"status from {_phrase(SeriesStatus(status[0]))} "
                f"to {_phrase(SeriesStatus(status[1]))}"
            )
        if "notes" in d:
            parts.append("notes changed")
        if isinstance(d.get("countries"), list):
            parts.append("countries now " + (", ".join(d["countries"]) or "none"))
        return "Updated: " + ("; ".join(parts) or "no change")
    if kind == "agency_added":
        return f"{d.get('agency', 'An agency')} joined the series"
    if kind == "media_linked":
        return f"{_count(int(d.get('items', 0)), 'item')} of seizure {d.get('seizure', '')} linked"
    if kind == "media_imported":
        fmt = str(d.get("format", "")).upper()
        return f"{_count(int(d.get('records', 0)), 'record')} imported" + (
            f" from {fmt}" if fmt else ""
        )
    if kind == "merged":
        return f"Merged into series {d.get('into', '')}"
    if kind == "absorbed":
        return f"Series {d.get('series', '')} merged into this one"
    if kind == "victim_added":
        return f"Victim {d.get('victim', '')} recorded"
    if kind == "victim_identified":
        text = f"Victim {d.get('victim', '')} identified on {d.get('identified_on', '')}"
        if d.get("country"):
            text += f" in {d['country']}"
        marked = d.get("media_marked")
        if marked:
            text += f"; {_count(int(marked), 'media record')} marked"
        return text
    if kind == "victim_safeguarded":
        return f"Victim {d.get('victim', '')} safeguarded on {d.get('safeguarded_on', '')}"
    if kind == "referred":
        return f"Referred ({d.get('referral', '')}) to {d.get('to', '')}" + (
            f" ({d['country']})" if d.get("country") else ""
        )
    return label(kind)


def actor_text(actor: str) -> str:
    """``user:alice`` → ``alice``; an API key or the console says so."""
    kind, sep, name = actor.partition(":")
    if not sep:
        return label(actor)
    if kind == "api_key":
        return f"API key {name}"
    if kind == "operator":
        return f"{name} (server console)"
    return name


def _series_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    code: str,
    *,
    page: PageNumber = 1,
    done: str = "",
    form: PageForm | None = None,
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
    country_names = (
        {j.code: j.name for j in accounts.list_jurisdictions(session, principal)}
        if principal.can(Permission.JURISDICTION_READ)
        else {}
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
            "timeline": [
                (e, event_text(e.kind, e.details), actor_text(e.actor)) for e in detail.timeline
            ],
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
            "statuses": [(s.value, label(s)) for s in SeriesStatus],
            "age_groups": [(a.value, label(a)) for a in AgeGroup],
            "invitable": invitable,
            "invitable_options": [(o.slug, f"{o.name} ({o.country_code})") for o in invitable],
            "mergeable": mergeable,
            "mergeable_options": [(s.code, f"{s.code} · {s.name}") for s in mergeable],
            "countries": [j.code for j in accounts.list_jurisdictions(session, principal)]
            if may_refer
            else [],
            "refer_countries": [(code, f"{name} ({code})") for code, name in country_names.items()]
            if may_refer
            else [],
            "country_names": country_names,
            "today": utcnow().date().isoformat(),
            "done": _done(done),
            "form": form or PageForm(),
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
    name: str = "",
) -> Response:
    """The series page again, the form called ``name`` with the refusal's message beside
    its field and what was typed; a series that is not there is the error page's."""
    if isinstance(exc, NotFound) or not isinstance(exc, ValidationError | AllianceError):
        raise exc
    page_form, status = failed_form(exc, form, labels=SERIES_LABELS, name=name)
    return _series_page(
        request, session, principal, code, form=_countries_said(page_form), status_code=status
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
        try:
            chosen = SeriesStatus(status) if status else None
        except ValueError:
            raise InvalidInput("choose one of the statuses offered", field="status") from None
        data = SeriesUpdate(
            status=chosen,
            notes=notes.strip(),
            countries=_countries(countries) if countries.strip() else None,
        )
        with session.begin_nested():
            changed = series.update_series(session, principal, code, data)
    except (ValidationError, AllianceError) as exc:
        return _series_form(request, session, principal, code, form, exc, "edit")
    return redirect(request, f"/series/{changed.code}", notice=f"Series {changed.code} saved.")


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
            raise InvalidInput("choose the agency to invite", field="organisation")
        with session.begin_nested():
            agency = series.add_agency(
                session, principal, code, AgencyIn(organisation=organisation)
            )
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            series.get_series(session, principal, code)  # the series is there: the agency isn't
            exc = InvalidInput(
                "choose one of the law-enforcement agencies offered", field="organisation"
            )
        elif isinstance(exc, AllianceError) and exc.field is None:
            exc.field = "organisation"
        return _series_form(request, session, principal, code, form, exc, "invite")
    return redirect(
        request,
        f"/series/{agency.series.code}",
        notice=f"{agency.organisation.name} invited: it now sees series {agency.series.code} "
        "and gets its alerts.",
    )


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
            raise InvalidInput("choose the series that absorbs this one", field="into")
        with session.begin_nested():
            survivor = series.merge_series(session, principal, code, MergeIn(into=into))
    except (ValidationError, AllianceError) as exc:
        if isinstance(exc, NotFound):
            series.get_series(session, principal, code)
            exc = InvalidInput(
                f"no open series {into.strip().upper()} of your agency: choose one offered",
                field="into",
            )
        elif isinstance(exc, AllianceError) and exc.field is None:
            exc.field = "into"
        return _series_form(request, session, principal, code, form, exc, "merge")
    closed = code.strip().upper()
    return redirect(
        request,
        f"/series/{survivor.code}",
        notice=f"Series {closed} merged into {survivor.code}; {closed} is closed.",
    )


@router.post("/series/{code}/victims", dependencies=[csrf])
def series_add_victim(
    request: Request,
    session: DbSession,
    code: str,
    age_group: Annotated[str, Form(max_length=32)] = "",
    principal: Principal = page_requires(Permission.VICTIM_MANAGE),
) -> Response:
    """Record a victim of the series: an internal reference and an age group, never a name."""
    form = {"age_group": age_group}
    try:
        data = VictimIn.model_validate({"age_group": age_group or AgeGroup.not_determined.value})
        with session.begin_nested():
            victim = identification.add_victim(session, principal, code, data)
    except (ValidationError, AllianceError) as exc:
        return _series_form(request, session, principal, code, form, exc, "victim")
    return redirect(
        request,
        f"/series/{victim.series.code}#victims",
        notice=f"Victim {victim.reference} recorded ({_phrase(victim.age_group)}).",
    )


def _victim_form(
    request: Request,
    session: DbSession,
    principal: Principal,
    back: str,
    form: dict[str, str],
    exc: Exception,
    name: str,
) -> Response:
    """A refused identify / safeguard: the series page it came from, or the error page."""
    if not back.strip():  # no page to return to: the error page
        if isinstance(exc, ValidationError):
            by_field, loose = web_forms.field_errors(exc)
            said = [f"{name.replace('_', ' ')}: {message}" for name, message in by_field.items()]
            raise InvalidInput("; ".join([*said, *([loose] if loose else [])])) from exc
        raise exc
    return _series_form(request, session, principal, back, form, exc, name)


def _date(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("give a date as YYYY-MM-DD", field=field) from None


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
    form = {"identified_on": identified_on, "country": country}
    try:
        data = IdentifyIn(
            identified_on=_date(identified_on, "identified_on"), country=country.strip() or None
        )
        with session.begin_nested():
            found = identification.identify_victim(session, principal, victim, data)
    except (ValidationError, AllianceError) as exc:
        # A victim whose state moved on has no such form any more: said at the top.
        name = "" if isinstance(exc, Conflict) else f"identify-{victim.strip().upper()}"
        if isinstance(exc, InvalidInput) and exc.field is None:
            exc.field = "identified_on"
        return _victim_form(request, session, principal, series_code, form, exc, name)
    return redirect(
        request,
        f"/series/{found.series.code}#victims",
        notice=f"Victim {found.reference} marked identified; every media record of series "
        f"{found.series.code} now says so.",
    )


@router.post("/victims/{victim}/safeguard", dependencies=[csrf])
def victim_safeguard(
    request: Request,
    session: DbSession,
    victim: str,
    safeguarded_on: Annotated[str, Form(max_length=10)] = "",
    series_code: Annotated[str, Form(alias="series", max_length=32)] = "",
    principal: Principal = page_requires(Permission.VICTIM_MANAGE),
) -> Response:
    form = {"safeguarded_on": safeguarded_on}
    try:
        data = SafeguardIn(safeguarded_on=_date(safeguarded_on, "safeguarded_on"))
        with session.begin_nested():
            found = identification.safeguard_victim(session, principal, victim, data)
    except (ValidationError, AllianceError) as exc:
        # A victim whose state moved on has no such form any more: said at the top.
        name = "" if isinstance(exc, Conflict) else f"safeguard-{victim.strip().upper()}"
        if isinstance(exc, InvalidInput) and exc.field is None:
            exc.field = "safeguarded_on"
        return _victim_form(request, session, principal, series_code, form, exc, name)
    return redirect(
        request,
        f"/series/{found.series.code}#victims",
        notice=f"Victim {found.reference} marked safeguarded.",
    )


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
            sent = referrals.refer_series(session, principal, code, data)
    except (ValidationError, AllianceError) as exc:
        return _series_form(request, session, principal, code, form, exc, "refer")
    return redirect(
        request,
        "/referrals?direction=outgoing",
        notice=f"Referral {sent.reference} sent; the receiving agency decides on it.",
    )


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
    form: PageForm | None = None,
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
            "form": form or PageForm(),
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
        form, status = failed_form(
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
    country: Annotated[str, Query(max_length=8)] = "",
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "",
    principal: Principal = page_requires(Permission.VICTIM_METRICS_READ),
) -> Response:
    """Identified victims per year against the +10 % target; counts only, no records. A
    country that is none is said beside the choice, and the alliance-wide figures shown."""
    chosen = country.strip().upper() or None
    form = PageForm(values={"country": country})
    try:
        report = metrics.victim_metrics(session, principal, country=chosen)
    except InvalidInput as exc:
        exc.field = "country"
        form = failed(exc, {"country": country}, labels={"country": "Identifying country"})
        chosen = None
        report = metrics.victim_metrics(session, principal)
    year = utcnow().year
    rows = report.years if chosen is None else [r for r in report.by_country if r.country == chosen]
    jurisdictions = accounts.list_jurisdictions(session, principal)
    names = {j.code: j.name for j in jurisdictions}
    if fmt == "csv" and not form.failed:
        return csv_response(
            f"identified-victims-{(chosen or 'alliance').lower()}.csv",
            (
                "Year",
                "Country",
                "Identified",
                "Cumulative",
                "Growth",
                "Target met",
                "Median days to identification",
            ),
            (
                (
                    r.year,
                    names.get(chosen, chosen) if chosen else "alliance-wide",
                    r.identified,
                    r.cumulative,
                    None if r.growth is None else f"{r.growth * 100:+.0f}%",
                    None if r.target_met is None else ("yes" if r.target_met else "no"),
                    r.median_days_to_identification,
                )
                for r in rows
            ),
        )
    chart = Markup(metrics.chart_svg(report, country=chosen))  # noqa: S704 - escaped by charts
    context: dict[str, Any] = {
        "report": report,
        "rows": rows,
        "headline": headline(rows, year),
        "per_country": _latest_per_country(report, year),
        "chart": chart,
        "country": chosen or "",
        "country_name": names.get(chosen, chosen) if chosen else "",
        "names": names,
        "countries": [(j.code, f"{j.name} ({j.code})") for j in jurisdictions],
        "target": report.target_growth,
        "form": form,
    }
    return render(request, "victims_metrics.html", context, status_code=400 if form.failed else 200)
