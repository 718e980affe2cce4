"""``alliance scan``: hash files on this machine and match them against the synced banks."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from alliance.banks.hub_client import make_client
from alliance.banks.local_store import LocalBankStore
from alliance.cli import context
from alliance.cli.output import OutputFormat, err_console, progress_bar
from alliance.errors import InvalidInput
from alliance.hashing.files import walk
from alliance.hashing.record import HashRecord
from alliance.scanner.bulk import (
    DEFAULT_BATCH,
    BulkSummary,
    Executor,
    InProcesses,
    pending_objects,
    scan_pending,
)
from alliance.scanner.checkpoint import ResultsFile
from alliance.scanner.objects import S3_SCHEME, open_source
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
    paths: Annotated[
        list[str], typer.Argument(help="files and folders to scan, or one s3://bucket/prefix")
    ],
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
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="auto|ADDRESS",
            help="run on a Ray cluster (auto: the one `ray start` started here); needs --output",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            help="write JSON lines here, a batch at a time; scanning again with the same "
            "file skips what it holds (needed for s3:// and --ray)",
        ),
    ] = None,
    s3_endpoint: Annotated[
        str | None,
        typer.Option(
            envvar="AWS_ENDPOINT_URL", help="an S3-compatible server (or AWS_ENDPOINT_URL)"
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="objects a task scans (with --output)")
    ] = DEFAULT_BATCH,
) -> None:
    """Hash files locally and match them against the banks synced with `alliance sync`.

    One record a file on stdout (its hashes and every match with full context, or why it
    was skipped); a summary on stderr. Media never leave this machine. With --report, each
    match is reported to the platform as the URL the file is published at, with its hashes.
    With --output (or s3://, or --ray) the records go to that file and the scan can be run
    again to finish what a stopped one left.
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
    bulk = output is not None or ray is not None or any(p.startswith(S3_SCHEME) for p in paths)
    if bulk:
        if output is None:
            raise InvalidInput("scans of s3:// and scans on --ray write to --output FILE")
        if fmt is not OutputFormat.jsonl:
            raise InvalidInput("--output is written as JSON lines")
        reports = _bulk_scan(
            paths, local, output, ray=ray, jobs=jobs, s3_endpoint=s3_endpoint,
            batch_size=batch_size, url_template=url_template if report else None,
        )  # fmt: skip
        _report(reports, server, key)
        return
    roots = [Path(p) for p in paths]
    files = walk(roots)
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
                    result, public_url(url_template, scanned, roots), content_id(scanned, roots)
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
    _report(to_report, server, key)


def _report(to_report: list[ReportIn], server: str | None, key: str | None) -> None:
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


def _bulk_scan(
    paths: list[str],
    local: LocalBankStore,
    output: Path,
    *,
    ray: str | None,
    jobs: int,
    s3_endpoint: str | None,
    batch_size: int,
    url_template: str | None,
) -> list[ReportIn]:
    """A restartable scan into ``output`` (:mod:`alliance.scanner.bulk`), on Ray or on
    this machine's processes; the reports of what it matched."""
    if url_template is not None and "{path}" not in url_template:
        raise InvalidInput(
            "--url-template must contain {path}, e.g. https://cdn.example.test/{path}"
        )
    source = open_source(paths, s3_endpoint)
    results = ResultsFile.open(output)
    summary = BulkSummary()
    with err_console.status(f"listing {paths[0]}"):
        pending = pending_objects(source, results, summary)
    by_name = {source.name(ref): ref for ref in pending}
    executor: Executor = InProcesses(jobs or os.cpu_count() or 1)
    to_report: list[ReportIn] = []

    def on_batch(records: list[dict[str, Any]]) -> None:
        progress.advance(task, len(records))
        if url_template is None:
            return
        for record in records:
            if record.get("matches"):
                ref = by_name[record["path"]]
                found = ScanResult(
                    HashRecord.from_dict(record), record["matches"], record["suppressed_by"]
                )
                url = url_template.replace("{path}", quote(source.content_id(ref)))
                if report := report_for(found, url, source.content_id(ref), ref.modified):
                    to_report.append(report)

    with contextlib.ExitStack() as stack:
        if ray is not None:
            from alliance.scanner.ray_scan import RayExecutor  # noqa: PLC0415 — Ray is large

            executor = stack.enter_context(RayExecutor(ray))
        progress = stack.enter_context(progress_bar())
        task = progress.add_task("scanning", total=len(pending))
        scan_pending(
            source, pending, local, results, executor,
            batch_size=batch_size, summary=summary, on_batch=on_batch,
        )  # fmt: skip
    where = f"on Ray ({ray})" if ray is not None else "on this machine"
    err_console.print(
        f"listed {summary.listed} objects; {summary.already} already in {output}; scanned "
        f"{summary.scanned} {where} against {len(local.banks)} banks: {summary.matched} "
        f"matched, {summary.not_media} not pictures (matched by file hashes only), "
        f"{len(summary.skipped)} skipped",
        highlight=False,
    )
    for name, reason in summary.skipped:
        why = reason.removeprefix(f"{name}: ")
        err_console.print(f"  skipped {name}: {why}", highlight=False, soft_wrap=True)
    return to_report
