"""Migration 0011: the commitment tables come, cascade from their country, and go."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import DateTime, bindparam, inspect, text

from alliance.db import create_db_engine
from alliance.db.migrate import alembic_config, upgrade

AT = datetime(2026, 12, 5, 5, 0)
TABLES = {"commitments", "commitment_versions", "commitment_references"}


def test_up_and_down(fresh_db_url: str) -> None:
    engine = create_db_engine(fresh_db_url)
    try:
        upgrade(engine, "0010")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0011")
        assert set(inspect(engine).get_table_names()) >= TABLES
        at = bindparam("at", AT, type_=DateTime())
        with engine.begin() as connection:
            for statement in (
                "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
                " VALUES ('NL', 'Netherlands', true, :at)",
                "INSERT INTO member_countries (code, name, joined_on, note, demo, created_at,"
                " updated_at) VALUES ('NL', 'Netherlands', '2012-12-05', '', false, :at, :at)",
                "INSERT INTO commitments (id, country_code, cycle, target_id, status, version,"
                " returned_reason, created_at, updated_at)"
                " VALUES (1, 'NL', 2026, 'ga2012.target.1', 'draft', 1, '', :at, :at)",
                "INSERT INTO commitment_versions (id, commitment_id, number, baseline,"
                " committed, progress, author, created_at)"
                " VALUES (1, 1, 1, '- x [[mnr2015.cap.12]]', '', '', 'user:nl-editor', :at)",
                "INSERT INTO commitment_references VALUES (1, 'baseline', 1, 'framework',"
                " 'mnr2015.cap.12')",
            ):
                connection.execute(
                    text(statement).bindparams(at) if ":at" in statement else text(statement)
                )
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA foreign_keys=ON"))
            connection.execute(text("DELETE FROM member_countries"))
            left = sum(
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in sorted(TABLES)
            )
        assert left == 0
        command.downgrade(alembic_config(engine), "0010")
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
