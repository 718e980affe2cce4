"""A member's first fetch of a bank is kept beside its last one (``bank_syncs``).

The progress report counts hash-list subscribers per period: an organisation subscribed
during a period fetched first before the period's end and last after its start. The
row kept only the last fetch; rows written before this revision take it as their first.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_syncs") as batch_op:
        batch_op.add_column(sa.Column("first_synced_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE bank_syncs SET first_synced_at = synced_at")
    with op.batch_alter_table("bank_syncs") as batch_op:
        batch_op.alter_column("first_synced_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_syncs") as batch_op:
        batch_op.drop_column("first_synced_at")
