"""``alliance report build|publish|published|verify``: the progress report, a country's or
the alliance's, as a document (HTML or PDF) or as open data (JSON or CSV); published as a
frozen, signed snapshot, and checked.

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
from alliance.cli.output import console, err_console
from alliance.errors import DatabaseNotReady, InvalidInput
from alliance.reports import publication
from alliance.reports.building import build_progress_report
from alliance.reports.open_data import report_csv, report_json
from alliance.signing import Signer, load_public_key
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


def _subject(country: str | None, alliance: bool) -> str | None:
    if (country is None) == (not alliance):
        raise InvalidInput("give --country CODE or --alliance (one of them)", field="country")
    return None if alliance else country


@app.command("publish")
def publish_report(
    year: Annotated[int, typer.Option(help="the year reported")],
    country: Annotated[str | None, typer.Option(help="a member country, e.g. NL")] = None,
    alliance: Annotated[bool, typer.Option("--alliance", help="the alliance-wide report")] = False,
) -> None:
    """Publish a report as the public sees it: frozen, signed with the platform's key."""
    subject = _subject(country, alliance)
    settings = context.settings()
    signer = Signer.from_settings(settings)
    with context.unit_of_work() as session:
        row = publication.publish(
            session, context.operator(), signer, country=subject, year=year,
            k=settings.disclosure_k,
        )  # fmt: skip
        subject_label, digest, at = row.subject, row.digest, row.published_at
    err_console.print(
        f"published {subject_label} {year} at {at:%Y-%m-%d %H:%M} UTC "
        f"(SHA-256 {digest[:16]}…, key {signer.key_id})",
        highlight=False,
    )


@app.command("published")
def published_report(
    year: Annotated[int, typer.Option(help="the year reported")],
    out: Annotated[Path, typer.Option("--out", help="write the signed report here")],
    country: Annotated[str | None, typer.Option(help="a member country, e.g. NL")] = None,
    alliance: Annotated[bool, typer.Option("--alliance", help="the alliance-wide report")] = False,
) -> None:
    """Write the newest published report, signed, as anyone may fetch it."""
    subject = _subject(country, alliance)
    with context.unit_of_work() as session:
        data = publication.latest(session, subject, year).document
    out.write_bytes(data)
    err_console.print(f"wrote the signed report to {out}", highlight=False)


@app.command("verify")
def verify_report(
    file: Annotated[
        Path, typer.Argument(help="a published report file", exists=True, dir_okay=False)
    ],
    key: Annotated[
        Path | None,
        typer.Option(help="the platform's public key (PEM); default: this platform's own"),
    ] = None,
) -> None:
    """Check a published report's signature; a changed report fails, naming what differs
    when this platform's database holds the publication."""
    public_key = (
        load_public_key(key.read_bytes())
        if key is not None
        else Signer.from_settings(context.settings()).public_key
    )
    data = file.read_bytes()
    try:
        with context.unit_of_work() as session:
            verified = publication.verify(data, public_key, session)
    except DatabaseNotReady:
        verified = publication.verify(data, public_key)
    document = verified.document
    console.print(
        f"verified: {document['title']}, published {document['published']['at']} by "
        f"{document['published']['by']}; signed with key {verified.key_id}",
        highlight=False,
    )
