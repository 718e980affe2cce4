"""The progress report's page: a country's or the alliance's, for a year, laid out as the
declaration is. A live report is a draft: a country's for its government and the
secretariat, the alliance's for the secretariat. Routes only parse and call
:mod:`alliance.reports`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.countries import commitments
from alliance.countries.commitments import SECTIONS
from alliance.countries.models import MemberCountry
from alliance.errors import AllianceError, InvalidInput
from alliance.reports import presentation, publication
from alliance.reports.building import NoFigures, ProgressReport, build_progress_report
from alliance.reports.catalogue import catalogue
from alliance.reports.periods import FIRST_YEAR, LAST_YEAR
from alliance.web.errors import failed_form
from alliance.web.forms import Form as WebForm
from alliance.web.guards import DbSession, page_public, page_requires
from alliance.web.pages.rendering import redirect, render
from alliance.web.printing import report_pdf
from alliance.web.security import csrf_protect
from alliance.web.state import app_state

router = APIRouter(include_in_schema=False)

#: A published report's address: ``/reports/published/{subject}/{year}``, where the
#: subject is a member country's code or "alliance".
Subject = Annotated[str, Path(max_length=16)]
PublishedYear = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _choices(session: DbSession, principal: Principal) -> list[tuple[str, str]]:
    """The reports this reader may build: the alliance's and every country's for the
    secretariat, its own country's for a government."""
    members = session.execute(select(MemberCountry).order_by(MemberCountry.name)).scalars()
    own = [(m.code, m.name) for m in members if commitments.may_see_working(principal, m.code)]
    if commitments.may_publish(principal):
        return [("", "The alliance"), *own]
    return own


@router.get("/reports/progress")
def progress_report_page(
    request: Request,
    session: DbSession,
    country: Annotated[str, Query(max_length=2)] = "",
    year: Annotated[str, Query(max_length=40)] = "",
    principal: Principal = page_requires(Permission.REPORT_BUILD),
) -> Response:
    """The live report: choose the country (or the alliance) and the year."""
    choices = _choices(session, principal)
    if not choices:
        form = WebForm(
            values={},
            message="Your organisation's country is not in the member register, so it has "
            "no progress report yet: the secretariat adds member countries.",
        )
        return render(
            request, "progress_report.html", {"report": None, "form": form, "choices": []}
        )
    last_year = datetime.now(UTC).year - 1
    values = {
        "country": country.strip().upper() or choices[0][0],
        "year": year.strip() or str(last_year),
    }
    form = WebForm(values=values)
    report: ProgressReport | None = None
    status = 200
    try:
        if not values["year"].isdigit():
            raise InvalidInput("write the year as four digits, e.g. 2025", field="year")
        report = build_progress_report(
            session,
            principal,
            country=values["country"] or None,
            year=int(values["year"]),
            k=app_state(request).settings.disclosure_k,
            max_age=app_state(request).settings.report_cache_seconds,
        )
    except AllianceError as exc:
        form, status = failed_form(exc, values, labels={"country": "Report", "year": "Year"})
        if isinstance(exc, NoFigures):
            status = 200  # the page and the report exist; the year has nothing in it yet
    return render(
        request,
        "progress_report.html",
        {
            "report": report,
            "form": form,
            "choices": choices,
            "sections": SECTIONS,
            "p": presentation,
            "indicators": catalogue(),
            "may_publish": principal.can(Permission.REPORT_PUBLISH),
        },
        status_code=status,
    )


@router.get("/reports/progress.pdf")
def progress_report_pdf(
    request: Request,
    session: DbSession,
    year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR)],
    country: Annotated[str, Query(max_length=2)] = "",
    principal: Principal = page_requires(Permission.REPORT_BUILD),
) -> Response:
    """The live report as PDF, as this reader may see it."""
    report = build_progress_report(
        session,
        principal,
        country=country.strip().upper() or None,
        year=year,
        k=app_state(request).settings.disclosure_k,
        max_age=app_state(request).settings.report_cache_seconds,
    )
    name = f"progress-{report.country or 'alliance'}-{report.year}-draft.pdf"
    return _download(report_pdf(report), "application/pdf", name)


@router.post("/reports/progress/publish", dependencies=[Depends(csrf_protect)])
def progress_report_publish(
    request: Request,
    session: DbSession,
    year: Annotated[int, Form(ge=FIRST_YEAR, le=LAST_YEAR)],
    country: Annotated[str, Form(max_length=2)] = "",
    principal: Principal = page_requires(Permission.REPORT_PUBLISH),
) -> Response:
    """Publish the report as the public sees it, frozen and signed."""
    state = app_state(request)
    row = publication.publish(
        session,
        principal,
        state.signer,
        country=country.strip().upper() or None,
        year=year,
        k=state.settings.disclosure_k,
    )
    return redirect(
        request,
        f"/reports/published/{row.subject}/{year}",
        notice=f"Published and signed (SHA-256 {row.digest[:16]}…).",
    )


@router.get("/reports/published", dependencies=[page_public])
def published_reports(request: Request, session: DbSession) -> Response:
    """Every published progress report (public): the alliance's and each country's."""
    return render(
        request,
        "progress_reports_published.html",
        {"rows": publication.publications(session), "alliance": publication.ALLIANCE},
    )


@router.get("/reports/published/{subject}/{year}.jsonl", dependencies=[page_public])
def published_report_file(
    session: DbSession,
    subject: Subject,
    year: PublishedYear,
) -> Response:
    """The newest published report as its signed file (check: alliance report verify).
    Declared before the page, whose ``{year}`` would take "2025.jsonl" for its own."""
    row = publication.latest_of(session, subject, year)
    return _download(row.document, "application/jsonl", f"progress-{row.subject}-{year}.jsonl")


@router.get("/reports/published/{subject}/{year}.pdf", dependencies=[page_public])
def published_report_pdf(
    session: DbSession,
    subject: Subject,
    year: PublishedYear,
) -> Response:
    """The newest published report as PDF (public). Declared before the page too."""
    row = publication.latest_of(session, subject, year)
    report = publication.report_of(publication.document_of(row))
    pdf = report_pdf(report, published_at=row.published_at)
    return _download(pdf, "application/pdf", f"progress-{row.subject}-{year}.pdf")


@router.get("/reports/published/{subject}/{year}", dependencies=[page_public])
def published_report_page(
    request: Request,
    session: DbSession,
    subject: Subject,
    year: PublishedYear,
) -> Response:
    """The newest published report of a country (or ``alliance``) for a year: public, as
    it was published, beside what has changed since."""
    row = publication.latest_of(session, subject, year)
    document = publication.document_of(row)
    report = publication.report_of(document)
    settings = app_state(request).settings
    changes = publication.changes_since(
        session, document, k=settings.disclosure_k, max_age=settings.report_cache_seconds
    )
    return render(
        request,
        "progress_report_published.html",
        {
            "report": report,
            "row": row,
            "document": document,
            "changes": changes,
            "sections": SECTIONS,
            "p": presentation,
            "indicators": catalogue(),
        },
    )
