"""``alliance audit``: read and verify the tamper-evident audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from alliance.audit import services as audit
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit
from alliance.errors import AllianceError, InvalidInput

app = typer.Typer(help="The audit log: list events, verify the hash chain.", no_args_is_help=True)


class TamperDetected(AllianceError):
    code = "tamper_detected"


def _when(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{option}: not a date or time: {value!r} (use 2026-01-31 or 2026-01-31T12:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def verify() -> None:
    """Check every event against the chain; exit 1 naming the first broken event."""
    with context.unit_of_work() as session:
        result = audit.verify(session)
    if not result.ok:
        raise TamperDetected(
            f"audit chain broken at event {result.broken_seq}: {result.reason} "
            f"({result.checked} events before it are intact)"
        )
    console.print(f"audit chain intact: {result.checked} events verified")


@app.command("list")
def list_events(
    actor: Annotated[str | None, typer.Option(help="e.g. user:alice, operator:root")] = None,
    subject: Annotated[str | None, typer.Option(help="TYPE or TYPE:ID, e.g. user:3")] = None,
    event_type: Annotated[
        str | None, typer.Option("--type", help="prefix, e.g. user: or auth:login")
    ] = None,
    since: Annotated[str | None, typer.Option(help="from this UTC date/time")] = None,
    until: Annotated[str | None, typer.Option(help="before this UTC date/time")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List events, newest first."""
    subject_type, _, subject_id = (subject or "").partition(":")
    flt = audit.AuditFilter(
        actor=actor,
        event_type=event_type,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
    )
    with context.unit_of_work() as session:
        rows = [
            {
                "seq": e.seq,
                "occurred_at": e.occurred_at.isoformat(timespec="seconds"),
                "actor": e.actor,
                "event_type": e.event_type,
                "subject": f"{e.subject_type}:{e.subject_id}",
                "details": audit.details_of(e) if fmt is not OutputFormat.table else e.details,
            }
            for e in audit.list_events(session, flt, limit=limit)
        ]
    emit(rows, fmt, title="Audit events")
