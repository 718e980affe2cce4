"""Storage: migrations match the models; SQLite runs with WAL and foreign keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind
from alliance.db import create_db_engine
from alliance.db.migrate import (
    alembic_config,
    current_revision,
    drift,
    drop_everything,
    ensure_ready,
    head_revision,
    upgrade,
)
from alliance.errors import DatabaseNotReady


def test_migrations_match_models(engine: Engine) -> None:
    assert drift(engine) == []
    assert current_revision(engine) == head_revision(engine)
    ensure_ready(engine)


def test_unmigrated_database_is_not_ready(fresh_db_url: str) -> None:
    engine = create_db_engine(fresh_db_url)
    with pytest.raises(DatabaseNotReady, match="alliance db upgrade"):
        ensure_ready(engine)
    assert drift(engine)  # behind head counts as drift
    upgrade(engine)
    ensure_ready(engine)
    engine.dispose()


def test_search_objects_go_with_everything_and_come_back(fresh_db_url: str) -> None:
    """The migration-only search objects (migrations 0015 and 0016: SQLite's FTS5 table and
    triggers, PostgreSQL's search table and its trigger function) go down and up with their
    migrations, and an emptied database is empty of them too."""
    engine = create_db_engine(fresh_db_url)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "0014")
    upgrade(engine)
    assert drift(engine) == []
    drop_everything(engine)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            left = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " UNION ALL SELECT proname FROM pg_proc p JOIN pg_namespace n"
                    " ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
                    " AND proname LIKE 'fts%'"
                )
            )
        else:
            # SQLite keeps its AUTOINCREMENT counters' table (it cannot be dropped), emptied.
            left = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE name <> 'sqlite_sequence'"
                    " UNION ALL SELECT name FROM sqlite_sequence"
                )
            )
        assert list(left) == []
    upgrade(engine)
    ensure_ready(engine)
    engine.dispose()


def test_unreachable_database_is_not_ready() -> None:
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseNotReady, match="unreachable"):
        ensure_ready(engine)


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x' / 'a.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Organisation(slug="orphan", name="x", kind=OrgKind.hotline, country_code="QQ"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_media_records_leave_room_for_updates_on_postgresql(engine: Engine) -> None:
    """Triage updates the records it recognises; free room on a page lets PostgreSQL do it
    in place (migration 0006)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL storage parameter")
    with engine.connect() as connection:
        options = connection.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'media_records'")
        ).scalar_one()
    assert options == ["fillfactor=90"]
