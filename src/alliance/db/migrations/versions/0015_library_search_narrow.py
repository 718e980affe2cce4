"""Library search reads a narrow copy of what it filters on, not the wide entries.

Ranking a broad word ranks every entry that holds it (tens of thousands of 100,000), and
every one of them is checked against the filters (published, country, kind, organisation).
Reading those from ``library_entries`` (summary, search text: about 1 kB a row) cost more
than the ranking itself. So:

- SQLite: an index ``fts_library_filters`` on ``library_entries`` (id, status,
  organisation_id, country_code, kind): a match found by FTS5 is checked in this index,
  never in the table's rows.
- PostgreSQL: a table ``fts_library`` (id, status, organisation_id, country_code, kind and
  the ``tsvector``; GIN index ``fts_library_vector``) kept by the trigger
  ``fts_library_sync`` and cascading deletes, instead of the generated column
  ``library_entries.fts_vector`` (dropped): a search reads this table alone.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 22:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_SEARCH = (
    "CREATE TABLE fts_library ("
    "id integer PRIMARY KEY REFERENCES library_entries (id) ON DELETE CASCADE, "
    "status varchar(16) NOT NULL, organisation_id integer NOT NULL, "
    "country_code varchar(2) NOT NULL, kind varchar(16) NOT NULL, "
    "fts_vector tsvector NOT NULL)",
    "INSERT INTO fts_library (id, status, organisation_id, country_code, kind, fts_vector) "
    "SELECT id, status, organisation_id, country_code, kind, "
    "to_tsvector('simple'::regconfig, search_text) FROM library_entries",
    "CREATE INDEX fts_library_vector ON fts_library USING gin (fts_vector)",
    "CREATE FUNCTION fts_library_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO fts_library (id, status, organisation_id, country_code, kind, fts_vector) "
    "VALUES (NEW.id, NEW.status, NEW.organisation_id, NEW.country_code, NEW.kind, "
    "to_tsvector('simple'::regconfig, NEW.search_text)) "
    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, "
    "organisation_id = EXCLUDED.organisation_id, country_code = EXCLUDED.country_code, "
    "kind = EXCLUDED.kind, fts_vector = EXCLUDED.fts_vector; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER fts_library_sync AFTER INSERT OR UPDATE OF "
    "id, status, organisation_id, country_code, kind, search_text ON library_entries "
    "FOR EACH ROW EXECUTE FUNCTION fts_library_sync()",
    "DROP INDEX fts_library_entries",
    "ALTER TABLE library_entries DROP COLUMN fts_vector",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_SEARCH:
            op.execute(statement)
    else:
        op.execute(
            "CREATE INDEX fts_library_filters ON library_entries "
            "(id, status, organisation_id, country_code, kind)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE library_entries ADD COLUMN fts_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
        )
        op.execute("CREATE INDEX fts_library_entries ON library_entries USING gin (fts_vector)")
        op.execute("DROP TRIGGER IF EXISTS fts_library_sync ON library_entries")
        op.execute("DROP FUNCTION IF EXISTS fts_library_sync()")
        op.execute("DROP TABLE IF EXISTS fts_library")
    else:
        op.execute("DROP INDEX IF EXISTS fts_library_filters")
