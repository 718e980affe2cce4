"""A bank's PDQ index on the platform (:mod:`alliance.banks.indexes`): a change reaches it
as a delta, not a rebuild; it is kept on disk, so a restart reads only the changes since
its file; a file that cannot be used is set aside and rebuilt; compaction runs in the
background. Every answer is the one a fresh index of the bank's live entries gives."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.banks import indexes, lookup
from alliance.banks import services as banks
from alliance.banks.entry_cards import CARD_FILE_MAGIC, EntryCard
from alliance.banks.models import Bank, BankEntry
from alliance.banks.schemas import EntryIn
from alliance.db import create_db_engine
from alliance.db.migrate import upgrade
from alliance.matching import fileformat
from alliance.matching.pdq_index import MAGIC
from tests import factories

_RNG = np.random.default_rng(2026)


def _hashes(count: int) -> list[str]:
    return [_RNG.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(count)]


def _near(value: str, bits: int = 5) -> str:
    """``value`` with ``bits`` bits changed: within any bank's radius."""
    digest = bytearray(bytes.fromhex(value))
    for bit in _RNG.choice(256, bits, replace=False):
        digest[bit // 8] ^= 1 << (bit % 8)
    return digest.hex()


def _add(session: Session, analyst: Principal, bank: Bank, values: list[str]) -> list[int]:
    added = banks.add_entries(
        session, analyst, bank.name, [EntryIn(signal_type="pdq", signal=v) for v in values]
    )
    return [e.id for e in added.entries]


def _found(session: Session, bank: Bank, value: str) -> set[int]:
    return {entry.id for entry, *_ in lookup.find(session, bank, "pdq", _near(value))}


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    indexes.forget()
    yield
    indexes.wait_for_compactions()
    indexes.forget()


@pytest.fixture
def hotline(session: Session) -> tuple[Principal, Bank]:
    organisation = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, organisation, Role.analyst))
    return analyst, factories.bank(session, organisation, name="pictures")


def test_a_change_reaches_the_index_as_a_delta(
    session: Session, hotline: tuple[Principal, Bank]
) -> None:
    analyst, bank = hotline
    values = _hashes(40)
    ids = _add(session, analyst, bank, values)
    base = indexes.bank_index(session, bank).base
    assert _found(session, bank, values[3]) == {ids[3]}

    [new] = _add(session, analyst, bank, fresh := _hashes(1))
    assert _found(session, bank, fresh[0]) == {new}
    banks.remove_entries(session, analyst, bank.name, [ids[3]])
    assert _found(session, bank, values[3]) == set()
    assert _found(session, bank, values[4]) == {ids[4]}
    # Restored: the same entry is found again, once.
    _add(session, analyst, bank, [values[3]])
    assert _found(session, bank, values[3]) == {ids[3]}

    index = indexes.bank_index(session, bank)
    assert index.base is base  # nothing the size of the bank was rebuilt
    assert index.hidden == {str(new), str(ids[3])}
    assert index.sequence == bank.sequence
    assert len(index) == 40 + 1 + 1  # the base still holds entry 3's old row, hidden


def test_a_new_entrys_variants_are_matched_through_the_delta(
    session: Session, hotline: tuple[Principal, Bank]
) -> None:
    analyst, bank = hotline
    _add(session, analyst, bank, _hashes(10))
    indexes.bank_index(session, bank)
    original, mirrored = _hashes(2)
    added = banks.add_entries(
        session,
        analyst,
        bank.name,
        [EntryIn(signal_type="pdq", signal=original, variants={"flip_horizontal": mirrored})],
    )
    [(entry, _, variant, form)] = lookup.find(session, bank, "pdq", _near(mirrored))
    assert (entry.id, variant, form) == (added.entries[0].id, "flip_horizontal", "original")


def test_answers_after_many_changes_equal_a_fresh_index(
    session: Session, hotline: tuple[Principal, Bank]
) -> None:
    analyst, bank = hotline
    values = _hashes(60)
    ids = dict(zip(values, _add(session, analyst, bank, values), strict=True))
    live = set(values)
    for _ in range(12):
        indexes.bank_index(session, bank)
        gone = [str(v) for v in _RNG.choice(sorted(live), 3, replace=False)]
        banks.remove_entries(session, analyst, bank.name, [ids[v] for v in gone])
        live -= set(gone)
        more = [*_hashes(4), gone[0]]  # new ones, and one removed brought back
        ids.update(zip(more, _add(session, analyst, bank, more), strict=True))
        live |= set(more)
    kept = {v: _found(session, bank, v) for v in ids}
    indexes.forget()  # a fresh index of the same entries
    assert {v: _found(session, bank, v) for v in ids} == kept
    assert kept == {v: ({ids[v]} if v in live else set()) for v in ids}


def test_the_index_is_kept_on_disk_and_a_restart_reads_only_the_changes(
    session: Session,
    hotline: tuple[Principal, Bank],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    analyst, bank = hotline
    session.info[indexes.INDEX_DIR_KEY] = str(tmp_path)
    values = _hashes(30)
    ids = _add(session, analyst, bank, values)
    assert _found(session, bank, values[0]) == {ids[0]}
    assert (tmp_path / f"pdq-{bank.uid}.pdqidx").is_file()
    [later] = _add(session, analyst, bank, extra := _hashes(1))
    banks.remove_entries(session, analyst, bank.name, [ids[1]])

    indexes.forget()  # a restart: the file is mapped, nothing is read but the changes

    def no_rebuild(*_: object) -> None:
        raise AssertionError("the bank was rebuilt from the database")

    monkeypatch.setattr(indexes, "_read_base", no_rebuild)
    assert _found(session, bank, values[0]) == {ids[0]}
    assert _found(session, bank, extra[0]) == {later}
    assert _found(session, bank, values[1]) == set()
    index = indexes.bank_index(session, bank)
    assert index.file is not None
    assert index.hidden == {str(later), str(ids[1])}


def _truncated(path: Path, bank: Bank) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _newer_format(path: Path, bank: Bank) -> None:
    data = bytearray(path.read_bytes())
    data[8:12] = (99).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def _header_changed(path: Path, magic: bytes, **changes: object) -> None:
    """Write the file at ``path`` again (version 1) with ``changes`` to its header."""
    header, arrays = fileformat.read(path, magic, (1,))
    copies = {name: np.array(array) for name, array in arrays.items()}
    header = {k: v for k, v in header.items() if k != "sections"}
    fileformat.write(path, magic, 1, {**header, **changes}, copies)


def _another_banks(path: Path, bank: Bank) -> None:
    _header_changed(path, MAGIC, bank="someone-else")


def _ahead_of_the_database(path: Path, bank: Bank) -> None:
    _header_changed(path, MAGIC, sequence=bank.sequence + 50)


@pytest.mark.parametrize(
    "spoil", [_truncated, _newer_format, _another_banks, _ahead_of_the_database]
)
def test_an_index_file_that_cannot_be_used_is_set_aside_and_rebuilt(
    session: Session,
    hotline: tuple[Principal, Bank],
    tmp_path: Path,
    spoil: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    analyst, bank = hotline
    session.info[indexes.INDEX_DIR_KEY] = str(tmp_path)
    values = _hashes(20)
    ids = _add(session, analyst, bank, values)
    _found(session, bank, values[0])
    path = tmp_path / f"pdq-{bank.uid}.pdqidx"
    assert callable(spoil)
    spoil(path, bank)
    indexes.forget()
    with caplog.at_level(logging.WARNING, logger=indexes.__name__):
        assert [_found(session, bank, v) for v in values] == [{i} for i in ids]
    assert "index file not used, rebuilding it" in caplog.text
    assert path.with_suffix(".bad").is_file()
    assert indexes.bank_index(session, bank).file is not None  # rebuilt and written


@pytest.fixture
def committed(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions that commit for real: compaction reads the bank in a session of its own."""
    engine: Engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    indexes.wait_for_compactions()
    engine.dispose()


def test_compaction_rebuilds_the_base_in_the_background(
    committed: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexes, "COMPACT_AFTER", 8)
    indexes.keep_indexes_in(committed, tmp_path)
    with committed.begin() as session:
        organisation = factories.organisation(session, OrgKind.hotline, "NL")
        analyst = factories.principal(factories.user(session, organisation, Role.analyst))
        bank_id = factories.bank(session, organisation, name="pictures").id
        values = _hashes(20)
        ids = _add(session, analyst, session.get_one(Bank, bank_id), values)
    with committed.begin() as session:
        first = indexes.bank_index(session, session.get_one(Bank, bank_id))
    added: list[int] = []
    for _ in range(3):  # three deltas of four: past the threshold of eight
        with committed.begin() as session:
            bank = session.get_one(Bank, bank_id)
            added += _add(session, analyst, bank, more := _hashes(4))
            values += more
        with committed.begin() as session:
            indexes.bank_index(session, session.get_one(Bank, bank_id))
    indexes.wait_for_compactions()
    with committed.begin() as session:
        bank = session.get_one(Bank, bank_id)
        banks.remove_entries(session, analyst, bank.name, [ids[0]])
    with committed.begin() as session:
        bank = session.get_one(Bank, bank_id)
        index = indexes.bank_index(session, bank)
        assert index.base is not first.base
        assert index.base_sequence > first.base_sequence
        assert len(index.base) == 32  # every entry added, in the new base
        assert index.hidden == {str(ids[0])}  # the removal since, as a delta
        assert [_found(session, bank, v) for v in values] == [
            set(),
            *({i} for i in [*ids[1:], *added]),
        ]
    assert index.file is not None
    assert index.file[0] == (tmp_path / f"pdq-{bank.uid}.pdqidx").stat().st_ino


def test_two_changes_at_once_take_distinct_sequence_numbers(
    committed: sessionmaker[Session], backend: str
) -> None:
    """The second waits for the first's row lock, then reads its sequence: without the
    lock both would write change N + 1, and the one committed later would never be read
    by a delta (nor reach the match index) once a reader had moved past N + 1."""
    if backend != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    with committed.begin() as session:
        organisation = factories.organisation(session, OrgKind.hotline, "NL")
        analyst = factories.principal(factories.user(session, organisation, Role.analyst))
        bank = factories.bank(session, organisation, name="pictures")
    first, second = _hashes(2)
    with committed.begin() as one:
        _add(one, analyst, one.get_one(Bank, bank.id), [first])
        waiting = threading.Thread(
            target=lambda: _in_own_transaction(committed, analyst, bank, second)
        )
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # held at the bank's row
    waiting.join(30)
    with committed.begin() as session:
        sequences = dict(
            session.execute(
                select(BankEntry.signal_value, BankEntry.changed_seq).where(
                    BankEntry.bank_id == bank.id
                )
            ).all()
        )
        assert session.get_one(Bank, bank.id).sequence == sequences[second] == sequences[first] + 1


def _in_own_transaction(
    sessions: sessionmaker[Session], analyst: Principal, bank: Bank, value: str
) -> None:
    with sessions.begin() as session:
        _add(session, analyst, session.get_one(Bank, bank.id), [value])


def test_processes_that_open_a_bank_at_once_build_its_file_once(
    fresh_db_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two server processes (here two engines whose addresses differ, so each keeps an
    index of its own, as processes do) ask for a bank's index at once: one builds the
    file under its lock, the other waits for it and maps it."""
    if backend != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the two never meet")
    first = create_db_engine(fresh_db_url)
    upgrade(first)
    other = make_url(fresh_db_url).update_query_dict({"connect_timeout": "30"})
    second = create_db_engine(other.render_as_string(hide_password=False))
    assert str(first.url) != str(second.url)
    factories_ = [sessionmaker(e, expire_on_commit=False) for e in (first, second)]
    for factory in factories_:
        indexes.keep_indexes_in(factory, tmp_path)
    with factories_[0].begin() as session:
        organisation = factories.organisation(session, OrgKind.hotline, "NL")
        analyst = factories.principal(factories.user(session, organisation, Role.analyst))
        bank_id = factories.bank(session, organisation, name="pictures").id
        _add(session, analyst, session.get_one(Bank, bank_id), _hashes(50))
    builds: list[int] = []
    read_base = indexes._read_base

    def slow_read(session: Session, bank: Bank) -> object:
        builds.append(threading.get_ident())
        time.sleep(0.5)  # the other asks meanwhile
        return read_base(session, bank)

    monkeypatch.setattr(indexes, "_read_base", slow_read)
    found: list[indexes.BankIndex] = []

    def ask(factory: sessionmaker[Session]) -> None:
        with factory.begin() as session:
            found.append(indexes.bank_index(session, session.get_one(Bank, bank_id)))

    threads = [threading.Thread(target=ask, args=(f,)) for f in factories_]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert len(builds) == 1
        assert len(found) == 2 and found[0].base is not found[1].base
        assert found[0].file == found[1].file is not None
        assert len(found[0].base) == len(found[1].base) == 50
    finally:
        first.dispose()
        second.dispose()


def _varied(session: Session, analyst: Principal, bank: Bank, count: int) -> list[int]:
    """``count`` entries with every kind of card: categories or none, notes or none."""
    schemes: list[dict[str, object]] = [
        {},
        {"baseline": True, "iwf": "A", "ncmec": "A1", "vics": 0},
        {"iwf": "C", "vics": 4},
        {"ncmec": "B2"},
    ]
    notes = [None, "", "seen on 203.0.113.7 — Ünïcode, 日本語", "x" * 1000]
    items = [
        EntryIn(
            signal_type="pdq",
            signal=value,
            classification=schemes[n % len(schemes)],
            note=notes[n % len(notes)],
        )
        for n, value in enumerate(_hashes(count))
    ]
    return [e.id for e in banks.add_entries(session, analyst, bank.name, items).entries]


def _cards_in_database(session: Session, ids: list[int]) -> dict[int, EntryCard]:
    session.expire_all()
    rows = session.execute(select(BankEntry).where(BankEntry.id.in_(ids))).scalars()
    return {entry.id: EntryCard.of(entry) for entry in rows}


def test_the_base_holds_each_entrys_card_as_the_database_has_it(
    session: Session, hotline: tuple[Principal, Bank], tmp_path: Path
) -> None:
    analyst, bank = hotline
    session.info[indexes.INDEX_DIR_KEY] = str(tmp_path)
    ids = _varied(session, analyst, bank, 24)
    built = indexes.bank_index(session, bank)
    assert built.cards_of(bank, ids) == _cards_in_database(session, ids)
    assert (tmp_path / f"pdq-{bank.uid}.cards").is_file()

    indexes.forget()  # a restart: the cards are mapped from their file
    opened = indexes.bank_index(session, bank)
    assert opened is not built and opened.cards is not None
    assert opened.cards_of(bank, ids) == _cards_in_database(session, ids)
    assert opened.cards_of(bank, [max(ids) + 1, -1]) == {}  # no such entries


def test_an_entry_changed_since_the_base_has_no_card_from_it(
    session: Session, hotline: tuple[Principal, Bank]
) -> None:
    analyst, bank = hotline
    voter = factories.principal(factories.user(session, bank.owner, Role.analyst))
    ids = _varied(session, analyst, bank, 8)
    revision = bank.revision
    indexes.bank_index(session, bank)
    banks.vote(session, voter, bank.name, ids[0])  # the sequence moves, not the revision
    banks.remove_entries(session, analyst, bank.name, [ids[1]])  # both move
    session.refresh(bank)
    assert bank.revision != revision
    index = indexes.bank_index(session, bank)
    cards = index.cards_of(bank, ids)
    assert set(cards) == set(ids[2:])
    assert cards == _cards_in_database(session, ids[2:])

    banks.vote(session, voter, bank.name, ids[2])  # the revision stays
    session.refresh(bank)
    assert index.cards_of(bank, ids) == {}  # the index has not followed this change yet
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    assert indexes.loaded_index(engine, bank) is None  # the next query follows it
    followed = indexes.bank_index(session, bank)
    assert followed.base is index.base  # no rebuild, nor a delta of the search
    assert str(ids[0]) in followed.hidden and followed.stale == {str(ids[2])}
    assert set(followed.cards_of(bank, ids)) == set(ids[3:])


def _cards_of_another_bank(path: Path, bank: Bank) -> None:
    _header_changed(path, CARD_FILE_MAGIC, bank="someone-else")


@pytest.mark.parametrize(
    "spoil",
    [_truncated, _newer_format, _cards_of_another_bank, "older"],
    ids=["truncated", "newer-format", "another-bank", "of-an-older-base"],
)
def test_a_card_file_that_is_not_the_bases_is_not_used(
    session: Session,
    hotline: tuple[Principal, Bank],
    tmp_path: Path,
    spoil: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    analyst, bank = hotline
    session.info[indexes.INDEX_DIR_KEY] = str(tmp_path)
    values = _hashes(12)
    ids = _add(session, analyst, bank, values)
    indexes.bank_index(session, bank)
    cards = tmp_path / f"pdq-{bank.uid}.cards"
    if spoil == "older":
        older = cards.read_bytes()
        _add(session, analyst, bank, _hashes(1))
        indexes.forget()
        (tmp_path / f"pdq-{bank.uid}.pdqidx").unlink()
        indexes.bank_index(session, bank)  # a new base, then its cards replaced by old ones
        cards.write_bytes(older)
    else:
        assert callable(spoil)
        spoil(cards, bank)
    indexes.forget()
    with caplog.at_level(logging.WARNING, logger="alliance.banks.indexes"):
        index = indexes.bank_index(session, bank)
    assert index.cards is None and index.file is not None  # the base itself is used
    assert "card file not used" in caplog.text
    assert _found(session, bank, values[5]) == {ids[5]}


def test_many_stale_cards_compact_the_base_with_cards_anew(
    committed: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexes, "COMPACT_AFTER", 4)
    indexes.keep_indexes_in(committed, tmp_path)
    with committed.begin() as session:
        organisation = factories.organisation(session, OrgKind.hotline, "NL")
        analyst = factories.principal(factories.user(session, organisation, Role.analyst))
        voter = factories.principal(factories.user(session, organisation, Role.analyst))
        bank_id = factories.bank(session, organisation, name="pictures").id
        ids = _add(session, analyst, session.get_one(Bank, bank_id), _hashes(12))
    with committed.begin() as session:
        first = indexes.bank_index(session, session.get_one(Bank, bank_id))
    for entry_id in ids[:5]:  # five votes: five stale cards, past the threshold of four
        with committed.begin() as session:
            banks.vote(session, voter, "pictures", entry_id)
        with committed.begin() as session:
            indexes.bank_index(session, session.get_one(Bank, bank_id))
    indexes.wait_for_compactions()
    with committed.begin() as session:
        bank = session.get_one(Bank, bank_id)
        index = indexes.bank_index(session, bank)
        assert index.base is not first.base and index.stale == frozenset()
        assert index.cards_of(bank, ids) == _cards_in_database(session, ids)
        assert [index.cards_of(bank, [i])[i].votes for i in ids[:6]] == [2, 2, 2, 2, 2, 1]
