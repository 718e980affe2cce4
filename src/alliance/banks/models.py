"""Bank tables.

A bank is a named hash list owned by an organisation. Every change to it takes the next
number of the bank's ``sequence``; entries remember the number of their last change
(``changed_seq``), so ``delta?since=N`` is simply the entries changed after N. Removal is a
tombstone (``removed_at``), never a delete, so a delta can tell subscribers to drop it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, utcnow


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    scope: Mapped[str] = mapped_column(String(32))  # baseline | national:CC | policy
    description: Mapped[str] = mapped_column(Text, default="")
    suppression: Mapped[bool] = mapped_column(Boolean, default=False)
    pdq_threshold: Mapped[int] = mapped_column(SmallInteger, default=31)
    dispute_threshold: Mapped[int] = mapped_column(SmallInteger, default=3)
    subscriber_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    subscriber_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    # Changes with every change of content: keys caches of the bank's match index.
    revision: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Organisation] = relationship(lazy="joined")


class BankEntry(Base):
    __tablename__ = "bank_entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "signal_type", "signal_value"),
        Index("ix_bank_entries_bank_changed", "bank_id", "changed_seq"),
        Index("ix_bank_entries_lookup", "signal_type", "signal_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    signal_type: Mapped[str] = mapped_column(String(16))
    signal_value: Mapped[str] = mapped_column(Text)
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    iwf_category: Mapped[str | None] = mapped_column(String(1))  # A | B | C
    ncmec_category: Mapped[str | None] = mapped_column(String(2))  # A1 | A2 | B1 | B2
    vics_category: Mapped[int | None] = mapped_column(SmallInteger)  # 0..4
    contributor_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str | None] = mapped_column(Text)
    votes: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    disputed: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    changed_seq: Mapped[int] = mapped_column(BigInteger)

    contributor: Mapped[Organisation] = relationship(lazy="joined")
    variants: Mapped[list[EntryVariant]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="EntryVariant.name"
    )

    def variant_map(self) -> dict[str, str]:
        return {v.name: v.signal_value for v in self.variants}


class EntryVariant(Base):
    """Another PDQ of the same picture (flipped, rotated, borders removed, cropped...),
    computed when the contributor held the media, so a query needs only its own hash."""

    __tablename__ = "bank_entry_variants"
    __table_args__ = (UniqueConstraint("entry_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("bank_entries.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    signal_value: Mapped[str] = mapped_column(String(64))


class EntryVote(Base):
    """One analyst's verification of an entry; three distinct analysts verify it."""

    __tablename__ = "bank_entry_votes"
    __table_args__ = (UniqueConstraint("entry_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchEvent(Base):
    """A query matched an entry: who asked, which entry, how close, when. Never the media.

    The web server writes these in batches after answering, with ids reserved from the
    table's own sequence (:mod:`alliance.banks.match_events`); on SQLite that sequence is
    AUTOINCREMENT's counter (migration 0020), so no id is ever given twice.
    """

    __tablename__ = "match_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    signal_type: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(Integer)
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str | None] = mapped_column(String(16))  # confirmed | disputed
    verdict_note: Mapped[str | None] = mapped_column(Text)
    verdict_at: Mapped[datetime | None]

    @property
    def owner_organisation_id(self) -> int | None:
        return self.organisation_id


class BankSync(Base):
    """What a member last fetched of a bank: the platform's view of its sync status."""

    __tablename__ = "bank_syncs"
    __table_args__ = (UniqueConstraint("bank_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    checkpoint: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # snapshot | delta
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The member's first fetch of the bank: with the last, when it subscribed (migration
    #: 0017; the progress report counts subscribers per period).
    first_synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
