"""Migration 0011: the commitment tables come, cascade from their country, and go."""

from __future__ import annotations

from datetime import datetime

from tests.support.migrations import check_new_tables


def test_up_and_down(fresh_db_url: str) -> None:
    check_new_tables(
        fresh_db_url,
        before="0010",
        revision="0011",
        new={"commitments", "commitment_versions", "commitment_references"},
        rows=[
            "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
            " VALUES ('NL', 'Netherlands', true, :at)",
            "INSERT INTO member_countries (code, name, joined_on, note, demo, created_at,"
            " updated_at) VALUES ('NL', 'Netherlands', '2012-12-05', '', false, :at, :at)",
            "INSERT INTO commitments (id, country_code, cycle, target_id, status, version,"
            " returned_reason, created_at, updated_at)"
            " VALUES (1, 'NL', 2026, 'ga2012.target.1', 'draft', 1, '', :at, :at)",
            "INSERT INTO commitment_versions (id, commitment_id, number, baseline,"
            " committed, progress, author, created_at)"
            " VALUES (1, 1, 1, '- x [[mnr2015.cap.12]]', '', '', 'user:nl-editor', :at)",
            "INSERT INTO commitment_references VALUES (1, 'baseline', 1, 'framework',"
            " 'mnr2015.cap.12')",
        ],
        at=datetime(2026, 12, 5, 5, 0),
        delete_from="member_countries",
    )
