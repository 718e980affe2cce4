"""Finding a signal in one bank: the exact PDQ index, the vPDQ frame index, SQL equality.

A bank's PDQ index is kept current by deltas and on disk (:mod:`alliance.banks.indexes`).
Its vPDQ frame index (:class:`~alliance.matching.video.VpdqIndex`: every usable frame of
every video in one PDQ index, so a query costs a search per query frame, not a
comparison with every video) is built from its live entries on first use and kept in
memory, keyed by the bank's ``revision`` (which every change of its hashes replaces).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, lazyload

from alliance.banks import indexes
from alliance.banks.models import Bank, BankEntry
from alliance.hashing import video
from alliance.matching.video import VpdqIndex

_CACHE_SIZE = 32
_cache: OrderedDict[tuple[str, str], VpdqIndex] = OrderedDict()
_lock = threading.Lock()


def _cached(bank: Bank, build: Callable[[], VpdqIndex]) -> VpdqIndex:
    """The bank's frame index at its current revision, built on first use; an index of
    an earlier revision is dropped."""
    key = (bank.uid, bank.revision)
    with _lock:
        if (found := _cache.get(key)) is not None:
            _cache.move_to_end(key)
            return found
    index = build()
    with _lock:
        for stale in [k for k in _cache if k[0] == key[0]]:
            del _cache[stale]
        _cache[key] = index
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def _live(bank: Bank, signal_type: str) -> tuple[ColumnElement[bool], ...]:
    return (
        BankEntry.bank_id == bank.id,
        BankEntry.signal_type == signal_type,
        BankEntry.removed_at.is_(None),
    )


def vpdq_index(session: Session, bank: Bank) -> VpdqIndex:
    """The bank's live vPDQ entries' usable frames, id = entry id."""

    def build() -> VpdqIndex:
        rows = session.execute(
            select(BankEntry.id, BankEntry.signal_value).where(*_live(bank, "vpdq"))
        ).all()
        return VpdqIndex.build({str(i): video.VpdqHash.from_text(v) for i, v in rows})

    return _cached(bank, build)


#: A query's matches in one bank: (entry, distance, the entry's variant, the query's form).
Found = list[tuple[BankEntry, int, str, str]]


#: A query's closest pair with each entry it met: entry id → (distance, the entry's
#: variant, the query's form).
Closest = dict[int, tuple[int, str, str]]


def closest_in(
    index: indexes.BankIndex, bank: Bank, queries: Sequence[tuple[str, Mapping[str, str]]]
) -> list[Closest]:
    """What each PDQ query (a normalised value and its forms) meets in ``bank``'s index,
    by one vectorised search for all their hashes: per entry, the closest pair."""
    asked = [
        (number, form, hashed)
        for number, (value, forms) in enumerate(queries)
        for form, hashed in {"original": value, **forms}.items()
    ]
    closest: list[Closest] = [{} for _ in queries]
    hits = index.search_many([hashed for *_, hashed in asked], bank.pdq_threshold)
    for (number, form, _), matches in zip(asked, hits, strict=True):
        best = closest[number]
        for hit in matches:
            key = int(hit.id)
            if key not in best or hit.distance < best[key][0]:
                best[key] = (hit.distance, hit.variant, form)
    return closest


def find_many(
    session: Session,
    bank: Bank,
    signal_type: str,
    queries: Sequence[tuple[str, Mapping[str, str]]],
) -> list[Found]:
    """:func:`find` for many queries of one signal type (each a normalised value and its
    forms), together: PDQ's by one vectorised search of the bank's index for all their
    hashes and one read of the entries they met, digests by one read; videos one by one."""
    if signal_type == "vpdq":
        return [find(session, bank, signal_type, value, forms) for value, forms in queries]
    if signal_type != "pdq":
        same: dict[str, list[BankEntry]] = {}
        for entry in session.execute(
            select(BankEntry).where(
                *_live(bank, signal_type),
                BankEntry.signal_value.in_({value for value, _ in queries}),
            )
        ).scalars():
            same.setdefault(entry.signal_value, []).append(entry)
        return [[(e, 0, "original", "original") for e in same.get(v, [])] for v, _ in queries]
    return entries_met(session, closest_in(indexes.bank_index(session, bank), bank, queries))


def entries_met(session: Session, closest: Sequence[Closest]) -> list[Found]:
    """Each PDQ query's matches, with the entries :func:`closest_in` found it met (read
    in one statement)."""
    met = {key for best in closest for key in best}
    if not met:
        return [[] for _ in closest]
    # The variants are not part of a match's answer (the index said which one matched):
    # not loaded unless asked for, which saves a second query on every hit.
    entries = {
        e.id: e
        for e in session.execute(
            select(BankEntry).where(BankEntry.id.in_(met)).options(lazyload(BankEntry.variants))
        ).scalars()
    }
    return [[(entries[k], *best[k]) for k in best if k in entries] for best in closest]


def find(
    session: Session,
    bank: Bank,
    signal_type: str,
    value: str,
    forms: Mapping[str, str] | None = None,
) -> Found:
    """Live entries of ``bank`` that ``value`` (already normalised) or one of its PDQ or
    vPDQ ``forms`` (name → normalised hash) matches: each with its distance, which of its
    variants matched and which form of the query (the closest pair)."""
    if signal_type == "vpdq":
        forms_of = {"original": value, **(forms or {})}
        matches = vpdq_index(session, bank).search_forms(
            {form: video.VpdqHash.from_text(text) for form, text in forms_of.items()}
        )
        if not matches:
            return []
        # python-threatexchange's rule (the query's share of frames, a further form's by
        # the second); the distance is 100 minus that share.
        best = {int(m.id): (round(100 - m.query_match_percent), m.query_form) for m in matches}
        entries = session.execute(select(BankEntry).where(BankEntry.id.in_(best))).scalars()
        return [(e, best[e.id][0], "original", best[e.id][1]) for e in entries]
    return find_many(session, bank, signal_type, [(value, forms or {})])[0]
