"""``alliance serve``: the web app and API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import Annotated

import httpx
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
        freeze_heap,
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
        if deployment is None and settings.mode is Mode.demo and settings.demo_member:
            stack.enter_context(_demo_member(settings, f"http://{_local(host)}:{port}"))
        if settings.serve_worker:
            stack.enter_context(_worker_thread(worker_settings, sessions))
        freeze_heap()
        uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))


def _local(host: str) -> str:
    """An address of this machine that ``host`` listens on, for a client to call."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared only


@contextmanager
def _demo_member(settings: Settings, hub_url: str) -> Iterator[None]:
    """The demo platform nl-photoshare in member mode (alliance.demo.member), a second
    process: its storage and removal hook and the CyberTipline and DSA stand-ins run here;
    `alliance serve --member` is started, with the member's settings only, once the hub
    answers, and stopped with this server. Nothing when `alliance demo` built none."""
    from alliance.demo import member as member_demo  # noqa: PLC0415 - the demo's only

    seed = member_demo.built_seed(settings.data_dir)
    if seed is None:
        yield
        return
    member_demo.check_ports(settings)
    folder = member_demo.folder_of(settings.data_dir).resolve()
    with member_demo.outside_world(
        folder, seed, storage_port=settings.demo_member_storage_port
    ) as world:
        values = member_demo.settings_values(
            folder, seed, hub_url, settings.demo_member_port, world
        )
        env = member_demo.environment(values)
        member_demo.write_env_file(folder, env)
        # The member is another deployment: none of the hub's settings reach it.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_")}
        console.print(
            f"Demo member nl-photoshare (member mode) starting on "
            f"http://127.0.0.1:{settings.demo_member_port} once the hub answers; its storage "
            f"and removal hook on {world.platform.url}, the CyberTipline stand-in on "
            f"{world.cybertipline.base_url}, the DSA database stand-in on {world.dsa.url}"
        )
        started: list[subprocess.Popen[bytes]] = []
        stop = threading.Event()
        lock = threading.Lock()

        def start() -> None:
            if not _answers(f"{hub_url}/readyz", stop):
                return
            with lock:
                if not stop.is_set():
                    started.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "alliance", "serve", "--member"],
                            env={**inherited, **env},
                            cwd=folder,
                        )
                    )

        thread = threading.Thread(target=start, name="demo-member-start", daemon=True)
        thread.start()
        # uvicorn ends a server stopped by SIGTERM by raising SIGTERM again once it has shut
        # down: by default that ends the process before the member is stopped. Here it
        # ends it as Ctrl-C does, through this block's clean-up.
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            with lock:
                stop.set()
            thread.join(timeout=5)
            for process in started:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _answers(url: str, stop: threading.Event, seconds: float = 120) -> bool:
    """Whether ``url`` answers 200 before ``seconds`` pass (False when ``stop`` is set)."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        stop.wait(0.25)
    if not stop.is_set():
        console.print(f"The hub did not answer at {url}: the demo member was not started.")
    return False


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
