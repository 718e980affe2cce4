"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

``db_url`` is parametrised over both back ends. PostgreSQL comes from
``ALLIANCE_TEST_POSTGRES_URL`` (the Makefile sets it); each run creates databases of its own
and drops them afterwards, so runs never collide. Each test runs inside a transaction that
is rolled back (services' own commits become savepoints).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alliance.db import create_db_engine
from alliance.db.migrate import upgrade
from tests.support.cli import Run, cli_runner

POSTGRES_ENV = "ALLIANCE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def pytest_report_header() -> str:
    if os.environ.get(POSTGRES_ENV):
        return f"database back ends: {', '.join(BACKENDS)}"
    return f"database back ends: sqlite only ({POSTGRES_ENV} not set)"


class DatabaseMaker:
    """Creates fresh, empty databases of one back end and drops them at the end."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.created: list[str] = []
        if backend == "postgresql":
            url = os.environ[POSTGRES_ENV]
            self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
            try:
                with self.admin.connect() as connection:
                    connection.execute(text("SELECT 1"))
            except Exception as exc:
                pytest.exit(f"PostgreSQL at {POSTGRES_ENV}={url} is not reachable: {exc}", 3)
            self.base_url = make_url(url)

    def new_url(self) -> str:
        name = f"alliance_test_{os.getpid()}_{secrets.token_hex(4)}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def copy_of(self, url: str) -> str:
        """A new database holding what the database at ``url`` holds (which nothing may be
        connected to): a file copy on SQLite, a template on PostgreSQL."""
        if self.backend == "sqlite":
            copy = self.new_url()
            source = sqlite3.connect(make_url(url).database or "")
            target = sqlite3.connect(make_url(copy).database or "")
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            return copy
        name = f"alliance_test_{os.getpid()}_{secrets.token_hex(4)}"
        template = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self.created.append(name)
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.backend != "postgresql":
            return
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseMaker]:
    maker = DatabaseMaker(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield maker
    maker.drop_all()


@pytest.fixture(scope="session")
def db_url(databases: DatabaseMaker) -> str:
    """A database migrated to head, shared by the tests of one back end."""
    url = databases.new_url()
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory whose every transaction is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session, session.begin():
        yield session


@pytest.fixture
def fresh_db_url(databases: DatabaseMaker) -> str:
    """An empty database of its own, for tests that commit for real (CLI, live server)."""
    return databases.new_url()


@pytest.fixture
def cli_data_dir(tmp_path: Path) -> Path:
    """The data folder of the ``run`` fixture's commands; a module overrides it (asking for
    this one) to put files there first."""
    data_dir = tmp_path / "var"
    data_dir.mkdir(exist_ok=True)
    return data_dir


@pytest.fixture
def cli_columns() -> int:
    """How wide the ``run`` fixture's terminal is; a module with wide tables overrides it."""
    return 200


@pytest.fixture
def cli_migrate() -> bool:
    """Whether the ``run`` fixture migrates its database first; a module that tests
    ``db upgrade`` itself overrides it."""
    return True


@pytest.fixture
def run(
    fresh_db_url: str,
    cli_data_dir: Path,
    cli_columns: int,
    cli_migrate: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    """``run("orgs", "list")``: an ``alliance`` command in-process, on a database of its own."""
    with cli_runner(
        fresh_db_url, cli_data_dir, monkeypatch, capsys, columns=cli_columns, migrate=cli_migrate
    ) as invoke:
        yield invoke
