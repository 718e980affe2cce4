"""Victim identification: series and their agencies and timelines, media records, pseudonymous
victims, seizures with their triaged items, and referrals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 03:10:07.572885
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seizures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("case_reference", sa.String(length=120), nullable=True),
        sa.Column("source_format", sa.String(length=8), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("known", sa.Integer(), nullable=False),
        sa.Column("near", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("categorised", sa.Integer(), nullable=False),
        sa.Column("identified", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_seizures_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seizures")),
        sa.UniqueConstraint("reference", name=op.f("uq_seizures_reference")),
    )
    with op.batch_alter_table("seizures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seizures_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["series.id"], name=op.f("fk_series_merged_into_id_series")
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_series_owner_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("code", name=op.f("uq_series_code")),
        sa.UniqueConstraint("name_key", name=op.f("uq_series_name_key")),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_owner_organisation_id"), ["owner_organisation_id"], unique=False
        )

    op.create_table(
        "media_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_variants", sa.JSON(), nullable=True),
        sa.Column("image_id", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=8), nullable=False),
        sa.Column("category", sa.SmallInteger(), nullable=True),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("victim_identified", sa.Boolean(), nullable=False),
        sa.Column("offender_identified", sa.Boolean(), nullable=False),
        sa.Column("is_distributed", sa.Boolean(), nullable=False),
        sa.Column("file_available", sa.Boolean(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("created_by_organisation_id", sa.Integer(), nullable=True),
        sa.Column("catalogued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_media_records_created_by_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_media_records_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_records")),
    )
    with op.batch_alter_table("media_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_records_catalogued_at"), ["catalogued_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_media_records_md5"), ["md5"], unique=False)
        batch_op.create_index("ix_media_records_series_pdq", ["series_id", "pdq"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_records_sha1"), ["sha1"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_records_sha256"), ["sha256"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("from_organisation_id", sa.Integer(), nullable=False),
        sa.Column("to_organisation_id", sa.Integer(), nullable=False),
        sa.Column("to_country", sa.String(length=2), nullable=False),
        sa.Column("package", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_referrals_from_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_referrals_series_id_series")
        ),
        sa.ForeignKeyConstraint(
            ["to_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_referrals_to_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrals_reference")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_series_id"), ["series_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_to_organisation_id"), ["to_organisation_id"], unique=False
        )

    op.create_table(
        "series_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_series_agencies_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_series_agencies_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_agencies")),
        sa.UniqueConstraint(
            "series_id",
            "organisation_id",
            name=op.f("uq_series_agencies_series_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("series_agencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_agencies_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_agencies_series_id"), ["series_id"], unique=False
        )

    op.create_table(
        "series_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_series_events_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_events")),
    )
    with op.batch_alter_table("series_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_events_series_id"), ["series_id"], unique=False)

    op.create_table(
        "victims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("age_group", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("identified_on", sa.Date(), nullable=True),
        sa.Column("identified_by_organisation_id", sa.Integer(), nullable=True),
        sa.Column("identified_country", sa.String(length=2), nullable=True),
        sa.Column("safeguarded_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["identified_by_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_victims_identified_by_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_victims_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victims")),
        sa.UniqueConstraint("reference", name=op.f("uq_victims_reference")),
    )
    with op.batch_alter_table("victims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_victims_identified_on"), ["identified_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_victims_series_id"), ["series_id"], unique=False)

    op.create_table(
        "seizure_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=8), nullable=True),
        sa.Column("category", sa.SmallInteger(), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("media_record_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("distance", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["media_record_id"],
            ["media_records.id"],
            name=op.f("fk_seizure_items_media_record_id_media_records"),
        ),
        sa.ForeignKeyConstraint(
            ["seizure_id"], ["seizures.id"], name=op.f("fk_seizure_items_seizure_id_seizures")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_seizure_items_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seizure_items")),
        sa.UniqueConstraint("seizure_id", "line", name=op.f("uq_seizure_items_seizure_id_line")),
    )


def downgrade() -> None:
    op.drop_table("seizure_items")
    with op.batch_alter_table("victims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_victims_series_id"))
        batch_op.drop_index(batch_op.f("ix_victims_identified_on"))

    op.drop_table("victims")
    with op.batch_alter_table("series_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_events_series_id"))

    op.drop_table("series_events")
    with op.batch_alter_table("series_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_agencies_series_id"))
        batch_op.drop_index(batch_op.f("ix_series_agencies_organisation_id"))

    op.drop_table("series_agencies")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_to_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_series_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("media_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_records_sha256"))
        batch_op.drop_index(batch_op.f("ix_media_records_sha1"))
        batch_op.drop_index("ix_media_records_series_pdq")
        batch_op.drop_index(batch_op.f("ix_media_records_md5"))
        batch_op.drop_index(batch_op.f("ix_media_records_catalogued_at"))

    op.drop_table("media_records")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_owner_organisation_id"))

    op.drop_table("series")
    with op.batch_alter_table("seizures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seizures_organisation_id"))

    op.drop_table("seizures")
