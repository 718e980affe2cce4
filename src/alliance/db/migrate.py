"""Migrations: upgrade to head, report the current revision, detect model/migration drift.

Alembic's scripts live in ``alliance/db/migrations``; revisions are named
``<rev>_<slug>.py`` and run in batch mode so they work on SQLite too.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from alliance.db.base import Base
from alliance.db.session import read_only
from alliance.errors import DatabaseNotReady

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Every module that declares tables. Named by string so that this lowest layer does not
# import the layers above it; ``load_models`` makes Base.metadata complete.
MODEL_MODULES = (
    "alliance.audit.models",
    "alliance.accounts.models",
    "alliance.banks.models",
    "alliance.hosting.models",
    "alliance.cooperation.models",
    "alliance.takedown.models",
    "alliance.blocklists.models",
    "alliance.review.models",
    "alliance.industry.models",
    "alliance.victims.models",
    "alliance.countries.models",
    "alliance.legal.models",
    "alliance.library.models",
    "alliance.reports.models",
    "alliance.member.models",
)


def load_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    load_models()
    command.upgrade(alembic_config(engine), revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        read_only(connection)
        return MigrationContext.configure(connection).get_current_revision()


#: Tables, indexes, triggers and functions named so are kept by the migrations alone, for
#: what the models cannot declare: full-text search (an FTS5 table and its triggers on
#: SQLite; a table with tsvectors, their GIN indexes and the trigger function filling it
#: on PostgreSQL; see alliance.library.models).
MIGRATION_ONLY_PREFIX = "fts_"


def managed(name: str | None, type_: str, parent_names: Any) -> bool:
    """Whether drift checks compare the object ``name`` (see MIGRATION_ONLY_PREFIX)."""
    return not (name or "").startswith(MIGRATION_ONLY_PREFIX)


def drop_everything(engine: Engine) -> None:
    """Empty the database: the models' tables, the migrations' version and what the
    migrations alone keep (SQLite's FTS5 tables and AUTOINCREMENT counters; PostgreSQL's
    ``fts_*`` tables, which point at the models' tables and so go first, and trigger
    functions)."""
    load_models()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            pattern = MIGRATION_ONLY_PREFIX.replace("_", "\\_") + "%"
            tables = connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename LIKE %(p)s",
                {"p": pattern},
            ).scalars()
            for name in list(tables):
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
            functions = connection.exec_driver_sql(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = current_schema() AND p.proname LIKE %(p)s",
                {"p": pattern},
            ).scalars()
            for name in list(functions):
                connection.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{name}"() CASCADE')
        Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        if connection.dialect.name == "sqlite":
            found = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ?"
                " AND sql LIKE 'CREATE VIRTUAL TABLE%'",
                (len(MIGRATION_ONLY_PREFIX), MIGRATION_ONLY_PREFIX),
            ).scalars()
            for name in list(found):
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
            # AUTOINCREMENT's counters (match_events, migration 0020): SQLite keeps the
            # table, which cannot be dropped; emptied, a rebuilt database counts from 1.
            if connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
            ).first():
                connection.exec_driver_sql("DELETE FROM sqlite_sequence")


def drift(engine: Engine) -> list[str]:
    """Differences between the models and the migrated database; empty when in step."""
    load_models()
    if current_revision(engine) != head_revision(engine):
        return [f"database at {current_revision(engine)}, migrations at {head_revision(engine)}"]
    with engine.connect() as connection:
        read_only(connection)
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_name": managed},
        )
        return [repr(diff) for diff in compare_metadata(context, Base.metadata)]


def ensure_ready(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database answers and is migrated to head."""
    try:
        current = current_revision(engine)
    except Exception as exc:  # any driver error means "not reachable"
        raise DatabaseNotReady(f"database unreachable: {type(exc).__name__}") from None
    head = head_revision(engine)
    if current != head:
        raise DatabaseNotReady(
            f"database schema at {current or 'nothing'}, code expects {head}: "
            "run `alliance db upgrade`"
        )
