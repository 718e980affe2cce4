"""Scanning files against the member's local copy of its banks.

Files are hashed on worker processes (:mod:`alliance.hashing.parallel`); matching runs in
the parent against :class:`~alliance.banks.local_store.LocalBankStore`, so nothing but the
member's own machine is involved and no media leave it. A file that cannot be read or is
not media is a record with ``error``: the scan goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliance.banks.local_store import LocalBankStore, LocalMatch
from alliance.errors import AllianceError
from alliance.hashing import crypto, parallel, signals, variants
from alliance.hashing.errors import InvalidMedia

CRYPTO_SIGNALS = ("md5", "sha1", "sha256")
# PDQ for pictures, vPDQ for videos (by suffix), the file hashes for everything.
SCAN_SIGNALS = ("pdq", "vpdq", *CRYPTO_SIGNALS)
#: PDQ hashes below this quality are too noisy to match on (Meta's guidance).
MIN_PDQ_QUALITY = 50
#: Query forms searched besides a picture's own PDQ: its middle strip, which finds banked
#: pictures under meme text or a caption band (:data:`alliance.hashing.variants.STRIPS`).
PDQ_QUERY_FORMS = tuple(name for name, _ in variants.STRIPS)


def hash_for_scan(path: Path) -> dict[str, Any]:
    """Hash one file for scanning (runs on a worker process).

    A file that is not a picture still gets its cryptographic hashes (shared lists hold
    MD5s of videos and archives); ``not_media`` says why it has no PDQ. A file that cannot
    be read at all is an ``error``.
    """
    try:
        return signals.hash_media(path, SCAN_SIGNALS, overlays=True)
    except InvalidMedia as not_media:
        try:
            digests = crypto.digest_file(path, CRYPTO_SIGNALS)
        except (AllianceError, OSError) as exc:
            return {"path": str(path), "error": getattr(exc, "message", str(exc))}
        return {"path": str(path), **digests, "not_media": not_media.message}
    except AllianceError as exc:
        return {"path": str(path), "error": exc.message}


def _match_out(match: LocalMatch) -> dict[str, Any]:
    entry = match.entry
    return {
        "bank": match.bank,
        "entry_id": entry["id"],
        "signal_type": entry["signal_type"],
        "distance": match.distance,
        "variant": match.variant,
        "classification": entry["classification"],
        "verified": entry["verified"],
        "votes": entry["votes"],
        "confirmed": entry["confirmed"],
        "disputed": entry["disputed"],
        "flagged": entry["flagged"],
        "contributor": entry["contributor"],
    }


def _queries(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(signal type, value) to look up for one hashed file."""
    for name in SCAN_SIGNALS:
        value = record.get(name)
        if not isinstance(value, str):
            continue
        if name == "pdq":
            if int(record.get("pdq_quality", 0)) < MIN_PDQ_QUALITY:
                continue
            forms = record.get("pdq_variants") or {}
            yield from (("pdq", forms[form]) for form in PDQ_QUERY_FORMS if form in forms)
        yield name, value


def match_record(store: LocalBankStore, record: dict[str, Any]) -> dict[str, Any]:
    """Add ``matches`` (closest first, one per bank entry) and ``suppressed_by``."""
    if "error" in record:
        return record
    found: dict[tuple[str, int], LocalMatch] = {}
    silenced: set[str] = set()
    for name, value in _queries(record):
        matches, suppressors = store.find(name, value)
        silenced.update(suppressors)
        for match in matches:
            key = (match.bank, int(match.entry["id"]))
            if key not in found or match.distance < found[key].distance:
                found[key] = match
    ordered = sorted(found.values(), key=lambda m: (m.distance, m.bank, m.entry["id"]))
    return {
        **record,
        "matches": [] if silenced else [_match_out(m) for m in ordered],
        "suppressed_by": sorted(silenced),
    }


@dataclass
class ScanSummary:
    files: int = 0
    matched: int = 0
    not_media: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def scan(
    files: Iterable[Path],
    store: LocalBankStore,
    *,
    jobs: int = 1,
    summary: ScanSummary | None = None,
) -> Iterator[dict[str, Any]]:
    """One record per file, in order: its signals and its matches, or its error."""
    summary = summary if summary is not None else ScanSummary()
    for record in parallel.map_in_processes(hash_for_scan, list(files), jobs):
        result = match_record(store, record)
        summary.files += 1
        if "error" in result:
            summary.skipped.append((str(result["path"]), str(result["error"])))
        else:
            summary.matched += bool(result["matches"])
            summary.not_media += "not_media" in result
        yield result
