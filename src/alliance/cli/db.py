"""``alliance db``: migrate and check the database schema."""

from __future__ import annotations

import typer

from alliance.cli import context
from alliance.cli.output import console
from alliance.db import migrate
from alliance.errors import ConfigurationError

app = typer.Typer(
    help="Database schema: upgrade, check for drift, show the revision.", no_args_is_help=True
)


class SchemaDrift(ConfigurationError):
    code = "schema_drift"


@app.command()
def upgrade() -> None:
    """Migrate the database to the newest schema (creates it when missing)."""
    engine = context.engine()
    migrate.upgrade(engine)
    console.print(f"database at revision {migrate.current_revision(engine)}")


@app.command()
def check() -> None:
    """Fail when the models and the migrations disagree, or the database is behind."""
    differences = migrate.drift(context.engine())
    if differences:
        for difference in differences:
            console.print(f"  {difference}", highlight=False)
        raise SchemaDrift(
            f"{len(differences)} difference(s) between models and migrations; "
            "write a migration (see docs/architecture.md)"
        )
    console.print("models and migrations agree; database at head")


@app.command()
def current() -> None:
    """Print the database's revision and the code's head."""
    engine = context.engine()
    console.print(
        f"database: {migrate.current_revision(engine) or '(empty)'}  "
        f"head: {migrate.head_revision(engine)}"
    )
