"""Migration 0019: a hosting provider may name the member organisation it is; providers
written before are linked to none, and the column goes when undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, inspect

from alliance.db.migrate import upgrade
from tests.support.migrations import downgrade, insert, migrating, select

ROWS = [
    "INSERT INTO hosting_providers (id, slug, name, country_code, asns, batch_notices, note,"
    " active, created_at, updated_at) VALUES (1, 'host-nl', 'Host NL', 'NL', '[]', false, '',"
    " true, :at, :at)",
]


def test_provider_member_added_and_undone(fresh_db_url: str) -> None:
    at = datetime(2026, 12, 6, 5, 0)
    with migrating(fresh_db_url, "0018") as engine:
        insert(engine, ROWS, {"at": (at, DateTime())})
        upgrade(engine, "0019")
        rows = select(engine, "SELECT slug, organisation_id FROM hosting_providers")
        assert [tuple(row) for row in rows] == [("host-nl", None)]
        keys = inspect(engine).get_foreign_keys("hosting_providers")
        assert [k["referred_table"] for k in keys] == ["organisations"]
        downgrade(engine, "0018")
        columns = {c["name"] for c in inspect(engine).get_columns("hosting_providers")}
        assert "organisation_id" not in columns
