"""``alliance legal import|export|show|gaps|publish``: the legal-framework matrix."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit, err_console
from alliance.errors import InvalidInput
from alliance.legal import exchange, gaps, matrix

app = typer.Typer(help="The legal-framework matrix of the member countries.", no_args_is_help=True)

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]


class MatrixFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command("export")
def export(
    fmt: Annotated[MatrixFormat, typer.Option("--format", help="csv or json")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="write here instead of stdout")
    ] = None,
) -> None:
    """Export every review (full history) as CSV or JSON."""
    with context.unit_of_work() as session:
        text = exchange.export_matrix(session, context.operator(), fmt.value)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out.write_text(text, encoding="utf-8", newline="")
    err_console.print(f"wrote {len(text)} characters to {out}", highlight=False)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="a CSV or JSON export", exists=True, dir_okay=False)],
    fmt: Annotated[MatrixFormat, typer.Option("--format", help="csv or json")],
) -> None:
    """Import reviews: all of them, or (on any error, named by line) none."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{file.name} is not UTF-8 text", field="file") from None
    with context.unit_of_work() as session:
        result = exchange.import_matrix(session, context.operator(), text, fmt.value)
    console.print(
        f"{file.name}: {result.rows} reviews recorded for {len(result.countries)} countries",
        highlight=False,
    )


@app.command("publish")
def publish(review_id: Annotated[int, typer.Argument(help="the review's number")]) -> None:
    """Publish a review (it becomes public)."""
    with context.unit_of_work() as session:
        review = matrix.publish_review(session, context.operator(), review_id)
        console.print(f"review {review.id} of {review.country_code} published", highlight=False)


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code, e.g. NL")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A country's reviews, newest first."""
    with context.unit_of_work() as session:
        reviews = [matrix.review_out(r) for r in matrix.history(session, context.operator(), code)]
    if fmt is not OutputFormat.table:
        emit([r.model_dump(mode="json") for r in reviews], fmt)
        return
    rows: list[dict[str, Any]] = [
        {
            "id": r.id,
            "reviewed_on": r.reviewed_on.isoformat(),
            "by": r.reviewed_by,
            "sufficient": r.sufficient,
            **{c.item_id.rsplit(".", 1)[-1]: c.status.value for c in r.criteria},
            "oosi": f"{r.score_total}/{r.score_max}",
            "published": r.published,
            "demo": r.demo,
        }
        for r in reviews
    ]
    emit(rows, fmt, title=f"Legal reviews of {code.upper()}")


@app.command("gaps")
def gaps_command(fmt: FormatOption = OutputFormat.table) -> None:
    """The gap report: what each country's law lacks, and alliance-wide counts."""
    with context.unit_of_work() as session:
        report = gaps.gap_report(session, context.operator())
    if fmt is not OutputFormat.table:
        emit([report.model_dump(mode="json")], fmt)
        return
    console.print(
        f"{report.sufficient} of {report.reviewed} reviewed members sufficient "
        f"({report.members} members); most often missing: "
        f"{', '.join(report.titles[i] for i in report.most_often_missing) or 'none'}",
        highlight=False,
    )
    emit(
        [
            {
                "country": g.country,
                "reviewed_on": g.reviewed_on.isoformat(),
                "sufficient": g.sufficient,
                "missing": " ".join(i.rsplit(".", 1)[-1] for i in g.criteria_missing),
                "oosi": f"{g.score_total}/{g.score_max}",
                "change": "" if g.score_change is None else f"{g.score_change:+d}",
                "demo": g.demo,
            }
            for g in report.countries
        ],
        fmt,
        title="Gap report",
    )
