"""Migration 0010: the member-country tables come, cascade from their country, and go."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import DateTime, bindparam, inspect, text

from alliance.db import create_db_engine
from alliance.db.migrate import alembic_config, upgrade

AT = datetime(2026, 12, 5, 4, 0)
TABLES = {"member_countries", "member_country_frameworks", "member_country_contacts"}


def test_up_and_down(fresh_db_url: str) -> None:
    engine = create_db_engine(fresh_db_url)
    try:
        upgrade(engine, "0009")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0010")
        assert set(inspect(engine).get_table_names()) >= TABLES
        at = bindparam("at", AT, type_=DateTime())
        with engine.begin() as connection:
            for statement in (
                "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
                " VALUES ('NL', 'Netherlands', true, :at)",
                "INSERT INTO organisations (id, slug, name, kind, country_code, active,"
                " created_at) VALUES (1, 'nl-hotline', 'NL hotline', 'hotline', 'NL', true, :at)",
                "INSERT INTO member_countries (code, name, joined_on, note, demo, created_at,"
                " updated_at) VALUES ('NL', 'Netherlands', '2012-12-05', '', false, :at, :at)",
                "INSERT INTO member_country_frameworks VALUES ('NL', 'ga2012')",
                "INSERT INTO member_country_contacts VALUES ('NL', 1)",
            ):
                connection.execute(
                    text(statement).bindparams(at) if ":at" in statement else text(statement)
                )
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA foreign_keys=ON"))
            connection.execute(text("DELETE FROM member_countries"))
            left = connection.execute(
                text("SELECT count(*) FROM member_country_frameworks")
            ).scalar_one()
            left += connection.execute(
                text("SELECT count(*) FROM member_country_contacts")
            ).scalar_one()
        assert left == 0
        command.downgrade(alembic_config(engine), "0009")
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
