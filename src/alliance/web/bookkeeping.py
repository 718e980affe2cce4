"""The writes that authentication causes, kept off the busy path.

Authentication only reads. What it must still write goes through here, in short
transactions of its own:

- a key's or a web session's last use, at most once a minute per key (:class:`Throttle`);
- refusals (an unknown or revoked key, a missing CSRF token), audited by
  :class:`RefusalAudit`: the first few of a kind (same key prefix or path, reason and
  address) at once, the rest of a burst as one event per kind and interval that says how
  many there were (``count``). A flood of bad keys thus costs a bounded number of audit
  writes instead of one serial write on SQLite's one writer per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from alliance.db.session import writing

#: The interval: within it, the first few refusals of a kind are audited at once ...
SUMMARY_SECONDS = 10.0
AT_ONCE_PER_KIND = 5
#: ... and at most this many of all kinds (many addresses at once are still a bounded
#: number of writes); the rest are counted into one summary event per kind.
AT_ONCE_PER_INTERVAL = 20

#: Writes one refusal event; its argument is how many identical refusals it stands for.
RefusalWrite = Callable[[Session, int], None]


class Throttle:
    """Whether something keyed by ``key`` is due again: true at most once per interval."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self._last: dict[Hashable, float] = {}

    def pending(self, key: Hashable) -> bool:
        """Whether :meth:`due` would be true now, without counting this as the time."""
        with self._lock:
            return time.monotonic() - self._last.get(key, -self._seconds) >= self._seconds

    def due(self, key: Hashable) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -self._seconds) < self._seconds:
                return False
            if len(self._last) > 10_000:  # forget the stale ones now and then
                self._last = {k: t for k, t in self._last.items() if now - t < self._seconds}
            self._last[key] = now
            return True


@dataclass
class _Tally:
    count: int
    write: RefusalWrite


class RefusalAudit:
    """Refusals audited at once, or in summary during a burst (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        seconds: float = SUMMARY_SECONDS,
        per_kind: int = AT_ONCE_PER_KIND,
        at_once: int = AT_ONCE_PER_INTERVAL,
    ) -> None:
        self._sessions = sessions
        self._seconds = seconds
        self._per_kind = per_kind
        self._at_once = at_once
        self._lock = threading.Lock()
        self._pending: dict[Hashable, _Tally] = {}
        self._window_start = -seconds
        self._written: dict[Hashable, int] = {}  # in this window, by kind

    @property
    def seconds(self) -> float:
        return self._seconds

    def note(self, kind: Hashable, write: RefusalWrite) -> None:
        """Audit one refusal of ``kind``; ``write`` records it (with a count) when due."""
        now = time.monotonic()
        with self._lock:
            due: dict[Hashable, _Tally] = {}
            if now - self._window_start >= self._seconds:
                # A new window: last window's summaries go out with this refusal.
                self._window_start, self._written = now, {}
                due, self._pending = self._pending, {}
            written = self._written.get(kind, 0)
            if written < self._per_kind and sum(self._written.values()) < self._at_once:
                self._written[kind] = written + 1
                earlier = due.get(kind)
                due[kind] = _Tally((earlier.count if earlier else 0) + 1, write)
            else:
                tally = self._pending.get(kind)
                self._pending[kind] = _Tally((tally.count if tally else 0) + 1, write)
        self._write(due)

    def flush(self) -> int:
        """Write the summaries of everything counted so far; returns how many events."""
        with self._lock:
            batch, self._pending = self._pending, {}
        self._write(batch)
        return len(batch)

    def _write(self, batch: dict[Hashable, _Tally]) -> None:
        if batch:
            with writing(self._sessions) as session:
                for tally in batch.values():
                    tally.write(session, tally.count)
