"""The review queue of a platform in member mode: cases opened from matches, their
matches, decisions, action rules and the effects the rules had, and the count of cases per
organisation and status.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.String(length=500), nullable=False),
        sa.Column("media_path", sa.Text(), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column("active_key", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("undecided", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("best_distance", sa.Integer(), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("cybertipline_progress", sa.JSON(), nullable=True),
        sa.Column("dsa_progress", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_review_cases_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_review_cases_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cases")),
        sa.UniqueConstraint("organisation_id", "active_key", name="uq_review_cases_active"),
        sa.UniqueConstraint("reference", name=op.f("uq_review_cases_reference")),
    )
    with op.batch_alter_table("review_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_cases_queue",
            ["organisation_id", "undecided", "opened_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_review_cases_status", ["organisation_id", "status", "opened_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_review_cases_content", ["organisation_id", "content_id"], unique=False
        )

    op.create_table(
        "review_case_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("signal_type", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("verification", sa.String(length=32), nullable=True),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("form", sa.String(length=64), nullable=True),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.Column("feedback", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["review_cases.id"],
            name=op.f("fk_review_case_matches_case_id_review_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_case_matches")),
        sa.UniqueConstraint("case_id", "bank", "entry_id", name="uq_review_case_matches_entry"),
    )
    with op.batch_alter_table("review_case_matches", schema=None) as batch_op:
        batch_op.create_index("ix_review_case_matches_bank", ["bank", "case_id"], unique=False)

    op.create_table(
        "review_case_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["review_cases.id"],
            name=op.f("fk_review_case_decisions_case_id_review_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_review_case_decisions_reviewer_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_case_decisions")),
    )
    with op.batch_alter_table("review_case_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_case_decisions_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "review_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("max_distance", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_review_rules_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rules")),
    )
    with op.batch_alter_table("review_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_rules_organisation", ["organisation_id", "enabled"], unique=False
        )

    op.create_table(
        "review_rule_effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["review_cases.id"],
            name=op.f("fk_review_rule_effects_case_id_review_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["review_case_matches.id"],
            name=op.f("fk_review_rule_effects_match_id_review_case_matches"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["review_rules.id"],
            name=op.f("fk_review_rule_effects_rule_id_review_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rule_effects")),
    )
    with op.batch_alter_table("review_rule_effects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_rule_effects_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_rule_effects_rule_id"), ["rule_id"], unique=False
        )

    op.create_table(
        "review_case_counts",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_review_case_counts_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", "status", name=op.f("pk_review_case_counts")),
    )


def downgrade() -> None:
    op.drop_table("review_case_counts")
    op.drop_table("review_rule_effects")
    op.drop_table("review_rules")
    op.drop_table("review_case_decisions")
    op.drop_table("review_case_matches")
    op.drop_table("review_cases")
