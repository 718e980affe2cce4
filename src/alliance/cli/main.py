"""``alliance``: the command-line entry point.

:func:`main` is the one place where errors become exit codes and a one-line message;
:func:`inner_main` is the testable part.
"""

from __future__ import annotations

import sys

import typer

from alliance.cli import (
    accounts,
    audit,
    banks,
    capabilities,
    commitments,
    countries,
    db,
    demo,
    engine,
    feedback,
    frameworks,
    hosting,
    legal,
    library,
    report,
    scan,
    serve,
    settings_command,
    sync,
    takedown,
    victims,
    worker,
)
from alliance.cli.output import err_console
from alliance.errors import (
    AllianceError,
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from alliance.hashing import parallel

EXIT_CODES: list[tuple[type[AllianceError], int]] = [
    (InvalidInput, 2),
    (NotAuthenticated, 3),
    (PermissionDenied, 3),
    (NotFound, 4),
    (Conflict, 5),
    (RateLimited, 6),
    (ConfigurationError, 7),
]


def exit_code_for(error: AllianceError) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return 1


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="alliance",
        help="Alliance: find known CSAM by hash, take it down without jeopardising "
        "investigations, identify victims, cooperate across borders.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.add_typer(db.app, name="db")
    app.add_typer(accounts.jurisdictions_app, name="jurisdictions")
    app.add_typer(accounts.orgs_app, name="orgs")
    app.add_typer(accounts.users_app, name="users")
    app.add_typer(accounts.keys_app, name="keys")
    app.add_typer(audit.app, name="audit")
    app.add_typer(banks.app, name="banks")
    app.add_typer(hosting.providers_app, name="providers")
    app.add_typer(hosting.hosting_app, name="hosting")
    app.add_typer(takedown.reports_app, name="reports")
    app.add_typer(takedown.items_app, name="items")
    app.add_typer(takedown.holds_app, name="holds")
    app.add_typer(takedown.metrics_app, name="metrics")
    app.add_typer(victims.seizures_app, name="seizures")
    app.add_typer(victims.series_app, name="series")
    app.add_typer(victims.victims_app, name="victims")
    app.add_typer(victims.referrals_app, name="referrals")
    app.add_typer(victims.media_app, name="media")
    app.add_typer(frameworks.app, name="frameworks")
    app.add_typer(countries.app, name="countries")
    app.add_typer(commitments.app, name="commitments")
    app.add_typer(capabilities.app, name="capabilities")
    app.add_typer(legal.app, name="legal")
    app.add_typer(library.app, name="library")
    app.add_typer(report.app, name="report")
    app.command("worker")(worker.worker_command)
    app.command("settings")(settings_command.show_settings)
    app.command("serve")(serve.serve)
    app.command("demo")(demo.demo)
    app.command("sync")(sync.sync_command)
    app.command("scan")(scan.scan_command)
    app.command("feedback")(feedback.feedback_command)
    engine.register(app)
    return app


def inner_main(argv: list[str] | None = None) -> int:
    """Run a command; return its exit code. Alliance errors propagate to :func:`main`.

    The parser's own usage errors (exit 2) and ``--help`` are handled by Typer, which
    reports them by ``SystemExit``.
    """
    app = build_app()
    try:
        app(args=argv, prog_name="alliance")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    # PDQ's matrix products are small: OpenBLAS's own threads only make them spin-wait
    # (see alliance.hashing.parallel); hashing runs ~3x faster on one thread.
    parallel.limit_blas_threads()
    try:
        code = inner_main(argv)
    except AllianceError as error:
        err_console.print(f"[bold red]error:[/] {error.message}", highlight=False, soft_wrap=True)
        code = exit_code_for(error)
    except KeyboardInterrupt:
        code = 130
    return code


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
