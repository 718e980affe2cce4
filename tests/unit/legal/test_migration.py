"""Migration 0012: the legal-review tables come, cascade from their review, and go."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import DateTime, bindparam, inspect, text

from alliance.db import create_db_engine
from alliance.db.migrate import alembic_config, upgrade

AT = datetime(2026, 12, 5, 5, 0)
TABLES = {"legal_reviews", "legal_review_criteria", "legal_review_scores", "legal_review_sources"}


def test_up_and_down(fresh_db_url: str) -> None:
    engine = create_db_engine(fresh_db_url)
    try:
        upgrade(engine, "0011")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0012")
        assert set(inspect(engine).get_table_names()) >= TABLES
        at = bindparam("at", AT, type_=DateTime())
        with engine.begin() as connection:
            for statement in (
                "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
                " VALUES ('NL', 'Netherlands', true, :at)",
                "INSERT INTO member_countries (code, name, joined_on, note, demo, created_at,"
                " updated_at) VALUES ('NL', 'Netherlands', '2012-12-05', '', false, :at, :at)",
                "INSERT INTO legal_reviews (id, country_code, criteria_framework,"
                " score_framework, sufficient, score_total, non_photographic, ai_generated,"
                " provider_reporting, notes, reviewed_on, reviewed_by, recorded_by,"
                " recorded_at, published, demo) VALUES (1, 'NL', 'icmec2018', 'oosi2019',"
                " true, 8, 'covered', 'unclear', 'covered', '', '2024-01-01', 'x', 'y', :at,"
                " false, false)",
                "INSERT INTO legal_review_criteria VALUES (1, 'icmec2018.crit.1', 'met', '')",
                "INSERT INTO legal_review_scores VALUES (1, 'oosi2019.ind.4.4.1', 3)",
                "INSERT INTO legal_review_sources VALUES (1, 0, 'Code', NULL, NULL)",
            ):
                connection.execute(
                    text(statement).bindparams(at) if ":at" in statement else text(statement)
                )
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA foreign_keys=ON"))
            connection.execute(text("DELETE FROM legal_reviews"))
            left = sum(
                connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in sorted(TABLES - {"legal_reviews"})
            )
        assert left == 0
        command.downgrade(alembic_config(engine), "0011")
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
