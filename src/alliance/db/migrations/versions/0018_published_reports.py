"""Published progress reports: frozen, signed snapshots.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_reports")),
    )
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_published_reports_subject", ["subject", "year", "published_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_published_reports_subject")
    op.drop_table("published_reports")
