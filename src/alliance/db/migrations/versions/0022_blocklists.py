"""The URL and keyword lists for blocking, appeals against listed URLs, and subscribers'
blocking self-tests; one sequence row per published list.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 03:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    lists = op.create_table(
        "blocklists",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_blocklists")),
    )
    # Both lists exist from the start, at sequence 0: a change locks its list's row.
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    op.execute(
        lists.insert().values(
            [
                {"name": "urls", "sequence": 0, "updated_at": now},
                {"name": "keywords", "sequence": 0, "updated_at": now},
            ]
        )
    )
    op.create_table(
        "blocklist_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("listed_at", sa.DateTime(), nullable=False),
        sa.Column("delisted_at", sa.DateTime(), nullable=True),
        sa.Column("delist_reason", sa.String(length=16), nullable=True),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["content_items.id"], name=op.f("fk_blocklist_urls_item_id_content_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_urls")),
        sa.UniqueConstraint("url", name=op.f("uq_blocklist_urls_url")),
    )
    with op.batch_alter_table("blocklist_urls", schema=None) as batch_op:
        batch_op.create_index("ix_blocklist_urls_changed_seq", ["changed_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_blocklist_urls_host"), ["host"], unique=False)
        batch_op.create_index(batch_op.f("ix_blocklist_urls_item_id"), ["item_id"], unique=False)

    op.create_table(
        "blocklist_keywords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_keywords")),
        sa.UniqueConstraint("term", name=op.f("uq_blocklist_keywords_term")),
    )
    with op.batch_alter_table("blocklist_keywords", schema=None) as batch_op:
        batch_op.create_index("ix_blocklist_keywords_changed_seq", ["changed_seq"], unique=False)

    op.create_table(
        "blocklist_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["blocklist_urls.id"],
            name=op.f("fk_blocklist_appeals_entry_id_blocklist_urls"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_blocklist_appeals_reviewer_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_appeals")),
        sa.UniqueConstraint("reference", name=op.f("uq_blocklist_appeals_reference")),
    )
    with op.batch_alter_table("blocklist_appeals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocklist_appeals_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_blocklist_appeals_status"), ["status"], unique=False)

    op.create_table(
        "blocklist_self_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("tested_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_blocklist_self_tests_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_self_tests")),
    )
    with op.batch_alter_table("blocklist_self_tests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocklist_self_tests_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    for table in (
        "blocklist_self_tests",
        "blocklist_appeals",
        "blocklist_keywords",
        "blocklist_urls",
        "blocklists",
    ):
        op.drop_table(table)
