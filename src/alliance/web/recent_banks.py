"""Every bank's row as read lately, so that a match request need not read them.

A match is most often a miss: with the banks' rows at hand (and the API key accepted
lately, :mod:`alliance.web.recent_keys`), a request that matches nothing reads nothing
from the database. The rows are read again after :data:`FRESH_SECONDS`, and at once when
this process changes a bank or an organisation (:meth:`RecentBanks.clear`, on flush): a
change made through another process reaches this one within that time, a new entry
included (its bank's ``revision`` is what the match index follows), and who may see a
bank is decided on each request from the rows (``banks.services.can_see``). The match
lane has them read again in the background from half that time on
(:mod:`alliance.web.renewals`), so that its requests do not wait on the read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from alliance.banks import services as banks
from alliance.banks.models import Bank
from alliance.web.renewals import Renewals

FRESH_SECONDS = 0.5


class RecentBanks:
    def __init__(
        self, seconds: float = FRESH_SECONDS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: tuple[list[Bank], float] | None = None
        self._renewals: Renewals[None] = Renewals(seconds, clock)

    def fresh(self) -> list[Bank] | None:
        """Every bank, if read within the last ``seconds``; None if they are due a read."""
        with self._lock:
            if self._rows is not None and self._clock() < self._rows[1]:
                return self._rows[0]
            return None

    def all(self, session: Session) -> list[Bank]:
        """Every bank, read within the last ``seconds`` (through ``session`` if not)."""
        if (rows := self.fresh()) is not None:
            return rows
        read = self._read(session)
        with self._lock:
            self._keep(read)
        return read[0]

    def renewal_due(self) -> int | None:
        """A claim on the rows' next read when they are past half their time (None: not
        due, being read, or not read at all), for :meth:`renew`."""
        with self._lock:
            if self._rows is None:
                return None
            return self._renewals.claim(None, self._rows[1] - self._seconds)

    def renew(self, session: Session, claim: int) -> None:
        """Read the rows again, as claimed (in the background)."""
        self._renewals.run(self._lock, None, claim, lambda: self._read(session), self._keep)

    def _keep(self, read: tuple[list[Bank], float]) -> None:
        self._rows = read

    def clear(self) -> None:
        with self._lock:
            self._rows = None
            self._renewals.clear()

    def _read(self, session: Session) -> tuple[list[Bank], float]:
        """The rows, and until when they may be used (counted from before the read)."""
        until = self._clock() + self._seconds
        # Copies that belong to no session: the request that read them may roll back,
        # which would expire its own objects under every other request using them.
        return [_copy(bank) for bank in banks.all_banks(session)], until


def _copy(bank: Bank) -> Bank:
    """``bank``'s columns in a new, transient object (its relationships not loaded)."""
    return Bank(**{column.key: getattr(bank, column.key) for column in Bank.__table__.columns})
