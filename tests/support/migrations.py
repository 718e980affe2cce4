"""Testing one migration on an empty database of the test's own: rows written at the revision
before it, read after it, and read again once it is undone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from alembic import command
from sqlalchemy import DateTime, Engine, Row, TextClause, bindparam, inspect, text
from sqlalchemy.types import TypeEngine

from alliance.db import create_db_engine
from alliance.db.migrate import alembic_config, upgrade

# Named values the statements may use (``:at``), each with the type to bind it as.
Values = Mapping[str, tuple[Any, TypeEngine[Any]]]


@contextmanager
def migrating(url: str, revision: str) -> Iterator[Engine]:
    """An engine on ``url``, migrated up to ``revision``, disposed of afterwards."""
    engine = create_db_engine(url)
    try:
        upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()


def statement(sql: str, values: Values) -> TextClause:
    """``sql`` with those of ``values`` that it names bound."""
    present = [name for name in values if f":{name}" in sql]
    return text(sql).bindparams(
        *(bindparam(name, values[name][0], type_=values[name][1]) for name in present)
    )


def insert(engine: Engine, rows: Iterable[str], values: Values) -> None:
    with engine.begin() as connection:
        for sql in rows:
            connection.execute(statement(sql, values))


def select(engine: Engine, sql: str) -> list[Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)).all())


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def check_new_tables(
    url: str,
    *,
    before: str,
    revision: str,
    new: set[str],
    rows: Iterable[str],
    at: datetime,
    delete_from: str,
) -> None:
    """The life of a migration that only adds tables: none of ``new`` at ``before``, all of
    them at ``revision``; ``rows`` (which may use ``:at``) go in, deleting from
    ``delete_from`` empties every new table by cascade; and none of them once undone."""
    with migrating(url, before) as engine:
        assert not new & tables(engine)
        upgrade(engine, revision)
        assert tables(engine) >= new
        insert(engine, rows, {"at": (at, DateTime())})
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA foreign_keys=ON"))
            connection.execute(text(f"DELETE FROM {delete_from}"))  # noqa: S608
            left = sum(
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in sorted(new)
            )
        assert left == 0
        downgrade(engine, before)
        assert not new & tables(engine)
