"""Migration 0010: the member-country tables come, cascade from their country, and go."""

from __future__ import annotations

from datetime import datetime

from tests.support.migrations import check_new_tables


def test_up_and_down(fresh_db_url: str) -> None:
    check_new_tables(
        fresh_db_url,
        before="0009",
        revision="0010",
        new={"member_countries", "member_country_frameworks", "member_country_contacts"},
        rows=[
            "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
            " VALUES ('NL', 'Netherlands', true, :at)",
            "INSERT INTO organisations (id, slug, name, kind, country_code, active,"
            " created_at) VALUES (1, 'nl-hotline', 'NL hotline', 'hotline', 'NL', true, :at)",
            "INSERT INTO member_countries (code, name, joined_on, note, demo, created_at,"
            " updated_at) VALUES ('NL', 'Netherlands', '2012-12-05', '', false, :at, :at)",
            "INSERT INTO member_country_frameworks VALUES ('NL', 'ga2012')",
            "INSERT INTO member_country_contacts VALUES ('NL', 1)",
        ],
        at=datetime(2026, 12, 5, 4, 0),
        delete_from="member_countries",
    )
