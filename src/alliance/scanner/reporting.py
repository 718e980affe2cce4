"""Reports from scan matches: a member that found known material on its own service tells
the alliance where it is published, with the file's hashes — never the file.

A scanned file is on the member's machine; the report names the public URL it is served
at (from ``--url-template``), so the platform can deduplicate it with other reports, route
it, and let an LEA holding the hash hear about it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from alliance.banks.hub_client import post_json
from alliance.errors import InvalidInput
from alliance.takedown.schemas import MAX_REPORTS_PER_BATCH, HashIn, ReportIn

if TYPE_CHECKING:  # only an annotation: the scan's result type
    from alliance.scanner.services import ScanResult

REPORTED_HASHES = ("md5", "sha1", "sha256", "pdq")


def _modified(path: Path) -> str:
    """The file's own time (not the scan's), so that scanning again reports nothing new."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    except OSError:
        return "unknown"


def content_id(path: Path, roots: Sequence[Path]) -> str:
    """The file's path under the scanned folder it was found in: the member's content id."""
    resolved = path.resolve()
    for root in roots:
        base = root.resolve()
        if base.is_dir() and resolved.is_relative_to(base):
            return resolved.relative_to(base).as_posix()
    return path.name


def public_url(template: str, path: Path, roots: Sequence[Path]) -> str:
    """Where ``path`` is published: ``template`` with ``{path}`` replaced by the file's path
    relative to the scanned folder it was found in (URL-quoted)."""
    if "{path}" not in template:
        raise InvalidInput(
            "--url-template must contain {path}, e.g. https://cdn.example.test/{path}"
        )
    return template.replace("{path}", quote(content_id(path, roots)))


def report_for(
    result: ScanResult, url: str, member_id: str | None = None, modified: str | None = None
) -> ReportIn | None:
    """The report for one scan result, or None when it did not match. ``member_id`` is the
    member's own id of the content (default: its path under the scanned folder)."""
    matches = result.matches
    if not matches:
        return None
    record = result.record
    hashes = [
        HashIn(signal_type=name, value=value)
        for name in REPORTED_HASHES
        if (value := record.value(name)) is not None
    ]
    found = ", ".join(
        f"{m['bank']} entry {m['entry_id']} ({m['signal_type']}, distance {m['distance']})"
        for m in matches[:5]
    )
    name = Path(record.path).name
    when = modified or _modified(Path(record.path))
    return ReportIn(
        urls=[url],
        hashes=hashes,
        description=(
            f"Found by alliance scan: file {name!r} (modified {when}), content id "
            f"{member_id or name!r}; matches {found}"
        )[:5000],
        origin="scanner",
    )


def submit(client: httpx.Client, reports: Iterable[ReportIn]) -> list[dict[str, Any]]:
    """Send reports in batches; each batch's Idempotency-Key is its content's digest, so a
    scan run twice reports nothing twice. A refusal is the hub client's error for its status
    (:mod:`alliance.banks.hub_client`)."""
    pending = list(reports)
    receipts: list[dict[str, Any]] = []
    for start in range(0, len(pending), MAX_REPORTS_PER_BATCH):
        batch = {
            "reports": [
                r.model_dump(mode="json") for r in pending[start : start + MAX_REPORTS_PER_BATCH]
            ]
        }
        key = "scan-" + hashlib.sha256(json.dumps(batch, sort_keys=True).encode()).hexdigest()[:40]
        answer = post_json(client, "/api/v1/reports/batch", batch, headers={"Idempotency-Key": key})
        receipts += answer["reports"]
    return receipts
