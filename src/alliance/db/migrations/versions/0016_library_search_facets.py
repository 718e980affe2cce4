"""Library search finds the filters in the full-text index itself.

A search with filters (published only, a tag, an audience...) used to check each match
against the filters outside the full-text engine: one lookup per match, tens of thousands
for a broad word. Now each entry's filter values are words of their own in the index
(``library_entries.search_facets``: ``statuspublished kindcampaign countrynl org12
tagselfgenerated audienceparents languageen``), kept by the library's services, and the
engine intersects them with the words typed before anything is ranked:

- SQLite: ``fts_library`` gets a second column ``search_facets`` (the words a person types
  are searched in ``search_text`` alone); the index ``fts_library_filters`` goes.
- PostgreSQL: ``fts_library`` keeps the id, the words' vector and a vector of the facets
  (GIN index ``fts_library_facets``); the copied filter columns go.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 01:20:00.000000
"""

import re
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = ("fts_library_ai", "fts_library_ad", "fts_library_au")
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE fts_library USING fts5("
    "search_text, search_facets, content='library_entries', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER fts_library_ai AFTER INSERT ON library_entries BEGIN "
    "INSERT INTO fts_library(rowid, search_text, search_facets) "
    "VALUES (new.id, new.search_text, new.search_facets); END",
    "CREATE TRIGGER fts_library_ad AFTER DELETE ON library_entries BEGIN "
    "INSERT INTO fts_library(fts_library, rowid, search_text, search_facets) "
    "VALUES ('delete', old.id, old.search_text, old.search_facets); END",
    "CREATE TRIGGER fts_library_au AFTER UPDATE OF search_text, search_facets "
    "ON library_entries BEGIN "
    "INSERT INTO fts_library(fts_library, rowid, search_text, search_facets) "
    "VALUES ('delete', old.id, old.search_text, old.search_facets); "
    "INSERT INTO fts_library(rowid, search_text, search_facets) "
    "VALUES (new.id, new.search_text, new.search_facets); END",
    "INSERT INTO fts_library(fts_library) VALUES ('rebuild')",
)
POSTGRES_SEARCH = (
    "ALTER TABLE fts_library DROP COLUMN status, DROP COLUMN organisation_id, "
    "DROP COLUMN country_code, DROP COLUMN kind, ADD COLUMN facet_vector tsvector",
    "UPDATE fts_library f SET facet_vector = to_tsvector('simple'::regconfig, e.search_facets) "
    "FROM library_entries e WHERE e.id = f.id",
    "ALTER TABLE fts_library ALTER COLUMN facet_vector SET NOT NULL",
    "CREATE INDEX fts_library_facets ON fts_library USING gin (facet_vector)",
    "DROP TRIGGER fts_library_sync ON library_entries",
    "CREATE OR REPLACE FUNCTION fts_library_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "INSERT INTO fts_library (id, fts_vector, facet_vector) VALUES (NEW.id, "
    "to_tsvector('simple'::regconfig, NEW.search_text), "
    "to_tsvector('simple'::regconfig, NEW.search_facets)) "
    "ON CONFLICT (id) DO UPDATE SET fts_vector = EXCLUDED.fts_vector, "
    "facet_vector = EXCLUDED.facet_vector; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER fts_library_sync AFTER INSERT OR UPDATE OF id, search_text, search_facets "
    "ON library_entries FOR EACH ROW EXECUTE FUNCTION fts_library_sync()",
)


def _token(facet: str, value: object) -> str:
    # The rule of alliance.library.search.facet_token, as it stands at this revision.
    return facet + re.sub(r"[^0-9a-z]", "", str(value).lower())


def _fill_facets() -> None:
    connection = op.get_bind()
    terms: dict[int, list[str]] = defaultdict(list)
    for entry_id, facet, value in connection.execute(
        sa.text("SELECT entry_id, facet, value FROM library_terms ORDER BY entry_id, position")
    ):
        terms[entry_id].append(_token(facet, value))
    rows = [
        {
            "id": entry_id,
            "facets": " ".join(
                [
                    _token("status", status),
                    _token("kind", kind),
                    _token("country", country),
                    _token("org", organisation_id),
                    *terms[entry_id],
                ]
            ),
        }
        for entry_id, status, kind, country, organisation_id in connection.execute(
            sa.text("SELECT id, status, kind, country_code, organisation_id FROM library_entries")
        )
    ]
    if rows:
        connection.execute(
            sa.text("UPDATE library_entries SET search_facets = :facets WHERE id = :id"), rows
        )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:  # the old triggers would index the new column's filling
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE fts_library")
        op.execute("DROP INDEX IF EXISTS fts_library_filters")
    op.add_column(
        "library_entries", sa.Column("search_facets", sa.Text(), nullable=False, server_default="")
    )
    _fill_facets()
    for statement in POSTGRES_SEARCH if postgres else SQLITE_SEARCH:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER fts_library_sync ON library_entries")
        op.execute("DROP INDEX fts_library_facets")
        op.execute(
            "ALTER TABLE fts_library DROP COLUMN facet_vector, "
            "ADD COLUMN status varchar(16), ADD COLUMN organisation_id integer, "
            "ADD COLUMN country_code varchar(2), ADD COLUMN kind varchar(16)"
        )
        op.execute(
            "UPDATE fts_library f SET status = e.status, organisation_id = e.organisation_id, "
            "country_code = e.country_code, kind = e.kind FROM library_entries e WHERE e.id = f.id"
        )
        for column in ("status", "organisation_id", "country_code", "kind"):
            op.execute(f"ALTER TABLE fts_library ALTER COLUMN {column} SET NOT NULL")
        op.execute(
            "CREATE OR REPLACE FUNCTION fts_library_sync() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN "
            "INSERT INTO fts_library (id, status, organisation_id, country_code, kind, "
            "fts_vector) VALUES (NEW.id, NEW.status, NEW.organisation_id, NEW.country_code, "
            "NEW.kind, to_tsvector('simple'::regconfig, NEW.search_text)) "
            "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, "
            "organisation_id = EXCLUDED.organisation_id, country_code = EXCLUDED.country_code, "
            "kind = EXCLUDED.kind, fts_vector = EXCLUDED.fts_vector; "
            "RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER fts_library_sync AFTER INSERT OR UPDATE OF "
            "id, status, organisation_id, country_code, kind, search_text ON library_entries "
            "FOR EACH ROW EXECUTE FUNCTION fts_library_sync()"
        )
        op.drop_column("library_entries", "search_facets")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE fts_library")
    with op.batch_alter_table("library_entries") as batch_op:
        batch_op.drop_column("search_facets")
    op.execute(
        "CREATE VIRTUAL TABLE fts_library USING fts5("
        "search_text, content='library_entries', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER fts_library_ai AFTER INSERT ON library_entries BEGIN "
        "INSERT INTO fts_library(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER fts_library_ad AFTER DELETE ON library_entries BEGIN "
        "INSERT INTO fts_library(fts_library, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER fts_library_au AFTER UPDATE OF search_text ON library_entries BEGIN "
        "INSERT INTO fts_library(fts_library, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO fts_library(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute("INSERT INTO fts_library(fts_library) VALUES ('rebuild')")
    op.execute(
        "CREATE INDEX fts_library_filters ON library_entries "
        "(id, status, organisation_id, country_code, kind)"
    )
