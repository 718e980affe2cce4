"""Match events written in batches off the request path (alliance.banks.match_events):
ids reserved per process and never shared, events written once their request commits,
on flush, by the thread within its interval and at shutdown, feedback on a queued match,
and what a crash loses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.banks import match_events
from alliance.banks import services as banks
from alliance.banks.match_events import MatchEventWriter
from alliance.banks.models import BankEntry, MatchEvent
from alliance.banks.schemas import EntryIn, FeedbackIn, MatchRequest, SignalIn
from alliance.db import create_db_engine, make_session_factory
from alliance.db.bulk import insert_rows
from alliance.db.migrate import upgrade
from alliance.errors import NotFound
from tests import factories
from tests.factories import pdq_hex

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Platform:
    """A migrated database of the test's own with a bank of one entry and a reviewer who
    may match against it: what a server process sees."""

    url: str
    reviewer: Principal
    entry_id: int
    bank_id: int

    def process(self, **writer: Any) -> tuple[Engine, sessionmaker[Session], MatchEventWriter]:
        """A 'server process': its own engine and session factory and a writer on them."""
        engine = create_db_engine(self.url)
        sessions = make_session_factory(engine)
        events = MatchEventWriter(sessions, **writer)
        events.attach()
        return engine, sessions, events


@pytest.fixture
def platform(fresh_db_url: str) -> Platform:
    engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        hotline = factories.organisation(session, OrgKind.hotline, "NL")
        industry = factories.organisation(session, OrgKind.industry, "US")
        analyst = factories.principal(factories.user(session, hotline, Role.analyst))
        reviewer = factories.principal(factories.user(session, industry, Role.reviewer))
        bank = factories.bank(session, hotline, name="baseline-nl")
        banks.add_entries(
            session, analyst, "baseline-nl", [EntryIn(signal_type="pdq", signal=pdq_hex(1))]
        )
        entry_id = session.execute(select(BankEntry.id)).scalar_one()
        bank_id = bank.id
    engine.dispose()
    return Platform(fresh_db_url, reviewer, entry_id, bank_id)


def _matches(platform: Platform, count: int) -> list[match_events.NewMatch]:
    return [
        match_events.NewMatch(
            entry_id=platform.entry_id,
            bank_id=platform.bank_id,
            organisation_id=platform.reviewer.organisation_id,
            actor=platform.reviewer.audit_label,
            signal_type="pdq",
            distance=n % 32,
        )
        for n in range(count)
    ]


def _written(sessions: sessionmaker[Session]) -> set[int]:
    with sessions() as session:
        return set(session.execute(select(MatchEvent.id)).scalars())


def _match(sessions: sessionmaker[Session], platform: Platform) -> int:
    """A match request as the web server runs it: one transaction, committed."""
    query = MatchRequest(signals=[SignalIn(signal_type="pdq", signal=pdq_hex(1))])
    with sessions.begin() as session:
        return banks.match(session, platform.reviewer, query).results[0].matches[0].match_id


def test_ids_are_never_given_twice_across_processes(platform: Platform) -> None:
    """Two processes (engines) reserving small blocks from several threads each, and rows
    inserted without an id meanwhile (a command, the demo): every id is unique, and the
    events all land under the ids their requests were answered with."""
    a = platform.process(block=7)
    b = platform.process(block=5)
    answered: list[int] = []
    lock = threading.Lock()

    def requests(sessions: sessionmaker[Session]) -> None:
        for n in range(15):
            with sessions.begin() as session:
                ids = match_events.record(session, _matches(platform, 1 + n % 3))
            with lock:
                answered.extend(ids)

    threads = [threading.Thread(target=requests, args=(p[1],)) for p in (a, b, a, b)]
    for thread in threads:
        thread.start()
    direct = []
    plain = make_session_factory(a[0])  # no writer: inserted in the caller's transaction
    for _ in range(5):
        with plain.begin() as session:
            direct += match_events.record(session, _matches(platform, 2))
    for thread in threads:
        thread.join()
    assert len(answered) == len(set(answered)) == 4 * sum(1 + n % 3 for n in range(15))
    assert not set(direct) & set(answered)
    a[2].flush()
    b[2].flush()
    assert _written(a[1]) == set(answered) | set(direct)
    for engine, _, _ in (a, b):
        engine.dispose()


def test_events_are_written_on_flush_not_before_and_not_after_a_rollback(
    platform: Platform,
) -> None:
    engine, sessions, events = platform.process()
    with sessions.begin() as session:
        ids = match_events.record(session, _matches(platform, 3))

    def failing() -> None:
        with sessions.begin() as session:
            match_events.record(session, _matches(platform, 2))
            raise RuntimeError("the request failed after matching")

    with pytest.raises(RuntimeError):
        failing()
    with sessions.begin() as session, session.begin_nested() as nested:
        match_events.record(session, _matches(platform, 4))
        nested.rollback()  # a page's savepoint, undone: its events with it
    assert events.queued == 3 and _written(sessions) == set()
    assert events.flush() == 3
    assert _written(sessions) == set(ids) and events.queued == 0
    with sessions() as session:
        row = session.get_one(MatchEvent, ids[0])
        assert (row.entry_id, row.organisation_id, row.verdict) == (
            platform.entry_id,
            platform.reviewer.organisation_id,
            None,
        )
    engine.dispose()


def test_the_thread_writes_within_its_interval_and_in_batches(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, sessions, events = platform.process(interval=0.1, batch=50)
    batches: list[int] = []

    def counted(session: Session, model: type[Any], rows: Any) -> None:
        batches.append(len(rows))
        insert_rows(session, model, rows)

    monkeypatch.setattr(match_events, "insert_rows", counted)
    events.start()
    try:
        with sessions.begin() as session:
            ids = match_events.record(session, _matches(platform, 120))
        started = time.monotonic()
        while _written(sessions) != set(ids):
            assert time.monotonic() - started < 5, "the thread did not write the queue"
            time.sleep(0.02)
        # 120 events in batches of at most 50 rows: a statement (COPY on PostgreSQL) a
        # batch, not one an event.
        assert sum(batches) == 120 and max(batches) <= 50 and len(batches) == 3
    finally:
        events.close()
        engine.dispose()


def test_a_graceful_stop_writes_everything_queued(platform: Platform) -> None:
    # An interval no test outlasts: the thread writes nothing until close() wakes it, so
    # the 2,500 are still queued however slowly a loaded machine records them.
    engine, sessions, events = platform.process(interval=3600.0, batch=10_000)
    events.start()
    with sessions.begin() as session:
        ids = match_events.record(session, _matches(platform, 2500))
    assert events.queued == 2500
    events.close()  # the app's lifespan does this when uvicorn stops
    assert _written(sessions) == set(ids) and events.queued == 0
    engine.dispose()


def test_feedback_on_a_match_still_queued_in_this_process(platform: Platform) -> None:
    engine, sessions, events = platform.process()  # no thread: only feedback writes
    match_id = _match(sessions, platform)
    other = _match(sessions, platform)
    assert events.queued == 2
    # Feedback that fails after writing the queue into its transaction puts it back.

    def failing() -> None:
        with sessions.begin() as session:
            banks.feedback(session, platform.reviewer, match_id, FeedbackIn(verdict="confirmed"))
            raise RuntimeError("the request failed after the feedback")

    with pytest.raises(RuntimeError):
        failing()
    assert events.queued == 2 and _written(sessions) == set()
    with sessions.begin() as session:
        out = banks.feedback(session, platform.reviewer, match_id, FeedbackIn(verdict="disputed"))
        assert out.match_id == match_id and out.disputed == 1
    assert events.queued == 0 and _written(sessions) == {match_id, other}
    with sessions() as session:
        assert session.get_one(MatchEvent, match_id).verdict == "disputed"
    engine.dispose()


def test_feedback_on_a_match_another_process_still_queues(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    """Process A answered the match and has not written it; feedback reaches process B.
    PostgreSQL: B waits up to OTHER_PROCESS_WAIT for A to write it, then answers 404.
    SQLite: B's transaction holds the one writer, so A cannot write meanwhile: 404 at once
    (until A has written it, within its interval)."""
    a_engine, a_sessions, a_events = platform.process(interval=0.2)
    b_engine, b_sessions, _ = platform.process()
    postgres = a_engine.dialect.name == "postgresql"
    match_id = _match(a_sessions, platform)
    verdict = FeedbackIn(verdict="confirmed")

    started = time.monotonic()
    with pytest.raises(NotFound), b_sessions.begin() as session:
        banks.feedback(session, platform.reviewer, match_id, verdict)
    waited = time.monotonic() - started
    if postgres:
        assert waited >= match_events.OTHER_PROCESS_WAIT
    else:
        assert waited < match_events.OTHER_PROCESS_WAIT
    # An id no process has given out is 404 at once on both.
    started = time.monotonic()
    with pytest.raises(NotFound), b_sessions.begin() as session:
        banks.feedback(session, platform.reviewer, match_id + 10_000, verdict)
    assert time.monotonic() - started < match_events.OTHER_PROCESS_WAIT

    a_events.start()  # A writes within its interval (polled: a loaded machine is slow)
    try:
        started = time.monotonic()
        while match_id not in _written(b_sessions):
            assert time.monotonic() - started < 30, (
                f"process A did not write its queue ({a_events.queued} queued): {caplog.text}"
            )
            time.sleep(0.05)
        with b_sessions.begin() as session:
            out = banks.feedback(session, platform.reviewer, match_id, verdict)
        assert out.confirmed == 1
    finally:
        a_events.close()
        a_engine.dispose()
        b_engine.dispose()


def test_without_a_writer_events_are_written_in_the_transaction(session: Session) -> None:
    """Commands and tests (no writer on the session) record as before: in the caller's
    transaction, with ids from the same sequence."""
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    industry = factories.organisation(session, OrgKind.industry, "US")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    reviewer = factories.principal(factories.user(session, industry, Role.reviewer))
    factories.bank(session, hotline, name="direct")
    banks.add_entries(session, analyst, "direct", [EntryIn(signal_type="pdq", signal=pdq_hex(5))])
    query = MatchRequest(signals=[SignalIn(signal_type="pdq", signal=pdq_hex(5))])
    match_id = banks.match(session, reviewer, query).results[0].matches[0].match_id
    assert session.get_one(MatchEvent, match_id).distance == 0


def test_a_reservation_moves_the_sequence_past_rows_inserted_without_an_id(
    platform: Platform,
) -> None:
    engine, sessions, _ = platform.process()
    with sessions.begin() as session:
        first = match_events.reserve_ids(session.connection(), 10)
    with sessions.begin() as session:
        session.add(
            MatchEvent(
                entry_id=platform.entry_id,
                bank_id=platform.bank_id,
                actor="test",
                signal_type="pdq",
                distance=0,
            )
        )
        session.flush()
        direct = session.execute(select(func.max(MatchEvent.id))).scalar_one()
    with sessions.begin() as session:
        second = match_events.reserve_ids(session.connection(), 10)
    assert len(set(first)) == 10 and direct > max(first) and min(second) > direct
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            ddl = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'match_events'")
            ).scalar_one()
        assert "AUTOINCREMENT" in ddl  # migration 0020
    engine.dispose()


CRASHING = textwrap.dedent(
    """
    import sys, time
    from alliance.banks import match_events
    from alliance.banks.match_events import MatchEventWriter, NewMatch
    from alliance.db import create_db_engine, make_session_factory

    url, entry, bank, org, interval = sys.argv[1:6]
    sessions = make_session_factory(create_db_engine(url))
    writer = MatchEventWriter(sessions, interval=float(interval))
    writer.attach()
    writer.start()
    match = NewMatch(int(entry), int(bank), int(org), "test", "pdq", 0)
    while True:
        with sessions.begin() as session:
            ids = match_events.record(session, [match])
        # answered: the id and when
        print(ids[0], time.time(), flush=True)
        time.sleep(0.005)
    """
)


def test_a_crash_loses_at_most_the_last_interval(platform: Platform, tmp_path: Path) -> None:
    """A server process killed without warning (SIGKILL) while answering matches: every
    event it answered more than an interval (and one batch's write) before it died is
    written; only the last ones are lost."""
    interval = 0.2
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            platform.url,
            str(platform.entry_id),
            str(platform.bank_id),
            str(platform.reviewer.organisation_id),
            str(interval),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    answered: list[tuple[int, float]] = []
    while len(answered) < 150:
        line = child.stdout.readline()
        assert line, "the process stopped on its own"
        match_id, at = line.split()
        answered.append((int(match_id), float(at)))
    child.send_signal(signal.SIGKILL)
    killed = time.time()
    answered += [
        (int(i), float(t)) for i, t in (line.split() for line in child.stdout if line.strip())
    ]
    child.wait()
    engine = create_db_engine(platform.url)
    written = _written(make_session_factory(engine))
    engine.dispose()
    lost = [(i, at) for i, at in answered if i not in written]
    assert written <= {i for i, _ in answered}
    # One batch's write on this shared machine: allow a second besides the interval.
    assert all(killed - at < interval + 1.0 for _, at in lost), (killed, lost)
    assert len(written) >= len(answered) - len(lost) > 0
