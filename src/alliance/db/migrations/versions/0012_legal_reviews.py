"""The legal-framework matrix: reviews of member countries' law against ICMEC's criteria
and the Out of the Shadows indicator 4.4, every review kept, with its criteria, scores
and sources.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("criteria_framework", sa.String(length=32), nullable=False),
        sa.Column("score_framework", sa.String(length=32), nullable=False),
        sa.Column("sufficient", sa.Boolean(), nullable=False),
        sa.Column("score_total", sa.Integer(), nullable=False),
        sa.Column("non_photographic", sa.String(length=32), nullable=False),
        sa.Column("ai_generated", sa.String(length=32), nullable=False),
        sa.Column("provider_reporting", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["member_countries.code"],
            name=op.f("fk_legal_reviews_country_code_member_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_reviews")),
    )
    with op.batch_alter_table("legal_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_reviews_country_code"), ["country_code"], unique=False
        )
    op.create_table(
        "legal_review_criteria",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("statute", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["legal_reviews.id"],
            name=op.f("fk_legal_review_criteria_review_id_legal_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "item_id", name=op.f("pk_legal_review_criteria")),
    )
    op.create_table(
        "legal_review_scores",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["legal_reviews.id"],
            name=op.f("fk_legal_review_scores_review_id_legal_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "item_id", name=op.f("pk_legal_review_scores")),
    )
    op.create_table(
        "legal_review_sources",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["legal_reviews.id"],
            name=op.f("fk_legal_review_sources_review_id_legal_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "position", name=op.f("pk_legal_review_sources")),
    )


def downgrade() -> None:
    op.drop_table("legal_review_sources")
    op.drop_table("legal_review_scores")
    op.drop_table("legal_review_criteria")
    with op.batch_alter_table("legal_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_reviews_country_code"))
    op.drop_table("legal_reviews")
