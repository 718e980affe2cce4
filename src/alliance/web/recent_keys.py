"""API keys accepted lately, so that a busy client's requests do not each read its key.

A key accepted is trusted for :data:`TRUSTED_SECONDS` in this process, then read again: a
key revoked or expired, or one whose organisation was deactivated, is refused at once by
the process that made the change (it forgets every key, :meth:`RecentKeys.clear`) and
within that time by the others, and a client sending hundreds of requests a second costs
a read of its key or two a second: the match lane has it read again in the background
from half that second on (:mod:`alliance.web.renewals`). Entries are keyed by the
token's SHA-256, so the tokens themselves are not kept; refusals are never cached (each
is audited, :mod:`alliance.web.bookkeeping`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from alliance.accounts.policy import Principal
from alliance.web.renewals import Renewals

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
        self._renewals: Renewals[bytes] = Renewals(seconds, clock)

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
            self._renewals.clear()

    def renewal_due(self, token: str) -> int | None:
        """A claim on reading ``token``'s key again when it is past half its time (None:
        not due, being read, or not accepted lately), for :meth:`renew`."""
        key = self._digest(token)
        with self._lock:
            found = self._accepted.get(key)
            if found is None:
                return None
            return self._renewals.claim(key, found[1] - self._seconds)

    def renew(self, token: str, claim: int, read: Callable[[], object]) -> None:
        """Read ``token``'s key again, as claimed (in the background): ``read`` answers the
        principal it stands for, or anything else if it is refused now (then it is
        forgotten here, and its next request is refused by the route, audited)."""
        key = self._digest(token)
        until = self._clock() + self._seconds

        def keep(outcome: object) -> None:
            if isinstance(outcome, Principal):
                self._accepted[key] = (outcome, until)
            else:
                self._accepted.pop(key, None)

        self._renewals.run(self._lock, key, claim, read, keep)

    def put(self, token: str, principal: Principal) -> None:
        now = self._clock()
        with self._lock:
            if len(self._accepted) >= self._limit:  # drop what has lapsed, or everything
                self._accepted = {k: v for k, v in self._accepted.items() if v[1] > now}
                if len(self._accepted) >= self._limit:
                    self._accepted.clear()
                    self._renewals.clear()
            self._accepted[self._digest(token)] = (principal, now + self._seconds)
