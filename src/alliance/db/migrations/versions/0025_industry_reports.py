"""Industry reports: a platform's confirmed case routed to the police of the uploader's
country (or the secretariat's triage), and each step of its way.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "industry_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("case_reference", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("classification", sa.String(length=4), nullable=False),
        sa.Column("child_at_risk", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("declared_country", sa.String(length=2), nullable=True),
        sa.Column("ip_events", sa.JSON(), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("bank_matches", sa.JSON(), nullable=False),
        sa.Column("known_in_bank", sa.Boolean(), nullable=False),
        sa.Column("series_codes", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("lea_organisation_id", sa.Integer(), nullable=True),
        sa.Column("routing_basis", sa.String(length=16), nullable=True),
        sa.Column("routed_at", sa.DateTime(), nullable=True),
        sa.Column("triage_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lea_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_industry_reports_lea_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_industry_reports_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_industry_reports")),
        sa.UniqueConstraint(
            "organisation_id",
            "case_reference",
            name=op.f("uq_industry_reports_organisation_id_case_reference"),
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_industry_reports_reference")),
    )
    with op.batch_alter_table("industry_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_industry_reports_lea_status", ["lea_organisation_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_industry_reports_status"), ["status"], unique=False)

    op.create_table(
        "industry_report_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("lea_organisation_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lea_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_industry_report_steps_lea_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_industry_report_steps_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["industry_reports.id"],
            name=op.f("fk_industry_report_steps_report_id_industry_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_industry_report_steps")),
    )
    with op.batch_alter_table("industry_report_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_industry_report_steps_report_id"), ["report_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("industry_report_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_industry_report_steps_report_id"))
    op.drop_table("industry_report_steps")
    with op.batch_alter_table("industry_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_industry_reports_status"))
        batch_op.drop_index("ix_industry_reports_lea_status")
    op.drop_table("industry_reports")
