"""Blocklist tables: the URL list, the keyword list, appeals and blocking self-tests.

Each published list (``blocklists`` row: ``urls``, ``keywords``) counts its changes in
``sequence``, as a bank does; an entry remembers the number of its last change
(``changed_seq``), so ``delta?since=N`` is simply the entries changed after N. Leaving a
list is a tombstone (``delisted_at``, ``removed_at``), never a delete, so a delta can tell
subscribers to drop it.

A URL is one row however often it is listed: a page taken down and put back up (a new
takedown item, confirmed again) is listed again on the same row, with the new item.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, StrEnumType, utcnow


class ListName(StrEnum):
    urls = "urls"
    keywords = "keywords"


class UrlCategory(StrEnum):
    """Why the page is listed: the takedown assessment that confirmed it."""

    baseline = "baseline"  # illegal in every country (INTERPOL's baseline)
    national = "national"  # illegal under the assessing hotline's country's law


class DelistReason(StrEnum):
    removed = "removed"  # a re-check found the page gone (404, 410, 451)
    closed = "closed"  # the takedown item was closed another way (assessed again)
    appeal = "appeal"  # an analyst upheld the site owner's appeal


class KeywordCategory(StrEnum):
    """What a term is used for (the categories of the EU transparency database's
    keyword vocabulary, narrowed to this list's purpose)."""

    csam = "csam"  # used to seek, offer or sell abuse material
    grooming = "grooming"  # used to approach or entice children
    coded = "coded"  # a letter or number code standing for one of the above
    other = "other"


class AppealStatus(StrEnum):
    pending = "pending"
    upheld = "upheld"  # the URL is delisted in the next delta
    rejected = "rejected"  # the URL stays listed


class SelfTestResult(StrEnum):
    passed = "passed"  # every test URL was blocked
    partial = "partial"  # some were, some were not
    failed = "failed"


class Blocklist(Base):
    """One published list and the sequence number of its newest change."""

    __tablename__ = "blocklists"

    name: Mapped[ListName] = mapped_column(StrEnumType(ListName, 16), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListedUrl(Base):
    __tablename__ = "blocklist_urls"
    __table_args__ = (Index("ix_blocklist_urls_changed_seq", "changed_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)  # normalised as takedown does
    host: Mapped[str] = mapped_column(String(255), index=True)
    # The takedown item that confirmed the page (the latest, if listed again).
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), index=True)
    category: Mapped[UrlCategory] = mapped_column(StrEnumType(UrlCategory, 16))
    listed_at: Mapped[datetime] = mapped_column(default=utcnow)
    delisted_at: Mapped[datetime | None]
    delist_reason: Mapped[DelistReason | None] = mapped_column(StrEnumType(DelistReason, 16))
    changed_seq: Mapped[int] = mapped_column(BigInteger)

    @property
    def listed(self) -> bool:
        return self.delisted_at is None


class Keyword(Base):
    __tablename__ = "blocklist_keywords"
    __table_args__ = (Index("ix_blocklist_keywords_changed_seq", "changed_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)  # NFKC, lower case
    category: Mapped[KeywordCategory] = mapped_column(StrEnumType(KeywordCategory, 16))
    language: Mapped[str | None] = mapped_column(String(8))  # BCP 47 tag, e.g. "en"
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    changed_seq: Mapped[int] = mapped_column(BigInteger)


class Appeal(Base):
    """A site owner's appeal against a listed URL; an analyst upholds or rejects it."""

    __tablename__ = "blocklist_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blocklist_urls.id"), index=True)
    contact: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[AppealStatus] = mapped_column(
        StrEnumType(AppealStatus, 16), default=AppealStatus.pending, index=True
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]

    entry: Mapped[ListedUrl] = relationship(lazy="joined")


class SelfTest(Base):
    """A subscriber's quarterly test that its blocking works, as it recorded it."""

    __tablename__ = "blocklist_self_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2026-Q4"
    tested_on: Mapped[date] = mapped_column(Date)
    result: Mapped[SelfTestResult] = mapped_column(StrEnumType(SelfTestResult, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
