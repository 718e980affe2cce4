"""``alliance blocklist``: the URL and keyword lists for blocking.

On a subscriber (an ISP, a search engine): ``export`` writes the synced copy as the file
a filter reads, ``self-test`` records the quarter's blocking test on the platform. On the
platform: ``refresh`` brings the URL list in line with takedown now (the worker does it
every minute), ``keyword add|remove`` keeps the keyword list.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from alliance.banks.hub_client import make_client, post_json
from alliance.blocklists import exports, keywords, urls
from alliance.blocklists.exports import ExportFormat
from alliance.blocklists.local_store import LocalListStore
from alliance.blocklists.models import KeywordCategory, ListName, SelfTestResult
from alliance.blocklists.schemas import KeywordIn
from alliance.blocklists.self_tests import quarter_of
from alliance.cli import context
from alliance.cli.output import console
from alliance.db.base import utcnow
from alliance.errors import InvalidInput
from alliance.validation import validated

app = typer.Typer(help="Lists for blocking: export, self-tests, keywords.", no_args_is_help=True)
keyword_app = typer.Typer(help="The keyword list (on the platform).", no_args_is_help=True)
app.add_typer(keyword_app, name="keyword")


def lists_store(store: Path | None) -> LocalListStore:
    """The subscriber's synced lists (default ``<data_dir>/blocklists``, beside the banks)."""
    return LocalListStore.open(store or context.settings().data_dir / "blocklists")


@app.command("export")
def export_command(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="plain, rpz or squid (keywords: plain, csv)")
    ] = ExportFormat.plain,
    which: Annotated[ListName, typer.Option("--list", help="urls or keywords")] = ListName.urls,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here, not to standard output")
    ] = None,
    proxy: Annotated[
        str | None,
        typer.Option(help="rpz: divert every listed host to this filtering proxy's name"),
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="the synced lists (default <data_dir>/blocklists)")
    ] = None,
) -> None:
    """Write the synced list as a filter's file: one URL a line, an RPZ zone, a Squid ACL.

    Reads the copy `alliance sync` keeps; run it after each sync (at least twice a day)."""
    local = lists_store(store)
    entries = local.entries(which.value)
    text = exports.export(
        which.value,
        entries,
        fmt,
        sequence=local.checkpoint(which.value),
        generated_at=utcnow(),
        proxy=proxy,
    )
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc}", field="output") from None
    console.print(f"{which.value}: {len(entries)} entries written to {output} as {fmt.value}")


@app.command("refresh")
def refresh_command() -> None:
    """List confirmed live pages and delist removed ones now (on the platform)."""
    with context.unit_of_work() as session:
        done = urls.refresh(session, context.operator())
        listed, delisted, held = len(done.listed), len(done.delisted), done.held
    console.print(f"URL list: {listed} listed, {delisted} delisted, {held} held back by holds")


@keyword_app.command("add")
def keyword_add(
    term: Annotated[str, typer.Argument(help="the term or code")],
    category: Annotated[KeywordCategory, typer.Option(help="what the term is used for")],
    language: Annotated[str | None, typer.Option(help="language tag, e.g. en")] = None,
) -> None:
    """Add a term to the keyword list."""
    data = validated(KeywordIn, term=term, category=category, language=language)
    with context.unit_of_work() as session:
        added = keywords.add_keyword(session, context.operator(), data)
        console.print(f"added {added.term!r} ({added.category.value})", highlight=False)


@keyword_app.command("remove")
def keyword_remove(term: Annotated[str, typer.Argument(help="the term")]) -> None:
    """Take a term off the keyword list."""
    with context.unit_of_work() as session:
        removed = keywords.remove_keyword(session, context.operator(), term)
        console.print(f"removed {removed.term!r}", highlight=False)


@app.command("self-test")
def self_test_command(
    result: Annotated[SelfTestResult, typer.Option(help="passed, partial or failed")],
    server: Annotated[str, typer.Option(help="the platform")],
    key: Annotated[str, typer.Option(envvar="ALLIANCE_SYNC_KEY", help="API key")],
    tested_on: Annotated[
        str | None, typer.Option("--date", help="the day of the test, YYYY-MM-DD (default today)")
    ] = None,
    note: Annotated[str, typer.Option(help="how you tested, what failed")] = "",
) -> None:
    """Record this quarter's blocking self-test on the platform."""
    try:
        day = date.fromisoformat(tested_on) if tested_on else utcnow().date()
    except ValueError:
        raise InvalidInput(f"--date {tested_on!r} is not YYYY-MM-DD", field="date") from None
    body = {"quarter": quarter_of(day), "tested_on": day.isoformat(), "result": result.value}
    with make_client(server, key) as client:
        recorded = post_json(client, "/api/v1/self-tests", body | {"note": note})
    console.print(
        f"self-test for {recorded['quarter']} recorded: {recorded['result']} "
        f"({recorded['organisation']})"
    )
