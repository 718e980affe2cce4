"""Member mode: the uploads that matched at a member, and each of their matches (the
review queue opens its cases from them).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("suppressed_by", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_member_uploads_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_uploads")),
    )
    with op.batch_alter_table("member_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_member_uploads_received", ["received_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_member_uploads_reference"), ["reference"], unique=False
        )
    op.create_table(
        "member_upload_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("bank", sa.String(length=64), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("signal_type", sa.String(length=16), nullable=False),
        sa.Column("matched_signal", sa.Text(), nullable=False),
        sa.Column("distance", sa.SmallInteger(), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("query_form", sa.String(length=64), nullable=False),
        sa.Column("classification", sa.JSON(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("contributor", sa.String(length=64), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_member_upload_matches_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["member_uploads.id"],
            name=op.f("fk_member_upload_matches_upload_id_member_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_upload_matches")),
    )
    with op.batch_alter_table("member_upload_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_upload_matches_upload_id"), ["upload_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("member_upload_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_upload_matches_upload_id"))
    op.drop_table("member_upload_matches")
    with op.batch_alter_table("member_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_uploads_reference"))
        batch_op.drop_index("ix_member_uploads_received")
    op.drop_table("member_uploads")
