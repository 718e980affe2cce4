"""Deconfliction for the whole system: watched targets, and alerts that point at them.

Every hold becomes a watched target of source "hold" (released holds as ended targets);
each existing alert points at its hold's target, and the item it named becomes its
subject.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the data steps read and write, as they are at this revision.
holds = sa.table(
    "holds",
    sa.column("id", sa.Integer()),
    sa.column("reference", sa.String()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("target_type", sa.String()),
    sa.column("target_value", sa.Text()),
    sa.column("placed_at", sa.DateTime()),
    sa.column("expires_at", sa.DateTime()),
    sa.column("released_at", sa.DateTime()),
)
targets = sa.table(
    "deconfliction_targets",
    sa.column("id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("value", sa.Text()),
    sa.column("source", sa.String()),
    sa.column("source_reference", sa.String()),
    sa.column("registered_at", sa.DateTime()),
    sa.column("expires_at", sa.DateTime()),
    sa.column("ended_at", sa.DateTime()),
)
alerts = sa.table(
    "deconfliction_alerts",
    sa.column("id", sa.Integer()),
    sa.column("hold_id", sa.Integer()),
    sa.column("item_id", sa.Integer()),
    sa.column("target_id", sa.Integer()),
    sa.column("subject", sa.String()),
    sa.column("count", sa.Integer()),
)
items = sa.table(
    "content_items", sa.column("id", sa.Integer()), sa.column("reference", sa.String())
)


def _hold_target(hold_id: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    return (
        sa.select(targets.c.id)
        .join(holds, holds.c.reference == targets.c.source_reference)
        .where(targets.c.source == "hold", holds.c.id == hold_id)
        .scalar_subquery()
    )


def upgrade() -> None:
    op.create_table(
        "deconfliction_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_reference", sa.String(length=40), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_deconfliction_targets_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deconfliction_targets")),
    )
    with op.batch_alter_table("deconfliction_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deconfliction_targets_kind_value", ["kind", "value"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deconfliction_targets_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_deconfliction_targets_source", ["source", "source_reference"], unique=False
        )

    # One target per hold, ended when the hold was released.
    op.execute(
        targets.insert().from_select(
            [
                "organisation_id",
                "kind",
                "value",
                "source",
                "source_reference",
                "registered_at",
                "expires_at",
                "ended_at",
            ],
            sa.select(
                holds.c.organisation_id,
                holds.c.target_type,
                holds.c.target_value,
                sa.literal("hold", sa.String()),
                holds.c.reference,
                holds.c.placed_at,
                holds.c.expires_at,
                holds.c.released_at,
            ).order_by(holds.c.id),
        )
    )

    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shared_note", sa.Text(), nullable=True))

    op.execute(
        alerts.update().values(
            target_id=_hold_target(alerts.c.hold_id),
            subject=sa.select(items.c.reference)
            .where(items.c.id == alerts.c.item_id)
            .scalar_subquery(),
            count=1,
        )
    )

    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.alter_column("target_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("count", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_deconfliction_alerts_hold_id"))
        batch_op.create_index(
            batch_op.f("ix_deconfliction_alerts_target_id"), ["target_id"], unique=False
        )
        batch_op.drop_constraint(
            batch_op.f("fk_deconfliction_alerts_item_id_content_items"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_deconfliction_alerts_hold_id_holds"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deconfliction_alerts_target_id_deconfliction_targets"),
            "deconfliction_targets",
            ["target_id"],
            ["id"],
        )
        batch_op.drop_column("item_id")
        batch_op.drop_column("hold_id")


def downgrade() -> None:
    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))

    # Only alerts about holds existed before; the others cannot be kept.
    op.execute(
        alerts.delete().where(
            alerts.c.target_id.not_in(sa.select(targets.c.id).where(targets.c.source == "hold"))
        )
    )
    op.execute(
        alerts.update().values(
            hold_id=sa.select(holds.c.id)
            .join(targets, holds.c.reference == targets.c.source_reference)
            .where(targets.c.source == "hold", targets.c.id == alerts.c.target_id)
            .scalar_subquery(),
            item_id=sa.select(items.c.id)
            .where(items.c.reference == alerts.c.subject)
            .scalar_subquery(),
        )
    )

    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.alter_column("hold_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_deconfliction_alerts_target_id_deconfliction_targets"),
            type_="foreignkey",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deconfliction_alerts_hold_id_holds"), "holds", ["hold_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deconfliction_alerts_item_id_content_items"),
            "content_items",
            ["item_id"],
            ["id"],
        )
        batch_op.drop_index(batch_op.f("ix_deconfliction_alerts_target_id"))
        batch_op.create_index(
            batch_op.f("ix_deconfliction_alerts_hold_id"), ["hold_id"], unique=False
        )
        batch_op.drop_column("shared_note")
        batch_op.drop_column("count")
        batch_op.drop_column("subject")
        batch_op.drop_column("target_id")

    with op.batch_alter_table("deconfliction_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_deconfliction_targets_source")
        batch_op.drop_index(batch_op.f("ix_deconfliction_targets_organisation_id"))
        batch_op.drop_index("ix_deconfliction_targets_kind_value")

    op.drop_table("deconfliction_targets")
