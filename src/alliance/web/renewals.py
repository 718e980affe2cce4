"""Claims on reading a process's cached rows again before they lapse.

The rows a match request needs (its key, the banks, the watched hashes:
:mod:`alliance.web.recent_keys`, :mod:`~alliance.web.recent_banks`,
:mod:`~alliance.web.recent_watches`) are used for a fixed time after the read that
produced them began, never longer. Were they read again only once lapsed, every request
arriving during that read would take the route's slow path (a session, worker threads,
the same read again): on a busy server, a burst of dozens of slow requests a few times a
second, most of the service's worst latencies. Instead, from half their time on, the
first request to see them claims their next read, which runs on a worker thread
(:class:`alliance.web.match_lane.MatchLane`) while requests go on using the rows they
have. One read at a time per value; a claim lapses after the value's time (a read that
failed or never ran), and a read that was under way when its cache was cleared (a change
made through this process) is not kept: it may predate the change.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Renewals(Generic[K]):
    """The claims on one cache's reads. Not locked: its cache calls it under its lock."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._claims: dict[K, float] = {}
        self._generation = 0

    def claim(self, key: K, read_at: float) -> int | None:
        """Claim the next read of the value read at ``read_at``: a claim to hand to
        :meth:`settle`, or None (not yet due, being read, or lapsed: then the request
        that finds it so reads it itself, as it always has)."""
        now = self._clock()
        if not read_at + self._seconds / 2 <= now < read_at + self._seconds:
            return None
        if self._claims.get(key, -math.inf) > now:
            return None
        self._claims[key] = now + self._seconds
        return self._generation

    def run(
        self,
        lock: threading.Lock,
        key: K,
        claim: int,
        read: Callable[[], T],
        keep: Callable[[T], None],
    ) -> None:
        """Make the claimed read, then ``keep`` what it found under the cache's ``lock``
        unless the cache was cleared meanwhile. A read that fails keeps nothing."""
        try:
            found = read()
        except BaseException:
            with lock:
                self.settle(key, claim)
            raise
        with lock:
            if self.settle(key, claim):
                keep(found)

    def settle(self, key: K, claim: int) -> bool:
        """The claimed read is over: may what it found be kept?"""
        self._claims.pop(key, None)
        return claim == self._generation

    def clear(self) -> None:
        """The cache was cleared: no read under way may keep what it found."""
        self._claims.clear()
        self._generation += 1
