"""``alliance banks``: create, list and inspect hash banks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from alliance.accounts.permissions import OrgKind
from alliance.banks import formats
from alliance.banks import services as banks
from alliance.banks.schemas import BankIn
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit, err_console
from alliance.validation import validated

app = typer.Typer(help="Hash banks: create, list, show, import, export.", no_args_is_help=True)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="e.g. baseline-nl")],
    scope: Annotated[str, typer.Option(help="baseline | national:CC | policy")],
    owner: Annotated[str | None, typer.Option(help="owning organisation's slug")] = None,
    description: Annotated[str, typer.Option()] = "",
    suppression: Annotated[bool, typer.Option(help="a list of known false positives")] = False,
    pdq_threshold: Annotated[int, typer.Option(help="largest PDQ distance that matches")] = 31,
    subscriber_kind: Annotated[
        list[OrgKind] | None, typer.Option(help="kind that may subscribe (repeat)")
    ] = None,
    subscriber_country: Annotated[
        list[str] | None, typer.Option(help="country that may subscribe (repeat; none: any)")
    ] = None,
) -> None:
    """Create a bank."""
    data = validated(
        BankIn,
        name=name,
        scope=scope,
        owner=owner,
        description=description,
        suppression=suppression,
        pdq_threshold=pdq_threshold,
        subscriber_kinds=subscriber_kind or [],
        subscriber_countries=subscriber_country or [],
    )
    with context.unit_of_work() as session:
        bank = banks.create_bank(session, context.operator(), data)
        console.print(f"created bank {bank.name} ({bank.scope}, owner {bank.owner.slug})")


@app.command("list")
def list_banks(
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List banks with their counts."""
    with context.unit_of_work() as session:
        rows = [
            {
                k: v
                for k, v in banks.bank_out(session, b).model_dump(mode="json").items()
                if k not in ("description", "created_at", "subscriber_countries")
            }
            for b in banks.visible_banks(session, context.operator())
        ]
    emit(rows, fmt, title="Banks")


@app.command()
def show(
    name: Annotated[str, typer.Argument()],
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Show one bank."""
    with context.unit_of_work() as session:
        out = banks.bank_out(session, banks.get_bank(session, context.operator(), name))
    row = out.model_dump(mode="json")
    if fmt is OutputFormat.table:
        emit([{"field": k, "value": v} for k, v in row.items()], fmt, title=f"Bank {name}")
    else:
        emit([row], fmt)


@app.command("import")
def import_file(
    name: Annotated[str, typer.Argument(help="the bank")],
    file: Annotated[
        Path, typer.Argument(help="the file to import", exists=True, dir_okay=False, readable=True)
    ],
    fmt: Annotated[str, typer.Option("--format", help="vics, csv, txt or ncmec")],
) -> None:
    """Import a hash list into a bank: all of it, or (on any error) nothing."""
    batch = formats.parse(fmt, file.read_bytes())
    with context.unit_of_work() as session:
        result = banks.import_batch(session, context.operator(), name, batch)
    console.print(
        f"{name}: {result.added} added, {result.updated} updated, {result.unchanged} "
        f"unchanged, {result.removed} removed; now at {result.sequence}",
        highlight=False,
    )
    for note in result.skipped:
        console.print(f"  skipped: {note}", highlight=False)


@app.command("export")
def export_file(
    name: Annotated[str, typer.Argument(help="the bank")],
    fmt: Annotated[str, typer.Option("--format", help="vics, csv or txt")],
    out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
) -> None:
    """Export a bank's live entries in an interchange format."""
    with context.unit_of_work() as session:
        data = banks.export_entries(session, context.operator(), name, fmt)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        err_console.print(f"wrote {len(data)} bytes to {out}")
