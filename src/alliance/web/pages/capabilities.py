"""Capability self-assessment pages: a country's own assessment for a year (its
government's editors only), starting a year from an earlier one, exporting it, and the
alliance-wide distribution of phases every member reads (small counts hidden, no country
named).

Who reads and writes what is :mod:`alliance.countries.capabilities`' to decide; the pages
ask it and draw.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries import capabilities, display_name
from alliance.countries.capabilities import PHASE_HINTS, PHASES
from alliance.countries.schemas import CapabilityAssessmentIn
from alliance.errors import InvalidInput, NotFound
from alliance.web import forms
from alliance.web.errors import failed_form
from alliance.web.forms import FormFields
from alliance.web.guards import DbSession, page_requires
from alliance.web.pages.rendering import redirect, render
from alliance.web.security import csrf_protect
from alliance.web.state import app_state

router = APIRouter(include_in_schema=False)
csrf = Depends(csrf_protect)

PHASE_OPTIONS = [("", "Not assessed")] + [(str(n), capabilities.phase_name(n)) for n in PHASES]


def this_year() -> int:
    return datetime.now(UTC).year


def _base(country: str, year: int) -> str:
    return f"/capabilities/{country.upper()}/{year}"


def _values(view: capabilities.AssessmentView) -> dict[str, str]:
    """The form's fields for every capability, from what is recorded."""
    values: dict[str, str] = {}
    for _domain, rows in view.domains:
        for row in rows:
            found = row.assessment
            values[f"phase.{row.item.id}"] = str(found.phase) if found else ""
            values[f"evidence.{row.item.id}"] = found.evidence if found else ""
            values[f"links.{row.item.id}"] = "\n".join(found.links) if found else ""
    return values


def _labels(view: capabilities.AssessmentView) -> dict[str, str]:
    labels: dict[str, str] = {}
    for _domain, rows in view.domains:
        for row in rows:
            name = f"Capability {row.item.number or row.item.id}"
            labels[f"phase.{row.item.id}"] = f"{name}: phase"
            labels[f"evidence.{row.item.id}"] = f"{name}: evidence"
            labels[f"links.{row.item.id}"] = f"{name}: links"
    labels["from_year"] = "Year to start from"
    return labels


def _year_page(
    request: Request,
    session: Session,
    principal: Principal,
    country: str,
    year: int,
    form: forms.Form | None = None,
    status_code: int = 200,
    *,
    start_form: forms.Form | None = None,
) -> Response:
    view = capabilities.assessment_view(session, principal, country, year)
    code = view.country.code
    if form is None:
        form = forms.Form(values=_values(view), labels=_labels(view))
    earlier = [y for y in view.years if y != year]
    return render(
        request,
        "capabilities_year.html",
        {
            "view": view,
            "country": code,
            "country_label": display_name(code),
            "year": year,
            "form": form,
            "start_form": start_form,
            "phase_options": PHASE_OPTIONS,
            "phases": PHASES,
            "phase_hints": PHASE_HINTS,
            "may_assess": capabilities.may_assess(principal, code),
            "earlier": earlier,
            "earlier_options": [(str(y), str(y)) for y in earlier],
            "years": sorted({*view.years, year, this_year()}, reverse=True),
            "base": _base(code, year),
        },
        status_code=status_code,
    )


@router.get("/capabilities")
def capabilities_home(
    request: Request,
    session: DbSession,
    principal: Principal = page_requires(Permission.CAPABILITY_DISTRIBUTION),
) -> Response:
    """A country's government sees its own assessment of this year; everyone else goes
    to the alliance-wide distribution."""
    own = capabilities.own_country(principal)
    if own is None:
        return redirect(request, "/capabilities/distribution")
    try:
        return _year_page(request, session, principal, own, this_year())
    except (NotFound, InvalidInput) as exc:
        # Not (yet) a member country, or not reporting against an MNR version: say so.
        return redirect(request, "/capabilities/distribution", notice=exc.message)


@router.get("/capabilities/distribution")
def capabilities_distribution(
    request: Request,
    session: DbSession,
    framework: Annotated[str, Query(max_length=32)] = "mnr2015",
    year: Annotated[int | None, Query(ge=2012, le=2100)] = None,
    principal: Principal = page_requires(Permission.CAPABILITY_DISTRIBUTION),
) -> Response:
    """How many countries put each capability in each phase: no country named, counts
    of fewer than k countries hidden."""
    k = app_state(request).settings.disclosure_k
    found = capabilities.distribution(session, principal, framework, year, k)
    own = capabilities.own_country(principal)
    return render(
        request,
        "capabilities_distribution.html",
        {
            "found": found,
            "frameworks": capabilities.mnr_frameworks(),
            "phases": PHASES,
            "own": own,
            "own_label": display_name(own) if own else "",
        },
    )


@router.get("/capabilities/{country}/export")
def capabilities_export(
    session: DbSession,
    country: str,
    format: Annotated[str, Query(max_length=8)] = "csv",
    year: Annotated[int | None, Query(ge=2012, le=2100)] = None,
    principal: Principal = page_requires(Permission.CAPABILITY_READ),
) -> Response:
    """The country's own assessment (one year, or every year) as CSV or JSON."""
    body = capabilities.export_assessment(session, principal, country, year, format)
    code = country.strip().upper()
    name = f"capabilities-{code}-{year if year is not None else 'all'}.{format}"
    media = "text/csv" if format == "csv" else "application/json"
    return Response(
        body,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/capabilities/{country}/{year}")
def capabilities_year(
    request: Request,
    session: DbSession,
    country: str,
    year: int,
    principal: Principal = page_requires(Permission.CAPABILITY_READ),
) -> Response:
    """The country's own assessment for a year, as a form its editors save."""
    return _year_page(request, session, principal, country, year)


def _entries(
    view: capabilities.AssessmentView, fields: dict[str, str]
) -> list[CapabilityAssessmentIn]:
    """The posted form as one entry per capability; a bad field names its capability."""
    entries = []
    for _domain, rows in view.domains:
        for row in rows:
            item = row.item
            phase = fields.get(f"phase.{item.id}", "").strip()
            if phase and phase not in {str(n) for n in PHASES}:
                raise InvalidInput(
                    f"capability {item.number or item.id}: a phase is 1, 2, 3 or 4",
                    field=f"phase.{item.id}",
                )
            links = fields.get(f"links.{item.id}", "").split()
            try:
                entries.append(
                    CapabilityAssessmentIn(
                        capability=item.id,
                        phase=int(phase) if phase else None,
                        evidence=fields.get(f"evidence.{item.id}", ""),
                        links=links,
                    )
                )
            except ValidationError as exc:
                where = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "phase"
                field = {"evidence": "evidence", "links": "links"}.get(where, "phase")
                raise InvalidInput(
                    f"capability {item.number or item.id}: {forms.friendly(exc.errors()[0])}",
                    field=f"{field}.{item.id}",
                ) from None
    return entries


@router.post("/capabilities/{country}/{year}", dependencies=[csrf])
def capabilities_save(
    request: Request,
    session: DbSession,
    country: str,
    year: int,
    fields: FormFields,
    principal: Principal = page_requires(Permission.CAPABILITY_ASSESS),
) -> Response:
    """Save every capability's phase, evidence and links for the year, all or nothing."""
    view = capabilities.assessment_view(session, principal, country, year)
    code = view.country.code
    values = {**_values(view), **{k: v for k, v in fields.items() if k != "csrf_token"}}
    try:
        with session.begin_nested():
            changed = capabilities.save_assessment(
                session, principal, code, year, _entries(view, fields)
            )
    except InvalidInput as exc:
        form, status = failed_form(exc, values, labels=_labels(view))
        return _year_page(request, session, principal, code, year, form, status)
    notice = (
        f"Saved: {len(changed)} capabilit{'y' if len(changed) == 1 else 'ies'} changed."
        if changed
        else "Nothing changed."
    )
    return redirect(request, _base(code, year), notice=notice)


@router.post("/capabilities/{country}/{year}/start-from", dependencies=[csrf])
def capabilities_start_from(
    request: Request,
    session: DbSession,
    country: str,
    year: int,
    from_year: Annotated[str, Form(max_length=8)] = "",
    principal: Principal = page_requires(Permission.CAPABILITY_ASSESS),
) -> Response:
    """Copy an earlier year's assessment into this year, for the capabilities this year
    has not assessed yet."""
    code = country.strip().upper()
    try:
        if not from_year.strip().isdigit():
            raise InvalidInput("choose a year to start from", field="from_year")
        with session.begin_nested():
            copied = capabilities.start_from(session, principal, code, year, int(from_year))
    except InvalidInput as exc:
        form, status = failed_form(exc, {"from_year": from_year}, labels={"from_year": "Year"})
        return _year_page(request, session, principal, code, year, None, status, start_form=form)
    return redirect(
        request,
        _base(code, year),
        notice=f"Started from {from_year}: {len(copied)} capabilities copied; revise them "
        "and save.",
    )
