"""API of the progress report: a country's or the alliance's, for a year, as JSON or CSV
(open data). A live report is a draft: a country's for its government and the
secretariat, the alliance's for the secretariat; anyone else gets 404. Routes only parse
and call :mod:`alliance.reports`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.reports import publication
from alliance.reports.building import build_progress_report
from alliance.reports.open_data import report_csv, report_json
from alliance.reports.periods import FIRST_YEAR, LAST_YEAR
from alliance.web.errors import answers
from alliance.web.guards import DbSession, public, requires
from alliance.web.state import app_state

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Year = Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="the year reported")]
CountryQuery = Annotated[
    str | None,
    Query(min_length=2, max_length=2, description="a member country (none: alliance-wide)"),
]


@router.get(
    "/progress",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "the report (format alliance.progress-report 1) or its values",
        },
        **answers(404),
    },
)
def progress_report(
    request: Request,
    session: DbSession,
    year: Year,
    country: CountryQuery = None,
    format: Literal["json", "csv"] = "json",
    principal: Principal = requires(Permission.REPORT_BUILD),
) -> Response:
    """The live progress report of ``country`` (or alliance-wide) for ``year``: every
    indicator with its n, status and coverage; small counts hidden outside the country."""
    settings = app_state(request).settings
    report = build_progress_report(
        session,
        principal,
        country=country,
        year=year,
        k=settings.disclosure_k,
        max_age=settings.report_cache_seconds,
    )
    name = f"progress-{report.country or 'alliance'}-{report.year}"
    if format == "csv":
        return Response(
            report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(report_json(report), media_type="application/json")


@router.get(
    "/published",
    dependencies=[public],
    response_class=Response,
    responses={
        200: {
            "content": {"application/jsonl": {"schema": {"type": "string"}}},
            "description": "the signed report: its JSON line, then the signature line",
        },
        **answers(404),
    },
)
def published_report(
    session: DbSession,
    year: Year,
    country: CountryQuery = None,
) -> Response:
    """The newest published report (public): frozen, small counts hidden, signed with the
    platform's key (``/api/v1/keys``); check it with ``alliance report verify``."""
    row = publication.latest(session, country, year)
    return Response(row.document, media_type="application/jsonl")
