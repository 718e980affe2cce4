"""The PDQ index of every series member, for near-duplicate triage.

Built from the media records on first use and kept in memory until a record is linked,
merged or imported (their ``catalogued_at`` moves) — rebuilding 10 million hashes takes
seconds, a seizure's triage should not pay that each time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.matching.pdq_index import PdqIndex, as_words
from alliance.victims.models import MediaRecord

HASH_BYTES = 32
NEAR_THRESHOLD = 31  # PDQ's recommended match distance
# Queries per index search. Each query brings thousands of candidates to check (about 6,000
# at 8 million members): 65,536 queries at once asked for 1.5 GB in one array and failed a
# 1,000,000-item seizure; 1,024 keep a search's arrays to a few hundred MB.
SEARCH_CHUNK = 1_024


@dataclass(frozen=True)
class NearHit:
    record_id: int
    series_id: int
    distance: int


@dataclass
class _Catalogue:
    key: tuple[int, datetime | None]
    index: PdqIndex
    record_ids: NDArray[np.int64]  # by index row
    series_ids: NDArray[np.int64]


_cache: dict[str, _Catalogue] = {}
_lock = threading.Lock()


def _members(session: Session) -> tuple[int, datetime | None]:
    count, newest = session.execute(
        select(func.count(MediaRecord.id), func.max(MediaRecord.catalogued_at)).where(
            MediaRecord.series_id.is_not(None), MediaRecord.pdq.is_not(None)
        )
    ).one()
    return int(count), newest


def _build(session: Session, key: tuple[int, datetime | None]) -> _Catalogue:
    hexes: list[str] = []
    record_ids: list[int] = []
    series_ids: list[int] = []
    rows = session.execute(
        select(
            MediaRecord.id, MediaRecord.series_id, MediaRecord.pdq, MediaRecord.pdq_variants
        ).where(MediaRecord.series_id.is_not(None), MediaRecord.pdq.is_not(None)),
        execution_options={"yield_per": 100_000},
    )
    for record_id, series_id, pdq, variants in rows:
        for value in (pdq, *(variants or ())):
            hexes.append(value)
            record_ids.append(record_id)
            series_ids.append(series_id or 0)  # never None: filtered above
    digests = np.frombuffer(bytes.fromhex("".join(hexes)), np.uint8).reshape(-1, HASH_BYTES)
    return _Catalogue(
        key=key,
        index=PdqIndex.build(digests, threads=2),
        record_ids=np.asarray(record_ids, np.int64),
        series_ids=np.asarray(series_ids, np.int64),
    )


def catalogue(session: Session) -> _Catalogue:
    """The current index for the session's database, rebuilt when members changed."""
    bind = str(session.get_bind().engine.url)
    key = _members(session)
    with _lock:
        cached = _cache.get(bind)
        if cached is None or cached.key != key:
            cached = _cache[bind] = _build(session, key)
        return cached


def near_hits(
    session: Session, queries: list[list[str]], threshold: int = NEAR_THRESHOLD
) -> list[NearHit | None]:
    """For each query (a file's PDQ hashes), its closest series member within
    ``threshold``, or None."""
    found: list[NearHit | None] = [None] * len(queries)
    flat = [(number, value) for number, values in enumerate(queries) for value in values]
    if not flat:
        return found
    current = catalogue(session)
    if not len(current.record_ids):
        return found
    owners = np.fromiter((number for number, _ in flat), np.int64, len(flat))
    digests = np.frombuffer(bytes.fromhex("".join(v for _, v in flat)), np.uint8)
    words = as_words(digests.reshape(-1, HASH_BYTES))
    best = np.full(len(queries), threshold + 1, np.int64)
    best_row = np.full(len(queries), -1, np.int64)
    for begin in range(0, len(words), SEARCH_CHUNK):
        query_of, rows, distances = current.index.raw_search(
            words[begin : begin + SEARCH_CHUNK], threshold
        )
        if not len(rows):
            continue
        query = owners[begin + query_of]
        # Closest first, so the first row seen per query is its best.
        order = np.lexsort((rows, distances, query))
        query, rows, distances = query[order], rows[order], distances[order]
        first = np.ones(len(query), bool)
        first[1:] = query[1:] != query[:-1]
        for q, row, distance in zip(query[first], rows[first], distances[first], strict=True):
            if distance < best[q]:
                best[q], best_row[q] = distance, row
    for number in np.nonzero(best_row >= 0)[0]:
        row = int(best_row[number])
        found[int(number)] = NearHit(
            record_id=int(current.record_ids[row]),
            series_id=int(current.series_ids[row]),
            distance=int(best[number]),
        )
    return found


def forget() -> None:
    """Drop every cached index (tests that recreate databases under the same URL)."""
    with _lock:
        _cache.clear()
