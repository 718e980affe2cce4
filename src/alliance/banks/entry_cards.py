"""What a match answer says of a bank entry, kept in memory after the entry was read.

A match answers with the context of every entry it met (classification, votes,
verification, contributor, note). Reading those rows is most of a hit's cost on a busy
server (a round trip, a transaction, the database on the same cores): a hit cost about
ten times a miss (docs/scale.md). Each process therefore keeps the cards of the entries
its matches read, per bank, **at the bank's sequence number** (``Bank.sequence``, which
every change of one of its entries moves on, votes and feedback included). A card is
used only while the bank's row, as the caller read it, still has that number; the first
change drops the bank's cards and the next hit reads its entries again. Cards are also
dropped after :data:`MAX_AGE` seconds, for what the sequence does not follow (an
organisation renamed), and the least used beyond :data:`MAX_CARDS`.

The web server keeps one :class:`EntryCards` per app (one database): bank ids and
sequence numbers mean nothing across databases.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from alliance.banks.models import Bank, BankEntry

MAX_CARDS = 200_000
MAX_AGE = 60.0


@dataclass(frozen=True, slots=True)
class EntryCard:
    """An entry's columns that a match answer shows."""

    id: int
    signal_type: str
    signal_value: str
    baseline: bool
    iwf_category: str | None
    ncmec_category: str | None
    vics_category: int | None
    votes: int
    confirmed: int
    disputed: int
    flagged: bool
    contributor_slug: str
    note: str | None
    added_at: datetime

    @classmethod
    def of(cls, entry: BankEntry) -> EntryCard:
        return cls(
            id=entry.id,
            signal_type=entry.signal_type,
            signal_value=entry.signal_value,
            baseline=entry.baseline,
            iwf_category=entry.iwf_category,
            ncmec_category=entry.ncmec_category,
            vics_category=entry.vics_category,
            votes=entry.votes,
            confirmed=entry.confirmed,
            disputed=entry.disputed,
            flagged=entry.flagged,
            contributor_slug=entry.contributor.slug,
            note=entry.note,
            added_at=entry.added_at,
        )


class EntryCards:
    """Cards by (bank, entry), each valid at one sequence number of its bank."""

    def __init__(
        self,
        *,
        max_cards: int = MAX_CARDS,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_cards = max_cards
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        # (bank id, entry id) -> (the bank's sequence, when kept, the card)
        self._cards: OrderedDict[tuple[int, int], tuple[int, float, EntryCard]] = OrderedDict()

    def get(self, bank: Bank, entry_ids: Iterable[int]) -> dict[int, EntryCard] | None:
        """The cards of ``entry_ids`` as of ``bank``'s row; None if one is not at hand."""
        found: dict[int, EntryCard] = {}
        now = self._clock()
        with self._lock:
            for entry_id in entry_ids:
                key = (bank.id, entry_id)
                kept = self._cards.get(key)
                if kept is None or kept[0] != bank.sequence or now - kept[1] > self._max_age:
                    return None
                self._cards.move_to_end(key)
                found[entry_id] = kept[2]
        return found

    def keep(self, bank: Bank, entries: Mapping[int, EntryCard]) -> None:
        """Keep cards read at (or after) ``bank``'s row: valid while its sequence is."""
        now = self._clock()
        with self._lock:
            for entry_id, card in entries.items():
                key = (bank.id, entry_id)
                self._cards[key] = (bank.sequence, now, card)
                self._cards.move_to_end(key)
            while len(self._cards) > self._max_cards:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cards)
