"""Match event ids are reserved in blocks from the table's own sequence.

The web server answers a match with its id before the event is written (in a batch, off
the request path: ``alliance.banks.match_events``), so ids are reserved ahead from the
table's sequence. PostgreSQL's serial sequence already is one. On SQLite a plain INTEGER
PRIMARY KEY takes the highest id plus one, which could be an id reserved and not yet
written: the table is made AUTOINCREMENT, whose counter (``sqlite_sequence``) the
reservations move on and every insert respects. Rows and ids are kept.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 00:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: the serial sequence is unchanged
    with op.batch_alter_table(
        "match_events", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
