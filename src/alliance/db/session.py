"""Engines and transactions.

SQLite is the embedded default: WAL journal (readers never block the one writer), foreign
keys enforced, a busy timeout so a second writer waits instead of failing. PostgreSQL is
used with server-side prepared statements off (see :func:`create_db_engine`).

A transaction is a writer unless it is begun as a reader: by :func:`reading`, or, for
work run inside :func:`reads_first` (the web server's GET requests), by default. On
SQLite a reader never waits for the writer's turn; a reader that then tries to write
raises :class:`WriteNeeded` before anything is written, so its caller can run the work
again as a writer.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alliance.errors import DatabaseNotReady

#: How long a transaction waits for a pooled connection or SQLite's writer turn by default
#: (commands and workers; the web server waits ALLIANCE_DATABASE_WAIT_SECONDS).
WAIT_SECONDS = 30.0


def create_db_engine(
    url: str, *, pool_size: int | None = None, wait_seconds: float = WAIT_SECONDS, **kwargs: Any
) -> Engine:
    """An engine for ``url``; ``pool_size`` connections kept (SQLAlchemy's default: 5, and
    10 more on demand), each wait for a connection or the writer bounded by ``wait_seconds``.
    """
    parsed = make_url(url)
    if pool_size is not None:
        kwargs = {"pool_size": pool_size, "max_overflow": 0, **kwargs}
    kwargs.setdefault("pool_timeout", wait_seconds)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs = {k: v for k, v in kwargs.items() if not k.startswith(("pool", "max_"))}
        # Pooled connections move between threads (web worker threads, test clients); the
        # pool hands each to one thread at a time, so the same-thread check is not needed.
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        writer = _WriterTurn(wait_seconds)
        event.listen(engine, "begin", writer.begin)
        event.listen(engine, "commit", writer.end)
        event.listen(engine, "rollback", writer.end)
        event.listen(engine, "before_cursor_execute", _refuse_writes_of_readers)
        return engine
    if parsed.get_driver_name() == "psycopg":
        # psycopg prepares a statement it has run five times on a connection; PostgreSQL
        # may then keep a generic plan made before a bulk import filled the table (no
        # statistics until autovacuum analyses it): a sequential scan per lookup, 30-40 s
        # each at 100,000 media records. Unprepared statements are planned with their values.
        connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    return create_engine(url, pool_pre_ping=True, **kwargs)


READ_ONLY = "alliance_read_only"
_READER = "alliance_reader"  # connection.info: its transaction was begun as a reader

_reads_first: ContextVar[bool] = ContextVar("alliance_reads_first", default=False)


class WriteNeeded(Exception):
    """A transaction begun as a reader tried to write; nothing was written. Run the work
    again as a writer (outside :func:`reads_first`)."""


def read_only(connection: Connection) -> Connection:
    """Mark a connection as only reading: on SQLite it then never waits for the writer."""
    return connection.execution_options(**{READ_ONLY: True})


@contextmanager
def reads_first() -> Iterator[None]:
    """Transactions begun in this context (and in threads it starts) are readers unless
    they ask to write (:func:`writing`); see the module docstring."""
    token = _reads_first.set(True)
    try:
        yield
    finally:
        _reads_first.reset(token)


_WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.I)


def holds_writer(connection: Connection) -> bool:
    """Whether a transaction begun as a writer is open on ``connection``: on SQLite it then
    holds the one writer, and no other connection (of any process) can write until it ends."""
    return connection.in_transaction() and connection.info.get(_READER) is False


def _refuse_writes_of_readers(
    connection: Connection, _cursor: Any, statement: str, *_args: Any
) -> None:
    if connection.info.get(_READER) and _WRITE_STATEMENT.match(statement):
        raise WriteNeeded("a transaction begun as a reader tried to write")


class _WriterTurn:
    """SQLite's one writer, taken in turn by the threads of this process.

    pysqlite defers BEGIN on its own; we take control so SAVEPOINT works, and every
    writing transaction takes the write lock up front (a deferred one that later writes
    fails with SQLITE_BUSY when another wrote in between); readers (WAL) never wait. Within
    one process the threads queue on a lock first: SQLite's own busy handler polls with
    sleeps of up to 100 ms, which turned a busy web server's p99 into most of a second.
    """

    def __init__(self, wait_seconds: float) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._wait_seconds = wait_seconds

    def begin(self, connection: Connection) -> None:
        reader = connection.get_execution_options().get(READ_ONLY, _reads_first.get())
        connection.info[_READER] = reader
        if reader:
            connection.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=self._wait_seconds):
            raise DatabaseNotReady(
                f"the database stayed busy for {self._wait_seconds:g} s; try again"
            )
        self._holder = id(connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(connection)
            raise

    def end(self, connection: Connection) -> None:
        connection.info.pop(_READER, None)
        self._release(connection)

    def _release(self, connection: Connection) -> None:
        if self._holder == id(connection):
            self._holder = None
            self._lock.release()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # autocommit off in SQLAlchemy's hands
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def lends_connections(factory: sessionmaker[Session]) -> bool:
    """Whether sessions from ``factory`` may run on two threads at once, each on a
    connection of its own: not when it is bound to one connection (the tests' rolled-back
    transaction), which a second thread would use in the middle of the first one's work."""
    return not isinstance(factory.kw.get("bind"), Connection)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits at the end, rolls everything back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that only reads: on SQLite it never waits for (or blocks) the writer.

    For work that reads and then does something slow outside the database (a DNS lookup,
    a fetch, an SMTP conversation) before a short writing transaction records the result.
    """
    with factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A short writing transaction of its own, even inside :func:`reads_first` (a refusal
    audited, a key's last use noted); commits at the end."""
    with factory() as session, session.begin():
        session.connection(execution_options={READ_ONLY: False})
        yield session
