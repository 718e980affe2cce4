"""Countries' capability self-assessments against the Model National Response: a phase
1-4 per capability and year, with evidence and links, private to the country.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 21:55:49.969224
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capability_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.String(length=32), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("assessed_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "phase BETWEEN 1 AND 4", name=op.f("ck_capability_assessments_phase_range")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["member_countries.code"],
            name=op.f("fk_capability_assessments_country_code_member_countries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capability_assessments")),
        sa.UniqueConstraint(
            "country_code",
            "year",
            "capability_id",
            name=op.f("uq_capability_assessments_country_code_year_capability_id"),
        ),
    )
    with op.batch_alter_table("capability_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capability_assessments_country_code"), ["country_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("capability_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capability_assessments_country_code"))

    op.drop_table("capability_assessments")
