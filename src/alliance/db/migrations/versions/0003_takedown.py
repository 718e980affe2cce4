"""Notice and takedown: hosting providers, reports, content items, assessments, holds,
deconfliction alerts, notices, item timelines, the worker's scheduled actions and
public-report challenges.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:46:07.000565
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hosting_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("asns", sa.JSON(), nullable=False),
        sa.Column("abuse_email", sa.String(length=254), nullable=True),
        sa.Column("abuse_webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("batch_notices", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosting_providers")),
        sa.UniqueConstraint("slug", name=op.f("uq_hosting_providers_slug")),
    )
    op.create_table(
        "public_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_digest", sa.String(length=64), nullable=False),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_submissions")),
        sa.UniqueConstraint(
            "challenge_digest", name=op.f("uq_public_submissions_challenge_digest")
        ),
    )
    with op.batch_alter_table("public_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_public_submissions_address_at", ["address_digest", "at"], unique=False
        )

    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_holds_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        sa.UniqueConstraint("reference", name=op.f("uq_holds_reference")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_holds_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index("ix_holds_target", ["target_type", "target_value"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reporter_organisation_id", sa.Integer(), nullable=True),
        sa.Column("reporter_contact", sa.String(length=254), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("country_hint", sa.String(length=2), nullable=True),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_digest", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_reports_reporter_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("reference", name=op.f("uq_reports_reference")),
        sa.UniqueConstraint(
            "reporter_organisation_id",
            "idempotency_key",
            name=op.f("uq_reports_reporter_organisation_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_received_at"), ["received_at"], unique=False)

    op.create_table(
        "content_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("open_url", sa.Text(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("classification", sa.String(length=32), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("reappearance_of_id", sa.Integer(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("asn", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_error", sa.String(length=300), nullable=True),
        sa.Column("assigned_organisation_id", sa.Integer(), nullable=True),
        sa.Column("lea_organisation_id", sa.Integer(), nullable=True),
        sa.Column("routed_at", sa.DateTime(), nullable=True),
        sa.Column("lea_informed_at", sa.DateTime(), nullable=True),
        sa.Column("lea_window_ends_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=True),
        sa.Column("first_notice_at", sa.DateTime(), nullable=True),
        sa.Column("last_notice_at", sa.DateTime(), nullable=True),
        sa.Column("notice_count", sa.Integer(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(), nullable=True),
        sa.Column("last_check_outcome", sa.String(length=16), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_items_assigned_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_user_id"],
            ["users.id"],
            name=op.f("fk_content_items_claimed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["lea_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_items_lea_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["hosting_providers.id"],
            name=op.f("fk_content_items_provider_id_hosting_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["reappearance_of_id"],
            ["content_items.id"],
            name=op.f("fk_content_items_reappearance_of_id_content_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint("open_url", name=op.f("uq_content_items_open_url")),
        sa.UniqueConstraint("reference", name=op.f("uq_content_items_reference")),
    )
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.create_index("ix_content_items_host", ["host"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_content_items_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            "ix_content_items_stage_assigned", ["stage", "assigned_organisation_id"], unique=False
        )

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("classification", sa.String(length=32), nullable=False),
        sa.Column("age_group", sa.String(length=32), nullable=True),
        sa.Column("gender", sa.String(length=32), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=True),
        sa.Column("site_type", sa.String(length=32), nullable=True),
        sa.Column("commerciality", sa.String(length=32), nullable=True),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["content_items.id"], name=op.f("fk_assessments_item_id_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assessments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_item_id"), ["item_id"], unique=False)

    op.create_table(
        "deconfliction_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("touched_by_organisation_id", sa.Integer(), nullable=True),
        sa.Column("touched_by", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["holds.id"], name=op.f("fk_deconfliction_alerts_hold_id_holds")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["content_items.id"],
            name=op.f("fk_deconfliction_alerts_item_id_content_items"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_deconfliction_alerts_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["touched_by_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_deconfliction_alerts_touched_by_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deconfliction_alerts")),
    )
    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deconfliction_alerts_hold_id"), ["hold_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deconfliction_alerts_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "item_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["content_items.id"], name=op.f("fk_item_events_item_id_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_item_events_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_events")),
    )
    with op.batch_alter_table("item_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_events_item_id"), ["item_id"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["content_items.id"], name=op.f("fk_notices_item_id_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["hosting_providers.id"],
            name=op.f("fk_notices_provider_id_hosting_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint(
            "item_id", "kind", "sequence", name=op.f("uq_notices_item_id_kind_sequence")
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_notices_reference")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_item_id"), ["item_id"], unique=False)

    op.create_table(
        "report_items",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("submitted_url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["content_items.id"], name=op.f("fk_report_items_item_id_content_items")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_items_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("report_id", "item_id", name=op.f("pk_report_items")),
    )
    op.create_table(
        "scheduled_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["holds.id"], name=op.f("fk_scheduled_actions_hold_id_holds")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["content_items.id"],
            name=op.f("fk_scheduled_actions_item_id_content_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_actions")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_actions_key")),
    )
    with op.batch_alter_table("scheduled_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduled_actions_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_scheduled_actions_status_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_actions_status_due")
        batch_op.drop_index(batch_op.f("ix_scheduled_actions_item_id"))

    op.drop_table("scheduled_actions")
    op.drop_table("report_items")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_item_id"))

    op.drop_table("notices")
    with op.batch_alter_table("item_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_events_item_id"))

    op.drop_table("item_events")
    with op.batch_alter_table("deconfliction_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deconfliction_alerts_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_deconfliction_alerts_hold_id"))

    op.drop_table("deconfliction_alerts")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_item_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.drop_index("ix_content_items_stage_assigned")
        batch_op.drop_index(batch_op.f("ix_content_items_received_at"))
        batch_op.drop_index("ix_content_items_host")

    op.drop_table("content_items")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_received_at"))

    op.drop_table("reports")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_target")
        batch_op.drop_index(batch_op.f("ix_holds_organisation_id"))

    op.drop_table("holds")
    with op.batch_alter_table("public_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_public_submissions_address_at")

    op.drop_table("public_submissions")
    op.drop_table("hosting_providers")
