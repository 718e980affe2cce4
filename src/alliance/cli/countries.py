"""``alliance countries list|show|add|update``: the member-country register."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit
from alliance.countries import register
from alliance.countries.models import MemberCountry
from alliance.countries.schemas import MemberCountryChange, MemberCountryIn, MemberCountryOut
from alliance.validation import validated

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]
FrameworkOption = Annotated[
    list[str] | None,
    typer.Option(
        "--framework", help="a framework version it reports against, e.g. ga2012 (repeat)"
    ),
]
ContactOption = Annotated[
    list[str] | None,
    typer.Option("--contact", help="slug of a national contact organisation (repeat)"),
]

app = typer.Typer(help="The alliance's member countries.", no_args_is_help=True)


def _row(country: MemberCountry) -> dict[str, Any]:
    out = MemberCountryOut.model_validate(country)
    return {
        "code": out.code,
        "name": out.name,
        "joined_on": out.joined_on.isoformat(),
        "frameworks": " ".join(out.framework_ids),
        "contacts": " ".join(out.contact_slugs),
        "demo": out.demo,
    }


@app.command("list")
def list_command(
    framework: Annotated[
        str | None, typer.Option(help="only countries reporting against this framework")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the member countries."""
    with context.unit_of_work() as session:
        rows = [
            _row(c)
            for c in register.list_countries(session, context.operator(), framework=framework)
        ]
    emit(rows, fmt, title="Member countries")


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. NL")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One member country."""
    with context.unit_of_work() as session:
        country = register.get_country(session, context.operator(), code)
        out = MemberCountryOut.model_validate(country)
    if fmt is not OutputFormat.table:
        emit([out.model_dump(mode="json")], fmt)
        return
    fields = {**_row(country), "note": out.note, "updated_at": out.updated_at.isoformat()}
    emit([{"field": k, "value": v} for k, v in fields.items()], fmt, title=out.name)


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. NL")],
    joined_on: Annotated[str, typer.Option(help="when it joined, YYYY-MM-DD")],
    name: Annotated[
        str | None, typer.Option(help="its name (default: ISO 3166-1's English name)")
    ] = None,
    framework: FrameworkOption = None,
    contact: ContactOption = None,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Register a member country (it reports against ga2012 unless --framework says)."""
    fields: dict[str, Any] = {"code": code, "name": name, "joined_on": joined_on, "note": note}
    if framework:
        fields["frameworks"] = framework
    if contact:
        fields["contacts"] = contact
    data = validated(MemberCountryIn, **fields)
    with context.unit_of_work() as session:
        country = register.add_country(session, context.operator(), data)
        console.print(f"added member country {country.code} ({country.name})", highlight=False)


@app.command("update")
def update(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. NL")],
    name: Annotated[str | None, typer.Option()] = None,
    joined_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    framework: FrameworkOption = None,
    contact: ContactOption = None,
    no_contacts: Annotated[bool, typer.Option(help="remove every national contact")] = False,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Change a member country: the options given replace what is registered."""
    fields: dict[str, Any] = {"name": name, "joined_on": joined_on, "note": note}
    if framework:
        fields["frameworks"] = framework
    if contact:
        fields["contacts"] = contact
    elif no_contacts:
        fields["contacts"] = []
    change = validated(MemberCountryChange, **fields)
    with context.unit_of_work() as session:
        country = register.update_country(session, context.operator(), code, change)
        console.print(f"member country {country.code} ({country.name}) is up to date")
