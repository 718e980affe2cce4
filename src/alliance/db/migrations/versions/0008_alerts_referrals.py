"""Deconfliction alerts say who acknowledged them and how close the match was.

A watched target keeps what people call its source (a series' code name, filled in here
for the series already watched); an alert keeps how many of the items it counts were the
same content and how many near duplicates, which of the watcher's hashes matched, and the
agency of the person who acknowledged it. Alerts raised on holds before this revision
were exact matches (a hold names a URL, domain, hash or report as it is).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

targets = sa.table(
    "deconfliction_targets",
    sa.column("id", sa.Integer()),
    sa.column("source", sa.String()),
    sa.column("source_reference", sa.String()),
    sa.column("label", sa.String()),
)
alerts = sa.table(
    "deconfliction_alerts",
    sa.column("target_id", sa.Integer()),
    sa.column("count", sa.Integer()),
    sa.column("exact_count", sa.Integer()),
    sa.column("near_count", sa.Integer()),
)
series = sa.table("series", sa.column("code", sa.String()), sa.column("name", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("deconfliction_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=200), nullable=True))
    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exact_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("near_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("matches", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("acknowledged_by_organisation_id", sa.Integer(), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deconfliction_alerts_acknowledged_by_organisation_id_organisations"),
            "organisations",
            ["acknowledged_by_organisation_id"],
            ["id"],
        )
    op.execute(
        targets.update()
        .where(targets.c.source == "series")
        .values(
            label=sa.select(series.c.name)
            .where(series.c.code == targets.c.source_reference)
            .scalar_subquery()
        )
    )
    hold_targets = sa.select(targets.c.id).where(targets.c.source == "hold")
    op.execute(
        alerts.update()
        .where(alerts.c.target_id.in_(hold_targets))
        .values(exact_count=alerts.c.count, near_count=0)
    )


def downgrade() -> None:
    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deconfliction_alerts_acknowledged_by_organisation_id_organisations"),
            type_="foreignkey",
        )
        batch_op.drop_column("acknowledged_by_organisation_id")
        batch_op.drop_column("matches")
        batch_op.drop_column("near_count")
        batch_op.drop_column("exact_count")
    # Alerts point at the targets: SQLite drops the column in place (3.35+) rather than
    # rebuilding a table other rows refer to.
    with op.batch_alter_table("deconfliction_targets", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("label")
