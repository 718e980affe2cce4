"""Review cases keep the reports that follow them: the document each report sent (the
CyberTipline report, the DSA statement, the industry report to the police), the police
report's progress, which report is being sent right now, and who closed the case when.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "police_progress",
    "cybertipline_report",
    "dsa_statement",
    "police_report",
    "report_runs",
)


def upgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.drop_column("closed_by")
        batch.drop_column("closed_at")
        for name in reversed(COLUMNS):
            batch.drop_column(name)
