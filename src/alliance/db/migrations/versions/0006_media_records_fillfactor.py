"""Media records keep a tenth of each page free on PostgreSQL.

Every triage updates the records it recognises (submissions, last seen, distributed). With
full pages each such update writes a new row version elsewhere and a new entry in every
index of the table; with room on the page PostgreSQL updates in place (a HOT update: no
index touched). Pages written before this keep their rows until they are rewritten.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE media_records SET (fillfactor = 90)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE media_records RESET (fillfactor)")
