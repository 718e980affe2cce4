"""``alliance review``: the review queue's work from the console.

``feedback`` sends the disputes of false positives that wait for the hub (a member's banks
are synced copies, so the contributor hears of them through the hub), as ``alliance
feedback`` does for a scan's match. ``police`` reports a confirmed case to the police of
the uploader's country through the hub (alliance.industry.client), built by
:func:`alliance.member.police.report_of_case`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from alliance.banks.hub_client import make_client
from alliance.cli import context
from alliance.cli.output import console
from alliance.db.migrate import ensure_ready
from alliance.errors import InvalidInput
from alliance.industry import client as industry_client
from alliance.industry.schemas import IpEventIn, UploaderIn
from alliance.member import police
from alliance.review import feedback

app = typer.Typer(
    help="The review queue: send false positives to the hub, report confirmed cases to the "
    "police of the uploader's country.",
    no_args_is_help=True,
)


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


def _ip_event(text: str) -> IpEventIn:
    """``IP@TIME`` or ``IP@TIME@EVENT`` (TIME in ISO 8601 with its zone)."""
    parts = text.split("@")
    if len(parts) not in (2, 3):
        raise InvalidInput(
            f"--ip {text!r}: give IP@TIME (and @EVENT), e.g. 203.0.113.5@2026-12-07T10:00:00Z"
        )
    fields = {"ip": parts[0], "at": parts[1], **({"event": parts[2]} if len(parts) == 3 else {})}
    try:
        return IpEventIn.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(f"--ip {text!r}: {exc.errors()[0]['msg']}", field="ip") from None


@app.command("police")
def police_command(
    case: Annotated[str, typer.Argument(help="the confirmed case (RC-...)")],
    server: Annotated[str, typer.Option(help="the hub (the alliance's platform)")],
    key: Annotated[
        str, typer.Option(envvar="ALLIANCE_SYNC_KEY", help="API key (or ALLIANCE_SYNC_KEY)")
    ],
    account: Annotated[
        str | None, typer.Option(help="the uploader's account id on your platform")
    ] = None,
    ip: Annotated[
        list[str] | None,
        typer.Option("--ip", help="IP@TIME[@EVENT] the uploader used (repeat); TIME ISO 8601"),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="the country the account declared (ISO code)")
    ] = None,
    classification: Annotated[
        str | None,
        typer.Option(help="A1, A2, B1 or B2 (default: the category the case's matches share)"),
    ] = None,
    child_at_risk: Annotated[
        bool, typer.Option("--child-at-risk", help="a child is possibly at risk now")
    ] = False,
    note: Annotated[str, typer.Option(help="for the police; no media, no links")] = "",
) -> None:
    """Report a confirmed case to the police of the uploader's country, through the hub
    (hashes and the details given here, never the media); run again to read its outcome."""
    ensure_ready(context.engine())
    try:
        uploader = UploaderIn(
            account_id=account,
            ip_addresses=[_ip_event(each) for each in ip or []],
            declared_country=country,
        )
    except ValidationError as exc:
        raise InvalidInput(str(exc.errors()[0]["msg"])) from None
    with context.sessions()() as session:
        report = police.report_of_case(
            session,
            context.operator(),
            case,
            uploader,
            classification=classification,
            child_at_risk=child_at_risk,
            note=note,
        )
    reports = industry_client.connect(server, key)
    with reports.client:
        sent = reports.submit(report)
    where = f" to the police of {sent.country}" if sent.country else ""
    console.print(
        f"{'Sent' if sent.created else 'Already sent'}{where}: report {sent.reference} of "
        f"case {case}, {sent.status.value}"
        + (f"; outcome: {sent.outcome.value}" if sent.outcome else ""),
        highlight=False,
    )
