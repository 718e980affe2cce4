"""Finding a signal in one bank: the exact PDQ index, SQL equality, vPDQ comparison.

A bank's PDQ index is built from its live entries on first use and kept in memory,
keyed by the bank's ``revision`` (which every change replaces), so a change is matchable
on the next query without any rebuild step to run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

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


def vpdq_distance(query: video.VpdqHash, target: str, form: str = "original") -> int | None:
    """100 minus the share of the query's frames found in ``target`` when the videos match
    (python-threatexchange's rule; a further form of the query is counted by the second,
    :func:`alliance.hashing.video.window_of`), else None."""
    result = video.compare_videos(
        query, video.VpdqHash.from_text(target), window=video.window_of(form)
    )
    return round(100 - result.query_match_percent) if video.is_match(result) else None


def find(
    session: Session,
    bank: Bank,
    signal_type: str,
    value: str,
    forms: Mapping[str, str] | None = None,
) -> list[tuple[BankEntry, int, str, str]]:
    """Live entries of ``bank`` that ``value`` (already normalised) or one of its PDQ or
    vPDQ ``forms`` (name → normalised hash) matches: each with its distance, which of its
    variants matched and which form of the query (the closest pair)."""
    if signal_type == "pdq":
        index = pdq_index(session, bank)
        queries = {"original": value, **(forms or {})}
        closest: dict[int, tuple[int, str, str]] = {}
        for form, hashed in queries.items():
            for hit in index.search(hashed, bank.pdq_threshold):
                key = int(hit.id)
                if key not in closest or hit.distance < closest[key][0]:
                    closest[key] = (hit.distance, hit.variant, form)
        if not closest:
            return []
        entries = session.execute(select(BankEntry).where(BankEntry.id.in_(closest))).scalars()
        return [(e, *closest[e.id]) for e in entries]
    if signal_type == "vpdq":
        videos = {
            form: video.VpdqHash.from_text(text)
            for form, text in {"original": value, **(forms or {})}.items()
        }
        found = []
        for entry in session.execute(
            select(BankEntry).where(
                BankEntry.bank_id == bank.id,
                BankEntry.signal_type == "vpdq",
                BankEntry.removed_at.is_(None),
            )
        ).scalars():
            best: tuple[int, str] | None = None
            for form, query in videos.items():
                distance = vpdq_distance(query, entry.signal_value, form)
                if distance is not None and (best is None or distance < best[0]):
                    best = (distance, form)
            if best is not None:
                found.append((entry, best[0], "original", best[1]))
        return found
    entries = session.execute(
        select(BankEntry).where(
            BankEntry.bank_id == bank.id,
            BankEntry.signal_type == signal_type,
            BankEntry.signal_value == value,
            BankEntry.removed_at.is_(None),
        )
    ).scalars()
    return [(e, 0, "original", "original") for e in entries]
