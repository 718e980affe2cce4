"""``alliance scan``: hash files on this machine and match them against the synced banks."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from alliance.banks.hub_client import make_client
from alliance.banks.local_store import LocalBankStore
from alliance.cli import context
from alliance.cli.output import OutputFormat, err_console, progress_bar
from alliance.errors import InvalidInput
from alliance.hashing.files import walk
from alliance.scanner.reporting import content_id, public_url, report_for, submit
from alliance.scanner.services import ScanResult, ScanSummary, scan
from alliance.takedown.schemas import ReportIn

CSV_COLUMNS = [
    "path",
    "matched",
    "banks",
    "closest_distance",
    "classification",
    "verified",
    "pdq",
    "md5",
    "sha256",
    "error",
]


def _csv_row(result: ScanResult) -> dict[str, Any]:
    matches = result.matches
    best = matches[0] if matches else None
    record = result.record
    return {
        "path": record.path,
        "matched": bool(matches),
        "banks": " ".join(sorted({m["bank"] for m in matches})),
        "closest_distance": best["distance"] if best else "",
        "classification": json.dumps(best["classification"]) if best else "",
        "verified": best["verified"] if best else "",
        "pdq": record.value("pdq") or "",
        "md5": record.value("md5") or "",
        "sha256": record.value("sha256") or "",
        "error": record.error or "",
    }


def scan_command(
    paths: Annotated[list[Path], typer.Argument(help="files and folders to scan")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="jsonl or csv")] = (
        OutputFormat.jsonl
    ),
    jobs: Annotated[int, typer.Option(min=0, help="worker processes (0: one per core)")] = 0,
    store: Annotated[Path | None, typer.Option(help="local banks (default <data_dir>/banks)")] = (
        None
    ),
    only_matches: Annotated[bool, typer.Option(help="print only files that matched")] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="report every match to the platform (URL and hashes, never the file)",
        ),
    ] = False,
    url_template: Annotated[
        str | None,
        typer.Option(help="where files are published, e.g. https://cdn.example.test/{path}"),
    ] = None,
    server: Annotated[str | None, typer.Option(help="the platform, for --report")] = None,
    key: Annotated[
        str | None,
        typer.Option(
            envvar="ALLIANCE_SYNC_KEY", help="API key for --report (or ALLIANCE_SYNC_KEY)"
        ),
    ] = None,
) -> None:
    """Hash files locally and match them against the banks synced with `alliance sync`.

    One record a file on stdout (its hashes and every match with full context, or why it
    was skipped); a summary on stderr. Media never leave this machine. With --report, each
    match is reported to the platform as the URL the file is published at, with its hashes.
    """
    if fmt not in (OutputFormat.jsonl, OutputFormat.csv):
        raise InvalidInput("--format must be jsonl or csv")
    if report and (not url_template or not server or not key):
        raise InvalidInput(
            "--report needs --url-template (where the files are published), --server and --key"
        )
    local = LocalBankStore.open(store or context.settings().data_dir / "banks")
    if not local.banks:
        raise InvalidInput("no banks synced yet: run `alliance sync --server URL --key KEY`")
    files = walk(paths)
    summary = ScanSummary()
    to_report: list[ReportIn] = []
    writer = csv.DictWriter(sys.stdout, CSV_COLUMNS) if fmt is OutputFormat.csv else None
    if writer:
        writer.writeheader()
    with progress_bar() as progress:
        task = progress.add_task("scanning", total=len(files))
        for result in scan(files, local, jobs=jobs or os.cpu_count() or 1, summary=summary):
            progress.advance(task)
            if report and url_template:
                scanned = Path(result.record.path)
                found = report_for(
                    result, public_url(url_template, scanned, paths), content_id(scanned, paths)
                )
                if found is not None:
                    to_report.append(found)
            if only_matches and not result.matches:
                continue
            if writer:
                writer.writerow(_csv_row(result))
            else:
                sys.stdout.write(json.dumps(result.to_dict()) + "\n")
    err_console.print(
        f"scanned {summary.files} files against {len(local.banks)} banks: "
        f"{summary.matched} matched, {summary.not_media} not pictures (matched by file "
        f"hashes only), {len(summary.skipped)} skipped",
        highlight=False,
    )
    for path, reason in summary.skipped:
        why = reason.removeprefix(f"{path}: ")  # most reasons already name the file
        err_console.print(f"  skipped {path}: {why}", highlight=False, soft_wrap=True)
    if to_report:
        assert server is not None and key is not None
        with make_client(server, key) as client, err_console.status("reporting matches"):
            receipts = submit(client, to_report)
        err_console.print(
            f"reported {len(receipts)} matches: "
            + ", ".join(r["reference"] for r in receipts[:10])
            + (" ..." if len(receipts) > 10 else ""),
            highlight=False,
        )
