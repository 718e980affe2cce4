"""Finding a signal in one bank: the exact PDQ index, SQL equality, vPDQ comparison.

A bank's PDQ index is built from its live entries on first use and kept in memory,
keyed by the bank's ``revision`` (which every change replaces), so a change is matchable
on the next query without any rebuild step to run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.banks.models import Bank, BankEntry
from alliance.hashing import video
from alliance.matching.pdq_index import PdqIndex

_CACHE_SIZE = 32
_cache: OrderedDict[tuple[str, str], PdqIndex] = OrderedDict()
_lock = threading.Lock()


def pdq_index(session: Session, bank: Bank) -> PdqIndex:
    key = (bank.uid, bank.revision)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    rows = session.execute(
        select(BankEntry.id, BankEntry.signal_value).where(
            BankEntry.bank_id == bank.id,
            BankEntry.signal_type == "pdq",
            BankEntry.removed_at.is_(None),
        )
    ).all()
    index = PdqIndex.build([value for _, value in rows], [str(i) for i, _ in rows])
    with _lock:
        for stale in [k for k in _cache if k[0] == bank.uid]:
            del _cache[stale]
        _cache[key] = index
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def find(session: Session, bank: Bank, signal_type: str, value: str) -> list[tuple[BankEntry, int]]:
    """Live entries of ``bank`` that ``value`` (already normalised) matches, with distance."""
    if signal_type == "pdq":
        hits = pdq_index(session, bank).search(value, bank.pdq_threshold)
        distances = {int(hit.id): hit.distance for hit in hits}
        if not distances:
            return []
        entries = session.execute(select(BankEntry).where(BankEntry.id.in_(distances))).scalars()
        return [(e, distances[e.id]) for e in entries]
    if signal_type == "vpdq":
        query = video.VpdqHash.from_text(value)
        found = []
        for entry in session.execute(
            select(BankEntry).where(
                BankEntry.bank_id == bank.id,
                BankEntry.signal_type == "vpdq",
                BankEntry.removed_at.is_(None),
            )
        ).scalars():
            result = video.compare_videos(query, video.VpdqHash.from_text(entry.signal_value))
            if video.is_match(result):
                found.append((entry, round(100 - result.query_match_percent)))
        return found
    entries = session.execute(
        select(BankEntry).where(
            BankEntry.bank_id == bank.id,
            BankEntry.signal_type == signal_type,
            BankEntry.signal_value == value,
            BankEntry.removed_at.is_(None),
        )
    ).scalars()
    return [(e, 0) for e in entries]
