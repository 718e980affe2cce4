"""Migration 0020: match events keep their rows and ids; on SQLite the table becomes
AUTOINCREMENT, so ids reserved for the writer are never taken by a plain insert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, text

from alliance.banks.match_events import reserve_ids
from alliance.db.migrate import upgrade
from tests.support.migrations import downgrade, insert, migrating, select

ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'nl-hotline', 'NL hotline', 'hotline', 'NL', true, :at)",
    "INSERT INTO banks (id, name, uid, owner_organisation_id, scope, description, suppression,"
    " pdq_threshold, dispute_threshold, subscriber_kinds, subscriber_countries, sequence,"
    " revision, created_at, updated_at) VALUES (1, 'one', 'u1', 1, 'baseline', '', false, 31,"
    " 3, '[]', '[]', 1, 'r1', :at, :at)",
    "INSERT INTO bank_entries (id, bank_id, signal_type, signal_value, baseline,"
    " contributor_organisation_id, votes, confirmed, disputed, flagged, added_at, changed_seq)"
    " VALUES (1, 1, 'md5', 'd41d8cd98f00b204e9800998ecf8427e', false, 1, 0, 0, 0, false, :at, 1)",
    *(
        "INSERT INTO match_events (entry_id, bank_id, organisation_id, actor, signal_type,"
        " distance, matched_at) VALUES (1, 1, 1, 'test', 'md5', 0, :at)"
        for _ in range(3)
    ),
]


def test_ids_kept_and_never_reused(fresh_db_url: str) -> None:
    with migrating(fresh_db_url, "0019") as engine:
        insert(engine, ROWS, {"at": (datetime(2026, 12, 7), DateTime())})
        upgrade(engine, "0020")
        ids = [r[0] for r in select(engine, "SELECT id FROM match_events ORDER BY id")]
        assert ids == [1, 2, 3]
        with engine.begin() as connection:
            assert reserve_ids(connection, 3) == [4, 5, 6]
            connection.execute(text("DELETE FROM match_events WHERE id = 3"))
            connection.execute(
                text(
                    "INSERT INTO match_events (entry_id, bank_id, actor, signal_type, distance,"
                    " matched_at) SELECT entry_id, bank_id, actor, signal_type, distance,"
                    " matched_at FROM match_events WHERE id = 1"
                )
            )
        # Past the reservation, not max(id) + 1 (2, or 3 again).
        assert max(r[0] for r in select(engine, "SELECT id FROM match_events")) == 7
        downgrade(engine, "0019")
        assert len(select(engine, "SELECT id FROM match_events")) == 3
