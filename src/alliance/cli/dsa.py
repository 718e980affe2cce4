"""``alliance dsa``: statements of reasons for the EU's DSA Transparency Database.

``check`` validates a file of statements by the database's rules and sends nothing;
``submit`` sends them in batches and keeps where it stands in a progress file beside the
statements, so that running it again after a failure sends only what is still pending.

A file of statements is JSON — a list of statements, or the API's own body
``{"statements": [...]}`` — or JSON lines (``.jsonl``), one statement a line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from alliance.cli.output import console, err_console
from alliance.errors import ConfigurationError, InvalidInput
from alliance.platforms.dsa.client import Progress, State, Step, TransparencyDatabase
from alliance.platforms.dsa.schemas import (
    Statement,
    StatementInvalid,
    parse_statement,
    parse_statements,
)

app = typer.Typer(
    help="Statements of reasons for the EU's DSA Transparency Database: check, submit.",
    no_args_is_help=True,
)

StatementsFile = Annotated[
    Path,
    typer.Argument(
        help="JSON list of statements, {'statements': [...]}, or JSON lines (.jsonl)",
        exists=True,
        dir_okay=False,
    ),
]


@app.command()
def check(statements_file: StatementsFile) -> None:
    """Check statements by the Transparency Database's rules; send nothing.

    Every statement at fault is listed with its field; the exit code is 2 if any is."""
    items = _read(statements_file)
    faults: list[str] = []
    for index, item in enumerate(items):
        try:
            parse_statement(item, index=index)
        except StatementInvalid as exc:
            faults.append(exc.message)
    if not faults:
        try:  # each alone is fine: now the file as a whole (puids distinct)
            parse_statements(items)
        except StatementInvalid as exc:
            faults.append(exc.message)
    for fault in faults:
        err_console.print(fault, highlight=False, soft_wrap=True, markup=False)
    if faults:
        raise InvalidInput(f"{len(faults)} of {len(items)} statements would be refused")
    console.print(f"{len(items)} statements valid")


@app.command()
def submit(
    statements_file: StatementsFile,
    url: Annotated[
        str | None, typer.Option(help="the API's site (default ALLIANCE_DSA_URL)")
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="file holding the API token (default ALLIANCE_DSA_TOKEN_FILE)"),
    ] = None,
    progress_file: Annotated[
        Path | None,
        typer.Option(help="where the run stands (default STATEMENTS_FILE.progress.json)"),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100, help="statements per call")] = 100,
    timeout: Annotated[float, typer.Option(min=1, help="seconds per call")] = 30.0,
    tries: Annotated[int, typer.Option(min=1, max=10, help="tries per batch")] = 4,
) -> None:
    """Submit statements to the Transparency Database in batches; run again to resume.

    Nothing is sent unless every statement passes the database's rules. A statement whose
    puid the database holds already is not sent again; one it refuses is listed with its
    field (exit 2). When the database stays unreachable the run stops (exit 1) and the
    progress file says what is pending. Every step is written to the audit log."""
    # The database, for the audit log: `check` needs neither it nor the ORM.
    from alliance.cli import context  # noqa: PLC0415
    from alliance.db.migrate import ensure_ready  # noqa: PLC0415
    from alliance.platforms.dsa import services  # noqa: PLC0415

    settings = context.settings()
    base_url = url or settings.dsa_url
    if not base_url:
        raise ConfigurationError("give --url or set ALLIANCE_DSA_URL")
    token = _token(token_file or settings.dsa_token_file)
    statements = parse_statements(_read(statements_file))
    where = progress_file or statements_file.with_name(statements_file.name + ".progress.json")
    progress = _load_progress(where) if where.exists() else Progress()
    actor = context.operator()
    ensure_ready(context.engine())  # the audit log must be there before anything is sent

    def keep(now: Progress, step: Step) -> None:
        # Audited, then kept: a crash between the two sends the step's statements again,
        # which the database answers as duplicates; nothing goes twice.
        with context.unit_of_work() as session:
            services.record_step(session, actor, now, step)
        _write_progress(where, now)

    with (
        TransparencyDatabase(base_url, token, timeout=timeout, tries=tries) as database,
        err_console.status(f"submitting {len(statements)} statements"),
    ):
        done = database.submit(statements, progress, batch_size=batch_size, on_step=keep)
    _write_progress(where, done)
    _summary(done, where, statements)


def _summary(progress: Progress, where: Path, statements: list[Statement]) -> None:
    counts = progress.counts()
    console.print(
        f"{counts['accepted']} accepted, {counts['duplicate']} already in the database, "
        f"{counts['refused']} refused, {counts['pending']} pending (progress: {where})"
    )
    refused = [s.puid for s in statements if progress.state(s.puid) is State.refused]
    for puid in refused:
        fields = "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in progress.entries[puid].errors.items()
        )
        err_console.print(f"puid {puid} refused: {fields}", highlight=False, markup=False)
    if refused:
        raise InvalidInput(f"the Transparency Database refused {len(refused)} statements")


def _read(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    try:
        if path.suffix == ".jsonl":
            data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("statements"), list):
        data = data["statements"]
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a list of statements or {{'statements': [...]}}")
    if not data:
        raise InvalidInput(f"{path} holds no statements")
    return data


def _token(path: Path | None) -> str:
    if path is None:
        raise ConfigurationError("give --token-file or set ALLIANCE_DSA_TOKEN_FILE")
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the token file {path}: {exc.strerror}") from None
    if not token:
        raise ConfigurationError(f"the token file {path} is empty")
    return token


def _load_progress(path: Path) -> Progress:
    try:
        return Progress.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read the progress file {path}: {exc}") from None
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None


def _write_progress(path: Path, progress: Progress) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(progress.to_json(), indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
