"""Migration 0018: the published reports' table comes and goes."""

from __future__ import annotations

from datetime import datetime

from tests.support.migrations import check_new_tables


def test_up_and_down(fresh_db_url: str) -> None:
    check_new_tables(
        fresh_db_url,
        before="0017",
        revision="0018",
        new={"published_reports"},
        rows=[
            "INSERT INTO published_reports (id, subject, year, published_at, published_by,"
            " digest, key_id, document) VALUES (1, 'NL', 2025, :at, 'x', 'd', 'k', 'e30=')",
        ],
        at=datetime(2026, 12, 6, 2, 0),
        delete_from="published_reports",
    )
