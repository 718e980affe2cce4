"""Audit anchors: the audit chain's head signed with the platform key, kept and exported.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
    )
    with op.batch_alter_table("audit_anchors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_anchors_seq"), ["seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_anchors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_anchors_seq"))
    op.drop_table("audit_anchors")
