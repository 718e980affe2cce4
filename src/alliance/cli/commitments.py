"""``alliance commitments list|show|submit|publish|return``: countries' commitments and
yearly reports per cycle and policy target.

The operator reads every state and publishes as the secretariat; submitting is the
country's own act, so ``submit`` names the government organisation the operator acts for
(``--for nl-government``), whose country editor's rights are checked as for its users.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from alliance.cli import context
from alliance.cli.output import OutputFormat, emit
from alliance.countries import commitments
from alliance.countries.models import CommitmentStatus
from alliance.countries.schemas import CommitmentOut, CommitmentVersionOut
from alliance.errors import NotFound

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]
CountryArg = Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. NL")]
CycleArg = Annotated[int, typer.Argument(help="the reporting cycle (a year), e.g. 2026")]
TargetArg = Annotated[int, typer.Argument(help="the policy target, 1 to 4")]
VersionOption = Annotated[
    int | None,
    typer.Option("--version", help="the version you read: a newer one refuses (conflict)"),
]

app = typer.Typer(
    help="Countries' commitments and yearly reports per policy target.", no_args_is_help=True
)


def _row(out: CommitmentOut) -> dict[str, Any]:
    return {
        "country": out.country,
        "cycle": out.cycle,
        "target": out.target_number,
        "title": out.target_title,
        "status": out.status,
        "version": out.version,
        "published_version": out.published_version,
        "updated_at": out.updated_at.isoformat() if out.updated_at else None,
    }


@app.command("list")
def list_command(
    country: Annotated[str | None, typer.Option(help="one country, e.g. NL")] = None,
    cycle: Annotated[int | None, typer.Option(help="one cycle (a year)")] = None,
    status: Annotated[
        CommitmentStatus | None, typer.Option(help="draft, submitted or published")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List commitments by country, cycle (newest first) and target."""
    principal = context.operator()
    with context.unit_of_work() as session:
        rows = [
            _row(commitments.commitment_out(principal, c))
            for c in commitments.list_commitments(
                session, principal, country=country, cycle=cycle, status=status
            )
        ]
    emit(rows, fmt, title="Commitments")


@app.command("show")
def show(
    country: CountryArg,
    cycle: CycleArg,
    target: TargetArg,
    version: Annotated[int | None, typer.Option("--version", help="an earlier version")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One country's text for a cycle and target (the current version unless --version)."""
    principal = context.operator()
    with context.unit_of_work() as session:
        found = commitments.history(session, principal, country, cycle, target)
        out = commitments.commitment_out(principal, found)
        if version is not None:
            chosen = found.version_numbered(version)
            if chosen is None:
                raise NotFound(
                    f"there is no version {version} (the current one is {found.version})"
                )
            out.text = CommitmentVersionOut.model_validate(chosen)
    if fmt is not OutputFormat.table:
        emit([out.model_dump(mode="json")], fmt)
        return
    text = out.text
    assert text is not None
    fields = {
        **_row(out),
        "shown_version": text.number,
        "author": text.author,
        "returned_reason": out.returned_reason,
        **{section: getattr(text, section) for section in commitments.SECTIONS},
        "references": " ".join(f"{r.section}#{r.action}:{r.ref}" for r in text.references),
    }
    emit(
        [{"field": k, "value": v} for k, v in fields.items()],
        fmt,
        title=f"{out.country_name} {out.cycle}, target {out.target_number}: {out.target_title}",
    )


@app.command("submit")
def submit(
    country: CountryArg,
    cycle: CycleArg,
    target: TargetArg,
    for_org: Annotated[
        str, typer.Option("--for", help="the country's government organisation (slug)")
    ],
    version: VersionOption = None,
) -> None:
    """Submit a country's draft to the secretariat, for its government."""
    with context.unit_of_work() as session:
        principal = context.government_editor(
            session, for_org, why="a country's own government submits its commitments"
        )
        done = commitments.submit(session, principal, country, cycle, target, version=version)
        typer.echo(
            f"{done.country_code} {done.cycle} target {target}: version {done.version} submitted"
        )


@app.command("publish")
def publish(
    country: CountryArg, cycle: CycleArg, target: TargetArg, version: VersionOption = None
) -> None:
    """Publish a submitted text (the secretariat)."""
    with context.unit_of_work() as session:
        done = commitments.publish(
            session, context.operator(), country, cycle, target, version=version
        )
        typer.echo(
            f"{done.country_code} {done.cycle} target {target}: version {done.version} published"
        )


@app.command("return")
def return_command(
    country: CountryArg,
    cycle: CycleArg,
    target: TargetArg,
    reason: Annotated[str, typer.Option(help="why it goes back to the country")],
    version: VersionOption = None,
) -> None:
    """Return a submitted text to its country as a draft, saying why (the secretariat)."""
    with context.unit_of_work() as session:
        done = commitments.return_to_draft(
            session, context.operator(), country, cycle, target, reason, version=version
        )
        typer.echo(f"{done.country_code} {done.cycle} target {target}: returned to draft")
