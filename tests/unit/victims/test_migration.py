"""Migration 0009 moves victims' age groups to the assessment's vocabulary (and back)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import JSON, DateTime, Engine

from alliance.db.migrate import upgrade
from tests.support.migrations import Values, downgrade, insert, migrating, select

AT = datetime(2026, 11, 1, 12, 0)
PACKAGE = {"victims": {"total": 3, "by_age_group": {"adolescent": 1, "child": 1, "young_child": 1}}}
ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (1, 'nl-police', 'NL police', 'law_enforcement', 'NL', true, :at)",
    "INSERT INTO series (id, code, name, name_key, owner_organisation_id, status, first_seen_at,"
    " countries, notes, created_at, created_by, updated_at) VALUES (1, 'S-AAAAAAAA', 'Oak',"
    " 'oak', 1, 'active', :at, :countries, '', :at, 'user:x', :at)",
    "INSERT INTO victims (id, reference, series_id, age_group, status, created_at, created_by)"
    " VALUES (1, 'V-1', 1, 'infant', 'unidentified', :at, 'user:x'),"
    " (2, 'V-2', 1, 'young_child', 'unidentified', :at, 'user:x'),"
    " (3, 'V-3', 1, 'child', 'unidentified', :at, 'user:x'),"
    " (4, 'V-4', 1, 'adolescent', 'unidentified', :at, 'user:x'),"
    " (5, 'V-5', 1, 'unknown', 'unidentified', :at, 'user:x')",
    "INSERT INTO referrals (id, reference, series_id, from_organisation_id, to_organisation_id,"
    " to_country, package, status, created_at, created_by) VALUES (1, 'RF-1', 1, 1, 1, 'NL',"
    " :package, 'pending', :at, 'user:x')",
]


VALUES: Values = {
    "at": (AT, DateTime()),
    "countries": (["NL"], JSON()),
    "package": (PACKAGE, JSON()),
}


def _state(engine: Engine) -> tuple[list[str], dict[str, int]]:
    groups = [row.age_group for row in select(engine, "SELECT age_group FROM victims ORDER BY id")]
    [(package,)] = select(engine, "SELECT package FROM referrals")
    data = json.loads(package) if isinstance(package, str) else package
    return groups, data["victims"]["by_age_group"]


def test_age_groups_move_to_the_assessments_vocabulary_and_back(fresh_db_url: str) -> None:
    with migrating(fresh_db_url, "0007") as engine:
        insert(engine, ROWS, VALUES)
        upgrade(engine, "0009")
        groups, counts = _state(engine)
        assert groups == [
            "infant",
            "pre_pubescent",
            "pre_pubescent",
            "pubescent",
            "not_determined",
        ]
        assert counts == {"pre_pubescent": 2, "pubescent": 1}

        downgrade(engine, "0008")
        groups, counts = _state(engine)
        assert groups == ["infant", "child", "child", "adolescent", "unknown"]
        assert counts == {"adolescent": 1, "child": 2}
