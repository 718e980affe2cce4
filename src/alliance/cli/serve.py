"""``alliance serve``: the web app and API."""

from __future__ import annotations

from typing import Annotated

import typer

from alliance.banks.signing import Signer
from alliance.cli import context
from alliance.cli.output import console
from alliance.db import migrate
from alliance.settings import Mode


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes (more than one: PostgreSQL)")
    ] = 1,
) -> None:
    """Serve the web app and the API (default http://127.0.0.1:8000)."""
    import uvicorn  # noqa: PLC0415 - only `serve` needs the web stack

    from alliance.web import create_app  # noqa: PLC0415

    settings = context.settings()
    engine = context.engine()
    if settings.mode is not Mode.production:
        migrate.upgrade(engine)  # demo and development keep themselves at head
    migrate.ensure_ready(engine)
    host, port = host or settings.host, port or settings.port
    console.print(
        f"Alliance serving on http://{host}:{port} (mode {settings.mode}, {workers} worker"
        f"{'s' if workers > 1 else ''})"
    )
    if workers > 1:
        if engine.dialect.name == "sqlite":
            console.print(
                "note: SQLite has one writer; several workers queue on it. "
                "Use PostgreSQL (ALLIANCE_DATABASE_URL) to scale out."
            )
        # Generated secrets are created once here, not raced by the workers.
        settings.resolved_secret_key()
        Signer.from_file(
            settings.resolved_signing_key_file(), create=settings.mode is not Mode.production
        )
        # Each worker process builds its own app (and engine) from the same settings.
        uvicorn.run(
            "alliance.web.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=True,
            server_header=False,
        )
        return
    app = create_app(settings, engine=engine)
    uvicorn.run(
        app, host=host, port=port, log_level="warning", proxy_headers=True, server_header=False
    )
