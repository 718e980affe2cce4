"""A hosting provider may be a member of the alliance (``hosting_providers.organisation_id``).

The progress report counts the notices to *participating* companies closed as removed:
a provider that is itself a member organisation (an industry member) participates. The
secretariat links a provider to its member organisation in the provider directory; rows
written before this revision are linked to none.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hosting_providers") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_hosting_providers_organisation_id_organisations",
            "organisations",
            ["organisation_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_hosting_providers_organisation_id", ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hosting_providers") as batch_op:
        batch_op.drop_index("ix_hosting_providers_organisation_id")
        batch_op.drop_constraint(
            "fk_hosting_providers_organisation_id_organisations", type_="foreignkey"
        )
        batch_op.drop_column("organisation_id")
