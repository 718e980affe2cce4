"""``alliance cybertipline check|build|status|send|retract``: reports to NCMEC's
CyberTipline.

``check`` and ``build`` work offline. ``status``, ``send`` and ``retract`` run at the
platform, with its own NCMEC credentials (``ALLIANCE_CYBERTIPLINE_URL``, ``_USERNAME``,
``_PASSWORD``) and its own media folder: the files go from there to NCMEC and nowhere
else. The progress file is written after every step; run the same command again to
resume.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from alliance.errors import ConfigurationError, InvalidInput

if TYPE_CHECKING:  # imported by the commands that need them: the CLI starts fast
    from alliance.platforms.cybertipline.client import CyberTipline
    from alliance.platforms.cybertipline.schemas import CaseReport

app = typer.Typer(
    help="Reports to NCMEC's CyberTipline: check, build, status, send, retract.",
    no_args_is_help=True,
)

CaseArgument = Annotated[
    Path, typer.Argument(metavar="CASE.json", help="the confirmed case, as JSON")
]
ProgressOption = Annotated[
    Path,
    typer.Option(
        "--progress",
        help="where the sending's progress is kept (JSON); given again, it resumes",
    ),
]


def _read(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    if len(data) > limit:
        raise InvalidInput(f"{path}: over {limit // (1024 * 1024)} MiB")
    return data


def _case(path: Path) -> CaseReport:
    from alliance.platforms.cybertipline.document import MAX_DOCUMENT_BYTES  # noqa: PLC0415
    from alliance.platforms.cybertipline.schemas import CaseReport  # noqa: PLC0415
    from alliance.validation import validated  # noqa: PLC0415

    try:
        raw = json.loads(_read(path, MAX_DOCUMENT_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: a case is a JSON object")
    try:
        return validated(CaseReport, **raw)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None


@app.command("check")
def check(
    report: Annotated[
        Path, typer.Argument(metavar="REPORT.xml", help="a <report> or <fileDetails> document")
    ],
) -> None:
    """Check a report or file-details document against the CyberTipline schema."""
    from alliance.platforms.cybertipline import document  # noqa: PLC0415

    root = document.check(_read(report, document.MAX_DOCUMENT_BYTES), str(report))
    typer.echo(f"{report}: a valid <{root}>")


@app.command("build")
def build(case: CaseArgument) -> None:
    """Print the <report> document of a case (checked against the schema)."""
    from alliance.platforms.cybertipline import document  # noqa: PLC0415

    typer.echo(document.report_document(_case(case)).decode("utf-8"))


def _client() -> CyberTipline:
    from alliance.platforms.cybertipline.client import CyberTipline, make_http_client  # noqa: PLC0415
    from alliance.settings import get_settings  # noqa: PLC0415

    settings = get_settings()
    if not settings.cybertipline_url or not settings.cybertipline_username:
        raise ConfigurationError(
            "set ALLIANCE_CYBERTIPLINE_URL, ALLIANCE_CYBERTIPLINE_USERNAME and "
            "ALLIANCE_CYBERTIPLINE_PASSWORD (NCMEC's test address first)"
        )
    http = make_http_client(
        settings.cybertipline_url,
        settings.cybertipline_username,
        settings.cybertipline_password.get_secret_value(),
        timeout=settings.cybertipline_timeout_seconds,
    )
    return CyberTipline(http)


@app.command("status")
def status() -> None:
    """Check that the CyberTipline answers and takes the configured credentials."""
    tipline = _client()
    with tipline.http:
        answer = tipline.status()
    typer.echo(f"{tipline.http.base_url}: {answer.description or 'ok'}")


@app.command("send")
def send(
    case: CaseArgument,
    progress: ProgressOption,
    media: Annotated[
        Path,
        typer.Option("--media", help="the folder holding the case's files, by their file_name"),
    ] = Path("."),
) -> None:
    """File a case with NCMEC: submit, upload its files from --media, file info, finish."""
    from alliance.platforms.cybertipline.client import ProgressFile  # noqa: PLC0415
    from alliance.platforms.cybertipline.schemas import ReportedFile  # noqa: PLC0415

    the_case = _case(case)
    folder = media.resolve()

    def open_file(file: ReportedFile) -> BinaryIO:
        path = (folder / file.file_name).resolve()
        if not path.is_relative_to(folder):
            raise InvalidInput(f"{file.file_name}: not a file of {folder}")
        try:
            return path.open("rb")
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None

    for file in the_case.files:  # every file is there before a report is opened
        open_file(file).close()
    kept = ProgressFile(progress)
    tipline = _client()
    with tipline.http:
        done = tipline.send(the_case, open_file=open_file, save=kept.save, progress=kept.load())
    typer.echo(f"filed as CyberTipline report {done.report_id} ({len(done.files)} files)")


@app.command("retract")
def retract(progress: ProgressOption) -> None:
    """Withdraw a report that was opened but not finished."""
    from alliance.platforms.cybertipline.client import ProgressFile  # noqa: PLC0415

    kept = ProgressFile(progress)
    state = kept.load()
    if state is None:
        raise InvalidInput(f"{progress}: no such progress file")
    tipline = _client()
    with tipline.http:
        done = tipline.retract(state, save=kept.save)
    typer.echo(f"report {done.report_id or '(never opened)'} retracted")
