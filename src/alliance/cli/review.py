"""``alliance review``: the review queue's work from the console.

``feedback`` sends the disputes of false positives that wait for the hub (a member's banks
are synced copies, so the contributor hears of them through the hub), as ``alliance
feedback`` does for a scan's match.
"""

from __future__ import annotations

from typing import Annotated

import typer

from alliance.banks.hub_client import make_client
from alliance.cli import context
from alliance.cli.output import console
from alliance.db.migrate import ensure_ready
from alliance.review import feedback

app = typer.Typer(help="The review queue: send false positives to the hub.", no_args_is_help=True)


@app.command("feedback")
def feedback_command(
    server: Annotated[str, typer.Option(help="the hub (the alliance's platform)")],
    key: Annotated[
        str, typer.Option(envvar="ALLIANCE_SYNC_KEY", help="API key (or ALLIANCE_SYNC_KEY)")
    ],
) -> None:
    """Send every false positive waiting for the hub; each answer is recorded as it comes,
    and a run stopped by an error resumes where it stopped."""
    ensure_ready(context.engine())
    with make_client(server, key) as client:
        run = feedback.send_pending(context.sessions(), context.operator(), client)
    console.print(f"{run.sent} sent, {run.refused} refused by the hub (no such entry)")
