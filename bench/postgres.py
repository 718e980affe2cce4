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
