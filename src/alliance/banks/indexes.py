"""A bank's PDQ index on the platform: kept current by deltas, kept on disk.

**Deltas, not rebuilds.** The index of a bank is a *base* (an exact
:class:`~alliance.matching.pdq_index.PdqIndex` of its live entries at some sequence
number) and a small *recent* index of every entry changed since: when a query finds the
bank's ``revision`` changed, the entries with ``changed_seq`` above the index's sequence
are read (one indexed query), their rows in the base are hidden, and the live ones are
searched in the recent index. A new entry is matchable on the first query after its
commit; nothing the size of the bank is rebuilt on the request path.

**Cards.** The base is built with the entries' cards (:class:`~alliance.banks.entry_cards.
CardFile`: what a match answer shows of each) at its sequence number, written beside it
(``.cards``): a hit answers from them without the database while its entry is unchanged.
An entry changed since the base is *hidden* (a match change) or *stale* (a vote, a
verification, feedback: read when the bank's sequence moved with its revision unchanged);
the caller reads its card from the database.

**Compaction.** Once the recent index holds more than :data:`COMPACT_AFTER` rows (or a
64th of the base), stale cards counted too, a background thread rebuilds the base from
the database and writes it; queries go on against the old base and the recent index
meanwhile, and the next query adopts the new base (and reads the changes since it was
begun).

**On disk.** With a directory (``<data_dir>/indexes``, set on the session factory by
:func:`keep_indexes_in`) the base is a ``.pdqidx`` file per bank, written atomically and
memory-mapped: every server process (``alliance serve --workers N``) maps the same file,
one copy in the page cache, and a restart opens it in milliseconds and reads only the
changes since it was written. One process builds a missing file (a file lock); the
others wait for it and open it. A file that is truncated, of a newer format, of another
bank or ahead of the database is set aside with a warning and rebuilt from the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import DateTime, select, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.banks.entry_cards import CardFile, EntryCard
from alliance.banks.models import Bank, BankEntry, EntryVariant
from alliance.matching.errors import InvalidIndex
from alliance.matching.pdq_index import MAGIC, Match, PdqIndex, parse_hashes

log = logging.getLogger(__name__)

#: Rows of the recent index past which the base is rebuilt in the background (or a 64th
#: of the base, if more): the recent index is rebuilt with every delta, so it stays small.
COMPACT_AFTER = 20_000
INDEX_DIR_KEY = "alliance.index_dir"
_BANKS_KEPT = 32
_CHUNK = 50_000  # rows of a base read made columns at a time

_Rows = tuple[tuple[bytes, str], ...]  # an entry's (digest, variant name) rows


@dataclass(frozen=True, slots=True)
class BankIndex:
    """One bank's PDQ index at ``sequence``: immutable, so a query holds a consistent
    one while a delta makes the next."""

    base: PdqIndex
    base_sequence: int
    sequence: int
    revision: str
    #: entries changed since the base: their base rows are stale (removed or redone)
    hidden: frozenset[str] = frozenset()
    #: the live ones among them, by entry id
    changed: dict[str, _Rows] = field(default_factory=dict)
    recent: PdqIndex | None = None
    #: (inode, mtime) of the file the base was opened from
    file: tuple[int, int] | None = None
    #: the cards of the base's entries at ``base_sequence`` (None: not at hand)
    cards: CardFile | None = None
    #: entries changed since the base whose matching did not change: their cards are old
    stale: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.base) + (len(self.recent) if self.recent else 0)

    def search_many(self, queries: Sequence[str], radius: int) -> list[list[Match]]:
        """Every live row within ``radius`` of each query (one match per entry)."""
        found = self.base.search_many(queries, radius)
        if self.hidden:
            found = [[m for m in matches if m.id not in self.hidden] for matches in found]
        if self.recent is not None:
            for matches, more in zip(found, self.recent.search_many(queries, radius), strict=True):
                matches.extend(more)
        return found

    def cards_of(self, bank: Bank, entry_ids: Collection[int]) -> dict[int, EntryCard]:
        """The cards of those of ``entry_ids`` the card file holds as they are as of
        ``bank`` (the caller's row): none unless this index has followed the bank's
        changes up to its sequence, and none of an entry changed since the base."""
        if self.cards is None or self.sequence < bank.sequence:
            return {}
        unchanged = [k for k in entry_ids if str(k) not in self.hidden and str(k) not in self.stale]
        rows = self.cards.rows(unchanged) if unchanged else {}
        return {k: self.cards.card(row, self.base.hash_of(row)) for k, row in rows.items()}


@dataclass
class _Slot:
    """What one process keeps for one bank of one database."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    index: BankIndex | None = None
    compaction: threading.Thread | None = None
    compacted: BankIndex | None = None  # a new base the compaction made, to adopt


_slots: OrderedDict[tuple[str, str], _Slot] = OrderedDict()
_slots_lock = threading.Lock()


def keep_indexes_in(factory: sessionmaker[Session], directory: Path) -> None:
    """Sessions of ``factory`` keep their banks' index files in ``directory``."""
    factory.configure(info={INDEX_DIR_KEY: str(directory)})


def _slot(key: tuple[str, str]) -> _Slot:
    with _slots_lock:
        slot = _slots.get(key)
        if slot is None:
            slot = _slots[key] = _Slot()
            while len(_slots) > _BANKS_KEPT:
                _slots.popitem(last=False)
        _slots.move_to_end(key)
        return slot


def forget() -> None:
    """Drop every index this process holds (files stay): for tests and for a restore."""
    with _slots_lock:
        _slots.clear()


def _key(engine: Engine, bank: Bank) -> tuple[str, str]:
    return engine.url.render_as_string(hide_password=True), bank.uid


def _current(slot: _Slot, bank: Bank) -> BankIndex | None:
    """The slot's index if current as of ``bank``: its revision, and with cards its
    sequence too (a vote moves the sequence only: its entry's card is then stale)."""
    index = slot.index
    if (
        index is not None
        and index.revision == bank.revision
        and slot.compacted is None
        and (index.cards is None or index.sequence >= bank.sequence)
    ):
        return index
    return None


def loaded_index(engine: Engine, bank: Bank) -> BankIndex | None:
    """The bank's index as this process holds it, if it is current as of ``bank`` (its
    revision) with no new base to adopt; None when :func:`bank_index` would read the
    database or open a file. Lets a query that will touch nothing else skip the session."""
    with _slots_lock:
        slot = _slots.get(_key(engine, bank))
    return None if slot is None else _current(slot, bank)


def index_file(directory: Path, bank: Bank) -> Path:
    """The file of ``bank``'s base index in ``directory`` (every process maps the same)."""
    return directory / f"pdq-{bank.uid}.pdqidx"


def card_file(index_path: Path) -> Path:
    """The file of the cards of the base in ``index_path``, beside it."""
    return index_path.with_suffix(".cards")


def bank_index(session: Session, bank: Bank) -> BankIndex:
    """The bank's PDQ index, current as of ``bank`` (its revision): opened or built on
    first use, then brought up to date by deltas."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    slot = _slot(_key(engine, bank))
    if (index := _current(slot, bank)) is not None:
        return index
    directory = session.info.get(INDEX_DIR_KEY)
    path = index_file(Path(directory), bank) if directory else None
    with slot.lock:
        index = slot.index
        if index is None:
            index = _opened(bank, path) or _built(session, bank, path)
        elif slot.compacted is not None:
            index, slot.compacted = slot.compacted, None
        elif path is not None and (newer := _newer_file(bank, path, index)) is not None:
            index = newer  # another process compacted
        if index.revision != bank.revision and index.sequence <= bank.sequence:
            index = _caught_up(session, bank, index)
        elif index.cards is not None and index.sequence < bank.sequence:
            index = _cards_caught_up(session, bank, index)
        slot.index = index
        if _needs_compaction(index) and slot.compaction is None:
            slot.compaction = threading.Thread(
                target=_compact,
                args=(slot, engine, bank.id, path),
                name=f"compact-{bank.uid}",
                daemon=True,
            )
            slot.compaction.start()
    return index


def wait_for_compactions(timeout: float = 60) -> None:
    """Wait for background compactions in this process (tests, shutdown)."""
    with _slots_lock:
        threads = [s.compaction for s in _slots.values() if s.compaction is not None]
    for thread in threads:
        thread.join(timeout)


# --- building and opening ------------------------------------------------------------


def _read_base(session: Session, bank: Bank) -> tuple[PdqIndex, int, CardFile]:
    """Every live PDQ row of the bank, the sequence they are current as of, and their
    entries' cards (card ``n``: row ``n``). The sequence is read before the rows, so a
    change committed meanwhile is read again by the next delta, never missed (a bank's
    changes commit in sequence order: each takes the bank's row)."""
    sequence = session.execute(select(Bank.sequence).where(Bank.id == bank.id)).scalar_one()
    live = (
        BankEntry.bank_id == bank.id,
        BankEntry.signal_type == "pdq",
        BankEntry.removed_at.is_(None),
    )
    ids: list[str] = []
    values: list[str] = []
    # Streamed (a server-side cursor on PostgreSQL) in chunks made columns at once.
    read = session.connection().execute(
        select(*_CARD_SOURCES, BankEntry.signal_value)
        .join(Organisation, BankEntry.contributor_organisation_id == Organisation.id)
        .where(*live)
        .order_by(BankEntry.id)
        .execution_options(stream_results=True, max_row_buffer=_CHUNK)
    )

    def chunks() -> Iterator[list[tuple[object, ...]]]:
        for part in read.partitions(_CHUNK):
            columns = list(zip(*part, strict=True))
            ids.extend(map(str, columns[0]))
            values.extend(columns[-1])
            yield columns[:-1]

    with _collector_paused():
        cards = CardFile.of_columns(chunks())
    variants = ["original"] * len(ids)
    for entry_id, value, name in session.execute(
        select(EntryVariant.entry_id, EntryVariant.signal_value, EntryVariant.name)
        .join(BankEntry, EntryVariant.entry_id == BankEntry.id)
        .where(*live)
    ):
        ids.append(str(entry_id))
        values.append(value)
        variants.append(name)
    threads = max(1, min(4, os.cpu_count() or 1))
    base = PdqIndex.build(values, ids, variants=variants, threads=threads)
    return base, sequence, cards


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection while a base is read: the rows and columns made
    by the million set off collection after collection (at 10M rows 125 s against 53 s
    a read). Nothing read is cyclic; what others make meanwhile is collected after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_CARD_SOURCES = (
    BankEntry.id,
    BankEntry.baseline,
    BankEntry.iwf_category,
    BankEntry.ncmec_category,
    BankEntry.vics_category,
    BankEntry.votes,
    BankEntry.confirmed,
    BankEntry.disputed,
    BankEntry.flagged,
    Organisation.slug,
    BankEntry.note,
    # The driver's naive UTC datetime: the column type's conversion to an aware one, a
    # Python call a row, was a fifth of the read.
    type_coerce(BankEntry.added_at, DateTime()),
)  # in CARD_COLUMNS order


@contextlib.contextmanager
def _exclusive(path: Path | None) -> Iterator[None]:
    """Hold the bank's file lock: one process builds or rewrites its file at a time."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def _open_file(bank: Bank, path: Path) -> BankIndex | None:
    """The bank's index file, or None when there is none or it cannot be used (set
    aside as ``.bad``, with a warning saying why)."""
    identity = _identity(path)
    if identity is None:
        return None
    try:
        base, header = PdqIndex.read(path, MAGIC)
        if header.get("bank") != bank.uid:
            raise InvalidIndex(f"{path} is the index of bank {header.get('bank')!r}")
        sequence = int(header["sequence"])
    except (InvalidIndex, KeyError, ValueError, TypeError, OSError) as exc:
        _set_aside(bank, path, str(exc))
        return None
    # The revision is not known at the sequence: the first query's delta sets it.
    return BankIndex(
        base, sequence, sequence, "", file=identity, cards=_open_cards(bank, path, base, sequence)
    )


def _open_cards(bank: Bank, path: Path, base: PdqIndex, sequence: int) -> CardFile | None:
    """The cards beside the base in ``path``, if they are its (same bank, sequence and
    entries); else None, with a warning: the entries' cards are then read as met."""
    try:
        cards = CardFile.open(card_file(path))
        header = cards.header
        if header.get("bank") != bank.uid or header.get("sequence") != sequence:
            raise InvalidIndex("written with another base")
        if len(cards) > len(base):
            raise InvalidIndex("more cards than the base has rows")
    except (InvalidIndex, OSError) as exc:
        log.warning("bank %s: card file not used: %s", bank.name, exc)
        return None
    return cards


def _set_aside(bank: Bank, path: Path, why: str) -> None:
    log.warning("bank %s: index file not used, rebuilding it: %s", bank.name, why)
    with contextlib.suppress(OSError):
        path.replace(path.with_suffix(".bad"))


def _opened(bank: Bank, path: Path | None) -> BankIndex | None:
    """The bank's file on first use in this process; one ahead of the database (a
    database restored from a backup) is set aside."""
    index = None if path is None else _open_file(bank, path)
    if path is not None and index is not None and index.sequence > bank.sequence:
        _set_aside(
            bank, path, f"at change {index.sequence}, ahead of the database's {bank.sequence}"
        )
        return None
    return index


def _built(session: Session, bank: Bank, path: Path | None) -> BankIndex:
    """The bank's index built from the database (and written), or the file another
    process wrote while this one waited for the lock."""
    with _exclusive(path):
        if path is not None and (index := _open_file(bank, path)) is not None:
            return index
        base, sequence, cards = _read_base(session, bank)
        file = _write(base, cards, bank, sequence, path)
    return BankIndex(base, sequence, sequence, "", file=file, cards=cards)


def _write(
    base: PdqIndex, cards: CardFile, bank: Bank, sequence: int, path: Path | None
) -> tuple[int, int] | None:
    """Write the base and its cards (the cards first: a base is never opened with the
    cards of an older one, which its sequence would refuse anyway)."""
    if path is None:
        return None
    cards.write(card_file(path), {"bank": bank.uid, "sequence": sequence})
    base.write(path, MAGIC, {"kind": "pdq", "bank": bank.uid, "sequence": sequence})
    return _identity(path)


def _newer_file(bank: Bank, path: Path, index: BankIndex) -> BankIndex | None:
    """The bank's file when another process has replaced it with a later base (not
    later than this request's view of the bank: a request begun before it waits)."""
    if _identity(path) in (None, index.file):
        return None
    newer = _open_file(bank, path)
    if newer is None or not index.base_sequence < newer.base_sequence <= bank.sequence:
        return None
    return newer


# --- deltas --------------------------------------------------------------------------


def _caught_up(session: Session, bank: Bank, index: BankIndex) -> BankIndex:
    """``index`` with every PDQ entry changed after its sequence: their base rows
    hidden, the live ones (with their variants) in a rebuilt recent index."""
    changed = dict(index.changed)
    hidden = set(index.hidden)
    sequence = max(index.sequence, bank.sequence)
    live: dict[str, list[tuple[bytes, str]]] = {}
    rows = session.execute(
        select(
            BankEntry.id, BankEntry.signal_value, BankEntry.removed_at, BankEntry.changed_seq
        ).where(
            BankEntry.bank_id == bank.id,
            BankEntry.signal_type == "pdq",
            BankEntry.changed_seq > index.sequence,
        )
    ).all()
    for entry_id, value, removed_at, changed_seq in rows:
        key = str(entry_id)
        hidden.add(key)
        changed.pop(key, None)
        sequence = max(sequence, changed_seq)
        if removed_at is None:
            live[key] = [(bytes.fromhex(value), "original")]
    if live:
        for entry_id, value, name in session.execute(
            select(EntryVariant.entry_id, EntryVariant.signal_value, EntryVariant.name).where(
                EntryVariant.entry_id.in_([int(k) for k in live])
            )
        ):
            live[str(entry_id)].append((bytes.fromhex(value), name))
        changed.update({key: tuple(found) for key, found in live.items()})
    recent = index.recent
    if rows:
        recent = _recent(changed)
    return replace(
        index,
        sequence=sequence,
        revision=bank.revision,
        hidden=frozenset(hidden),
        changed=changed,
        recent=recent,
    )


def _cards_caught_up(session: Session, bank: Bank, index: BankIndex) -> BankIndex:
    """``index`` followed to ``bank``'s sequence when its revision has not moved: the
    entries changed meanwhile (votes, verification, feedback; none changed a match) have
    stale cards. Only up to the caller's sequence: a change committed after it may be a
    match change, which the next delta reads."""
    changed = session.execute(
        select(BankEntry.id).where(
            BankEntry.bank_id == bank.id,
            BankEntry.changed_seq > index.sequence,
            BankEntry.changed_seq <= bank.sequence,
        )
    ).scalars()
    return replace(index, sequence=bank.sequence, stale=index.stale | {str(i) for i in changed})


def _recent(changed: dict[str, _Rows]) -> PdqIndex | None:
    rows = [(key, digest, name) for key, found in changed.items() for digest, name in found]
    if not rows:
        return None
    digests: NDArray[np.uint8] = parse_hashes(digest for _, digest, _ in rows)
    return PdqIndex.build(
        digests, [key for key, _, _ in rows], variants=[name for _, _, name in rows]
    )


# --- compaction ----------------------------------------------------------------------


def _needs_compaction(index: BankIndex) -> bool:
    """Whether the changes since the base are many: the recent index's rows and the
    stale cards (each stale card is a read on a hit, and the set is copied a change)."""
    rows = len(index.recent) if index.recent is not None else 0
    return rows + len(index.stale) > max(COMPACT_AFTER, len(index.base) // 64)


def _compact(slot: _Slot, engine: Engine, bank_id: int, path: Path | None) -> None:
    """Rebuild the bank's base from the database (in this background thread, with a
    session of its own) and leave it for the next query to adopt."""
    try:
        with Session(bind=engine) as session:
            bank = session.get_one(Bank, bank_id)
            with _exclusive(path):
                base, sequence, cards = _read_base(session, bank)
                file = _write(base, cards, bank, sequence, path)
            slot.compacted = BankIndex(base, sequence, sequence, "", file=file, cards=cards)
    except Exception:  # a failed compaction leaves the deltas in use
        log.exception("bank %s: compaction of its index failed; deltas stay in use", bank_id)
    finally:
        slot.compaction = None
