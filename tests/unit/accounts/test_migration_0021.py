"""Migration 0021: an organisation may be a DSA trusted flagger; organisations written
before have no such status, and the column goes when undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, inspect

from alliance.db.migrate import upgrade
from tests.support.migrations import downgrade, insert, migrating, select

ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'nl-hotline', 'Hotline NL', 'hotline', 'NL', true, :at)",
]


def test_trusted_flagger_added_and_undone(fresh_db_url: str) -> None:
    at = datetime(2026, 12, 7, 3, 30)
    with migrating(fresh_db_url, "0020") as engine:
        insert(engine, ROWS, {"at": (at, DateTime())})
        upgrade(engine, "0021")
        rows = select(engine, "SELECT slug, trusted_flagger_awarded_by FROM organisations")
        assert [tuple(row) for row in rows] == [("nl-hotline", None)]
        downgrade(engine, "0020")
        columns = {c["name"] for c in inspect(engine).get_columns("organisations")}
        assert "trusted_flagger_awarded_by" not in columns
        assert select(engine, "SELECT slug FROM organisations")[0][0] == "nl-hotline"
