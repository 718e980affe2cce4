"""``alliance matcher``: a matcher replica serving the member's synced banks over HTTP."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from alliance.cli import context
from alliance.cli.output import console
from alliance.cli.sync import Member, SigningKey, SyncKey
from alliance.errors import InvalidInput

app = typer.Typer(
    no_args_is_help=True,
    help="A matcher replica: the synced banks over HTTP, synced on its own schedule.",
)

KEY_PREFIX = "alm_"


@app.command("new-key")
def new_key() -> None:
    """Make a key for the matchers' callers, and its SHA-256 for the matchers.

    Give the key to the callers (it is shown once) and its SHA-256 to each matcher
    (--key-sha256)."""
    from alliance.web.matcher import key_digest  # noqa: PLC0415

    key = KEY_PREFIX + secrets.token_urlsafe(32)
    console.print(f"key:        {key}")
    console.print(f"key-sha256: {key_digest(key)}")


@app.command("serve")
def serve(
    key_sha256: Annotated[
        list[str],
        typer.Option(
            envvar="ALLIANCE_MATCHER_KEY_SHA256",
            help="SHA-256 of a key callers present (repeat for several; "
            "`alliance matcher new-key` makes one)",
        ),
    ],
    store: Annotated[
        Path | None, typer.Option(help="this replica's synced banks (default <data_dir>/banks)")
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(help="the platform to sync from; none: serve the store as it is"),
    ] = None,
    key: SyncKey = None,
    public_key: SigningKey = None,
    member: Member = None,
    every: Annotated[
        float, typer.Option(min=0.1, help="seconds between syncs, on average")
    ] = 300.0,
    jitter: Annotated[
        float,
        typer.Option(min=0.0, max=0.9, help="each wait is drawn within ± this share of --every"),
    ] = 0.2,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8100,
) -> None:
    """Serve POST /api/v1/match from the synced banks, synced on a schedule.

    The banks are synced every --every seconds (± --jitter) and each new state is swapped
    in whole: a query never sees half a sync."""
    import uvicorn  # noqa: PLC0415 - only `serve` needs the web stack

    from alliance.banks.hub_client import make_client  # noqa: PLC0415
    from alliance.banks.local_store import LocalBankStore  # noqa: PLC0415
    from alliance.banks.replica import Replica, SyncStep  # noqa: PLC0415
    from alliance.banks.sync import SyncReport, sync  # noqa: PLC0415
    from alliance.web.matcher import create_matcher_app  # noqa: PLC0415
    from alliance.web.serving import uvicorn_options  # noqa: PLC0415

    settings = context.settings()
    digests = [d.strip().lower() for value in key_sha256 for d in value.split(",") if d.strip()]
    if not digests or any(len(d) != 64 or set(d) - set("0123456789abcdef") for d in digests):
        raise InvalidInput("--key-sha256 takes SHA-256 digests in hex (64 characters)")
    step: SyncStep | None = None
    if server:
        if not key:
            raise InvalidInput("give --key (or ALLIANCE_SYNC_KEY) to sync from --server")
        pem = public_key.read_text() if public_key else None
        age = timedelta(hours=settings.sync_max_manifest_age_hours)

        def step(local: LocalBankStore) -> SyncReport:
            with make_client(server, key) as client:
                return sync(
                    client,
                    local,
                    server=server,
                    public_key_pem=pem,
                    member=member,
                    max_manifest_age=age,
                )

    root = store or settings.data_dir / "banks"
    replica = Replica(root, step, interval=every, jitter=jitter)
    if step is not None:
        try:
            replica.refresh()  # answer from a current store from the first request
        except Exception as exc:
            console.print(f"first sync failed, serving the store as it is: {exc}")
    banks = replica.checkpoints()
    console.print(
        f"Alliance matcher on http://{host}:{port}: {len(banks)} bank(s) from {root}"
        + (f", synced from {server} every {every:g} s ± {jitter:.0%}" if server else "")
    )
    uvicorn.run(
        create_matcher_app(replica, digests), host=host, port=port, **uvicorn_options(settings)
    )
