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

**The card file.** A bank's base index (:mod:`alliance.banks.indexes`) is written with a
:class:`CardFile` beside it: the cards of every entry in the base, at the base's sequence
number, as columns that every server process maps. A hit on an entry not changed since
answers from it without the database, in any process, from the first request after a
start; the cards of entries changed since (the index knows which) are read and kept as
above.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alliance.banks.models import Bank, BankEntry
from alliance.matching import fileformat
from alliance.matching.errors import InvalidIndex

MAX_CARDS = 200_000
MAX_AGE = 60.0
CARD_FILE_MAGIC = b"ALCARDS\0"
CARD_FILE_VERSION = 1


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


#: A card's columns as :meth:`CardFile.of_columns` takes them, in this order.
CARD_COLUMNS = (
    "id", "baseline", "iwf_category", "ncmec_category", "vics_category", "votes",
    "confirmed", "disputed", "flagged", "contributor_slug", "note", "added_at",
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CardFile:
    """The cards of a bank's base entries, by entry id, at one sequence of the bank.

    Columns (``.cards`` file, the container of :mod:`alliance.matching.fileformat`):
    ``id`` (i4, ascending), ``baseline``, ``flagged`` (bool), ``iwf``, ``ncmec`` (u1: a
    code into the header's names, 0 none), ``vics`` (i1, -1 none), ``votes``,
    ``confirmed``, ``disputed`` (i4), ``contributor`` (u2, into the header's slugs),
    ``added_at`` (i8 microseconds since 1970, UTC), ``note`` (bool: has one),
    ``note_offsets`` (u8) and ``note_blob`` (UTF-8). The entries' PDQ hashes are not
    repeated: card ``n`` is row ``n`` of the base index, which holds them.
    """

    def __init__(self, header: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> None:
        self.header = header
        self._a = arrays
        self._iwf = [None, *header["iwf"]]
        self._ncmec = [None, *header["ncmec"]]
        self._slugs = list(header["contributors"])

    def __len__(self) -> int:
        return len(self._a["id"])

    @classmethod
    def of_columns(cls, chunks: Iterable[Sequence[Sequence[Any]]]) -> CardFile:
        """The cards of rows ascending by id, given in chunks of columns (each chunk the
        :data:`CARD_COLUMNS` of its rows, ``added_at`` a naive datetime in UTC): each chunk is
        made arrays at once, so ten million rows never live as Python objects."""
        names: dict[str, dict[str, int]] = {"iwf": {}, "ncmec": {}, "contributors": {}}
        parts: dict[str, list[NDArray[Any]]] = {}
        notes: list[bytes] = []

        def codes(kind: str, values: Iterable[str | None], offset: int) -> list[int]:
            table = names[kind]
            return [0 if v is None else table.setdefault(v, len(table)) + offset for v in values]

        for chunk in chunks:
            (ids, baseline, iwf, ncmec, vics, votes, confirmed, disputed, flagged, slug, note,
             added) = chunk  # fmt: skip
            encoded = [b"" if n is None else n.encode() for n in note]
            notes.extend(encoded)
            columns = {
                "id": np.array(ids, np.int32),
                "baseline": np.array(baseline, np.bool_),
                "flagged": np.array(flagged, np.bool_),
                "iwf": np.array(codes("iwf", iwf, 1), np.uint8),
                "ncmec": np.array(codes("ncmec", ncmec, 1), np.uint8),
                "vics": np.array([-1 if v is None else v for v in vics], np.int8),
                "votes": np.array(votes, np.int32),
                "confirmed": np.array(confirmed, np.int32),
                "disputed": np.array(disputed, np.int32),
                "contributor": np.array(codes("contributors", slug, 0), np.uint16),
                "added_at": np.array(added, "datetime64[us]").astype(np.int64),
                "note": np.array([n is not None for n in note], np.bool_),
                "note_length": np.array([len(n) for n in encoded], np.uint64),
            }
            for name, column in columns.items():
                parts.setdefault(name, []).append(column)
        arrays = {
            name: np.concatenate(parts[name]) if name in parts else np.zeros(0, dtype)
            for name, dtype in _DTYPES.items()
        }
        if len(names["contributors"]) > 65535:
            raise InvalidIndex("a card file holds at most 65,535 contributors")
        lengths = arrays.pop("note_length")
        arrays["note_offsets"] = np.concatenate((np.zeros(1, np.uint64), np.cumsum(lengths)))
        arrays["note_blob"] = np.frombuffer(b"".join(notes), np.uint8)
        header = {kind: list(table) for kind, table in names.items()}
        return cls(header, arrays)

    def write(self, path: Path, extra: dict[str, Any]) -> None:
        """Write the file (atomically), with ``extra`` header keys (bank, sequence)."""
        header = {**self.header, **extra}  # an opened file's "sections" are laid out anew
        fileformat.write(path, CARD_FILE_MAGIC, CARD_FILE_VERSION, header, self._a)

    @classmethod
    def open(cls, path: Path) -> CardFile:
        """Map a card file; :class:`InvalidIndex` if it is not one this version reads."""
        header, arrays = fileformat.read(path, CARD_FILE_MAGIC, (CARD_FILE_VERSION,))
        try:
            count = len(arrays["id"])
            if any(len(arrays[name]) != count for name in _DTYPES if name != "note_length"):
                raise InvalidIndex(f"{path}: card columns of different lengths")
            if len(arrays["note_offsets"]) != count + 1:
                raise InvalidIndex(f"{path}: note offsets do not match the cards")
            return cls(header, arrays)
        except (KeyError, TypeError) as exc:
            raise InvalidIndex(f"{path}: corrupt card file ({exc})") from exc

    def rows(self, entry_ids: Iterable[int]) -> dict[int, int]:
        """The row of each of ``entry_ids`` that has a card (row ``n``: card ``n``)."""
        ids = self._a["id"]
        # Of the ids' own type: searchsorted would otherwise convert all ten million.
        wanted = np.array([k for k in entry_ids if 0 <= k <= _LARGEST_ID], ids.dtype)
        found = np.searchsorted(ids, wanted)
        inside = found < len(ids)
        found, wanted = found[inside], wanted[inside]
        hit = ids[found] == wanted
        return dict(zip(wanted[hit].tolist(), found[hit].tolist(), strict=True))

    def card(self, row: int, signal_value: str) -> EntryCard:
        """Card ``row`` (of the entry whose PDQ hash is ``signal_value``)."""
        a = self._a
        vics = int(a["vics"][row])
        note = None
        if a["note"][row]:
            start, end = int(a["note_offsets"][row]), int(a["note_offsets"][row + 1])
            note = bytes(a["note_blob"][start:end]).decode()
        return EntryCard(
            id=int(a["id"][row]),
            signal_type="pdq",
            signal_value=signal_value,
            baseline=bool(a["baseline"][row]),
            iwf_category=self._iwf[int(a["iwf"][row])],
            ncmec_category=self._ncmec[int(a["ncmec"][row])],
            vics_category=None if vics < 0 else vics,
            votes=int(a["votes"][row]),
            confirmed=int(a["confirmed"][row]),
            disputed=int(a["disputed"][row]),
            flagged=bool(a["flagged"][row]),
            contributor_slug=self._slugs[int(a["contributor"][row])],
            note=note,
            added_at=_EPOCH + int(a["added_at"][row]) * _MICROSECOND,
        )


_MICROSECOND = timedelta(microseconds=1)
_LARGEST_ID = 2**31 - 1  # entry ids are the database's INTEGER
_DTYPES: dict[str, type[np.generic]] = {
    "id": np.int32,
    "baseline": np.bool_,
    "flagged": np.bool_,
    "iwf": np.uint8,
    "ncmec": np.uint8,
    "vics": np.int8,
    "votes": np.int32,
    "confirmed": np.int32,
    "disputed": np.int32,
    "contributor": np.uint16,
    "added_at": np.int64,
    "note": np.bool_,
    "note_length": np.uint64,
}
