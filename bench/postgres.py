"""The PostgreSQL server the benchmarks use, and a fresh database per measurement.

The server is ``$ALLIANCE_BENCH_POSTGRES_URL`` (default: the test suite's local server);
each measurement gets a database of its own, created empty and dropped afterwards, so a
run leaves nothing behind and never meets a previous run's rows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "ALLIANCE_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://root@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None when it can)."""
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network error: the section says so
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        admin.dispose()
    return None


def not_measured(problem: str) -> list[str]:
    """A section's text when the server cannot be reached."""
    return [
        f"Not measured: PostgreSQL at `{make_url(postgres_url()).render_as_string()}` is "
        f"not reachable ({problem}). Set `{POSTGRES_ENV}` to a server this user may "
        "create databases on."
    ]


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one measurement; dropped afterwards."""
    base = make_url(postgres_url())
    name = f"alliance_bench_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Dropped:
    """A table's constraints and secondary indexes, dropped for a bulk ``COPY``."""

    table: str
    constraints: list[tuple[str, str]]  # (name, definition)
    indexes: list[tuple[str, str]]


def drop_for_copy(cursor: psycopg.Cursor[Any], table: str, kinds: str) -> Dropped:
    """Drop ``table``'s constraints of ``kinds`` (``f`` foreign keys, ``u`` unique) and then
    its other non-primary indexes: a bulk copy then costs one sort an index, made again by
    :func:`make_again`, instead of an insertion in each for every row."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = ANY(%s)",
        (table, list(kinds)),
    )
    constraints = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
        (table,),
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return Dropped(table, constraints, indexes)


def make_again(cursor: psycopg.Cursor[Any], dropped: Dropped) -> None:
    """What :func:`drop_for_copy` dropped, made again (indexes first)."""
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for _, definition in dropped.indexes:
        cursor.execute(definition)
    for name, definition in dropped.constraints:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(dropped.table), sql.Identifier(name), sql.SQL(definition)
            )
        )
