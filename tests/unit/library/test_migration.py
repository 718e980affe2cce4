"""Migration 0016: each entry's filter values become words of the search index, entries
written before it included, and searching by them works on both databases; undone, search
reads the words alone again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Engine, inspect, text

from alliance.db.migrate import upgrade
from tests.support.migrations import downgrade, insert, migrating, select

ROWS = [
    "INSERT INTO jurisdictions (code, name, alliance_member, created_at)"
    " VALUES ('NL', 'Netherlands', true, :at)",
    "INSERT INTO organisations (id, slug, name, kind, country_code, active, created_at) VALUES"
    " (7, 'nl-hotline', 'NL hotline', 'hotline', 'NL', true, :at)",
    "INSERT INTO library_entries (id, kind, title, summary, country_code, organisation_id,"
    " reach, status, search_text, created_by, created_at, updated_at, published_at) VALUES"
    " (1, 'campaign', 'Helpline week', '', 'NL', 7, '', 'published', 'Helpline week', 'x',"
    " :at, :at, :at),"
    " (2, 'guidance', 'Helpline draft', '', 'NL', 7, '', 'draft', 'Helpline draft', 'x',"
    " :at, :at, NULL)",
    "INSERT INTO library_terms (entry_id, facet, value, position) VALUES"
    " (1, 'tag', 'self_generated', 0), (1, 'audience', 'parents', 1)",
]


def _found(engine: Engine, words: str, facets: str) -> list[int]:
    """Entries holding ``words`` and the facet words ``facets`` (both: all of them)."""
    if engine.dialect.name == "postgresql":
        sql = (
            "SELECT id FROM fts_library WHERE fts_vector @@ to_tsquery('simple', :words)"
            " AND facet_vector @@ to_tsquery('simple', :facets) ORDER BY id"
        )
        values = {"words": words, "facets": " & ".join(facets.split())}
    else:
        sql = "SELECT rowid FROM fts_library WHERE fts_library MATCH :match ORDER BY rowid"
        values = {"match": f"search_text : {words} AND search_facets : ({facets})"}
    with engine.connect() as connection:
        return list(connection.execute(text(sql), values).scalars())


def test_facets_filled_and_searched(fresh_db_url: str) -> None:
    with migrating(fresh_db_url, "0015") as engine:
        insert(engine, ROWS, {"at": (datetime(2026, 12, 6, 1, 0), DateTime())})
        upgrade(engine, "0016")
        facets = select(engine, "SELECT id, search_facets FROM library_entries ORDER BY id")
        assert [tuple(row) for row in facets] == [
            (1, "statuspublished kindcampaign countrynl org7 tagselfgenerated audienceparents"),
            (2, "statusdraft kindguidance countrynl org7"),
        ]
        assert _found(engine, "helpline", "statuspublished") == [1]
        assert _found(engine, "helpline", "org7") == [1, 2]
        assert _found(engine, "helpline", "tagselfgenerated audienceparents") == [1]
        assert _found(engine, "statuspublished", "org7") == []  # never among the words
        with engine.begin() as connection:  # the triggers keep both
            connection.execute(
                text(
                    "UPDATE library_entries SET search_facets = 'statuspublished org7' WHERE id = 2"
                )
            )
        assert _found(engine, "helpline", "statuspublished") == [1, 2]
        downgrade(engine, "0015")
        assert "search_facets" not in {
            c["name"] for c in inspect(engine).get_columns("library_entries")
        }
        if engine.dialect.name == "postgresql":  # the filter columns are back, filled
            sql = "SELECT id FROM fts_library WHERE status = 'published' ORDER BY id"
            assert [row[0] for row in select(engine, sql)] == [1]
        else:
            sql = "SELECT rowid FROM fts_library WHERE fts_library MATCH 'helpline' ORDER BY rowid"
            assert [row[0] for row in select(engine, sql)] == [1, 2]
