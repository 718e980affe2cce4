"""Computed figures kept for a few minutes, so that reading a report does not compute
every member's figures on each visit.

Computing every indicator reads every clock of the workflow tables: with a million
takedown items that takes seconds, and one country's report costs as much as the
alliance's (its small counts are hidden as in the alliance's report, which needs every
country's figures). So the pages (the live report, and the published report's "what
changed since") take figures computed at most ``ALLIANCE_REPORT_CACHE_SECONDS`` ago, and
the moment they were computed becomes the report's as-of time: what a report says is
exactly what was known at the time it states, never made up, only not newer.

Figures are kept per database, periods and member countries, in this process, a few sets
at a time. One computation runs at a time for a set; a reader asking for it meanwhile
waits for that one instead of starting another. A computation asked for an explicit
as-of time (a test, the command line) is never kept nor reused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alliance.db.base import utcnow
from alliance.reports.periods import Period
from alliance.reports.schemas import Value

#: How many sets of figures are kept (a set: one year's report, every member country).
ENTRIES = 8

_Key = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Computed:
    """Figures and the moment they were computed as of."""

    as_of: datetime
    values: list[Value]


_entries: OrderedDict[_Key, Computed] = OrderedDict()
_locks: dict[_Key, threading.Lock] = {}
_guard = threading.Lock()


def _key(session: Session, periods: Sequence[Period], countries: Sequence[str]) -> _Key:
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    return (database, tuple(p.key for p in periods), tuple(countries))


def computed(
    session: Session,
    periods: Sequence[Period],
    countries: Sequence[str],
    compute: Callable[[datetime], list[Value]],
    *,
    max_age: float,
) -> Computed:
    """The figures of ``periods`` and ``countries`` as ``compute(as_of)`` gives them:
    kept ones at most ``max_age`` seconds old (0: always computed now), or computed now
    and kept. The values are shared: never change them."""
    key = _key(session, periods, countries)
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if max_age > 0:
            with _guard:
                found = _entries.get(key)
            if found is not None and utcnow() - found.as_of <= timedelta(seconds=max_age):
                return found
        moment = utcnow()
        fresh = Computed(moment, compute(moment))
        with _guard:
            _entries[key] = fresh
            _entries.move_to_end(key)
            while len(_entries) > ENTRIES:
                gone, _ = _entries.popitem(last=False)
                _locks.pop(gone, None)
        return fresh


def clear() -> None:
    """Forget every kept set of figures."""
    with _guard:
        _entries.clear()
        _locks.clear()
