"""A matcher replica: a member's synced banks answered from memory while the next sync is
applied on disk beside them, then swapped in whole.

Run N of them (``alliance matcher``) behind any HTTP load balancer: each keeps a store of
its own (:class:`~alliance.banks.local_store.LocalBankStore`), syncs it from the platform
on its own schedule (every ``interval`` seconds, drawn at random within ``± jitter`` of it
so replicas do not all ask at once), and answers from the store it last loaded.

**The swap.** A sync is applied by a store object of its own (files replaced atomically,
deltas appended to the log); the store is then loaded whole (every bank's entries and
index, so nothing is read from a file later) and put in place of the one answering by
one assignment. A query holds the store it started with: it never sees half a sync. The
old store's mapped files stay readable until it is dropped (a replaced file keeps its
data while it is mapped).

**A crash.** The store on disk is always one a restart can open (see ``local_store``):
a replica killed during a sync restarts on the last complete state, and the same delta is
applied again, harmlessly.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliance.banks.local_store import LocalBankStore, LocalMatch
from alliance.banks.sync import SyncReport
from alliance.errors import InvalidInput
from alliance.hashing import signals

log = logging.getLogger(__name__)

#: What a replica's sync does: bring a store to the platform's signed manifest.
SyncStep = Callable[[LocalBankStore], SyncReport]


def loaded(root: Path) -> LocalBankStore:
    """The store at ``root`` with everything read: every bank's entries, the PDQ index
    mapped, the other signals' lookups made."""
    store = LocalBankStore.open(root)
    for name in store.banks:
        store.entries(name)
        store.pdq_index(name)
        store.find("md5", "0" * 32, [name])  # builds the bank's digest lookup
    return store


@dataclass
class Health:
    syncs: int = 0
    failures: int = 0
    last_sync_at: float | None = None
    last_error: str | None = None
    swapped_at: float = field(default_factory=time.time)


class Replica:
    """The banks one matcher answers from, and the thread that keeps them synced."""

    def __init__(
        self,
        root: Path,
        sync: SyncStep | None = None,
        *,
        interval: float = 300.0,
        jitter: float = 0.2,
    ) -> None:
        if interval <= 0 or not 0 <= jitter < 1:
            raise InvalidInput("the sync interval must be positive and the jitter in [0, 1)")
        self.root = root
        self._sync = sync
        self.interval = interval
        self.jitter = jitter
        self._store = loaded(root)
        self.health = Health()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._syncing = threading.Lock()

    @property
    def store(self) -> LocalBankStore:
        return self._store

    def checkpoints(self) -> dict[str, int]:
        store = self._store
        return {name: store.checkpoint(name) for name in sorted(store.banks)}

    def refresh(self) -> SyncReport:
        """Sync now (if a sync step is set), then swap in the store as the disk holds it."""
        with self._syncing:
            report = SyncReport()
            try:
                if self._sync is not None:
                    report = self._sync(LocalBankStore.open(self.root))
                fresh = loaded(self.root)
            except Exception as exc:
                self.health.failures += 1
                self.health.last_error = f"{type(exc).__name__}: {exc}"
                raise
            self._store = fresh  # the swap: one assignment; queries hold the old one
            now = time.time()
            self.health.syncs += 1
            self.health.swapped_at = self.health.last_sync_at = now
            self.health.last_error = None
            return report

    def next_wait(self) -> float:
        return self.interval * (1 + random.uniform(-self.jitter, self.jitter))  # noqa: S311

    def start(self) -> None:
        """Sync in a background thread until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="replica-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.next_wait()):
            try:
                self.refresh()
            except Exception as exc:  # the replica goes on answering from its last store
                log.warning("sync failed; answering from the last store: %s", exc)

    def match(
        self,
        queries: Iterable[tuple[str, str, Mapping[str, str] | None]],
        banks: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Each (signal type, signal, its further forms)'s matches, closest first (one
        per entry: its closest form), and the banks' sequences they were answered at:
        all from one store, whatever swap happens meanwhile."""
        store = self._store
        wanted = list(banks) if banks is not None else None
        if wanted is not None and (unknown := sorted(set(wanted) - store.banks.keys())):
            raise InvalidInput(f"no synced bank named {unknown[0]!r}")
        results = []
        for number, (signal_type, value, forms) in enumerate(queries, 1):
            try:
                kind = signals.get(signal_type)
                asked = {"original": value, **(forms or {})}
                normalised = {form: kind.validate(text.strip()) for form, text in asked.items()}
            except InvalidInput as exc:
                raise InvalidInput(f"signal {number}: {exc.message}") from None
            best: dict[tuple[str, int], tuple[LocalMatch, str]] = {}
            silenced: set[str] = set()
            for form, text in normalised.items():
                found, silencing = store.find(signal_type, text, wanted, form=form)
                silenced.update(silencing)
                for match in found:
                    key = (match.bank, int(match.entry["id"]))
                    if key not in best or match.distance < best[key][0].distance:
                        best[key] = (match, form)
            ordered = sorted(
                best.values(), key=lambda p: (p[0].distance, p[0].bank, p[0].entry["id"])
            )
            results.append(
                {
                    "signal_type": signal_type,
                    "signal": normalised["original"],
                    "matches": []
                    if silenced
                    else [{**m.to_dict(), "query_form": f} for m, f in ordered],
                    "suppressed_by": sorted(silenced),
                }
            )
        return {
            "results": results,
            "banks": {name: store.checkpoint(name) for name in sorted(store.banks)},
        }
