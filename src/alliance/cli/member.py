"""``alliance member``: member mode's profile, one sync now, and the member's local banks
(`alliance serve --member` serves the same over the API)."""

from __future__ import annotations

from typing import Annotated

import typer

from alliance.banks.local_store import LocalBankStore
from alliance.banks.schemas import EntryIn
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit
from alliance.db.migrate import ensure_ready
from alliance.member import local_banks
from alliance.member.deployment import MemberDeployment
from alliance.member.profile import profile_from_settings
from alliance.member.schemas import LocalBankIn
from alliance.validation import validated

app = typer.Typer(
    help="Member mode: check the profile, sync now, keep local (and negative) banks.",
    no_args_is_help=True,
)
bank_app = typer.Typer(help="The member's local banks.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


@app.command()
def check() -> None:
    """Check the member profile (ALLIANCE_MEMBER_*): exit 7 naming every gap."""
    console.print(profile_from_settings(context.settings()).describe())


@app.command("sync")
def sync_now() -> None:
    """Sync the subscribed banks once now, as `serve --member` does on its schedule."""
    member = MemberDeployment.from_settings(context.settings(), context.sessions())
    ensure_ready(context.engine())
    try:
        report = member.schedule.run_once()
    finally:
        member.stop()
    for result in report.applied:
        console.print(
            f"{result.bank}: {result.kind} applied, now {result.entries} entries "
            f"at {result.checkpoint}"
        )
    for name in report.unchanged:
        console.print(f"{name}: up to date")
    for name in report.dropped:
        console.print(f"{name}: dropped (withdrawn, or no longer subscribed)")
    for name in report.not_granted:
        console.print(f"{name}: not granted to this member by the hub")


@bank_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="e.g. known-false-positives")],
    owner: Annotated[str, typer.Option(help="your organisation's slug in this member's database")],
    negative: Annotated[
        bool, typer.Option(help="a negative (suppression) bank: its matches suppress others")
    ] = False,
    description: Annotated[str, typer.Option()] = "",
    pdq_threshold: Annotated[int, typer.Option(help="largest PDQ distance that matches")] = 31,
) -> None:
    """Create a local bank."""
    data = validated(
        LocalBankIn,
        name=name,
        negative=negative,
        description=description,
        pdq_threshold=pdq_threshold,
    )
    synced = LocalBankStore.open(context.settings().resolved_member_store_dir()).banks.keys()
    with context.unit_of_work() as session:
        bank = local_banks.create_local_bank(session, context.operator(), data, synced, owner=owner)
        kind = "negative (suppression)" if bank.suppression else "positive"
        console.print(f"created local bank {bank.name} ({kind}, owner {bank.owner.slug})")


@bank_app.command("list")
def list_banks(
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List the local banks."""
    with context.unit_of_work() as session:
        rows = [
            b.model_dump(mode="json")
            for b in local_banks.list_local_banks(session, context.operator())
        ]
    emit(rows, fmt, title="Local banks")


@bank_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="the local bank")],
    hashes: Annotated[list[str], typer.Argument(help="hashes to add")],
    signal_type: Annotated[
        str, typer.Option("--type", help="pdq, vpdq, md5, sha1 or sha256")
    ] = "pdq",
    note: Annotated[str | None, typer.Option(help="why (kept with each entry)")] = None,
) -> None:
    """Add hashes to a local bank, all or nothing."""
    items = [
        validated(EntryIn, signal_type=signal_type, signal=value, note=note) for value in hashes
    ]
    with context.unit_of_work() as session:
        result = local_banks.add_hashes(session, context.operator(), name, items)
    console.print(
        f"{name}: {result.added} added, {len(result.entries) - result.added} restored or "
        f"updated, {result.unchanged} already there (sequence {result.sequence})"
    )
    for entry in result.entries:
        console.print(f"  entry {entry.id}: {entry.signal_type} {entry.signal[:24]}...")


@bank_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="the local bank")],
    ids: Annotated[list[int], typer.Argument(help="entry ids to remove")],
) -> None:
    """Remove entries of a local bank by id."""
    with context.unit_of_work() as session:
        removed = local_banks.remove_hashes(session, context.operator(), name, ids)
    console.print(f"{name}: {removed} removed")
