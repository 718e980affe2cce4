"""``alliance serve``: the web app and API."""

from __future__ import annotations

from typing import Annotated

import typer

from alliance.cli import context
from alliance.cli.output import console
from alliance.db import migrate
from alliance.settings import Mode


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Serve the web app and the API (default http://127.0.0.1:8000)."""
    import uvicorn  # noqa: PLC0415 - only `serve` needs the web stack

    from alliance.web import create_app  # noqa: PLC0415

    settings = context.settings()
    engine = context.engine()
    if settings.mode is not Mode.production:
        migrate.upgrade(engine)  # demo and development keep themselves at head
    migrate.ensure_ready(engine)
    app = create_app(settings, engine=engine)
    host, port = host or settings.host, port or settings.port
    console.print(f"Alliance serving on http://{host}:{port} (mode {settings.mode})")
    uvicorn.run(
        app, host=host, port=port, log_level="warning", proxy_headers=True, server_header=False
    )
