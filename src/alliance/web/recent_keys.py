"""API keys accepted lately, so that a busy client's requests do not each read its key.

A key accepted is trusted for :data:`TRUSTED_SECONDS` in this process, then read again: a
key revoked or expired, or one whose organisation was deactivated, is refused at once by
the process that made the change (it forgets every key, :meth:`RecentKeys.clear`) and
within that time by the others, and a client sending hundreds of requests a second costs
one read of its key a second. Entries are keyed by the token's SHA-256, so the tokens themselves
are not kept; refusals are never cached (each is audited, :mod:`alliance.web.bookkeeping`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from alliance.accounts.policy import Principal

TRUSTED_SECONDS = 1.0
#: Keys remembered at most (one process rarely sees more callers than this a second).
LIMIT = 10_000


class RecentKeys:
    def __init__(
        self,
        seconds: float = TRUSTED_SECONDS,
        *,
        limit: int = LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted: dict[bytes, tuple[Principal, float]] = {}

    @staticmethod
    def _digest(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> Principal | None:
        """The principal ``token`` was accepted as within the last ``seconds``, or None."""
        key = self._digest(token)
        with self._lock:
            found = self._accepted.get(key)
            if found is None:
                return None
            principal, until = found
            if self._clock() >= until:
                del self._accepted[key]
                return None
            return principal

    def clear(self) -> None:
        """Forget every key: one was revoked or changed (or its organisation) here."""
        with self._lock:
            self._accepted.clear()

    def put(self, token: str, principal: Principal) -> None:
        now = self._clock()
        with self._lock:
            if len(self._accepted) >= self._limit:  # drop what has lapsed, or everything
                self._accepted = {k: v for k, v in self._accepted.items() if v[1] > now}
                if len(self._accepted) >= self._limit:
                    self._accepted.clear()
            self._accepted[self._digest(token)] = (principal, now + self._seconds)
