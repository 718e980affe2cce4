"""Engines and transactions.

SQLite is the embedded default: WAL journal (readers never block the one writer), foreign
keys enforced, a busy timeout so a second writer waits instead of failing. PostgreSQL is
used with server-side prepared statements off (see :func:`create_db_engine`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alliance.errors import DatabaseNotReady


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Pooled connections move between threads (web worker threads, test clients); the
        # pool hands each to one thread at a time, so the same-thread check is not needed.
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        writer = _WriterTurn()
        event.listen(engine, "begin", writer.begin)
        event.listen(engine, "commit", writer.end)
        event.listen(engine, "rollback", writer.end)
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


def read_only(connection: Connection) -> Connection:
    """Mark a connection as only reading: on SQLite it then never waits for the writer."""
    return connection.execution_options(**{READ_ONLY: True})


class _WriterTurn:
    """SQLite's one writer, taken in turn by the threads of this process.

    pysqlite defers BEGIN on its own; we take control so SAVEPOINT works, and every
    writing transaction takes the write lock up front (a deferred one that later writes
    fails with SQLITE_BUSY when another wrote in between); readers (WAL) never wait. Within
    one process the threads queue on a lock first: SQLite's own busy handler polls with
    sleeps of up to 100 ms, which turned a busy web server's p99 into most of a second.
    """

    TIMEOUT_SECONDS = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None

    def begin(self, connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=self.TIMEOUT_SECONDS):
            raise DatabaseNotReady("the database stayed busy for 30 s; try again")
        self._holder = id(connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(connection)
            raise

    def end(self, connection: Connection) -> None:
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
