"""Scanning files against the member's local copy of its banks.

Files are hashed on worker processes (:mod:`alliance.hashing.parallel`); matching runs in
the parent against :class:`~alliance.banks.local_store.LocalBankStore`, so nothing but the
member's own machine is involved and no media leave it. A file that cannot be read or is
not media is a record with ``error``: the scan goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alliance.banks.local_store import LocalBankStore, LocalMatch
from alliance.errors import AllianceError
from alliance.hashing import parallel, signals
from alliance.hashing.errors import InvalidMedia
from alliance.hashing.record import HashRecord, hash_media
from alliance.hashing.signal_type import ContentType, HashOptions

#: Every registered signal: PDQ for pictures, vPDQ for videos (by suffix), the file
#: digests for everything.
SCAN_SIGNALS = tuple(signals.REGISTRY)
#: What a file that is not media still gets: the digests of its bytes.
FILE_SIGNALS = tuple(
    name for name, kind in signals.REGISTRY.items() if ContentType.file in kind.content_types
)
#: Hashes below this quality are too noisy to match on (Meta's guidance for PDQ).
MIN_QUALITY = 50


def hash_for_scan(path: Path) -> HashRecord:
    """Hash one file for scanning (runs on a worker process).

    A file that is not a picture still gets its file digests (shared lists hold MD5s of
    videos and archives); ``not_media`` says why it has no perceptual hash. A file that
    cannot be read at all is an ``error``.
    """
    try:
        return hash_media(path, SCAN_SIGNALS, HashOptions(query=True))
    except InvalidMedia as not_media:
        try:
            digests = hash_media(path, FILE_SIGNALS)
        except AllianceError as exc:
            return HashRecord(str(path), error=exc.message)
        return replace(digests, not_media=not_media.message)
    except AllianceError as exc:
        return HashRecord(str(path), error=exc.message)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One scanned file: its record and its matches (closest first, one per bank entry)."""

    record: HashRecord
    matches: list[dict[str, Any]] = field(default_factory=list)
    suppressed_by: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line of ``alliance scan``: the record, then ``matches`` and
        ``suppressed_by`` (left out for a file that could not be hashed)."""
        out = self.record.to_dict()
        if self.record.error is None:
            out.update(matches=self.matches, suppressed_by=self.suppressed_by)
        return out


def _queries(record: HashRecord) -> Iterator[tuple[str, str, str]]:
    """(signal type, query form, value) to look up for one hashed file: each signal with
    enough quality, and its query forms (:func:`alliance.hashing.variants.query_hashes`)."""
    for name, one in record.signals.items():
        if one.quality is not None and one.quality < MIN_QUALITY:
            continue
        yield name, "original", one.value
        yield from (
            (name, form, value) for form, value in one.variants.items() if form != "original"
        )


def match_record(store: LocalBankStore, record: HashRecord) -> ScanResult:
    """The record's matches in ``store`` and the suppression lists that silenced them."""
    if record.error is not None:
        return ScanResult(record)
    found: dict[tuple[str, int], tuple[LocalMatch, str]] = {}
    silenced: set[str] = set()
    for name, form, value in _queries(record):
        matches, suppressors = store.find(name, value, form=form)
        silenced.update(suppressors)
        for match in matches:
            key = (match.bank, int(match.entry["id"]))
            if key not in found or match.distance < found[key][0].distance:
                found[key] = (match, form)
    ordered = sorted(
        found.values(), key=lambda pair: (pair[0].distance, pair[0].bank, pair[0].entry["id"])
    )
    return ScanResult(
        record,
        matches=[] if silenced else [{**m.to_dict(), "query_form": f} for m, f in ordered],
        suppressed_by=sorted(silenced),
    )


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
) -> Iterator[ScanResult]:
    """One result per file, in order: its signals and its matches, or its error."""
    summary = summary if summary is not None else ScanSummary()
    for record in parallel.map_in_processes(hash_for_scan, list(files), jobs):
        result = match_record(store, record)
        summary.files += 1
        if record.error is not None:
            summary.skipped.append((record.path, record.error))
        else:
            summary.matched += bool(result.matches)
            summary.not_media += record.not_media is not None
        yield result
