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
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from alliance.errors import AllianceError, InvalidInput, NotAuthenticated, PermissionDenied
from alliance.takedown.schemas import MAX_REPORTS_PER_BATCH, HashIn, ReportIn

REPORTED_HASHES = ("md5", "sha1", "sha256", "pdq")


class ReportingFailed(AllianceError):
    code = "reporting_failed"


def public_url(template: str, path: Path, roots: Sequence[Path]) -> str:
    """Where ``path`` is published: ``template`` with ``{path}`` replaced by the file's path
    relative to the scanned folder it was found in (URL-quoted)."""
    if "{path}" not in template:
        raise InvalidInput(
            "--url-template must contain {path}, e.g. https://cdn.example.test/{path}"
        )
    resolved = path.resolve()
    relative = Path(path.name)
    for root in roots:
        base = root.resolve()
        if base.is_dir() and resolved.is_relative_to(base):
            relative = resolved.relative_to(base)
            break
    return template.replace("{path}", quote(relative.as_posix()))


def report_for(record: dict[str, Any], url: str) -> ReportIn | None:
    """The report for one scan record, or None when it did not match."""
    matches = record.get("matches") or []
    if not matches:
        return None
    hashes = [
        HashIn(signal_type=name, value=str(record[name]))
        for name in REPORTED_HASHES
        if isinstance(record.get(name), str)
    ]
    found = ", ".join(
        f"{m['bank']} entry {m['entry_id']} ({m['signal_type']}, distance {m['distance']})"
        for m in matches[:5]
    )
    return ReportIn(
        urls=[url],
        hashes=hashes,
        description=f"Found by alliance scan: matches {found}",
        origin="scanner",
    )


def submit(client: httpx.Client, reports: Iterable[ReportIn]) -> list[dict[str, Any]]:
    """Send reports in batches; each batch's Idempotency-Key is its content's digest, so a
    scan run twice reports nothing twice."""
    pending = list(reports)
    receipts: list[dict[str, Any]] = []
    for start in range(0, len(pending), MAX_REPORTS_PER_BATCH):
        batch = {
            "reports": [
                r.model_dump(mode="json") for r in pending[start : start + MAX_REPORTS_PER_BATCH]
            ]
        }
        key = "scan-" + hashlib.sha256(json.dumps(batch, sort_keys=True).encode()).hexdigest()[:40]
        try:
            response = client.post(
                "/api/v1/reports/batch", json=batch, headers={"Idempotency-Key": key}
            )
        except httpx.HTTPError as exc:
            raise ReportingFailed(f"cannot reach the platform: {exc}") from None
        if response.status_code not in (200, 201):
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            error = {401: NotAuthenticated, 403: PermissionDenied, 400: InvalidInput}.get(
                response.status_code, ReportingFailed
            )
            raise error(f"platform answered {response.status_code}: {message}")
        receipts += response.json()["reports"]
    return receipts
