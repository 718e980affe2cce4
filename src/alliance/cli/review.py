"""``alliance review``: the review queue's work from the console.

``feedback`` sends the disputes of false positives that wait for the hub (a member's banks
are synced copies, so the contributor hears of them through the hub), as ``alliance
feedback`` does for a scan's match. The reports that follow a confirmed case, each kept on
the case (so the case page shows them too) and resumed where it stopped when run again:
``cybertipline`` files it with NCMEC (:mod:`alliance.member.cybertipline`), ``dsa`` sends
its statement of reasons (:mod:`alliance.member.dsa`), ``police`` reports it to the police
of the uploader's country through the hub (:mod:`alliance.member.police`); ``reports``
shows where each stands and ``close`` closes the case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alliance.banks.hub_client import make_client
from alliance.cli import context
from alliance.cli.output import console
from alliance.db.migrate import ensure_ready
from alliance.industry import client as industry_client
from alliance.industry.schemas import UploaderIn
from alliance.member import cybertipline, destinations, dsa, police
from alliance.member.destinations import Destinations
from alliance.member.uploader import uploader_of
from alliance.platforms.cybertipline.schemas import Progress
from alliance.review import cases, feedback, reports
from alliance.review.reports import ReportKind, Stage

app = typer.Typer(
    help="The review queue: false positives to the hub; a confirmed case's reports (NCMEC, "
    "DSA, the police of the uploader's country); close it.",
    no_args_is_help=True,
)

CaseArgument = Annotated[str, typer.Argument(help="the confirmed case (RC-...)")]
AccountOption = Annotated[
    str | None, typer.Option(help="the uploader's account id on your platform")
]
IpOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ip", help="IP@TIME[@EVENT] the uploader used (repeat); TIME ISO 8601 with its zone"
    ),
]
CountryOption = Annotated[
    str | None, typer.Option(help="the country the account declared (ISO code)")
]
ClassificationOption = Annotated[
    str | None,
    typer.Option(help="A1, A2, B1 or B2 (default: the category the case's matches share)"),
]
ChildAtRiskOption = Annotated[
    bool, typer.Option("--child-at-risk", help="a child is possibly at risk now")
]


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


def _uploader(account: str | None, ip: list[str] | None, country: str | None) -> UploaderIn:
    return uploader_of(account, ip or [], country)


@app.command("police")
def police_command(
    case: CaseArgument,
    server: Annotated[str, typer.Option(help="the hub (the alliance's platform)")],
    key: Annotated[
        str, typer.Option(envvar="ALLIANCE_SYNC_KEY", help="API key (or ALLIANCE_SYNC_KEY)")
    ],
    account: AccountOption = None,
    ip: IpOption = None,
    country: CountryOption = None,
    classification: ClassificationOption = None,
    child_at_risk: ChildAtRiskOption = False,
    note: Annotated[str, typer.Option(help="for the police; no media, no links")] = "",
) -> None:
    """Report a confirmed case to the police of the uploader's country, through the hub
    (hashes and the details given here, never the media); run again to read its outcome."""
    uploader = _uploader(account, ip, country)
    ensure_ready(context.engine())
    reports_at_hub = industry_client.connect(server, key)
    reports_at_hub.attempts, reports_at_hub.backoff = (
        destinations.TRIES,
        destinations.BACKOFF_SECONDS,
    )
    with reports_at_hub.client:
        sent = police.send_to_police(
            context.sessions(),
            context.operator(),
            case,
            channel=reports_at_hub,
            uploader=uploader,
            classification=classification,
            child_at_risk=child_at_risk,
            note=note,
            settings=context.settings(),
        )
    answer = sent.answer
    where = f" to the police of {answer.country}" if answer.country else ""
    said = "Sent" if sent.sent_now and answer.created else "Already sent"
    console.print(
        f"{said}{where}: report {answer.reference} of case {case}, {answer.status.value}"
        + (f"; outcome: {answer.outcome.value}" if answer.outcome else ""),
        highlight=False,
    )


@app.command("cybertipline")
def cybertipline_command(
    case: CaseArgument,
    account: AccountOption = None,
    ip: IpOption = None,
    country: CountryOption = None,
    classification: ClassificationOption = None,
    child_at_risk: ChildAtRiskOption = False,
    withdraw: Annotated[
        bool,
        typer.Option(
            "--withdraw", help="retract the case's unfinished report instead (to file anew)"
        ),
    ] = False,
) -> None:
    """File a confirmed case with NCMEC's CyberTipline (ALLIANCE_CYBERTIPLINE_*): the file
    from your own storage, its hashes, the uploader given here; run again to resume."""
    uploader = _uploader(account, ip, country)
    ensure_ready(context.engine())
    destinations = Destinations(context.settings())
    sessions, operator = context.sessions(), context.operator()
    if withdraw:
        with destinations.cybertipline() as tipline:
            done = cybertipline.withdraw(sessions, operator, case, tipline=tipline)
        console.print(f"case {case}: report {done.report_id or '(never opened)'} retracted")
        return

    def step(progress: Progress) -> None:
        if progress.stopped_at:
            return
        files = sum(1 for f in progress.files if f.details_sent)
        opened = f"report {progress.report_id}" if progress.report_id else "no report yet"
        console.print(f"  {opened}, {files} of {len(progress.files)} files sent", highlight=False)

    with destinations.cybertipline() as tipline:
        done = cybertipline.file_case(
            sessions,
            operator,
            case,
            tipline=tipline,
            settings=destinations.settings,
            uploader=uploader,
            classification=classification,
            child_at_risk=child_at_risk,
            on_step=step,
        )
    console.print(
        f"case {case}: filed as CyberTipline report {done.report_id} ({len(done.files)} files)",
        highlight=False,
    )


@app.command("dsa")
def dsa_command(
    case: CaseArgument,
    account_action: Annotated[
        str, typer.Option(help="what was done to the uploader's account: suspended, terminated")
    ] = "",
    url: Annotated[
        str | None, typer.Option(help="the API's site (default ALLIANCE_DSA_URL)")
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="file holding the API token (default ALLIANCE_DSA_TOKEN_FILE)"),
    ] = None,
) -> None:
    """Send a confirmed case's statement of reasons to the DSA Transparency Database (its
    puid is the case's reference: sent again, it is never stored twice)."""
    action = dsa.account_action_of(account_action)
    ensure_ready(context.engine())
    settings = context.settings()
    changes = {"dsa_url": url, "dsa_token_file": token_file}
    settings = settings.model_copy(update={k: v for k, v in changes.items() if v is not None})
    with Destinations(settings).dsa() as database:
        done = dsa.submit_case(
            context.sessions(),
            context.operator(),
            case,
            database=database,
            settings=settings,
            account_action=action,
        )
    entry = done.entries[case]
    said = f"accepted as {entry.uuid}" if entry.uuid else "already in the database (not sent again)"
    console.print(f"case {case}: statement of reasons {said}", highlight=False)


@app.command("reports")
def reports_command(case: CaseArgument) -> None:
    """Where each report of a case stands: not started, stopped (where, why), done; and
    the statement of reasons the uploader reads, once the DSA statement was written."""
    ensure_ready(context.engine())
    with context.sessions()() as session:
        found = cases.get_case(session, context.operator(), case)
        states = reports.states_of(found)
        status = found.status.value
        notice = found.dsa_user_notice
    console.print(f"case {case}: {status}", highlight=False)
    for kind in ReportKind:
        state = states[kind]
        console.print(
            f"  {kind.value}: {state.summary()}", markup=False, highlight=False, soft_wrap=True
        )
    if notice:
        # The platform's and the upload's own words: printed as they are, never as markup.
        console.print("\nstatement of reasons for the uploader (DSA Art. 17):", highlight=False)
        console.print(notice.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    if any(s.stage is Stage.stopped for s in states.values()):
        raise typer.Exit(1)


@app.command("close")
def close_command(case: CaseArgument) -> None:
    """Close a confirmed case (refused while one of its reports has stopped mid-way)."""
    with context.unit_of_work() as session:
        reports.close_case(session, context.operator(), case)
    console.print(f"case {case}: closed", highlight=False)
