"""Migration 0008: series targets get their code name, hold alerts count as exact matches,
and the alerts gain who acknowledged them; and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic import command
from sqlalchemy import Connection, DateTime, Row, bindparam, text

from alliance.db import create_db_engine
from alliance.db.migrate import alembic_config, upgrade

AT = datetime(2026, 11, 1, 12, 0)
ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'nl-police', 'NL police', 'law_enforcement', 'NL', true, :at),"
    " (2, 'gb-police', 'GB police', 'law_enforcement', 'NL', true, :at)",
    "INSERT INTO series (id, code, name, name_key, owner_organisation_id, status,"
    " first_seen_at, countries, notes, created_at, created_by, updated_at) VALUES"
    " (1, 'S-HERON001', 'Grey Heron', 'grey heron', 1, 'active', :at, '[]', '', :at,"
    " 'user:x', :at)",
    "INSERT INTO deconfliction_targets (id, organisation_id, kind, value, source,"
    " source_reference, registered_at) VALUES"
    " (1, 1, 'series', 'S-HERON001', 'series', 'S-HERON001', :at),"
    " (2, 1, 'url', 'https://a.example.test/x', 'hold', 'H-AAAAAAAA', :at)",
    "INSERT INTO deconfliction_alerts (id, target_id, organisation_id,"
    " touched_by_organisation_id, touched_by, action, subject, count, created_at) VALUES"
    " (1, 1, 1, 2, 'user:gb', 'seizure', 'SZ-1', 4, :at),"
    " (2, 2, 1, 2, 'user:gb', 'report', 'I-1', 1, :at)",
]


def _select(connection: Connection, sql: str) -> list[Row[Any]]:
    return list(connection.execute(text(sql)).all())


def test_labels_and_exact_counts_carry_over_and_back(fresh_db_url: str) -> None:
    engine = create_db_engine(fresh_db_url)
    try:
        upgrade(engine, "0007")
        with engine.begin() as connection:
            for statement in ROWS:
                at = bindparam("at", AT, type_=DateTime())
                connection.execute(text(statement).bindparams(at))
        upgrade(engine, "0008")
        with engine.connect() as connection:
            labels = _select(connection, "SELECT id, label FROM deconfliction_targets ORDER BY id")
            alerts = _select(
                connection,
                "SELECT id, exact_count, near_count, matches, acknowledged_by_organisation_id"
                " FROM deconfliction_alerts ORDER BY id",
            )
        assert [tuple(r) for r in labels] == [(1, "Grey Heron"), (2, None)]
        # A series alert before 0008 did not keep its split; a hold's was exact.
        assert [tuple(r) for r in alerts] == [(1, None, None, None, None), (2, 1, 0, None, None)]

        command.downgrade(alembic_config(engine), "0007")
        with engine.connect() as connection:
            back = _select(connection, 'SELECT id, "count" FROM deconfliction_alerts ORDER BY id')
        assert [tuple(r) for r in back] == [(1, 4), (2, 1)]
    finally:
        engine.dispose()
