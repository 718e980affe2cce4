"""``alliance sync``: pull the banks and the lists for blocking this member subscribes to
into its local stores."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alliance.banks.hub_client import make_client
from alliance.banks.local_store import LocalBankStore
from alliance.banks.sync import sync
from alliance.blocklists.local_store import LocalListStore
from alliance.blocklists.sync import ListsReport, sync_lists
from alliance.cli import context
from alliance.cli.output import console, err_console
from alliance.errors import InvalidInput


def _store(store: Path | None) -> LocalBankStore:
    return LocalBankStore.open(store or context.settings().data_dir / "banks")


#: The options of a sync, shared by `alliance sync` and `alliance matcher serve`.
SyncKey = Annotated[
    str | None, typer.Option(envvar="ALLIANCE_SYNC_KEY", help="API key (or ALLIANCE_SYNC_KEY)")
]
SigningKey = Annotated[
    Path | None,
    typer.Option(help="PEM of the platform's signing key; default: pinned on first sync"),
]
Member = Annotated[
    str | None,
    typer.Option(
        help="your organisation's slug: refuse manifests for anyone else; "
        "default: pinned on first sync"
    ),
]


def sync_command(
    server: Annotated[
        str | None, typer.Option(help="the platform, e.g. https://alliance.example.test")
    ] = None,
    key: SyncKey = None,
    public_key: SigningKey = None,
    member: Member = None,
    store: Annotated[
        Path | None, typer.Option(help="local store (default <data_dir>/banks)")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="show the local copy, sync nothing")
    ] = False,
) -> None:
    """Pull every subscribed bank and list, verify their signatures, apply them locally.

    The platform's signed manifest says which banks and lists for blocking you may receive:
    a manifest for someone else, an older one, one behind your copy or silent about a bank
    you hold is refused (exit 5) and nothing changes; a bad signature exits 2. The lists go
    beside the banks (<store>/../blocklists; `alliance blocklist export` reads them)."""
    local = _store(store)
    lists = LocalListStore.open(local.root.parent / "blocklists")
    if not status:
        if not server or not key:
            raise InvalidInput("give --server and --key (or ALLIANCE_SYNC_KEY)")
        pem = public_key.read_text() if public_key else None
        with make_client(server, key) as client, err_console.status("syncing") as spinner:
            report = sync(
                client,
                local,
                server=server,
                public_key_pem=pem,
                member=member,
                max_manifest_age=timedelta(hours=context.settings().sync_max_manifest_age_hours),
                on_bank=lambda name: spinner.update(f"syncing {name}"),
            )
            # The lists, against the manifest the bank sync verified and accepted.
            spinner.update("syncing the lists for blocking")
            synced = ListsReport(published=False)
            if report.manifest is not None:
                pem_pinned = str(local.state["public_key_pem"])
                synced = sync_lists(client, lists, report.manifest, pem_pinned)
        for result in report.applied:
            console.print(
                f"{result.bank}: {result.kind} applied, {result.changed} changed, "
                f"{result.removed} removed, now {result.entries} entries "
                f"at {result.checkpoint}"
            )
        for name in report.unchanged:
            console.print(f"{name}: up to date")
        for name in report.dropped:
            console.print(f"{name}: withdrawn by the platform's signed manifest, dropped")
        for applied in synced.applied:
            console.print(
                f"{applied.name} list: {applied.kind} applied, {applied.changed} changed, "
                f"{applied.removed} removed, now {applied.entries} entries at {applied.checkpoint}"
            )
        for name in synced.unchanged:
            console.print(f"{name} list: up to date")
        for name in synced.dropped:
            console.print(f"{name} list: no longer granted by the signed manifest, dropped")
    table = Table(
        title=f"Local banks in {local.root} (member {local.state.get('member', '-')}, "
        f"key {local.state.get('key_id', '-')})"
    )
    for column in ("bank", "scope", "entries", "checkpoint", "suppression", "synced at"):
        table.add_column(column)
    for name, meta in sorted(local.banks.items()):
        table.add_row(
            name,
            meta["scope"],
            str(meta["entries"]),
            str(meta["checkpoint"]),
            "yes" if meta["suppression"] else "",
            meta["synced_at"][:19],
        )
    console.print(table)
    if lists.lists:
        held = Table(title=f"Lists for blocking in {lists.root}")
        for column in ("list", "entries", "checkpoint", "synced at"):
            held.add_column(column)
        for name, meta in sorted(lists.lists.items()):
            held.add_row(
                name, str(meta["entries"]), str(meta["checkpoint"]), meta["synced_at"][:19]
            )
        console.print(held)
