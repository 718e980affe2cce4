"""Migration 0017: a bank sync keeps its first fetch; rows written before take their last
fetch as their first, and the column goes when undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, inspect

from alliance.db.migrate import upgrade
from tests.support.migrations import downgrade, insert, migrating, select

ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'nl-platform', 'NL platform', 'industry', 'NL', true, :at)",
    "INSERT INTO banks (id, name, uid, owner_organisation_id, scope, description, suppression,"
    " pdq_threshold, dispute_threshold, subscriber_kinds, subscriber_countries, sequence,"
    " revision, created_at, updated_at) VALUES (1, 'one', 'u1', 1, 'baseline', '', false, 31,"
    " 3, '[]', '[]', 0, 'r1', :at, :at)",
    "INSERT INTO bank_syncs (id, bank_id, organisation_id, checkpoint, kind, synced_at)"
    " VALUES (1, 1, 1, 0, 'snapshot', :at)",
]


def test_first_fetch_filled_and_undone(fresh_db_url: str) -> None:
    at = datetime(2026, 12, 6, 1, 30)
    with migrating(fresh_db_url, "0016") as engine:
        insert(engine, ROWS, {"at": (at, DateTime())})
        upgrade(engine, "0017")
        rows = select(engine, "SELECT count(*) FROM bank_syncs WHERE first_synced_at = synced_at")
        assert [tuple(row) for row in rows] == [(1,)]
        downgrade(engine, "0016")
        columns = {c["name"] for c in inspect(engine).get_columns("bank_syncs")}
        assert "first_synced_at" not in columns
