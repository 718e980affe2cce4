"""Victim-identification tables: law enforcement's alone.

A **series** groups media that depict the same abuse; its owning agency and collaborating
agencies (:class:`SeriesAgency`) are the only ones who see its details. A **media record**
is what is known of one file — hashes and flags, never the file — optionally linked to a
series. A **victim** is pseudonymous: an internal reference and what is known of the
identification, never a name. A **seizure** is one agency's hash set, triaged against the
records item by item (:class:`SeizureItem`). A **referral** hands a series to the country
where the victim most likely is.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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
from alliance.db.base import Base, StrEnumType, utcnow
from alliance.takedown import models as takedown_models
from alliance.victims.formats import MediaType


class SeriesStatus(StrEnum):
    active = "active"
    victim_identified = "victim_identified"
    offender_identified = "offender_identified"
    closed = "closed"


class AgencyRole(StrEnum):
    owner = "owner"
    collaborator = "collaborator"


#: Apparent age at the time of the abuse: the assessment's vocabulary (ICCAM's bands),
#: one for assessment and victims alike.
AgeGroup = takedown_models.AgeGroup

#: The victims' former age bands (before migration 0008) and where each falls in the
#: assessment's vocabulary; an import that still uses them is mapped (:func:`age_group`).
LEGACY_AGE_GROUPS: dict[str, AgeGroup] = {
    "young_child": AgeGroup.pre_pubescent,  # 3-7
    "child": AgeGroup.pre_pubescent,  # 8-12
    "adolescent": AgeGroup.pubescent,  # 13-17
    "unknown": AgeGroup.not_determined,
}


def age_group(value: AgeGroup | str) -> AgeGroup:
    """An apparent age group in the one vocabulary assessment and victims share (ICCAM's:
    infant, pre-pubescent, pubescent, not determined); the victims' former bands map to
    it. Anything else raises ``ValueError``."""
    if isinstance(value, AgeGroup):
        return value
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return LEGACY_AGE_GROUPS.get(text) or AgeGroup(text)


class VictimStatus(StrEnum):
    unidentified = "unidentified"
    identified = "identified"
    safeguarded = "safeguarded"


class Verdict(StrEnum):
    known = "known"  # a cryptographic hash matches a record
    near = "near"  # PDQ within the threshold of a series member: possible new material
    new = "new"


class ReferralStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class Series(Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # S-XXXXXXXX
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # casefolded name
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[SeriesStatus] = mapped_column(StrEnumType(SeriesStatus))
    first_seen_at: Mapped[datetime]
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))

    owner: Mapped[Organisation] = relationship(lazy="joined")
    agencies: Mapped[list[SeriesAgency]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="SeriesAgency.id"
    )


class SeriesAgency(Base):
    """An agency working on a series: its owner, or a collaborator it invited."""

    __tablename__ = "series_agencies"
    __table_args__ = (UniqueConstraint("series_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[AgencyRole] = mapped_column(StrEnumType(AgencyRole))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))

    series: Mapped[Series] = relationship(back_populates="agencies")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class SeriesEvent(Base):
    """One line of a series' timeline, seen by its agencies only."""

    __tablename__ = "series_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MediaRecord(Base):
    """What is known of one file; the file itself never enters the database."""

    __tablename__ = "media_records"
    __table_args__ = (
        Index("ix_media_records_series_pdq", "series_id", "pdq"),
        # Room on each page for the updates every triage makes (migration 0006).
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    md5: Mapped[str | None] = mapped_column(String(32), index=True)
    sha1: Mapped[str | None] = mapped_column(String(40), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdq: Mapped[str | None] = mapped_column(String(64))
    # Further PDQ hashes of the same file (rotations, flips, crops) for near matching.
    pdq_variants: Mapped[list[str] | None] = mapped_column(JSON)
    image_id: Mapped[str | None] = mapped_column(String(64))  # ICSE Image ID / VICS MediaID
    media_type: Mapped[MediaType] = mapped_column(StrEnumType(MediaType, 8))
    category: Mapped[int | None] = mapped_column(SmallInteger)  # VICS 0-4
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    victim_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    offender_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    file_available: Mapped[bool] = mapped_column(Boolean, default=False)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    created_by_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # Set by every change near matching depends on (linking to a series, merging), so a
    # cached PDQ index knows when to rebuild; re-sightings leave it alone.
    catalogued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Victim(Base):
    """A pseudonymous victim: an internal reference, never a name."""

    __tablename__ = "victims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # V-XXXXXXXX
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    # The assessment's vocabulary (alliance.takedown.models.AgeGroup), one for both.
    age_group: Mapped[AgeGroup] = mapped_column(StrEnumType(AgeGroup, 16))
    status: Mapped[VictimStatus] = mapped_column(StrEnumType(VictimStatus, 16))
    identified_on: Mapped[date | None] = mapped_column(Date, index=True)
    identified_by_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id")
    )
    identified_country: Mapped[str | None] = mapped_column(String(2))
    safeguarded_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    series: Mapped[Series] = relationship(lazy="joined")
    identified_by: Mapped[Organisation | None] = relationship(lazy="joined")


class Seizure(Base):
    """One agency's seizure hash set and the totals of its triage."""

    __tablename__ = "seizures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # SZ-XXXXXXXX
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_reference: Mapped[str | None] = mapped_column(String(120))  # the agency's own; private
    source_format: Mapped[str] = mapped_column(String(8))
    items: Mapped[int] = mapped_column(Integer)
    known: Mapped[int] = mapped_column(Integer)
    near: Mapped[int] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    categorised: Mapped[int] = mapped_column(Integer)  # known with a VICS category
    identified: Mapped[int] = mapped_column(Integer)  # known, victim identified
    baseline: Mapped[int] = mapped_column(Integer)
    # What a re-upload is recognised by: the file's SHA-256, and a SHA-256 over its set of
    # hashes (the same files in another format or order) — migration 0008.
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    hashes_sha256: Mapped[str | None] = mapped_column(String(64), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class SeizureItem(Base):
    __tablename__ = "seizure_items"
    __table_args__ = (UniqueConstraint("seizure_id", "line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seizure_id: Mapped[int] = mapped_column(ForeignKey("seizures.id"))
    line: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(500))
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[MediaType | None] = mapped_column(StrEnumType(MediaType, 8))
    category: Mapped[int | None] = mapped_column(SmallInteger)
    verdict: Mapped[Verdict] = mapped_column(StrEnumType(Verdict, 8))
    media_record_id: Mapped[int | None] = mapped_column(ForeignKey("media_records.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    distance: Mapped[int | None] = mapped_column(SmallInteger)  # PDQ distance of a near item


class Referral(Base):
    """A series referred to the country where the victim most likely is."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # RF-XXXXXXXX
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_country: Mapped[str] = mapped_column(String(2))
    package: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[ReferralStatus] = mapped_column(StrEnumType(ReferralStatus, 16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))

    series: Mapped[Series] = relationship(lazy="joined")
    from_organisation: Mapped[Organisation] = relationship(
        lazy="joined", foreign_keys=[from_organisation_id]
    )
    to_organisation: Mapped[Organisation] = relationship(
        lazy="joined", foreign_keys=[to_organisation_id]
    )
