"""The two published lists and their sequence numbers.

Every change of an entry takes its list's next sequence number, with the list's row locked
(PostgreSQL; SQLite's one writer serialises anyway), so the changes of two transactions
take distinct numbers and commit in their order: a delta is read once, as everything
above a number, and must never skip a change committed late with a lower one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.blocklists.models import Blocklist, ListName
from alliance.db.base import utcnow


def locked(session: Session, name: ListName) -> Blocklist:
    """The list's row, locked until the transaction ends."""
    query = (
        select(Blocklist)
        .where(Blocklist.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = session.execute(query).scalar_one_or_none()
    if found is None:  # the migration creates both; a database built otherwise may not
        found = Blocklist(name=name, sequence=0, updated_at=utcnow())
        session.add(found)
        session.flush()
    return found


def next_change(blocklist: Blocklist) -> int:
    blocklist.sequence += 1
    blocklist.updated_at = utcnow()
    return blocklist.sequence


def sequences(session: Session) -> dict[ListName, int]:
    """Each list's newest sequence number (0 before its first change)."""
    found: dict[str, int] = {
        str(name): int(sequence)
        for name, sequence in session.execute(select(Blocklist.name, Blocklist.sequence))
    }
    return {name: found.get(name.value, 0) for name in ListName}
