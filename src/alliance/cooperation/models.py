"""Deconfliction tables.

A **watched target** is something an agency has registered an interest in: the URL,
domain, hash or report an investigation hold names, or a hash or code of a series the
agency works on. Its ``source`` and ``source_reference`` say what registered it (a hold
``H-…``, a series code), so that the owning feature can renew or end it. When any other
organisation touches an active target — reports it, matches it, assesses it, finds it in
a seizure — the owner gets one **deconfliction alert** per action.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, StrEnumType, utcnow


class TargetKind(StrEnum):
    """What a watched target names; the first four are takedown's ``HoldTarget`` values."""

    url = "url"  # a normalised URL
    domain = "domain"  # the host and every subdomain of it
    hash = "hash"  # "<signal_type>:<hex>", e.g. sha256:ab12...
    report = "report"  # a report reference
    series = "series"  # a series code
    # An account on a platform, "<platform's slug>:<account id>": an industry report names
    # its uploader, and the LEA that accepts it watches the account from then on.
    account = "account"


class WatchedTarget(Base):
    """A target one agency watches; active while not ended and not past ``expires_at``."""

    __tablename__ = "deconfliction_targets"
    __table_args__ = (
        Index("ix_deconfliction_targets_kind_value", "kind", "value"),
        Index("ix_deconfliction_targets_source", "source", "source_reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[TargetKind] = mapped_column(StrEnumType(TargetKind))
    value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # hold | series
    source_reference: Mapped[str] = mapped_column(String(40))  # "H-…" or a series code
    # What people call the source, when more than its reference: a series' code name.
    label: Mapped[str | None] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class WatchSequence(Base):
    """One row: a number that every change of which hashes are watched moves on (a hash
    target registered, any target ended), so that a server can hold the watched hashes
    in memory and know, by reading one row, when to read them again."""

    __tablename__ = "deconfliction_watch_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)


class DeconflictionAlert(Base):
    """Another organisation touched a watched target: its owner is told who, how and when.

    ``shared_note`` carries case details only when the touching agency chose to share
    them; nothing else about the toucher's case is ever copied here.
    """

    __tablename__ = "deconfliction_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("deconfliction_targets.id"), index=True)
    # The recipient: the target's owner.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    touched_by_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    touched_by: Mapped[str] = mapped_column(String(200))  # the audit label of who touched it
    action: Mapped[str] = mapped_column(String(32))  # report | match | assessment | seizure | …
    # What the toucher's platform calls the thing touched: an item "I-…", a seizure, ...
    subject: Mapped[str | None] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=1)  # items touching it in that action
    # Of ``count``: the same content (an equal hash, URL, ...) and near duplicates (PDQ
    # within the matching distance); None on alerts raised before the split was kept.
    exact_count: Mapped[int | None] = mapped_column(Integer)
    near_count: Mapped[int | None] = mapped_column(Integer)
    # Which of the watcher's own hashes matched, at most MAX_MATCHES of them:
    # [{"match": "exact"|"near", "hash": "md5:…", "distance": 8}]. Never the toucher's.
    matches: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    shared_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    # The person who acknowledged it (a display name, "API key …"), and their agency.
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_by_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id")
    )

    target: Mapped[WatchedTarget] = relationship(lazy="joined")
    touched_by_organisation: Mapped[Organisation | None] = relationship(
        lazy="joined", foreign_keys=[touched_by_organisation_id]
    )
    organisation: Mapped[Organisation] = relationship(lazy="joined", foreign_keys=[organisation_id])
    acknowledged_by_organisation: Mapped[Organisation | None] = relationship(
        lazy="joined", foreign_keys=[acknowledged_by_organisation_id]
    )

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id
