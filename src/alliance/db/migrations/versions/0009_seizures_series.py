"""Seizures remember their content, so a re-upload is recognised; victims' age groups in
the assessment's vocabulary.

``seizures.file_sha256`` (the uploaded file's SHA-256) and ``seizures.hashes_sha256`` (a
SHA-256 over the sorted set of its items' hashes: the same files in another format or
order) tell a re-upload of a seizure the agency triaged before.

``victims.age_group`` moves to the one vocabulary that assessment uses (ICCAM's: infant,
pre-pubescent, pubescent, not determined): young child (3-7) and child (8-12) become
pre-pubescent, adolescent (13-17) pubescent, unknown not determined. A referral's package
counts victims by age group: its keys are mapped the same way. The downgrade maps back to
the nearest former band (pre-pubescent to child): the split of 3-7 from 8-12 is not kept.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 22:00:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UP = {
    "young_child": "pre_pubescent",
    "child": "pre_pubescent",
    "adolescent": "pubescent",
    "unknown": "not_determined",
}
DOWN = {"pre_pubescent": "child", "pubescent": "adolescent", "not_determined": "unknown"}


def _age_groups(mapping: dict[str, str]) -> None:
    victims = sa.table("victims", sa.column("age_group", sa.String(16)))
    for old, new in mapping.items():
        op.execute(victims.update().where(victims.c.age_group == old).values(age_group=new))
    referrals = sa.table("referrals", sa.column("id", sa.Integer), sa.column("package", sa.JSON))
    bind = op.get_bind()
    for row_id, package in bind.execute(sa.select(referrals.c.id, referrals.c.package)).all():
        data: Any = json.loads(package) if isinstance(package, str) else package
        counts = ((data or {}).get("victims") or {}).get("by_age_group")
        if not isinstance(counts, dict) or not set(counts) & set(mapping):
            continue
        mapped: dict[str, int] = {}
        for key, count in counts.items():
            target = mapping.get(str(key), str(key))
            mapped[target] = mapped.get(target, 0) + int(count)
        data["victims"]["by_age_group"] = dict(sorted(mapped.items()))
        bind.execute(referrals.update().where(referrals.c.id == row_id).values(package=data))


def upgrade() -> None:
    with op.batch_alter_table("seizures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hashes_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_seizures_file_sha256"), ["file_sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_seizures_hashes_sha256"), ["hashes_sha256"], unique=False
        )
    _age_groups(UP)


def downgrade() -> None:
    _age_groups(DOWN)
    with op.batch_alter_table("seizures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seizures_hashes_sha256"))
        batch_op.drop_index(batch_op.f("ix_seizures_file_sha256"))
        batch_op.drop_column("hashes_sha256")
        batch_op.drop_column("file_sha256")
