"""A member's own banks, kept in its own database: positive ones (what it looks for beside
the hub's banks) and negative ones (suppression: known false positives, whose content must
not be acted on, whichever bank it matches).

They are the hub's bank model (:mod:`alliance.banks.models`) with no subscribers: nothing
distributes them, and only the member's organisation changes them, with the permission to
manage banks (its administrators). A name already held by a synced bank is refused, so an
answer's bank names stay unambiguous beside their origin.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission, Reach
from alliance.accounts.policy import Principal, authorize
from alliance.banks import services as banks
from alliance.banks.models import Bank, BankEntry
from alliance.banks.schemas import BankIn, EntriesAdded, EntryIn
from alliance.errors import Conflict, PermissionDenied
from alliance.member.schemas import LocalBankIn, LocalBankOut

#: A local bank's scope: the member's own policy, not a legal category.
SCOPE = "policy"


def _may_change(actor: Principal, bank: Bank) -> None:
    authorize(actor, Permission.BANK_MANAGE)
    if actor.reach(Permission.BANK_MANAGE) is not Reach.ALL and (
        bank.owner_organisation_id != actor.organisation_id
    ):
        raise PermissionDenied(f"bank {bank.name!r} belongs to another organisation")


def bank_out(session: Session, bank: Bank) -> LocalBankOut:
    entries = session.execute(
        select(func.count()).where(BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))
    ).scalar_one()
    return LocalBankOut(
        name=bank.name,
        description=bank.description,
        negative=bank.suppression,
        pdq_threshold=bank.pdq_threshold,
        entries=entries,
    )


def create_local_bank(
    session: Session,
    actor: Principal,
    data: LocalBankIn,
    synced: Collection[str] = (),
    *,
    owner: str | None = None,
) -> Bank:
    """A new local bank (audited as any bank's creation); ``synced``: the names of the
    synced banks, which it may not take; ``owner``: the organisation's slug when the actor
    has none (the operator's command line)."""
    if data.name in synced:
        raise Conflict(f"a synced bank is named {data.name!r}; choose another name", field="name")
    return banks.create_bank(
        session,
        actor,
        BankIn(
            name=data.name,
            scope=SCOPE,
            owner=owner,
            description=data.description,
            suppression=data.negative,
            pdq_threshold=data.pdq_threshold,
        ),
    )


def own_banks(session: Session, actor: Principal) -> list[Bank]:
    """The local banks ``actor`` matches against and lists: its organisation's (the
    operator at the console, who acts for no organisation: every bank)."""
    visible = banks.visible_banks(session, actor)
    if actor.organisation_id is None:
        return visible
    return [b for b in visible if b.owner_organisation_id == actor.organisation_id]


def list_local_banks(session: Session, actor: Principal) -> list[LocalBankOut]:
    return [bank_out(session, b) for b in own_banks(session, actor)]


def add_hashes(
    session: Session, actor: Principal, bank_name: str, items: Sequence[EntryIn]
) -> EntriesAdded:
    """Add hashes to a local bank, all or nothing (audited as ``bank:entries_added``)."""
    bank = banks.get_bank(session, actor, bank_name, for_change=True)
    _may_change(actor, bank)
    return banks.write_entries(session, actor, bank, items)


def remove_hashes(
    session: Session, actor: Principal, bank_name: str, entry_ids: Sequence[int]
) -> int:
    """Remove entries of a local bank (audited as ``bank:entries_removed``); how many were
    live. An id not in the bank is refused and nothing is removed."""
    bank = banks.get_bank(session, actor, bank_name, for_change=True)
    _may_change(actor, bank)
    entries = [banks.entry_of(session, bank, i) for i in dict.fromkeys(entry_ids)]
    return banks.tombstone_entries(session, actor, bank, entries)
