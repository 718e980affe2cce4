"""``alliance``: the command-line entry point.

:func:`main` is the one place where errors become exit codes and a one-line message;
:func:`inner_main` is the testable part.

The commands are imported when one runs, not when ``alliance`` starts (:class:`Commands`):
``alliance hash`` needs PDQ, not the web framework, the ORM and the demo that other
commands import, and ``alliance --help`` needs none of them.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer import _click
from typer.core import TyperCommand, TyperGroup

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


@dataclass(frozen=True, slots=True)
class Command:
    """A command or a group of ``alliance``, where it is defined: ``target`` in the
    module ``alliance.cli.<module>``, a Typer group or a command function. ``summary``
    is its help's first line, shown by ``alliance --help`` without importing it (a test
    keeps it equal to the command's own)."""

    module: str
    target: str
    summary: str


COMMANDS: dict[str, Command] = {
    "worker": Command(
        "worker",
        "worker_command",
        "Run the takedown worker: resolve, send notices, re-check, escalate, expire holds.",
    ),
    "settings": Command(
        "settings_command",
        "show_settings",
        "Print the effective settings (environment ALLIANCE_*, .env, defaults), secrets masked.",
    ),
    "serve": Command(
        "serve", "serve", "Serve the web app and the API (default http://127.0.0.1:8000)."
    ),
    "demo": Command(
        "demo",
        "demo",
        "Build the demo world (synthetic members and users) and print the demo logins.",
    ),
    "sync": Command(
        "sync",
        "sync_command",
        "Pull every subscribed bank and list, verify their signatures, apply them locally.",
    ),
    "scan": Command(
        "scan",
        "scan_command",
        "Hash files locally and match them against the banks synced with `alliance sync`.",
    ),
    "matcher": Command(
        "matcher",
        "app",
        "A matcher replica: the synced banks over HTTP, synced on its own schedule.",
    ),
    "member": Command(
        "member",
        "app",
        "Member mode: check the profile, sync now, keep local (and negative) banks.",
    ),
    "blocklist": Command("blocklist", "app", "Lists for blocking: export, self-tests, keywords."),
    "review": Command(
        "review",
        "app",
        "The review queue: false positives to the hub; a confirmed case's reports (NCMEC, "
        "DSA, the police of the uploader's country); close it.",
    ),
    "feedback": Command(
        "feedback",
        "feedback_command",
        "Confirm or dispute a match found by `alliance scan`; no media are sent.",
    ),
    "hash": Command(
        "engine",
        "hash_command",
        "Hash media files: one record per file (JSON lines or CSV) on stdout.",
    ),
    "match": Command(
        "engine",
        "match_command",
        "Match queries against an index: one JSON line per query, closest matches first.",
    ),
    "index": Command("engine", "index_app", "Build PDQ indexes for `alliance match`."),
    "db": Command("db", "app", "Database schema: upgrade, check for drift, show the revision."),
    "jurisdictions": Command("accounts", "jurisdictions_app", "Jurisdictions (countries)."),
    "orgs": Command("accounts", "orgs_app", "Member organisations."),
    "users": Command("accounts", "users_app", "Users of member organisations."),
    "keys": Command("accounts", "keys_app", "API keys (shown once, stored hashed)."),
    "audit": Command("audit", "app", "The audit log: list events, verify the hash chain."),
    "banks": Command("banks", "app", "Hash banks: create, list, show, import, export."),
    "providers": Command(
        "hosting",
        "providers_app",
        "Hosting providers: who runs an address space and where notices go.",
    ),
    "hosting": Command("hosting", "hosting_app", "Where a URL is hosted."),
    "reports": Command(
        "takedown", "reports_app", "Reports: submit URLs, import a file of reports."
    ),
    "items": Command(
        "takedown", "items_app", "Content items: the takedown queue and each item's timeline."
    ),
    "holds": Command("takedown", "holds_app", "Investigation holds of law-enforcement agencies."),
    "metrics": Command("takedown", "metrics_app", "Takedown-time and identified-victim metrics."),
    "seizures": Command(
        "victims", "seizures_app", "Seizure triage: which files are known, near a series, new."
    ),
    "series": Command(
        "victims", "series_app", "Series: media depicting the same abuse, and their agencies."
    ),
    "victims": Command(
        "victims", "victims_app", "Victims: pseudonymous records and their identification."
    ),
    "referrals": Command(
        "victims", "referrals_app", "Referrals of a series to the country of the victim."
    ),
    "media": Command(
        "victims", "media_app", "Known-media records: ICSE CSV and VICS JSON export and import."
    ),
    "frameworks": Command(
        "frameworks",
        "app",
        "Frameworks: the alliance declaration, the Model National Response, ICMEC's "
        "criteria, the Out of the Shadows indicator 4.4.",
    ),
    "countries": Command("countries", "app", "The alliance's member countries."),
    "commitments": Command(
        "commitments", "app", "Countries' commitments and yearly reports per policy target."
    ),
    "capabilities": Command(
        "capabilities",
        "app",
        "Capability self-assessment against the Model National Response: a country's own "
        "(for its government) and the alliance-wide distribution.",
    ),
    "legal": Command("legal", "app", "The legal-framework matrix of the member countries."),
    "library": Command("library", "app", "The awareness and best-practice library."),
    "report": Command("report", "app", "The alliance's progress report."),
    "cybertipline": Command(
        "cybertipline",
        "app",
        "Reports to NCMEC's CyberTipline: check, build, status, send, retract.",
    ),
    "dsa": Command(
        "dsa",
        "app",
        "Statements of reasons for the EU's DSA Transparency Database: check, submit.",
    ),
}


def load_command(name: str) -> _click.Command:
    """The command ``name`` of :data:`COMMANDS`, its module imported."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(f"alliance.cli.{entry.module}"), entry.target)
    command: _click.Command
    if isinstance(target, typer.Typer):
        # A group stays a group when it has one command (`alliance index build`).
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _Summary(TyperCommand):
    """A command as ``alliance --help`` lists it: its name and summary only."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name=name, help=summary)


class Commands(TyperGroup):
    """``alliance``'s commands, each imported when it runs (or shows its own help)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in COMMANDS.items():
            self.commands[name] = _Summary(name, entry.summary)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Summary):
            command = self.commands[name] = load_command(name)
        return name, command, rest


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="alliance",
        cls=Commands,
        help="Alliance: find known CSAM by hash, take it down without jeopardising "
        "investigations, identify victims, cooperate across borders.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root() -> None:
        """Typer makes a group of an app with a callback; the commands are Commands'."""

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
