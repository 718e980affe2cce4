"""Banks: hash banks, entries and their variants, verification votes, match events, sync status.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:53:02.305375
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("suppression", sa.Boolean(), nullable=False),
        sa.Column("pdq_threshold", sa.SmallInteger(), nullable=False),
        sa.Column("dispute_threshold", sa.SmallInteger(), nullable=False),
        sa.Column("subscriber_kinds", sa.JSON(), nullable=False),
        sa.Column("subscriber_countries", sa.JSON(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_banks_owner_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_banks_name")),
        sa.UniqueConstraint("uid", name=op.f("uq_banks_uid")),
    )
    op.create_table(
        "bank_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("signal_type", sa.String(length=16), nullable=False),
        sa.Column("signal_value", sa.Text(), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("iwf_category", sa.String(length=1), nullable=True),
        sa.Column("ncmec_category", sa.String(length=2), nullable=True),
        sa.Column("vics_category", sa.SmallInteger(), nullable=True),
        sa.Column("contributor_organisation_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_bank_entries_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["contributor_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bank_entries_contributor_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_entries")),
        sa.UniqueConstraint(
            "bank_id",
            "signal_type",
            "signal_value",
            name=op.f("uq_bank_entries_bank_id_signal_type_signal_value"),
        ),
    )
    with op.batch_alter_table("bank_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bank_entries_bank_changed", ["bank_id", "changed_seq"], unique=False
        )
        batch_op.create_index(
            "ix_bank_entries_lookup", ["signal_type", "signal_value"], unique=False
        )

    op.create_table(
        "bank_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_bank_syncs_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bank_syncs_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_syncs")),
        sa.UniqueConstraint(
            "bank_id", "organisation_id", name=op.f("uq_bank_syncs_bank_id_organisation_id")
        ),
    )
    op.create_table(
        "bank_entry_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("signal_value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["bank_entries.id"],
            name=op.f("fk_bank_entry_variants_entry_id_bank_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_entry_variants")),
        sa.UniqueConstraint("entry_id", "name", name=op.f("uq_bank_entry_variants_entry_id_name")),
    )
    with op.batch_alter_table("bank_entry_variants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_entry_variants_entry_id"), ["entry_id"], unique=False
        )

    op.create_table(
        "bank_entry_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["bank_entries.id"],
            name=op.f("fk_bank_entry_votes_entry_id_bank_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bank_entry_votes_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bank_entry_votes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_entry_votes")),
        sa.UniqueConstraint(
            "entry_id", "user_id", name=op.f("uq_bank_entry_votes_entry_id_user_id")
        ),
    )
    with op.batch_alter_table("bank_entry_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_entry_votes_entry_id"), ["entry_id"], unique=False
        )

    op.create_table(
        "match_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("signal_type", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("verdict_note", sa.Text(), nullable=True),
        sa.Column("verdict_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_match_events_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["bank_entries.id"], name=op.f("fk_match_events_entry_id_bank_entries")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_match_events_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_events")),
    )
    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_events_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_match_events_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_events_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_match_events_entry_id"))

    op.drop_table("match_events")
    with op.batch_alter_table("bank_entry_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_entry_votes_entry_id"))

    op.drop_table("bank_entry_votes")
    with op.batch_alter_table("bank_entry_variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_entry_variants_entry_id"))

    op.drop_table("bank_entry_variants")
    op.drop_table("bank_syncs")
    with op.batch_alter_table("bank_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_entries_lookup")
        batch_op.drop_index("ix_bank_entries_bank_changed")

    op.drop_table("bank_entries")
    op.drop_table("banks")
