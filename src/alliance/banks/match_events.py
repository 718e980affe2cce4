"""Match events, written in batches off the request path.

A match request answers with a ``match_id`` per match, on which the member may later give
feedback, so each event's id is known before its row is written. Ids come from
``match_events``' own sequence (PostgreSQL's serial sequence; SQLite's AUTOINCREMENT
counter in ``sqlite_sequence``, migration 0020), reserved a block at a time
(:func:`reserve_ids`): each server process hands them out from its block with no round
trip, several processes never share one, and a row inserted without an id (a command, the
demo) gets one past every block handed out. On SQLite a reservation takes the one writer
for a moment, once a block; ids left in a block when the process stops are gaps.

In the web server, a request's events are queued when its transaction commits (none if it
rolls back) and :class:`MatchEventWriter`'s thread inserts them, many rows a statement, in
a transaction of its own every ``interval`` seconds or as soon as ``batch`` wait.
Stopping the server writes what is queued (:meth:`MatchEventWriter.close`, from the app's
lifespan). A crash loses the events of the last interval and the batch being written:
about ``interval`` plus one write, per process (docs/scale.md). Their ids were answered
and are then unknown: feedback on one is 404.

Feedback on a match written by no one yet: this process's queue is written into the
feedback's transaction first; an id another process still holds is waited for up to
``OTHER_PROCESS_WAIT`` on PostgreSQL (on SQLite the feedback's transaction holds the one
writer, so no other process could write it meanwhile), then it is 404 (:func:`find`).

Commands, the worker and tests whose sessions carry no writer write their events in the
caller's transaction, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from alliance.banks.models import MatchEvent
from alliance.db.base import utcnow
from alliance.db.bulk import insert_rows
from alliance.db.session import holds_writer, lends_connections, writing
from alliance.errors import ConfigurationError, DatabaseNotReady

log = logging.getLogger(__name__)

#: Seconds an event may wait in its process's queue; a batch goes as soon as BATCH wait.
INTERVAL = 0.15
BATCH = 1000
#: Ids a process reserves at a time (lost, as gaps, when it stops).
BLOCK = 1000
#: Events queued beyond this (the database refusing writes for a while) make matching
#: fail with 503 rather than keep growing memory that a crash would lose.
MAX_QUEUED = 100_000
#: How long feedback waits for a match another process has not written yet.
OTHER_PROCESS_WAIT = 1.0

_WRITER = "alliance_match_event_writer"  # sessionmaker info: the process's writer
_STAGED = "alliance_match_events_staged"  # session info: events tied to its transaction


@dataclass(frozen=True)
class NewMatch:
    """A match to record: who asked, which entry, how close."""

    entry_id: int
    bank_id: int
    organisation_id: int | None
    actor: str
    signal_type: str
    distance: int


# --- ids --------------------------------------------------------------------------------


def reserve_ids(connection: Connection, count: int) -> list[int]:
    """``count`` match event ids that no one else is given, nor any row inserted without an
    id. PostgreSQL: the serial sequence's next values (outside any transaction's fate).
    SQLite: the AUTOINCREMENT counter moved on in ``connection``'s transaction, which must
    hold the writer; the ids are reserved once it commits."""
    if count < 1:
        return []
    dialect = connection.dialect.name
    if dialect == "postgresql":
        values = connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('match_events', 'id'))"
                " FROM generate_series(1, :count)"
            ),
            {"count": count},
        ).scalars()
        return sorted(int(v) for v in values)
    if dialect != "sqlite":
        raise ConfigurationError(f"match event ids need PostgreSQL or SQLite, not {dialect}")
    # The counter is at least the highest id ever inserted (AUTOINCREMENT); max(id) covers
    # a table copied in before the counter's row existed.
    moved = connection.execute(
        text(
            "UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0)"
            " FROM match_events)) + :count WHERE name = 'match_events'"
        ),
        {"count": count},
    )
    if moved.rowcount == 0:  # no row was ever inserted
        connection.execute(
            text(
                "INSERT INTO sqlite_sequence (name, seq)"
                " SELECT 'match_events', coalesce(max(id), 0) + :count FROM match_events"
            ),
            {"count": count},
        )
    top = int(
        connection.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = 'match_events'")
        ).scalar_one()
    )
    return list(range(top - count + 1, top + 1))


def _issued_up_to(connection: Connection) -> int:
    """The highest match event id given out so far by any process (PostgreSQL)."""
    value = connection.execute(
        text(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('match_events', 'id')::regclass)"
        )
    ).scalar_one_or_none()
    return int(value or 0)


# --- the writer -------------------------------------------------------------------------


class MatchEventWriter:
    """One server process's match events: ids from its block, a queue, and a thread that
    writes the queue in batches (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        interval: float = INTERVAL,
        batch: int = BATCH,
        block: int = BLOCK,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self._sessions = sessions
        self.interval = interval
        self._batch = batch
        self._block = block
        self._max_queued = max_queued
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when a batch is written
        self._queue: list[dict[str, Any]] = []
        self._in_flight = 0  # rows taken by a batch whose transaction is open
        self._ids: list[int] = []  # reserved, not yet handed out (ascending, popped from 0)
        self._ids_lock = threading.Lock()
        self._writing = threading.Lock()  # one batch at a time in this process
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- wiring

    def attach(self) -> None:
        """Make sessions from the factory queue their events here (see :func:`record`)."""
        self._sessions.configure(info={**self._sessions.kw.get("info", {}), _WRITER: self})
        for name, listener in _LISTENERS.items():
            if not event.contains(self._sessions, name, listener):
                event.listen(self._sessions, name, listener)

    def start(self) -> None:
        """Start the thread that writes the queue every interval. A factory bound to one
        connection (the tests' rolled-back transaction) cannot lend it to a second thread:
        its events are then written by :meth:`flush`, feedback and :meth:`close`."""
        if self._thread is not None or not lends_connections(self._sessions):
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="match-events", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and write everything queued (a graceful shutdown loses none)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()

    # -- what requests do

    def ids(self, session: Session, count: int) -> list[int]:
        """``count`` fresh ids for ``session``'s events, from this process's block. No lock
        is held while a block is reserved: that may wait for SQLite's writer, which the
        thread of a request waiting for the lock may hold."""
        with self._ids_lock:
            if len(self._ids) >= count:
                taken, self._ids = self._ids[:count], self._ids[count:]
                return taken
        connection = session.connection()
        if connection.dialect.name == "sqlite" and holds_writer(connection):
            # The caller holds SQLite's one writer, so no transaction of our own could
            # reserve a block now: reserve these ids in the caller's, whose rollback undoes
            # them together with the events they are for.
            return reserve_ids(connection, count)
        if connection.dialect.name == "postgresql":
            fresh = reserve_ids(connection, max(self._block, count))  # nextval: no transaction
        else:
            with writing(self._sessions) as own:
                fresh = reserve_ids(own.connection(), max(self._block, count))
        with self._ids_lock:
            # Threads that ran dry together each reserved a block: the spare ones wait here.
            self._ids = sorted(self._ids + fresh)
            taken, self._ids = self._ids[:count], self._ids[count:]
            return taken

    def record_now(self, matches: Sequence[NewMatch]) -> list[int] | None:
        """Queue ``matches``' events at once, with ids from this process's block, for an
        answer made without a transaction (alliance.web.match_lane); None, and nothing
        queued, when the block has too few ids left (reserving more needs the database)."""
        self.check_room()
        with self._ids_lock:
            if len(self._ids) < len(matches):
                return None
            ids, self._ids = self._ids[: len(matches)], self._ids[len(matches) :]
        now = utcnow()
        self.submit([_row(match, now, id_) for match, id_ in zip(matches, ids, strict=True)])
        return ids

    def check_room(self) -> None:
        """Refuse a match that would be queued behind too many unwritten events."""
        if self.queued >= self._max_queued:
            raise DatabaseNotReady("match events are not being written; try again in a moment")

    def submit(self, rows: Sequence[dict[str, Any]]) -> None:
        """Queue rows (a committed request's events) for the next batch."""
        with self._lock:
            self._queue.extend(rows)
            full = len(self._queue) >= self._batch
        if full:
            self._wake.set()

    def requeue(self, rows: Sequence[dict[str, Any]]) -> None:
        """Put back rows that a transaction took from the queue and then rolled back."""
        with self._lock:
            self._queue[:0] = rows

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue) + self._in_flight

    # -- writing

    def flush(self) -> int:
        """Write every event queued so far in a transaction of this thread's own, and
        return how many. Not from a thread whose open transaction holds SQLite's writer."""
        written = 0
        while True:
            count = self._write_batch()
            written += count
            if count == 0:
                return written

    def write_into(self, session: Session) -> int:
        """Write the queue in ``session``'s transaction (feedback on a match still queued:
        it holds SQLite's writer, so a transaction of our own would wait for it). A batch
        being written meanwhile is waited for; rows taken here go back to the queue if the
        transaction does not commit."""
        with self._lock:
            # While the caller holds SQLite's writer no batch can be open; on PostgreSQL
            # one may be, and commits without waiting for anything the caller holds.
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=OTHER_PROCESS_WAIT)
            rows, self._queue = self._queue, []
        if not rows:
            return 0
        try:
            insert_rows(session, MatchEvent, rows)
        except BaseException:
            self.requeue(rows)
            raise
        _stage(session, rows, self, written=True)
        return len(rows)

    def _write_batch(self) -> int:
        with self._writing:
            with self._lock:
                if not self._queue:
                    return 0
            rows: list[dict[str, Any]] = []
            try:
                with writing(self._sessions) as session:
                    # Taken once the transaction holds the writer: until then a feedback
                    # request may write them into its own (write_into).
                    with self._lock:
                        rows, self._queue = self._queue[: self._batch], self._queue[self._batch :]
                        self._in_flight = len(rows)
                    insert_rows(session, MatchEvent, rows)
            except BaseException:
                self.requeue(rows)
                raise
            finally:
                with self._lock:
                    self._in_flight = 0
                    self._idle.notify_all()
            return len(rows)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                while self._write_batch() >= self._batch:  # behind: catch up at once
                    pass
            except Exception:
                # The database refusing writes: keep the queue, try again next interval.
                log.exception("match events not written; retrying")
                time.sleep(self.interval)


def writer_of(session: Session) -> MatchEventWriter | None:
    writer = session.info.get(_WRITER)
    return writer if isinstance(writer, MatchEventWriter) else None


# --- recording and finding ---------------------------------------------------------------


def record(session: Session, matches: Sequence[NewMatch]) -> list[int]:
    """Record ``matches`` and return their ids, in order. With a writer (the web server):
    queued when ``session``'s transaction commits, written within the writer's interval.
    Without one: inserted in ``session``'s transaction."""
    if not matches:
        return []
    writer = writer_of(session)
    now = utcnow()
    if writer is None:
        events = [_event(match, now) for match in matches]
        session.add_all(events)
        session.flush()
        return [e.id for e in events]
    writer.check_room()
    ids = writer.ids(session, len(matches))
    rows = [_row(match, now, id_) for match, id_ in zip(matches, ids, strict=True)]
    _stage(session, rows, writer, written=False)
    return ids


def _event(match: NewMatch, now: datetime) -> MatchEvent:
    return MatchEvent(**_row(match, now, None))


def _row(match: NewMatch, now: datetime, id_: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entry_id": match.entry_id,
        "bank_id": match.bank_id,
        "organisation_id": match.organisation_id,
        "actor": match.actor,
        "signal_type": match.signal_type,
        "distance": match.distance,
        "matched_at": now,
        "verdict": None,
        "verdict_note": None,
        "verdict_at": None,
    }
    if id_ is not None:
        row["id"] = id_
    return row


def find(session: Session, match_id: int) -> MatchEvent | None:
    """The match event ``match_id``, written first if this process still queues it; one
    another process has given out is waited for up to OTHER_PROCESS_WAIT (PostgreSQL)."""
    found = session.get(MatchEvent, match_id)
    if found is not None:
        return found
    writer = writer_of(session)
    if writer is not None and writer.write_into(session):
        found = session.get(MatchEvent, match_id)
        if found is not None:
            return found
    connection = session.connection()
    if connection.dialect.name != "postgresql" or match_id > _issued_up_to(connection):
        return None
    deadline = time.monotonic() + OTHER_PROCESS_WAIT
    while time.monotonic() < deadline:
        time.sleep(0.05)
        # Each statement of a READ COMMITTED transaction sees what committed before it.
        if (found := session.get(MatchEvent, match_id)) is not None:
            return found
    return None


# --- events tied to a transaction --------------------------------------------------------


@dataclass
class _Staged:
    transaction: SessionTransaction
    rows: Sequence[dict[str, Any]]
    writer: MatchEventWriter
    written: bool  # written in the transaction (taken from the queue), or to be queued


def _stage(
    session: Session, rows: Sequence[dict[str, Any]], writer: MatchEventWriter, *, written: bool
) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    assert transaction is not None  # rows were just reserved or inserted in it
    session.info.setdefault(_STAGED, []).append(_Staged(transaction, rows, writer, written))


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _after_commit(session: Session) -> None:
    for staged in session.info.pop(_STAGED, []):
        if not staged.written:
            staged.writer.submit(staged.rows)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    kept = []
    for staged in session.info.get(_STAGED, []):
        if _within(staged.transaction, previous):
            if staged.written:
                staged.writer.requeue(staged.rows)
        else:
            kept.append(staged)
    session.info[_STAGED] = kept


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # ended without a commit (closed): as a rollback
        _after_soft_rollback(session, transaction)
        session.info.pop(_STAGED, None)


_LISTENERS: dict[str, Any] = {
    "after_commit": _after_commit,
    "after_soft_rollback": _after_soft_rollback,
    "after_transaction_end": _after_transaction_end,
}
