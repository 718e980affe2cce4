"""A sequence number of the watched hashes: every hash target registered and every target
ended moves it on, so that the match service can keep the watched hashes in memory and
answer a hit on an unwatched hash without the database (docs/scale.md).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "deconfliction_watch_sequence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "sequence": 0}])


def downgrade() -> None:
    op.drop_table("deconfliction_watch_sequence")
