"""``alliance feedback``: tell the platform a scan's match was right or wrong."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from alliance.banks.hub_client import make_client, post_json
from alliance.cli.output import console


class Verdict(StrEnum):
    confirmed = "confirmed"
    disputed = "disputed"


def feedback_command(
    bank: Annotated[str, typer.Argument(help="the bank of the match (from `alliance scan`)")],
    entry_id: Annotated[int, typer.Argument(help="the entry of the match")],
    verdict: Annotated[Verdict, typer.Option(help="was the match right?")],
    server: Annotated[str, typer.Option(help="the platform")],
    key: Annotated[str, typer.Option(envvar="ALLIANCE_SYNC_KEY", help="API key")],
    note: Annotated[str | None, typer.Option(help="why, e.g. 'a cartoon'")] = None,
    distance: Annotated[int, typer.Option(min=0, help="the distance the scan found")] = 0,
) -> None:
    """Confirm or dispute a match found by `alliance scan`; no media are sent."""
    with make_client(server, key) as client:
        result = post_json(
            client,
            f"/api/v1/banks/{bank}/entries/{entry_id}/feedback",
            {"verdict": verdict.value, "note": note, "distance": distance},
        )
    flagged = ", flagged for review" if result["flagged"] else ""
    console.print(
        f"{bank} entry {entry_id}: {result['verdict']} "
        f"(now +{result['confirmed']} / -{result['disputed']}{flagged})"
    )
