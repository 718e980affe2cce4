"""``alliance report build``: the progress report, a country's or the alliance's, as a
document (HTML or PDF) or as open data (JSON or CSV).

The operator builds it as the secretariat does (small counts hidden for every country), or
``--for`` a country's government organisation, which sees its own country's figures in
full. A country's draft report is its government's and the secretariat's only.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from alliance.cli import context
from alliance.cli.output import err_console
from alliance.errors import InvalidInput
from alliance.reports.building import build_progress_report
from alliance.reports.open_data import report_csv, report_json
from alliance.web.printing import report_html, report_pdf

app = typer.Typer(help="The alliance's progress report.", no_args_is_help=True)


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


@app.command("build")
def build(
    country: Annotated[
        str | None, typer.Option(help="a member country's ISO code, e.g. NL")
    ] = None,
    alliance: Annotated[bool, typer.Option("--alliance", help="the alliance-wide report")] = False,
    year: Annotated[int | None, typer.Option(help="the year (default: last year)")] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="html, pdf, json or csv")
    ] = ReportFormat.json,
    out: Annotated[Path | None, typer.Option("--out", help="write here (default: stdout)")] = None,
    for_org: Annotated[
        str | None,
        typer.Option(
            "--for", help="build as this government organisation (its own figures in full)"
        ),
    ] = None,
) -> None:
    """Build a progress report: --country NL or --alliance, for a year."""
    if (country is None) == (not alliance):
        raise InvalidInput("give --country CODE or --alliance (one of them)", field="country")
    chosen_year = year if year is not None else datetime.now(UTC).year - 1
    k = context.settings().disclosure_k
    with context.unit_of_work() as session:
        principal = (
            context.government_editor(
                session, for_org, why="--for names the government of the report's country"
            )
            if for_org
            else context.operator()
        )
        report = build_progress_report(
            session, principal, country=None if alliance else country, year=chosen_year, k=k
        )
    if fmt is ReportFormat.pdf:
        if out is None:
            raise InvalidInput("a PDF goes to a file: give --out FILE", field="out")
        out.write_bytes(report_pdf(report))
        err_console.print(f"wrote {report.title} (PDF) to {out}", highlight=False)
        return
    text = {
        ReportFormat.html: report_html,
        ReportFormat.json: report_json,
        ReportFormat.csv: report_csv,
    }[fmt](report)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out.write_text(text, encoding="utf-8", newline="")
    err_console.print(
        f"wrote {report.title} ({len(report.values)} values) to {out}", highlight=False
    )
