"""``alliance reports|items|holds|metrics``: notice and takedown from the console.

The operator submits and reads as the secretariat; holds are an LEA's, so ``holds place``
and ``holds release`` act as a named investigator (``--as USERNAME``), whose rights the
domain checks exactly as it would on the web.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from alliance.accounts import services as accounts
from alliance.accounts.policy import Principal
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit, progress_bar
from alliance.errors import InvalidInput, PermissionDenied
from alliance.takedown import access, intake, reading
from alliance.takedown import holds as holds_
from alliance.takedown.metrics import GROUP_BYS, metrics_csv, metrics_rows, takedown_metrics
from alliance.takedown.models import HoldTarget, ItemStage
from alliance.takedown.schemas import (
    MAX_REPORTS_PER_BATCH,
    HoldIn,
    IntervalStats,
    MetricsRow,
    ReportIn,
    ReportReceipt,
)
from alliance.validation import validated

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]
AsOption = Annotated[str, typer.Option("--as", help="the LEA investigator's username you act for")]

reports_app = typer.Typer(help="Reports: submit URLs, import a file of reports.")
items_app = typer.Typer(help="Content items: the takedown queue and each item's timeline.")
holds_app = typer.Typer(help="Investigation holds of law-enforcement agencies.")
metrics_app = typer.Typer(help="Takedown-time and identified-victim metrics.")
for _group in (reports_app, items_app, holds_app, metrics_app):
    _group.info.no_args_is_help = True


def _act_as(session: Session, username: str) -> Principal:
    """The principal of an active user, looked up by the operator."""
    user = accounts.get_user(session, context.operator(), username)
    if not user.active or not user.organisation.active:
        raise PermissionDenied(f"user {user.username} is disabled")
    return accounts.principal_for_user(user)


# --- reports -------------------------------------------------------------------------


def _receipt_rows(receipts: list[ReportReceipt]) -> list[dict[str, Any]]:
    return [
        {
            "report": receipt.reference,
            "item": line.item,
            "new": line.new,
            "url": line.url,
            "on_hold_until": line.on_hold_until.isoformat() if line.on_hold_until else None,
        }
        for receipt in receipts
        for line in receipt.items
    ]


@reports_app.command("submit")
def submit(
    urls: Annotated[list[str], typer.Argument(help="the reported URLs", show_default=False)],
    description: Annotated[str, typer.Option(help="what the reporter saw (no media)")] = "",
    country_hint: Annotated[
        str | None, typer.Option(help="where you believe it is hosted (ISO code)")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Report one or more URLs as one report."""
    data = validated(ReportIn, urls=urls, description=description, country_hint=country_hint)
    with context.unit_of_work() as session:
        receipts = intake.submit_reports(session, context.operator(), [data])
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in receipts], indent=2))
        sys.stdout.write("\n")
        return
    emit(_receipt_rows(receipts), fmt, title=f"Report {receipts[0].reference}")


def _read_reports(file: Path) -> tuple[list[ReportIn], list[int]]:
    """Every line of a JSON-lines file as a report, or InvalidInput naming the bad lines."""
    reports: list[ReportIn] = []
    line_numbers: list[int] = []
    problems: list[str] = []
    with file.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                reports.append(ReportIn.model_validate_json(raw))
                line_numbers.append(number)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(map(str, first["loc"])) or "line"
                problems.append(f"line {number}: {where}: {first['msg']}")
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InvalidInput(f"nothing was saved: {shown}{more}")
    if not reports:
        raise InvalidInput(f"{file} holds no reports")
    return reports, line_numbers


@reports_app.command("import")
def import_reports(
    file: Annotated[
        Path,
        typer.Argument(
            help='JSON lines, one report each: {"urls": [...], "description": ...}',
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
) -> None:
    """Import a file of reports: all of them in one transaction, or (on any error) none."""
    reports, line_numbers = _read_reports(file)
    created = joined = 0
    with context.unit_of_work() as session, progress_bar() as progress:
        task = progress.add_task("Importing reports", total=len(reports))
        for start in range(0, len(reports), MAX_REPORTS_PER_BATCH):
            batch = reports[start : start + MAX_REPORTS_PER_BATCH]
            try:
                receipts = intake.submit_reports(session, context.operator(), batch)
            except InvalidInput as exc:
                first, last = line_numbers[start], line_numbers[start + len(batch) - 1]
                raise InvalidInput(
                    f"in lines {first}-{last} (reports count from line {first}): {exc.message}"
                ) from None
            for receipt in receipts:
                for line in receipt.items:
                    created += line.new
                    joined += not line.new
            progress.advance(task, len(batch))
    console.print(
        f"imported {len(reports)} reports: {created} new items, {joined} joined open items",
        highlight=False,
    )


# --- items ---------------------------------------------------------------------------


@items_app.command("list")
def list_items(
    stage: Annotated[ItemStage | None, typer.Option(help="only items at this stage")] = None,
    country: Annotated[str | None, typer.Option(help="only items hosted in this country")] = None,
    search: Annotated[str | None, typer.Option(help="a reference or part of a URL")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many")] = 100,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List items, newest first."""
    principal = context.operator()
    with context.unit_of_work() as session:
        found = reading.list_items(
            session, principal, stage=stage, country=country, search=search, limit=limit
        )
        names = reading.organisation_names(session)
        active = holds_.active_holds(session)
        outs = [reading.item_out(session, i, names=names, holds=active) for i in found]
    rows = [
        {
            "reference": o.reference,
            "stage": o.stage.value,
            "classification": o.classification.value if o.classification else None,
            "country": o.country_code,
            "provider": o.provider,
            "url": o.url,
            "received_at": o.received_at.isoformat(timespec="seconds"),
            "notices": o.notice_count,
            "removed_at": o.removed_at.isoformat(timespec="seconds") if o.removed_at else None,
            "on_hold_until": o.hold.until.isoformat(timespec="seconds") if o.hold.until else None,
        }
        for o in outs
    ]
    emit(rows, fmt, title="Items")


@items_app.command("show")
def show_item(
    reference: Annotated[str, typer.Argument(help="the item's reference, e.g. I-7K3Q9X2M")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show one item and its timeline."""
    principal = context.operator()
    with context.unit_of_work() as session:
        detail = reading.item_detail(
            session, principal, access.get_item(session, principal, reference)
        )
    if fmt is not OutputFormat.table:
        emit([detail.model_dump(mode="json")], fmt)
        return
    fields = detail.model_dump(
        mode="json", exclude={"events", "assessments", "notices", "hold", "reports"}
    )
    fields["hold"] = f"until {detail.hold.until.isoformat()}" if detail.hold.until else "none"
    fields["reports"] = " ".join(detail.reports)
    emit([{"field": k, "value": v} for k, v in fields.items()], fmt, title=detail.reference)
    emit(
        [
            {
                "at": e.at.isoformat(timespec="seconds"),
                "event": e.kind,
                "actor": e.actor,
                "organisation": e.organisation,
                "details": ", ".join(f"{k}={v}" for k, v in e.details.items() if v is not None),
            }
            for e in detail.events
        ],
        fmt,
        title="Timeline",
    )
    if detail.notices:
        emit(
            [
                {
                    "notice": n.reference,
                    "kind": n.kind,
                    "sequence": n.sequence,
                    "channel": n.channel,
                    "recipient": n.recipient,
                    "status": n.status,
                    "sent_at": n.sent_at.isoformat(timespec="seconds") if n.sent_at else None,
                }
                for n in detail.notices
            ],
            fmt,
            title="Notices",
        )


# --- holds ---------------------------------------------------------------------------


@holds_app.command("list")
def list_holds(
    as_user: Annotated[
        str | None, typer.Option("--as", help="list as this LEA user (shows reasons)")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="include released and expired")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List active holds (reasons are shown only to the holding agency's users)."""
    with context.unit_of_work() as session:
        principal = _act_as(session, as_user) if as_user else context.operator()
        found = holds_.list_holds(session, principal, include_ended=all_)
        rows = [holds_.hold_out(h, principal).model_dump(mode="json") for h in found]
    emit(rows, fmt, title="Holds")


@holds_app.command("place")
def place_hold(
    target_type: Annotated[HoldTarget, typer.Option("--type", help="what the hold names")],
    value: Annotated[str, typer.Option(help="the URL, domain, hash (type:hex) or report")],
    reason: Annotated[str, typer.Option(help="seen only by your agency")],
    as_user: AsOption,
    days: Annotated[int | None, typer.Option(min=1, help="lifetime (default: settings)")] = None,
) -> None:
    """Place an investigation hold for an LEA investigator: no notices while it is active."""
    data = validated(HoldIn, target_type=target_type, target_value=value, reason=reason, days=days)
    with context.unit_of_work() as session:
        principal = _act_as(session, as_user)
        hold = holds_.place_hold(session, principal, data, context.settings())
        reference, expires = hold.reference, hold.expires_at
    console.print(
        f"placed hold {reference} on {target_type.value} {value} until "
        f"{expires.isoformat(timespec='minutes')}",
        highlight=False,
    )


@holds_app.command("release")
def release_hold(
    reference: Annotated[str, typer.Argument(help="the hold's reference, e.g. H-7K3Q9X2M")],
    as_user: AsOption,
) -> None:
    """Release a hold early: held items become due for notice."""
    with context.unit_of_work() as session:
        hold = holds_.release_hold(session, _act_as(session, as_user), reference)
        reference = hold.reference
    console.print(f"released hold {reference}", highlight=False)


# --- metrics -------------------------------------------------------------------------


def _day(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """Midnight UTC at the start of the day — or, for an ``end`` day, after it."""
    if value is None:
        return None
    try:
        start = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"--{name} must be a date as YYYY-MM-DD, not {value!r}") from None
    return start + timedelta(days=1) if end else start


def _stats(stats: IntervalStats) -> str:
    if stats.median_hours is None or stats.p90_hours is None:
        return "-"
    return f"{stats.median_hours:.1f} / {stats.p90_hours:.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _table_row(row: MetricsRow) -> dict[str, Any]:
    return {
        "group": row.group,
        "items": row.items,
        "removed": row.removed,
        "assessed": _stats(row.received_to_assessed),
        "first notice": _stats(row.received_to_first_notice),
        "notice → removal": _stats(row.first_notice_to_removed),
        "removed after": _stats(row.received_to_removed),
        "≤1 d": _share(row.removed_within_1_day),
        "≤3 d": _share(row.removed_within_3_days),
        "≤7 d": _share(row.removed_within_7_days),
        ">42 d open": _share(row.open_over_42_days),
        "reappeared": row.reappearances,
        "notices": row.notices_sent,
    }


@metrics_app.command("takedown")
def takedown(
    group_by: Annotated[str, typer.Option("--group-by", help=" | ".join(GROUP_BYS))] = "country",
    since: Annotated[
        str | None, typer.Option(help="items received on or after this day (YYYY-MM-DD, UTC)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="items received on or before this day (YYYY-MM-DD, UTC)")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Takedown times of items assessed illegal: medians, 90th percentiles and shares."""
    start, end = _day(since, "since"), _day(until, "until", end=True)
    with context.unit_of_work() as session:
        report = takedown_metrics(
            session, context.operator(), group_by=group_by, since=start, until=end
        )
    if fmt is OutputFormat.csv:
        sys.stdout.write(metrics_csv(report))
    elif fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    elif fmt is OutputFormat.jsonl:
        emit(metrics_rows(report), fmt)
    else:
        rows = [_table_row(r) for r in report.rows]
        if group_by != "all":
            rows.append(_table_row(report.overall))
        period = f"{since or 'start'} to {until or 'now'}"
        emit(rows, fmt, title=f"Takedown times by {group_by}, {period} (hours: median / p90)")
