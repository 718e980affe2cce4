"""The writes that authentication causes, kept off the busy path.

Authentication only reads. What it must still write goes through here, in short
transactions of its own:

- a key's or a web session's last use, at most once a minute per key (:class:`Throttle`);
- refusals (an unknown or revoked key, a missing CSRF token), audited by
  :class:`RefusalAudit`: the first of a kind at once, a burst of the same kind (same key
  prefix or path, reason and address) as one event per interval that says how many there
  were. A flood of bad keys thus costs a bounded number of audit writes instead of one
  serial write on SQLite's one writer per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from alliance.db.session import writing

#: Identical refusals within this many seconds are audited together.
SUMMARY_SECONDS = 10.0
#: At most this many refusals are written at once per interval; the rest wait for the
#: summary (many addresses at once are still a bounded number of writes).
IMMEDIATE_PER_INTERVAL = 10

#: Writes one refusal event; its argument is how many identical refusals it stands for.
RefusalWrite = Callable[[Session, int], None]


class Throttle:
    """Whether something keyed by ``key`` is due again: true at most once per interval."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self._last: dict[Hashable, float] = {}

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
        immediate: int = IMMEDIATE_PER_INTERVAL,
    ) -> None:
        self._sessions = sessions
        self._seconds = seconds
        self._immediate = immediate
        self._lock = threading.Lock()
        self._pending: dict[Hashable, _Tally] = {}
        self._recent = Throttle(seconds)
        self._window_start = 0.0
        self._written_in_window = 0

    @property
    def seconds(self) -> float:
        return self._seconds

    def note(self, kind: Hashable, write: RefusalWrite) -> None:
        """Audit one refusal of ``kind``; ``write`` records it (with a count) when due."""
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= self._seconds:
                self._window_start, self._written_in_window = now, 0
            tally = self._pending.pop(kind, None)
            count = (tally.count if tally else 0) + 1
            at_once = self._written_in_window < self._immediate and self._recent.due(kind)
            if not at_once:
                self._pending[kind] = _Tally(count, write)
                return
            self._written_in_window += 1
        with writing(self._sessions) as session:
            write(session, count)

    def flush(self) -> int:
        """Write the summaries of everything counted so far; returns how many events."""
        with self._lock:
            batch, self._pending = self._pending, {}
        if batch:
            with writing(self._sessions) as session:
                for tally in batch.values():
                    tally.write(session, tally.count)
        return len(batch)
