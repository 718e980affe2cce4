"""``alliance library import|export|search``: the awareness and best-practice library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit
from alliance.db.listing import Listing
from alliance.errors import InvalidInput
from alliance.library import entries, exchange
from alliance.library.search import COUNT_LIMIT, LibraryQuery, search_entries

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json, jsonl or csv")]
FileFormat = Literal["csv", "json"]

app = typer.Typer(help="The awareness and best-practice library.", no_args_is_help=True)


def _file_format(value: str, path: Path | None) -> FileFormat:
    chosen = value or (path.suffix.lstrip(".").lower() if path else "")
    if chosen not in ("csv", "json"):
        raise InvalidInput("give --format csv or --format json", field="format")
    return "csv" if chosen == "csv" else "json"


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="a CSV or JSON file ('-' reads standard input)")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json (default: the suffix)")] = "",
    publish: Annotated[bool, typer.Option(help="publish the entries at once")] = False,
) -> None:
    """Import entries, all or none: the first bad row is named by its line."""
    file_format = _file_format(fmt, None if str(path) == "-" else path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="path") from None
    with context.unit_of_work() as session:
        made = exchange.import_library(
            session, context.operator(), text, file_format, publish=publish
        )
        count = len(made)
    state = "published" if publish else "as drafts"
    console.print(f"imported {count} library entries {state}", highlight=False)


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here, not to standard output")
    ] = None,
    drafts: Annotated[bool, typer.Option(help="drafts too, not only published entries")] = False,
) -> None:
    """Export the library (published entries unless --drafts)."""
    file_format = _file_format(fmt, None)
    with context.unit_of_work() as session:
        text = exchange.export_library(
            session, context.operator(), file_format, include_drafts=drafts
        )
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


@app.command("search")
def search_command(
    words: Annotated[str, typer.Argument(help="words to find (may be empty)")] = "",
    tag: Annotated[list[str] | None, typer.Option(help="a tag, e.g. self_generated")] = None,
    audience: Annotated[list[str] | None, typer.Option(help="an audience")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO 3166-1 code")] = None,
    language: Annotated[list[str] | None, typer.Option(help="ISO 639-1 code")] = None,
    kind: Annotated[str, typer.Option(help="campaign, practice, ...")] = "",
    drafts: Annotated[bool, typer.Option(help="drafts too")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Search the library: best matches first (among the 5,000 most recently added)."""
    query = LibraryQuery(
        words=words,
        tags=tag or (),
        audiences=audience or (),
        countries=country or (),
        languages=language or (),
        kind=kind,
        status="" if drafts else "published",
    )
    with context.unit_of_work() as session:
        found, total = search_entries(
            session, context.operator(), query, Listing(limit=limit, offset=offset)
        )
        outs = [entries.entry_out(e) for e in found]
    if fmt is not OutputFormat.table:
        emit([o.model_dump(mode="json") for o in outs], fmt)
        return
    rows: list[dict[str, Any]] = [
        {
            "id": o.id,
            "kind": o.kind,
            "country": o.country,
            "title": o.title,
            "organisation": o.organisation,
            "tags": " ".join(o.tags),
            "status": o.status,
        }
        for o in outs
    ]
    found_words = f"over {COUNT_LIMIT:,}" if total > COUNT_LIMIT else str(total)
    emit(rows, fmt, title=f"Library: {found_words} found")
