"""Every bank's row as read lately, so that a match request need not read them.

A match is most often a miss: with the banks' rows at hand (and the API key accepted
lately, :mod:`alliance.web.recent_keys`), a request that matches nothing reads nothing
from the database. The rows are read again after :data:`FRESH_SECONDS`, and at once when
this process changes a bank or an organisation (:meth:`RecentBanks.clear`, on flush): a
change made through another process reaches this one within that time, a new entry
included (its bank's ``revision`` is what the match index follows), and who may see a
bank is decided on each request from the rows (``banks.services.can_see``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from alliance.banks import services as banks
from alliance.banks.models import Bank

FRESH_SECONDS = 0.5


class RecentBanks:
    def __init__(
        self, seconds: float = FRESH_SECONDS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: tuple[list[Bank], float] | None = None

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
        # Copies that belong to no session: the request that read them may roll back,
        # which would expire its own objects under every other request using them.
        rows = [_copy(bank) for bank in banks.all_banks(session)]
        with self._lock:
            self._rows = (rows, self._clock() + self._seconds)
        return rows

    def clear(self) -> None:
        with self._lock:
            self._rows = None


def _copy(bank: Bank) -> Bank:
    """``bank``'s columns in a new, transient object (its relationships not loaded)."""
    return Bank(**{column.key: getattr(bank, column.key) for column in Bank.__table__.columns})
