"""``alliance seizures|series|victims|referrals|media`` and ``alliance metrics victims`` (a
command of the takedown module's ``metrics`` group):
victim identification from the console.

Victim identification is law enforcement's alone, so every command but the KPI acts for an
agency: ``--agency SLUG`` makes the operator one of its investigators
(:func:`alliance.cli.context.operator_for`), audited under the operator's name, and the
domain checks that agency's rights exactly as on the web.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import TaskID
from rich.table import Table
from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit, err_console, progress_bar
from alliance.cli.takedown import metrics_app
from alliance.errors import InvalidInput
from alliance.validation import validated
from alliance.victims import exchange, identification, metrics, referrals, series, triage
from alliance.victims.exchange import RecordFormat
from alliance.victims.formats import SeizureFormat
from alliance.victims.models import AgeGroup, Seizure, SeriesStatus
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
    SeriesIn,
    SeriesOut,
    SeriesUpdate,
    TriageLine,
    TriageReport,
    VictimIn,
    VictimOut,
)

AgencyOption = Annotated[
    str, typer.Option("--agency", help="slug of the law-enforcement agency you act for")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]
LinesOption = Annotated[
    list[int] | None, typer.Option("--line", help="a line of the seizure (repeat; default: new)")
]

seizures_app = typer.Typer(help="Seizure triage: which files are known, near a series, new.")
series_app = typer.Typer(help="Series: media depicting the same abuse, and their agencies.")
victims_app = typer.Typer(help="Victims: pseudonymous records and their identification.")
referrals_app = typer.Typer(help="Referrals of a series to the country of the victim.")
media_app = typer.Typer(help="Known-media records: ICSE CSV and VICS JSON export and import.")
for _group in (seizures_app, series_app, victims_app, referrals_app, media_app):
    _group.info.no_args_is_help = True

#: Triage lines read per query when writing them all out.
LINES_PAGE = 10_000


def _act(session: Session, agency: str) -> Principal:
    return context.operator_for(session, agency)


def _date(value: object) -> str | None:
    return None if value is None else str(value)


def _moment(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


# --- seizures ------------------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def print_report(report: TriageReport, out: Console) -> None:
    """The totals on top, then the series the seizure touched."""
    totals = Table(title=f"Seizure {report.reference}", show_header=False)
    totals.add_column("", style="bold")
    totals.add_column("", justify="right")
    totals.add_column("")
    rows = [
        ("items", report.items, ""),
        ("known", report.known, _share(report.known, report.items)),
        ("pre-categorised", report.categorised, _share(report.categorised, report.items)),
        ("near duplicates", report.near, "possible new material of a series"),
        ("new", report.new, _share(report.new, report.items)),
        ("victim identified", report.identified, "known, the victim is identified"),
        ("Baseline", report.baseline, "known, illegal anywhere"),
    ]
    for label, count, note in rows:
        totals.add_row(label, str(count), note)
    out.print(totals)
    if (previous := report.previous) is not None:
        same = "the same file" if previous.same_file else "the same hashes"
        out.print(
            f"already triaged on {previous.submitted_at:%Y-%m-%d %H:%M} UTC as seizure "
            f"{previous.reference} ({same}); then {previous.known} known, {previous.near} near, "
            f"{previous.new} new",
            highlight=False,
        )
        for reason in previous.reasons:
            out.print(f"  {reason}", highlight=False)
    if not report.series:
        out.print("no known series touched", highlight=False)
        return
    table = Table(title="Series touched")
    for column in ("series", "name", "owner", "status", "known", "near", "yours", "alerted"):
        table.add_column(column)
    for hit in report.series:
        table.add_row(
            hit.series.code,
            hit.series.name,
            f"{hit.series.owner} ({hit.series.owner_country})",
            hit.series.status.value,
            str(hit.known),
            str(hit.near),
            "yes" if hit.yours else "",
            "yes" if hit.alerted else "",
        )
    out.print(table)


def line_row(line: TriageLine) -> dict[str, Any]:
    """One triage line, flat, for JSON lines or CSV."""
    return {
        "line": line.line,
        "name": line.name,
        "verdict": line.verdict.value,
        "md5": line.md5,
        "sha1": line.sha1,
        "sha256": line.sha256,
        "pdq": line.pdq,
        "series": line.series.code if line.series else None,
        "series_name": line.series.name if line.series else None,
        "series_owner": line.series.owner if line.series else None,
        "distance": line.distance,
        "category": line.category,
        "baseline": line.baseline,
        "victim_identified": line.victim_identified,
    }


def _write_lines(session: Session, seizure: Seizure, fmt: OutputFormat) -> None:
    """Every line of the seizure to stdout, page by page."""
    writer: csv.DictWriter[str] | None = None
    offset = 0
    while True:
        page = triage.lines(session, seizure, offset=offset, limit=LINES_PAGE)
        for line in page:
            row = line_row(line)
            if fmt is OutputFormat.csv:
                if writer is None:
                    writer = csv.DictWriter(sys.stdout, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
            else:
                sys.stdout.write(json.dumps(row) + "\n")
        if len(page) < LINES_PAGE:
            return
        offset += LINES_PAGE


def _show(session: Session, principal: Principal, seizure: Seizure, fmt: OutputFormat) -> None:
    report = triage.report(session, principal, seizure)
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    elif fmt in (OutputFormat.jsonl, OutputFormat.csv):
        print_report(report, err_console)  # stdout carries the lines, for a pipe
        _write_lines(session, seizure, fmt)
    else:
        print_report(report, console)


@contextmanager
def _triage_progress(file: Path) -> Iterator[triage.Progress]:
    """A progress bar on stderr, a task per stage of the triage (silent off a terminal)."""
    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {"reading": bar.add_task(f"Reading {file.name}", total=None)}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for task in tasks.values():
                    bar.update(task, visible=False)
                tasks[stage] = bar.add_task(stage.capitalize(), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield advance


@seizures_app.command("triage")
def triage_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="the seizure's hash set: VICS JSON, alliance hash JSON lines or CSV",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    agency: AgencyOption,
    input_format: Annotated[
        SeizureFormat | None,
        typer.Option("--input-format", help="vics, jsonl or csv (default: from the content)"),
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="table, json (the totals), or jsonl / csv: every file's result on stdout "
            "(the totals then go to stderr)",
        ),
    ] = OutputFormat.table,
    case: Annotated[
        str | None, typer.Option("--case", help="your case reference; never shared")
    ] = None,
    share_note: Annotated[
        str | None,
        typer.Option(
            "--share-note",
            help="shown in the deconfliction alerts of series this seizure touches",
        ),
    ] = None,
) -> None:
    """Triage a seizure: known (which series, victim identified, Baseline), near-duplicate
    of a series member (possible new material), or new. All of it, or nothing."""
    data = file.read_bytes()
    with context.unit_of_work() as session, _triage_progress(file) as progress:
        principal = _act(session, agency)
        reference = triage.triage_seizure(
            session,
            principal,
            data,
            fmt=input_format,
            filename=file.name,
            case_reference=case,
            shared_note=share_note,
            progress=progress,
        ).reference
    # Committed: a reader that stops early (``| head``) does not undo the triage.
    with context.unit_of_work() as session:
        principal = _act(session, agency)
        _show(session, principal, triage.get_seizure(session, principal, reference), fmt)


@seizures_app.command("list")
def list_seizures(agency: AgencyOption, fmt: FormatOption = OutputFormat.table) -> None:
    """Your agency's seizures, newest first."""
    with context.unit_of_work() as session:
        found = triage.list_seizures(session, _act(session, agency))
        rows = [
            {
                "reference": s.reference,
                "submitted_at": _moment(s.submitted_at),
                "case": s.case_reference,
                "items": s.items,
                "known": s.known,
                "near": s.near,
                "new": s.new,
            }
            for s in found
        ]
    emit(rows, fmt, title="Seizures")


@seizures_app.command("show")
def show_seizure(
    reference: Annotated[str, typer.Argument(help="the seizure, e.g. SZ-7K3Q9X2M")],
    agency: AgencyOption,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", help="table, json (the totals), or jsonl / csv (every file)"),
    ] = OutputFormat.table,
) -> None:
    """A seizure's triage: the totals and series touched, or every file's result."""
    with context.unit_of_work() as session:
        principal = _act(session, agency)
        _show(session, principal, triage.get_seizure(session, principal, reference), fmt)


# --- series --------------------------------------------------------------------------


def _series_row(out: SeriesOut) -> dict[str, Any]:
    return {
        "code": out.code,
        "name": out.name,
        "status": out.status.value,
        "owner": out.owner,
        "countries": " ".join(out.countries),
        "agencies": len(out.agencies),
        "media": out.media,
        "victims": out.victims,
        "identified": out.identified_victims,
        "first_seen": _moment(out.first_seen_at),
        "merged_into": out.merged_into,
    }


def _said(out: SeriesOut, what: str) -> None:
    console.print(f"{what} series {out.code} ({out.name}): {out.status.value}", highlight=False)


@series_app.command("list")
def list_series(
    agency: AgencyOption,
    open_only: Annotated[bool, typer.Option("--open", help="leave out closed series")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The series your agency owns or collaborates on."""
    with context.unit_of_work() as session:
        principal = _act(session, agency)
        found = series.list_series(session, principal, include_closed=not open_only)
        rows = [_series_row(out) for out in series.series_outs(session, found)]
    emit(rows, fmt, title="Series")


@series_app.command("show")
def show_series(
    code: Annotated[str, typer.Argument(help="the series, e.g. S-7K3Q9X2M")],
    agency: AgencyOption,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A series: its counts, agencies and timeline."""
    with context.unit_of_work() as session:
        detail = series.series_detail(session, _act(session, agency), code)
    if fmt is not OutputFormat.table:
        emit([detail.model_dump(mode="json")], fmt)
        return
    fields = _series_row(detail)
    fields["notes"] = detail.notes
    emit([{"field": k, "value": v} for k, v in fields.items()], fmt, title=detail.code)
    emit(
        [
            {
                "agency": a.organisation,
                "slug": a.slug,
                "country": a.country,
                "role": a.role.value,
                "since": _moment(a.added_at),
            }
            for a in detail.agencies
        ],
        fmt,
        title="Agencies",
    )
    emit(
        [
            {
                "at": _moment(e.at),
                "event": e.kind,
                "actor": e.actor,
                "details": ", ".join(f"{k}={v}" for k, v in e.details.items()),
            }
            for e in detail.timeline
        ],
        fmt,
        title="Timeline",
    )


@series_app.command("create")
def create_series(
    agency: AgencyOption,
    name: Annotated[str, typer.Option(help="a code name, never a person's name")],
    country: Annotated[
        list[str] | None, typer.Option(help="a country involved (repeat; default: yours)")
    ] = None,
    notes: Annotated[str, typer.Option(help="seen by the series' agencies only")] = "",
    from_seizure: Annotated[
        str | None, typer.Option("--from-seizure", help="start it from this seizure's items")
    ] = None,
    line: LinesOption = None,
) -> None:
    """Start a series owned by your agency, optionally from a seizure's new material."""
    data = validated(
        SeriesIn,
        name=name,
        countries=country or [],
        notes=notes,
        seizure=from_seizure,
        lines=line or None,
    )
    with context.unit_of_work() as session:
        created = series.create_series(session, _act(session, agency), data)
        out = series.series_out(session, created)
    _said(out, "created")
    if out.media:
        console.print(f"  {out.media} media records from {from_seizure}", highlight=False)


@series_app.command("update")
def update_series(
    code: Annotated[str, typer.Argument(help="the series")],
    agency: AgencyOption,
    status: Annotated[SeriesStatus | None, typer.Option(help="the new status")] = None,
    notes: Annotated[str | None, typer.Option(help="replace the notes")] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="replace the countries (repeat)")
    ] = None,
) -> None:
    """Change a series' status, notes or countries."""
    data = validated(SeriesUpdate, status=status, notes=notes, countries=country or None)
    with context.unit_of_work() as session:
        updated = series.update_series(session, _act(session, agency), code, data)
        out = series.series_out(session, updated)
    _said(out, "updated")


@series_app.command("invite")
def invite_agency(
    code: Annotated[str, typer.Argument(help="your series")],
    organisation: Annotated[str, typer.Argument(help="the collaborating agency's slug")],
    agency: AgencyOption,
) -> None:
    """Invite another law-enforcement agency to work on your series."""
    data = validated(AgencyIn, organisation=organisation)
    with context.unit_of_work() as session:
        added = series.add_agency(session, _act(session, agency), code, data)
        name, code = added.organisation.name, added.series.code
    console.print(f"{name} now collaborates on series {code}", highlight=False)


@series_app.command("link")
def link_items(
    code: Annotated[str, typer.Argument(help="the series")],
    agency: AgencyOption,
    seizure: Annotated[str, typer.Option(help="the seizure whose items join the series")],
    line: Annotated[
        list[int] | None,
        typer.Option("--line", help="a line of the seizure (repeat; default: new and near)"),
    ] = None,
) -> None:
    """Make a seizure's items members of a series."""
    data = validated(LinkIn, seizure=seizure, lines=line or None)
    with context.unit_of_work() as session:
        linked = series.link_items(session, _act(session, agency), code, data)
    console.print(f"linked {linked} items to series {code.strip().upper()}", highlight=False)


@series_app.command("merge")
def merge_series(
    code: Annotated[str, typer.Argument(help="the series to fold in (yours)")],
    agency: AgencyOption,
    into: Annotated[str, typer.Option(help="the series that absorbs it")],
) -> None:
    """Merge a series into another: members, victims, agencies and referrals move."""
    with context.unit_of_work() as session:
        merged = series.merge_series(
            session, _act(session, agency), code, validated(MergeIn, into=into)
        )
        out = series.series_out(session, merged)
    console.print(
        f"merged {code.strip().upper()} into {out.code} ({out.name}): {out.media} media, "
        f"{out.victims} victims",
        highlight=False,
    )


# --- victims -------------------------------------------------------------------------


def _victim_row(out: VictimOut) -> dict[str, Any]:
    return {
        "reference": out.reference,
        "series": out.series,
        "age_group": out.age_group.value,
        "status": out.status.value,
        "identified_on": _date(out.identified_on),
        "identified_by": out.identified_by,
        "country": out.identified_country,
        "safeguarded_on": _date(out.safeguarded_on),
    }


def _victim_said(out: VictimOut) -> None:
    console.print(f"victim {out.reference} of series {out.series}: {out.status.value}")


@victims_app.command("add")
def add_victim(
    code: Annotated[str, typer.Argument(help="the series")],
    agency: AgencyOption,
    age_group: Annotated[
        str,
        typer.Option(
            "--age-group",
            help="apparent age at the time of the abuse: "
            + ", ".join(a.value for a in AgeGroup)
            + " (the former young_child, child, adolescent, unknown are mapped)",
        ),
    ] = AgeGroup.not_determined.value,
) -> None:
    """Record a victim of a series: a reference and an age group, never a name."""
    try:
        data = VictimIn.model_validate({"age_group": age_group})
    except ValidationError:
        choices = ", ".join(a.value for a in AgeGroup)
        raise InvalidInput(f"unknown age group {age_group!r}: choose {choices}") from None
    with context.unit_of_work() as session:
        victim = identification.add_victim(session, _act(session, agency), code, data)
        out = identification.victim_out(victim)
    _victim_said(out)


@victims_app.command("identify")
def identify_victim(
    reference: Annotated[str, typer.Argument(help="the victim, e.g. V-7K3Q9X2M")],
    agency: AgencyOption,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    country: Annotated[
        str | None, typer.Option(help="identifying country (default: your agency's)")
    ] = None,
) -> None:
    """Mark a victim identified: every media record of the series says so from now on."""
    data = validated(IdentifyIn, identified_on=on, country=country)
    with context.unit_of_work() as session:
        victim = identification.identify_victim(session, _act(session, agency), reference, data)
        out = identification.victim_out(victim)
    _victim_said(out)


@victims_app.command("safeguard")
def safeguard_victim(
    reference: Annotated[str, typer.Argument(help="the victim")],
    agency: AgencyOption,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Mark an identified victim safeguarded."""
    data = validated(SafeguardIn, safeguarded_on=on)
    with context.unit_of_work() as session:
        victim = identification.safeguard_victim(session, _act(session, agency), reference, data)
        out = identification.victim_out(victim)
    _victim_said(out)


@victims_app.command("show")
def show_victim(
    reference: Annotated[str, typer.Argument(help="the victim")],
    agency: AgencyOption,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One victim record (the read is audited)."""
    with context.unit_of_work() as session:
        out = identification.victim_out(
            identification.get_victim(session, _act(session, agency), reference)
        )
    if fmt is OutputFormat.table:
        fields = {**_victim_row(out), "series_name": out.series_name}
        emit([{"field": k, "value": v} for k, v in fields.items()], fmt, title=out.reference)
    else:
        emit([out.model_dump(mode="json")], fmt)


@victims_app.command("list")
def list_victims(
    code: Annotated[str, typer.Argument(help="the series")],
    agency: AgencyOption,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A series' victims (each read is audited)."""
    with context.unit_of_work() as session:
        found = identification.list_victims(session, _act(session, agency), code)
        rows = [_victim_row(identification.victim_out(v)) for v in found]
    emit(rows, fmt, title=f"Victims of {code.strip().upper()}")


# --- referrals -----------------------------------------------------------------------


def _referral_row(out: ReferralOut) -> dict[str, Any]:
    return {
        "reference": out.reference,
        "series": out.series.code,
        "from": out.from_organisation,
        "to": out.to_organisation,
        "country": out.to_country,
        "status": out.status.value,
        "reason": out.decision_reason,
        "created_at": _moment(out.created_at),
        "decided_at": _moment(out.decided_at),
    }


@referrals_app.command("send")
def send_referral(
    code: Annotated[str, typer.Argument(help="the series to refer")],
    agency: AgencyOption,
    country: Annotated[str, typer.Option(help="where the victim most likely is")],
    indicator: Annotated[
        list[str] | None,
        typer.Option(help="what points there: language, fittings, products (repeat)"),
    ] = None,
    note: Annotated[str, typer.Option(help="for the receiving agency")] = "",
) -> None:
    """Refer a series to the law-enforcement agency of the victim's likely country."""
    data = validated(ReferralIn, country=country, indicators=indicator or [], note=note)
    with context.unit_of_work() as session:
        found = referrals.refer_series(session, _act(session, agency), code, data)
        out = referrals.referral_out(found)
    console.print(
        f"referral {out.reference}: series {out.series.code} to {out.to_organisation} "
        f"({out.to_country}), {out.status.value}",
        highlight=False,
    )


@referrals_app.command("list")
def list_referrals(
    agency: AgencyOption,
    incoming: Annotated[
        bool | None,
        typer.Option("--incoming/--outgoing", help="only those received / sent"),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Referrals your agency sent and received."""
    with context.unit_of_work() as session:
        found = referrals.list_referrals(session, _act(session, agency), incoming=incoming)
        rows = [_referral_row(referrals.referral_out(r)) for r in found]
    emit(rows, fmt, title="Referrals")


@referrals_app.command("show")
def show_referral(
    reference: Annotated[str, typer.Argument(help="the referral, e.g. RF-7K3Q9X2M")],
    agency: AgencyOption,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One referral with its package."""
    with context.unit_of_work() as session:
        out = referrals.referral_out(
            referrals.get_referral(session, _act(session, agency), reference)
        )
    if fmt is not OutputFormat.table:
        emit([out.model_dump(mode="json")], fmt)
        return
    fields = _referral_row(out)
    emit([{"field": k, "value": v} for k, v in fields.items()], fmt, title=out.reference)
    console.print_json(json.dumps(out.package, default=str))


@referrals_app.command("decide")
def decide_referral(
    reference: Annotated[str, typer.Argument(help="a referral your agency received")],
    agency: AgencyOption,
    accept: Annotated[bool, typer.Option("--accept/--decline", help="join the series, or decline")],
    reason: Annotated[str, typer.Option(help="why; the referring agency reads it")] = "",
) -> None:
    """Accept (your agency joins the series) or decline a referral."""
    data = validated(DecisionIn, accept=accept, reason=reason)
    with context.unit_of_work() as session:
        found = referrals.decide_referral(session, _act(session, agency), reference, data)
        out = referrals.referral_out(found)
    console.print(
        f"referral {out.reference} {out.status.value}: series {out.series.code}", highlight=False
    )


# --- the KPI (``alliance metrics victims``) --------------------------------------------


def _kpi_row(year: KpiYear) -> dict[str, Any]:
    return {
        "year": year.year,
        "country": year.country or "all",
        "identified": year.identified,
        "cumulative": year.cumulative,
        "growth": "-" if year.growth is None else f"{year.growth:+.0%}",
        "+10 % met": "-" if year.target_met is None else ("yes" if year.target_met else "no"),
        "median days to identification": (
            "-"
            if year.median_days_to_identification is None
            else f"{year.median_days_to_identification:.0f}"
        ),
    }


@metrics_app.command("victims")
def victims_metrics(
    country: Annotated[
        str | None, typer.Option(help="only victims identified by this country")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Identified victims per year, alliance-wide and per identifying country, with growth
    against the +10 % target (counts only)."""
    with context.unit_of_work() as session:
        report = metrics.victim_metrics(session, context.operator(), country=country)
    if fmt is OutputFormat.csv:
        sys.stdout.write(metrics.metrics_csv(report))
    elif fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    elif fmt is OutputFormat.jsonl:
        emit([y.model_dump(mode="json") for y in [*report.years, *report.by_country]], fmt)
    else:
        title = f"Identified victims (target {report.target_growth:+.0%} a year)"
        emit([_kpi_row(y) for y in report.years], fmt, title=title)
        if report.by_country:
            emit([_kpi_row(y) for y in report.by_country], fmt, title="By identifying country")


# --- exchange ------------------------------------------------------------------------


@media_app.command("export")
def export_records(
    agency: AgencyOption,
    fmt: Annotated[RecordFormat, typer.Option("--format", help="icse (CSV) or vics (JSON)")],
    series_code: Annotated[
        str | None, typer.Option("--series", help="only this series (default: everything)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="write here instead of stdout")
    ] = None,
) -> None:
    """Export known-media records for IPED- or Griffeye-type tools."""
    with context.unit_of_work() as session:
        chunks = exchange.export_records(
            session, _act(session, agency), series=series_code, fmt=fmt
        )
        if out is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        with out.open("w", encoding="utf-8", newline="") as file:
            for chunk in chunks:
                file.write(chunk)
    err_console.print(f"wrote {out.stat().st_size} bytes to {out}", highlight=False)


@media_app.command("import")
def import_records(
    file: Annotated[
        Path,
        typer.Argument(help="ICSE CSV or VICS JSON", exists=True, dir_okay=False, readable=True),
    ],
    agency: AgencyOption,
    fmt: Annotated[RecordFormat, typer.Option("--format", help="icse (CSV) or vics (JSON)")],
) -> None:
    """Import known-media records: all of them, or (on any error) none."""
    data = file.read_bytes()
    with context.unit_of_work() as session:
        result = exchange.import_records(session, _act(session, agency), data, fmt)
    console.print(
        f"{file.name}: {result.created} created, {result.updated} updated, {result.linked} "
        f"linked to series",
        highlight=False,
    )
    if result.series_created:
        console.print(f"  new series: {', '.join(result.series_created)}", highlight=False)
