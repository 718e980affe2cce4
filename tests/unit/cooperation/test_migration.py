"""Migration 0004 carries every hold and deconfliction alert over to watched targets."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, String

from alliance.db.migrate import upgrade
from tests.support.migrations import Values, downgrade, insert, migrating, select

PLACED = datetime(2026, 11, 1, 12, 0)
ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'nl-police', 'NL police', 'law_enforcement', 'NL', true, :at),"
    " (2, 'gb-hotline', 'GB hotline', 'hotline', 'NL', true, :at)",
    "INSERT INTO content_items (id, reference, url, host, stage, report_count, received_at,"
    " notice_count) VALUES (1, 'I-AAAAAAAA', 'http://a.example.test/x', 'a.example.test',"
    " 'notice_pending', 1, :at, 0)",
    "INSERT INTO holds (id, reference, organisation_id, target_type, target_value, reason,"
    " placed_by, placed_at, expires_at, renewals, released_at) VALUES"
    " (1, 'H-AAAAAAAA', 1, 'domain', 'example.test', 'op', 'user:x', :at, :expires, 0, NULL),"
    " (2, 'H-BBBBBBBB', 1, 'hash', 'sha256:' || :digest, 'op', 'user:x', :at, :expires, 1,"
    " :at)",
    "INSERT INTO deconfliction_alerts (id, hold_id, organisation_id, item_id,"
    " touched_by_organisation_id, touched_by, action, created_at) VALUES"
    " (1, 1, 1, 1, 2, 'user:gb-analyst', 'report', :at),"
    " (2, 2, 1, NULL, 2, 'api_key:scanner', 'match', :at)",
]


VALUES: Values = {
    "at": (PLACED, DateTime()),
    "expires": (PLACED + timedelta(days=30), DateTime()),
    "digest": ("ab" * 32, String()),
}


def test_holds_and_alerts_carry_over_and_back(fresh_db_url: str) -> None:
    with migrating(fresh_db_url, "0003") as engine:
        insert(engine, ROWS, VALUES)
        upgrade(engine, "0004")
        targets = select(
            engine,
            "SELECT id, organisation_id, kind, value, source, source_reference, ended_at"
            " FROM deconfliction_targets ORDER BY source_reference",
        )
        alerts = select(
            engine,
            'SELECT id, target_id, organisation_id, subject, "count", shared_note, action'
            " FROM deconfliction_alerts ORDER BY id",
        )
        domain, hashed = targets
        assert tuple(domain)[1:] == (1, "domain", "example.test", "hold", "H-AAAAAAAA", None)
        assert tuple(hashed)[1:6] == (1, "hash", "sha256:" + "ab" * 32, "hold", "H-BBBBBBBB")
        assert hashed.ended_at is not None  # the hold was released
        assert [tuple(a) for a in alerts] == [
            (1, domain.id, 1, "I-AAAAAAAA", 1, None, "report"),
            (2, hashed.id, 1, None, 1, None, "match"),
        ]

        downgrade(engine, "0003")
        back = select(engine, "SELECT id, hold_id, item_id FROM deconfliction_alerts ORDER BY id")
        assert [tuple(a) for a in back] == [(1, 1, 1), (2, 2, None)]
