"""The uploads that matched, as a member records them (its own database, never the hub's).

An upload is recorded only when something matched it, suppressed or not: a platform's
uploads are mostly misses, and a miss changes nothing. What is kept is what the service
sent (its reference for the upload, the URL of its own storage) and the upload's hashes,
never the media. The review queue opens its cases from these rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.db.base import Base, utcnow


class MemberUpload(Base):
    __tablename__ = "member_uploads"
    __table_args__ = (Index("ix_member_uploads_received", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: How the service asked: file | hash | url.
    kind: Mapped[str] = mapped_column(String(8))
    #: The service's own id of the upload (a content or object id), if it gave one.
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    #: The URL of the member's storage the file was fetched from (kind url).
    url: Mapped[str | None] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor: Mapped[str] = mapped_column(String(200))
    #: The upload's own hashes: [{"signal_type", "signal"}] (no query forms).
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Matches not suppressed, and the negative banks that suppressed the rest.
    matched: Mapped[int] = mapped_column(Integer)
    suppressed_by: Mapped[list[str]] = mapped_column(JSON, default=list)

    matches: Mapped[list[MemberUploadMatch]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="MemberUploadMatch.id"
    )

    @property
    def owner_organisation_id(self) -> int | None:
        return self.organisation_id


class MemberUploadMatch(Base):
    """One bank entry an upload matched: a synced bank's (its entry id at the hub) or a
    local bank's (``bank_id`` set)."""

    __tablename__ = "member_upload_matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("member_uploads.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str] = mapped_column(String(8))  # synced | local
    bank: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"))
    entry_id: Mapped[int] = mapped_column(Integer)
    signal_type: Mapped[str] = mapped_column(String(16))
    matched_signal: Mapped[str] = mapped_column(Text)
    distance: Mapped[int] = mapped_column(SmallInteger)
    variant: Mapped[str] = mapped_column(String(32))
    query_form: Mapped[str] = mapped_column(String(64))
    classification: Mapped[dict[str, Any]] = mapped_column(JSON)
    verified: Mapped[bool] = mapped_column(Boolean)
    contributor: Mapped[str | None] = mapped_column(String(64))
    suppressed: Mapped[bool] = mapped_column(Boolean)
