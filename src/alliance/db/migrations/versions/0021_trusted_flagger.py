"""An organisation may be a trusted flagger under the EU Digital Services Act, Art. 22
(``organisations.trusted_flagger_awarded_by``).

The status is awarded by the Digital Services Coordinator of the member state where the
organisation is established; the column names that coordinator, and is empty for an
organisation without the status (every row written before this revision). Takedown
notices sent for a trusted flagger say so, with the coordinator, so that the provider
gives them the priority Art. 22(1) requires.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(
            sa.Column("trusted_flagger_awarded_by", sa.String(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.drop_column("trusted_flagger_awarded_by")
