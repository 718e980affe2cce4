"""Review cases keep the DSA statement of reasons as the uploader reads it (Art. 17), beside
the statement sent to the Transparency Database.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-09 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.add_column(sa.Column("dsa_user_notice", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.drop_column("dsa_user_notice")
