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

from alliance.banks.models import Bank, BankEntry, EntryVariant
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
    live = (
        BankEntry.bank_id == bank.id,
        BankEntry.signal_type == "pdq",
        BankEntry.removed_at.is_(None),
    )
    rows = [
        (i, v, "original")
        for i, v in session.execute(select(BankEntry.id, BankEntry.signal_value).where(*live)).all()
    ]
    rows += [
        (i, v, n)
        for i, v, n in session.execute(
            select(EntryVariant.entry_id, EntryVariant.signal_value, EntryVariant.name)
            .join(BankEntry, EntryVariant.entry_id == BankEntry.id)
            .where(*live)
        ).all()
    ]
    index = PdqIndex.build(
        [v for _, v, _ in rows], [str(i) for i, _, _ in rows], variants=[n for _, _, n in rows]
    )
    with _lock:
        for stale in [k for k in _cache if k[0] == bank.uid]:
            del _cache[stale]
        _cache[key] = index
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def vpdq_distance(query: video.VpdqHash, target: str) -> int | None:
    """100 minus the share of the query's frames found in ``target`` when the videos match
    (python-threatexchange's rule), else None."""
    result = video.compare_videos(query, video.VpdqHash.from_text(target))
    return round(100 - result.query_match_percent) if video.is_match(result) else None


def find(
    session: Session, bank: Bank, signal_type: str, value: str
) -> list[tuple[BankEntry, int, str]]:
    """Live entries of ``bank`` that ``value`` (already normalised) matches: each with its
    distance and which of its variants matched (the closest)."""
    if signal_type == "pdq":
        hits = pdq_index(session, bank).search(value, bank.pdq_threshold)
        closest = {int(hit.id): (hit.distance, hit.variant) for hit in hits}
        if not closest:
            return []
        entries = session.execute(select(BankEntry).where(BankEntry.id.in_(closest))).scalars()
        return [(e, *closest[e.id]) for e in entries]
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
            distance = vpdq_distance(query, entry.signal_value)
            if distance is not None:
                found.append((entry, distance, "original"))
        return found
    entries = session.execute(
        select(BankEntry).where(
            BankEntry.bank_id == bank.id,
            BankEntry.signal_type == signal_type,
            BankEntry.signal_value == value,
            BankEntry.removed_at.is_(None),
        )
    ).scalars()
    return [(e, 0, "original") for e in entries]
