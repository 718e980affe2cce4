"""Audit tables.

``audit_events`` is append-only and chained: each row's ``hash`` covers its own fields and
the previous row's hash, so editing, deleting or reordering any past row breaks the chain
from that row on. ``audit_head`` holds the latest sequence number and hash, updated in the
same transaction, so that deleting the newest rows is detected too; appenders lock it, which
keeps the chain linear when several processes write at once.

Someone who can write to the database can still rewrite the chain and its head together.
``audit_anchors`` holds signed heads: the head (sequence number and hash) signed with the
platform's Ed25519 key, which the database does not hold. Exported, they let anyone with
the public key check later that the chain still contains what was signed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alliance.db.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200), index=True)
    actor_user_id: Mapped[int | None]
    organisation_id: Mapped[int | None] = mapped_column(index=True)
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """A signed head; see :mod:`alliance.audit.anchors`. Written, never changed."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    platform: Mapped[str] = mapped_column(String(200))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
