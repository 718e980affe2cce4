"""Migration 0023: the member's recorded uploads and their matches; deleting an upload
deletes its matches; undone, both tables go."""

from __future__ import annotations

from datetime import datetime

from tests.support.migrations import check_new_tables

ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('US', 'United States', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'platform', 'Platform', 'industry', 'US', true, :at)",
    "INSERT INTO member_uploads (id, received_at, kind, reference, organisation_id, actor,"
    " signals, matched, suppressed_by) VALUES (1, :at, 'hash', 'post-7', 1, 'api_key:x',"
    ' \'[{"signal_type": "md5", "signal": "d41d8cd98f00b204e9800998ecf8427e"}]\', 1, \'[]\')',
    "INSERT INTO member_upload_matches (upload_id, origin, bank, entry_id, signal_type,"
    " matched_signal, distance, variant, query_form, classification, verified, suppressed)"
    " VALUES (1, 'synced', 'baseline', 90211, 'md5', 'd41d8cd98f00b204e9800998ecf8427e', 0,"
    " 'original', 'original', '{\"iwf\": \"A\"}', true, false)",
]


def test_member_uploads_added_and_undone(fresh_db_url: str) -> None:
    check_new_tables(
        fresh_db_url,
        before="0022",
        revision="0023",
        new={"member_uploads", "member_upload_matches"},
        rows=ROWS,
        at=datetime(2026, 12, 7, 7, 0),
        delete_from="member_uploads",
    )
