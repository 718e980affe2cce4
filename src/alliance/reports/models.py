"""Published progress reports: each publication a frozen, signed snapshot of what the
public may see (small counts already hidden), kept for ever; the newest for a country (or
the alliance) and year is the one shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from alliance.db.base import Base, utcnow


class PublishedReport(Base):
    """One publication: the signed document exactly as published (``alliance.progress-report``
    JSON and its signature line, the format family of the bank documents)."""

    __tablename__ = "published_reports"
    __table_args__ = (Index("ix_published_reports_subject", "subject", "year", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The country's code, or "alliance".
    subject: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the report's JSON line, and the key that signed it.
    digest: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    document: Mapped[bytes] = mapped_column(LargeBinary)
