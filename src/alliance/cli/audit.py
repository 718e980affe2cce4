"""``alliance audit``: read and verify the tamper-evident audit log, export its anchors."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alliance.audit import anchors
from alliance.audit import services as audit
from alliance.audit.schemas import SignedHead
from alliance.cli import context
from alliance.cli.output import OutputFormat, console, emit, err_console
from alliance.errors import ConfigurationError, InvalidInput
from alliance.signing import Signer, fingerprint, load_public_key

app = typer.Typer(help="The audit log: list events, verify the hash chain.", no_args_is_help=True)
anchor_app = typer.Typer(
    help="Signed heads of the audit chain, to keep outside the database.", no_args_is_help=True
)
app.add_typer(anchor_app, name="anchor")

MAX_ANCHOR_FILE_BYTES = 64 * 1_048_576  # a year of hourly anchors is ~3 MB


def _when(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{option}: not a date or time: {value!r} (use 2026-01-31 or 2026-01-31T12:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read_anchors(paths: list[Path]) -> list[SignedHead]:
    heads: list[SignedHead] = []
    for path in paths:
        try:
            if path.stat().st_size > MAX_ANCHOR_FILE_BYTES:
                raise InvalidInput(f"{path} is larger than {MAX_ANCHOR_FILE_BYTES} bytes")
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read anchor file {path}: {exc.strerror}") from None
        heads += anchors.parse_file(data, str(path))
    return heads


@app.command()
def verify(
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchor",
            help="anchors exported earlier (JSON lines); the chain must still hold each "
            "signed head. Repeatable.",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="PEM of the platform's public key to check anchors with (default: the "
            "platform's signing key)"
        ),
    ] = None,
) -> None:
    """Check every event against the chain and every anchor; exit 1 naming the first broken
    event. An intact chain's head is signed (a new anchor)."""
    settings = context.settings()
    given = _read_anchors(anchor or [])
    try:
        signer: Signer | None = Signer.from_settings(settings)
    except ConfigurationError as exc:
        signer, missing = None, exc.message
    key = _public_key(public_key) if public_key is not None else None
    platform = settings.platform_name
    with context.unit_of_work() as session:
        if signer is not None and (key is None or fingerprint(key) == signer.fingerprint):
            result = anchors.verify_and_sign(session, signer, platform, given=given)
            note = ""
        elif key is not None:
            result = anchors.verify_chain(session, key, given=given, platform=platform)
            note = "head not signed: --public-key is not the platform's own signing key"
        elif given:
            raise ConfigurationError(f"cannot check the anchors: {missing}; give --public-key")
        else:
            result = audit.verify(session)
            note = f"anchors not checked and head not signed: {missing}"
    if not result.ok:
        raise audit.TamperDetected(audit.broken_message(result))
    against = f", against {result.anchors_checked} signed heads" if result.anchors_checked else ""
    console.print(f"audit chain intact: {result.checked} events verified{against}")
    if result.anchored_seq is not None:
        console.print(f"head (event {result.anchored_seq}) signed")
    if note:
        err_console.print(note, highlight=False)


def _public_key(path: Path) -> Ed25519PublicKey:
    try:
        return load_public_key(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None


@anchor_app.command("export")
def export_anchors(
    out: Annotated[
        Path | None, typer.Option(help="write to this file (default: standard output)")
    ] = None,
) -> None:
    """Sign the chain's head, then write every anchor as JSON lines (alliance.audit_anchor
    version 1) for safekeeping outside the database."""
    settings = context.settings()
    signer = Signer.from_settings(settings)
    with context.unit_of_work() as session:
        anchors.sign_head(session, signer, settings.platform_name)
        lines = list(anchors.export_lines(session))
    text = "".join(f"{line}\n" for line in lines)
    if out is None:
        typer.echo(text, nl=False)
        return
    _write_atomically(out, text)
    err_console.print(f"{len(lines)} anchors written to {out}", highlight=False)


def _write_atomically(path: Path, text: str) -> None:
    """The whole file or none of it: a crash leaves the previous export in place."""
    folder = path.resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


@app.command("list")
def list_events(
    actor: Annotated[str | None, typer.Option(help="e.g. user:alice, operator:root")] = None,
    subject: Annotated[str | None, typer.Option(help="TYPE or TYPE:ID, e.g. user:3")] = None,
    event_type: Annotated[
        str | None, typer.Option("--type", help="prefix, e.g. user: or auth:login")
    ] = None,
    since: Annotated[str | None, typer.Option(help="from this UTC date/time")] = None,
    until: Annotated[str | None, typer.Option(help="before this UTC date/time")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List events, newest first."""
    subject_type, _, subject_id = (subject or "").partition(":")
    flt = audit.AuditFilter(
        actor=actor,
        event_type=event_type,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
    )
    with context.unit_of_work() as session:
        rows = [
            {
                "seq": e.seq,
                "occurred_at": e.occurred_at.isoformat(timespec="seconds"),
                "actor": e.actor,
                "event_type": e.event_type,
                "subject": f"{e.subject_type}:{e.subject_id}",
                "details": audit.details_of(e) if fmt is not OutputFormat.table else e.details,
            }
            for e in audit.list_events(session, flt, limit=limit)
        ]
    emit(rows, fmt, title="Audit events")
