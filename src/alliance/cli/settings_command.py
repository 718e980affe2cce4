"""``alliance settings``: the effective settings, secrets masked."""

from __future__ import annotations

from typing import Annotated

import typer

from alliance.cli import context
from alliance.cli.output import OutputFormat, emit
from alliance.settings import Settings


def show_settings(
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
) -> None:
    """Print the effective settings (environment ALLIANCE_*, .env, defaults), secrets masked."""
    values = context.settings().masked()
    fields = Settings.model_fields
    rows = [
        {
            "setting": f"ALLIANCE_{name.upper()}",
            "value": value,
            "description": fields[name].description or "",
        }
        for name, value in values.items()
    ]
    emit(rows, fmt, title="Alliance settings")
