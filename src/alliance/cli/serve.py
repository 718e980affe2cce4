"""``alliance serve``: the web app and API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from alliance.banks.signing import Signer
from alliance.cli import context
from alliance.cli.output import console
from alliance.db import make_session_factory, migrate
from alliance.demo import takedown as takedown_demo
from alliance.errors import ConfigurationError
from alliance.member.deployment import MemberDeployment
from alliance.member.profile import profile_from_settings
from alliance.settings import Mode, Settings
from alliance.worker.runner import Worker, toolkit_from_settings


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes (more than one: PostgreSQL)")
    ] = 1,
    member: Annotated[
        bool,
        typer.Option(
            "--member",
            help="member mode: the member API on the member's own database, the subscribed "
            "banks synced from the hub in the background (profile: ALLIANCE_MEMBER_*)",
        ),
    ] = False,
) -> None:
    """Serve the web app and the API (default http://127.0.0.1:8000)."""
    import uvicorn  # noqa: PLC0415 - only `serve` needs the web stack

    from alliance.web import create_app  # noqa: PLC0415
    from alliance.web.capacity import create_serving_engine  # noqa: PLC0415
    from alliance.web.serving import (  # noqa: PLC0415
        HTTP_PARSER,
        event_loop,
        run_workers,
        uvicorn_options,
    )

    settings = context.settings()
    if member:
        # Refused before anything is opened: an incomplete profile names every gap.
        profile_from_settings(settings)
        if workers > 1:
            raise ConfigurationError(
                "--member serves with one worker process: each would sync the same banks"
            )
    # The web app and the in-process worker share one engine: its pool and (on SQLite)
    # its writer turn are sized for both (alliance.web.capacity).
    engine = create_serving_engine(settings)
    if settings.mode is not Mode.production:
        migrate.upgrade(engine)  # demo and development keep themselves at head
    migrate.ensure_ready(engine)
    host, port = host or settings.host, port or settings.port
    console.print(
        f"Alliance serving on http://{host}:{port} (mode {settings.mode}, {workers} worker"
        f"{'s' if workers > 1 else ''}; HTTP {HTTP_PARSER}, loop {event_loop()})"
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
        console.print(
            "The takedown worker does not run inside several web workers: run "
            "`alliance worker` beside them."
        )
        # Each worker process builds its own app (and engine) from the same settings, and
        # listens on a socket of its own (alliance.web.serving.run_workers).
        config = uvicorn.Config(
            "alliance.web.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            **uvicorn_options(settings),
        )
        try:
            code = run_workers(config, workers)
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        if code:
            raise typer.Exit(code)
        return
    sessions = make_session_factory(engine)
    deployment = MemberDeployment.from_settings(settings, sessions) if member else None
    if deployment is not None:
        console.print(f"Member mode: {deployment.profile.describe()}")
    app = create_app(settings, engine=engine, sessions=sessions, member=deployment)
    with ExitStack() as stack:
        worker_settings = settings
        if (
            deployment is None
            and settings.mode is Mode.demo
            and (settings.data_dir / "demo-sites.json").exists()
        ):
            worker_settings, _sites = stack.enter_context(takedown_demo.demo_services(settings))
            app.state.alliance.demo_urls = partial(takedown_demo.live_try_urls, settings.data_dir)
            console.print(
                f"Demo mailbox (SMTP) on 127.0.0.1:{worker_settings.smtp_port}, demo websites "
                f"on {worker_settings.fetch_connect_override}"
            )
        if settings.serve_worker:
            stack.enter_context(_worker_thread(worker_settings, sessions))
        uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))


@contextmanager
def _worker_thread(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[None]:
    """One takedown worker in a thread of this process (the demo's; production runs
    `alliance worker` processes and sets ALLIANCE_SERVE_WORKER=false)."""
    worker = Worker(
        sessions,
        toolkit_from_settings(settings),
        name="serve",
        signer=Signer.from_settings(settings),  # the app has made it by now
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_forever,
        args=(stop, settings.worker_poll_seconds),
        name="alliance-worker",
        daemon=True,
    )
    thread.start()
    console.print("Takedown worker running in-process.")
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
