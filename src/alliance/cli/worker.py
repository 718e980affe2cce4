"""``alliance worker``: perform due takedown actions (resolve, notice, re-check, escalate,
expire holds), and sign the audit chain's head now and then (needs the signing key).

Without options it polls until Ctrl-C or SIGTERM, finishing the action in hand first;
``--once`` does one round, ``--until-idle`` everything due now (and what that makes due
now). Either way the exit code is 0: a failed action is recorded and retried by the
schedule, not a failure of the worker.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer

from alliance.cli import context
from alliance.cli.output import console
from alliance.db.migrate import ensure_ready
from alliance.errors import ConfigurationError
from alliance.signing import Signer
from alliance.takedown.actions import Outcome
from alliance.worker.runner import Worker, toolkit_from_settings


def print_outcome(outcome: Outcome) -> None:
    notices = f", {outcome.notices_sent} notice(s) sent" if outcome.notices_sent else ""
    details = " ".join(f"{k}={v}" for k, v in outcome.details.items())
    style = "red" if outcome.result.startswith("error") else "green"
    console.print(
        f"{outcome.kind.value:<11} action {outcome.action_id}: "
        f"[{style}]{outcome.result}[/]{notices}" + (f"  {details}" if details else ""),
        highlight=False,
    )


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM set ``stop`` (in the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            console.print("stopping after the action in hand…", highlight=False)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="one round of due actions, then exit")
    ] = False,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="everything due now, then exit")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="this worker's name in leases (default: host:pid:thread)")
    ] = None,
    poll: Annotated[
        float | None,
        typer.Option("--poll", min=0.1, help="seconds between polls (default: settings)"),
    ] = None,
) -> None:
    """Run the takedown worker: resolve, send notices, re-check, escalate, expire holds."""
    settings = context.settings()
    ensure_ready(context.engine())
    try:
        signer: Signer | None = Signer.from_settings(settings)
    except ConfigurationError as exc:
        signer = None
        console.print(f"[yellow]audit chain not anchored:[/] {exc.message}", highlight=False)
    worker = Worker(context.sessions(), toolkit_from_settings(settings), name=name, signer=signer)
    if once or until_idle:
        outcomes = worker.run_until_idle() if until_idle else worker.run_once()
        for outcome in outcomes:
            print_outcome(outcome)
        console.print(f"{len(outcomes)} action(s) performed", highlight=False)
        return
    stop = threading.Event()
    console.print(f"worker {worker.name} polling every {poll or settings.worker_poll_seconds}s")
    with stop_on_signals(stop):
        worker.run_forever(stop, poll or settings.worker_poll_seconds, print_outcome)
    console.print("worker stopped", highlight=False)
