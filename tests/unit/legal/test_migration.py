"""Migration 0012: the legal-review tables come, cascade from their review, and go."""

from __future__ import annotations

from datetime import datetime

from tests.support.migrations import check_new_tables


def test_up_and_down(fresh_db_url: str) -> None:
    check_new_tables(
        fresh_db_url,
        before="0011",
        revision="0012",
        new={
            "legal_reviews",
            "legal_review_criteria",
            "legal_review_scores",
            "legal_review_sources",
        },
        rows=[
            "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
            " VALUES ('NL', 'Netherlands', true, :at)",
            "INSERT INTO member_countries (code, name, joined_on, note, demo, created_at,"
            " updated_at) VALUES ('NL', 'Netherlands', '2012-12-05', '', false, :at, :at)",
            "INSERT INTO legal_reviews (id, country_code, criteria_framework,"
            " score_framework, sufficient, score_total, non_photographic, ai_generated,"
            " provider_reporting, notes, reviewed_on, reviewed_by, recorded_by,"
            " recorded_at, published, demo) VALUES (1, 'NL', 'icmec2018', 'oosi2019',"
            " true, 8, 'covered', 'unclear', 'covered', '', '2024-01-01', 'x', 'y', :at,"
            " false, false)",
            "INSERT INTO legal_review_criteria VALUES (1, 'icmec2018.crit.1', 'met', '')",
            "INSERT INTO legal_review_scores VALUES (1, 'oosi2019.ind.4.4.1', 3)",
            "INSERT INTO legal_review_sources VALUES (1, 0, 'Code', NULL, NULL)",
        ],
        at=datetime(2026, 12, 5, 5, 0),
        delete_from="legal_reviews",
    )
