"""What every command needs: settings, the database, and who is at the console."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.policy import Principal
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import ensure_ready
from alliance.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_db_engine(settings().effective_database_url)


def sessions() -> sessionmaker[Session]:
    return make_session_factory(engine())


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction on a database migrated to head; all of it or nothing."""
    ensure_ready(engine())
    with sessions().begin() as session:
        yield session


def operator() -> Principal:
    """The person at the server's console, audited as ``operator:<login name>``."""
    try:
        name = os.environ.get("ALLIANCE_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        name = "unknown"
    return Principal.operator(name)
