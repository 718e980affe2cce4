"""Bulk scans: objects of a bucket or a folder, in batches, on any engine, restartable.

The core is engine-neutral: :func:`scan_batch` turns a :class:`Batch` (a source, some
object refs, where the synced banks are) into result records, in whatever process runs
it. It opens the banks once per process and keeps them (their PDQ indexes are memory
mapped, so the processes of a node share one copy in the page cache). An engine is an
:class:`Executor` that runs batches and hands back their records as they finish:
:class:`InProcesses` (this machine's processes, as ``alliance scan --jobs``) here, Ray in
:mod:`alliance.scanner.ray_scan`.

The driver (:func:`scan_pending`) lists the source, leaves out what the results file
already holds (:mod:`alliance.scanner.checkpoint`), sends the rest in batches and appends
each batch's records as it comes back. Every object listed gets exactly one record: its
hashes and matches, its file digests and ``not_media`` when it is not a picture, or an
``error`` when it vanished, changed or could not be read; the scan goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from alliance.banks.local_store import LocalBankStore
from alliance.errors import ConfigurationError
from alliance.hashing import parallel
from alliance.hashing.record import HashRecord
from alliance.scanner.checkpoint import ResultsFile
from alliance.scanner.objects import LocalSource, ObjectRef, ObjectUnavailable, S3Source
from alliance.scanner.services import hash_for_scan, match_record

#: Objects a task scans: large enough that a task's overhead (a few ms on Ray) is small
#: next to its pictures (about 8 ms each), small enough that a lost worker costs little.
DEFAULT_BATCH = 32


@dataclass(frozen=True, slots=True)
class Batch:
    source: LocalSource | S3Source
    refs: tuple[ObjectRef, ...]
    #: The folder of the synced banks, at the same path on every node.
    store: str
    #: Each bank's checkpoint as the driver saw it: every node must match at the same.
    checkpoints: tuple[tuple[str, int], ...]


def checkpoints_of(store: LocalBankStore) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((name, store.checkpoint(name)) for name in store.banks))


#: The banks opened by this process, by folder.
_STORES: dict[str, LocalBankStore] = {}


def worker_store(root: str, expected: tuple[tuple[str, int], ...]) -> LocalBankStore:
    """The banks at ``root``, opened once per process (again after a sync), and
    refused when they are not at the checkpoints the scan was started with: results from
    nodes whose banks differ would not be comparable."""
    store = _STORES.get(root)
    if store is None or checkpoints_of(store) != expected:
        parallel.limit_blas_threads()  # one BLAS thread: PDQ runs ~3x faster
        store = LocalBankStore.open(Path(root))
        _STORES[root] = store
    found = checkpoints_of(store)
    if found != expected:
        raise ConfigurationError(
            f"the banks at {root} on this node are at {dict(found)}, the scan's at "
            f"{dict(expected)}: run `alliance sync` on every node, then scan again"
        )
    return store


def _renamed(record: HashRecord, local: str, name: str) -> HashRecord:
    """The record of a temporary copy, named as the object (messages included)."""
    return replace(
        record,
        path=name,
        error=None if record.error is None else record.error.replace(local, name),
        not_media=None if record.not_media is None else record.not_media.replace(local, name),
    )


def scan_object(
    source: LocalSource | S3Source, ref: ObjectRef, store: LocalBankStore
) -> dict[str, Any]:
    """One object's record: ``alliance scan``'s JSON line with ``etag`` and ``size``."""
    name = source.name(ref)
    try:
        with source.local_copy(ref) as path:
            record = _renamed(hash_for_scan(path), str(path), name)
    except ObjectUnavailable as exc:
        record = HashRecord(name, error=exc.message)
    out = match_record(store, record).to_dict()
    out.update(etag=ref.etag, size=ref.size, modified=ref.modified)
    return out


def scan_batch(batch: Batch) -> list[dict[str, Any]]:
    """The records of a batch's objects, in order (runs wherever the engine puts it)."""
    store = worker_store(batch.store, batch.checkpoints)
    return [scan_object(batch.source, ref, store) for ref in batch.refs]


class Executor(Protocol):
    def run(self, batches: Iterator[Batch]) -> Iterator[list[dict[str, Any]]]:
        """Each batch's records, in the order the batches finish."""
        ...


@dataclass(frozen=True, slots=True)
class InProcesses:
    """Batches on this machine's processes (in this process for one job)."""

    jobs: int = 1

    def run(self, batches: Iterator[Batch]) -> Iterator[list[dict[str, Any]]]:
        return parallel.map_in_processes(scan_batch, batches, self.jobs)


@dataclass
class BulkSummary:
    listed: int = 0
    #: Objects whose record an earlier run wrote (skipped now).
    already: int = 0
    scanned: int = 0
    matched: int = 0
    not_media: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def count(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self.scanned += 1
            if "error" in record:
                self.skipped.append((record["path"], record["error"]))
            else:
                self.matched += bool(record["matches"])
                self.not_media += "not_media" in record


def pending_objects(
    source: LocalSource | S3Source, results: ResultsFile, summary: BulkSummary
) -> list[ObjectRef]:
    """The objects listed whose version has no record yet."""
    listed = list(source.list())
    pending = [ref for ref in listed if not results.is_done(source.name(ref), ref)]
    summary.listed, summary.already = len(listed), len(listed) - len(pending)
    return pending


def batches_of(
    source: LocalSource | S3Source,
    refs: Sequence[ObjectRef],
    store: LocalBankStore,
    size: int = DEFAULT_BATCH,
) -> Iterator[Batch]:
    checkpoints = checkpoints_of(store)
    for start in range(0, len(refs), size):
        yield Batch(source, tuple(refs[start : start + size]), str(store.root), checkpoints)


def scan_pending(
    source: LocalSource | S3Source,
    pending: Sequence[ObjectRef],
    store: LocalBankStore,
    results: ResultsFile,
    executor: Executor,
    *,
    batch_size: int = DEFAULT_BATCH,
    summary: BulkSummary | None = None,
    on_batch: Callable[[list[dict[str, Any]]], None] | None = None,
) -> BulkSummary:
    """Scan ``pending`` on ``executor``, each batch's records appended to ``results`` as
    it finishes (then ``on_batch`` is called with them, before more batches are sent)."""
    summary = summary if summary is not None else BulkSummary()
    for records in executor.run(batches_of(source, pending, store, batch_size)):
        results.append(records)
        summary.count(records)
        if on_batch is not None:
            on_batch(records)
    return summary
