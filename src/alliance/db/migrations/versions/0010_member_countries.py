"""The member-country register: the alliance's countries, the framework versions each
reports against, and its national contact organisations.

A member country's code is a jurisdiction's (``jurisdictions.code``); the framework ids
are those of the registry shipped in ``alliance.frameworks`` (data, not a table).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_countries",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"], ["jurisdictions.code"], name=op.f("fk_member_countries_code_jurisdictions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_member_countries")),
    )
    op.create_table(
        "member_country_frameworks",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("framework_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["member_countries.code"],
            name=op.f("fk_member_country_frameworks_country_code_member_countries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "country_code", "framework_id", name=op.f("pk_member_country_frameworks")
        ),
    )
    op.create_table(
        "member_country_contacts",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["member_countries.code"],
            name=op.f("fk_member_country_contacts_country_code_member_countries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_member_country_contacts_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "country_code", "organisation_id", name=op.f("pk_member_country_contacts")
        ),
    )
    with op.batch_alter_table("member_country_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_country_contacts_organisation_id"),
            ["organisation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("member_country_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_country_contacts_organisation_id"))
    op.drop_table("member_country_contacts")
    op.drop_table("member_country_frameworks")
    op.drop_table("member_countries")
