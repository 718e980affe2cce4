"""Migration 0008: series targets get their code name, hold alerts count as exact matches,
and the alerts gain who acknowledged them; and back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime

from alliance.db.migrate import upgrade
from tests.support.migrations import downgrade, insert, migrating, select

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


def test_labels_and_exact_counts_carry_over_and_back(fresh_db_url: str) -> None:
    with migrating(fresh_db_url, "0007") as engine:
        insert(engine, ROWS, {"at": (AT, DateTime())})
        upgrade(engine, "0008")
        labels = select(engine, "SELECT id, label FROM deconfliction_targets ORDER BY id")
        alerts = select(
            engine,
            "SELECT id, exact_count, near_count, matches, acknowledged_by_organisation_id"
            " FROM deconfliction_alerts ORDER BY id",
        )
        assert [tuple(r) for r in labels] == [(1, "Grey Heron"), (2, None)]
        # A series alert before 0008 did not keep its split; a hold's was exact.
        assert [tuple(r) for r in alerts] == [(1, None, None, None, None), (2, 1, 0, None, None)]

        downgrade(engine, "0007")
        back = select(engine, 'SELECT id, "count" FROM deconfliction_alerts ORDER BY id')
        assert [tuple(r) for r in back] == [(1, 4), (2, 1)]
