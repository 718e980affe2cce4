"""Every hash a deconfliction target watches, as read lately, so that a match on another
hash can be answered without the database (alliance.web.match_lane).

A match on a watched hash alerts the agency that watches it, in the match's transaction
(alliance.banks.services.match); a match on any other hash writes nothing but its event.
The hashes are read again when the watched hashes' sequence number has moved
(:func:`alliance.cooperation.services.watch_sequence`), which is read at most every
:data:`FRESH_SECONDS` and at once when this process registers or ends a target. A hash
an agency starts watching through another process therefore alerts on every match
answered here from that half second on; until then, as a bank's new entry, it is not yet
seen (docs/scale.md). The match lane has the sequence read again in the background from
half that time on (:mod:`alliance.web.renewals`), so that its requests do not wait on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from alliance.cooperation import services as cooperation
from alliance.web.renewals import Renewals

FRESH_SECONDS = 0.5


class RecentWatches:
    def __init__(
        self, seconds: float = FRESH_SECONDS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._hashes: frozenset[str] = frozenset()
        self._sequence: int | None = None
        self._until = 0.0
        self._renewals: Renewals[None] = Renewals(seconds, clock)

    def fresh(self) -> frozenset[str] | None:
        """The watched hashes, if checked within the last ``seconds``; None if due."""
        with self._lock:
            if self._sequence is not None and self._clock() < self._until:
                return self._hashes
            return None

    def all(self, session: Session) -> frozenset[str]:
        """The watched hashes, checked within the last ``seconds`` (through ``session``
        if not: one row, and the hashes again only if their sequence moved)."""
        if (hashes := self.fresh()) is not None:
            return hashes
        read = self._read(session)
        with self._lock:
            self._keep(read)
        return read[0]

    def renewal_due(self) -> int | None:
        """A claim on the next check when the hashes are past half their time (None: not
        due, being checked, or never read), for :meth:`renew`."""
        with self._lock:
            if self._sequence is None:
                return None
            return self._renewals.claim(None, self._until - self._seconds)

    def renew(self, session: Session, claim: int) -> None:
        """Check the sequence again (and read the hashes if it moved), as claimed."""
        self._renewals.run(self._lock, None, claim, lambda: self._read(session), self._keep)

    def _keep(self, read: tuple[frozenset[str], int, float]) -> None:
        self._hashes, self._sequence, self._until = read

    def clear(self) -> None:
        with self._lock:
            self._sequence = None
            self._renewals.clear()

    def _read(self, session: Session) -> tuple[frozenset[str], int, float]:
        """The hashes, their sequence number, and until when they may be used."""
        until = self._clock() + self._seconds
        sequence = cooperation.watch_sequence(session)  # first: see the module docstring
        with self._lock:
            known = self._hashes if sequence == self._sequence else None
        if known is None:
            known = cooperation.watched_hashes(session)
        return known, sequence, until
