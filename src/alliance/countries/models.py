"""The member-country register: which countries are in the alliance, since when, which
framework versions they report against, and who the national contacts are."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, StrEnumType, utcnow


class MemberCountry(Base):
    """A country in the alliance. Its code is also a jurisdiction (routing uses those);
    registering a country adds the jurisdiction when the platform does not know it yet."""

    __tablename__ = "member_countries"

    code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    joined_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    #: Part of the demo register (synthetic, not the alliance's official list).
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    frameworks: Mapped[list[MemberCountryFramework]] = relationship(
        cascade="all, delete-orphan",
        order_by="MemberCountryFramework.framework_id",
        lazy="selectin",
    )
    contacts: Mapped[list[MemberCountryContact]] = relationship(
        cascade="all, delete-orphan",
        order_by="MemberCountryContact.organisation_id",
        lazy="selectin",
    )

    @property
    def framework_ids(self) -> list[str]:
        return sorted(f.framework_id for f in self.frameworks)

    @property
    def contact_slugs(self) -> list[str]:
        return sorted(c.organisation.slug for c in self.contacts)


class MemberCountryFramework(Base):
    """A framework version (an id of :mod:`alliance.frameworks`) the country reports against."""

    __tablename__ = "member_country_frameworks"

    country_code: Mapped[str] = mapped_column(
        ForeignKey("member_countries.code", ondelete="CASCADE"), primary_key=True
    )
    framework_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class MemberCountryContact(Base):
    """An organisation that is a national contact of the country."""

    __tablename__ = "member_country_contacts"

    country_code: Mapped[str] = mapped_column(
        ForeignKey("member_countries.code", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisations.id"), primary_key=True, index=True
    )

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CommitmentStatus(StrEnum):
    """Where a country's commitments for one target and cycle stand."""

    draft = "draft"
    submitted = "submitted"
    published = "published"


class Commitment(Base):
    """A country's commitments and report for one reporting cycle (a year) and one policy
    target of the declaration (``ga2012.target.N``): its current version and where it
    stands. Every version is kept in :class:`CommitmentVersion`."""

    __tablename__ = "commitments"
    __table_args__ = (UniqueConstraint("country_code", "cycle", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(
        ForeignKey("member_countries.code", ondelete="CASCADE"), index=True
    )
    cycle: Mapped[int] = mapped_column(Integer)
    target_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[CommitmentStatus] = mapped_column(
        StrEnumType(CommitmentStatus, 16), default=CommitmentStatus.draft
    )
    #: The number of the current version (1 for the first); an edit names the version it
    #: started from and is refused when that is no longer the current one.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The version last published (what the public reads), if any.
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Why the secretariat returned the submitted version to draft (cleared on submission).
    returned_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)

    versions: Mapped[list[CommitmentVersion]] = relationship(
        cascade="all, delete-orphan",
        order_by="CommitmentVersion.number",
        lazy="selectin",
        back_populates="commitment",
    )

    def version_numbered(self, number: int) -> CommitmentVersion | None:
        for version in self.versions:
            if version.number == number:
                return version
        return None

    @property
    def current(self) -> CommitmentVersion:
        found = self.version_numbered(self.version)
        assert found is not None
        return found

    @property
    def published(self) -> CommitmentVersion | None:
        return (
            self.version_numbered(self.published_version)
            if self.published_version is not None
            else None
        )


class CommitmentVersion(Base):
    """One version of a country's text for a target and cycle, never changed once written:
    the three sections (Markdown), who wrote it and when, and the references its actions
    carry (framework items and indicators)."""

    __tablename__ = "commitment_versions"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    #: Actions already undertaken.
    baseline: Mapped[str] = mapped_column(Text, default="")
    #: New concrete actions.
    committed: Mapped[str] = mapped_column(Text, default="")
    #: What was done.
    progress: Mapped[str] = mapped_column(Text, default="")
    #: The audit label of who wrote it (``user:nl-editor``).
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="versions")
    references: Mapped[list[CommitmentReference]] = relationship(
        cascade="all, delete-orphan",
        order_by="(CommitmentReference.section, CommitmentReference.action, "
        "CommitmentReference.kind, CommitmentReference.ref)",
        lazy="selectin",
    )


class CommitmentReference(Base):
    """A reference written in an action of a version (``[[mnr2015.cap.12]]``,
    ``[[indicator:…]]``): which section, which action (1-based), to what."""

    __tablename__ = "commitment_references"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_versions.id", ondelete="CASCADE"), primary_key=True
    )
    section: Mapped[str] = mapped_column(String(16), primary_key=True)
    action: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class CapabilityAssessment(Base):
    """A country's own assessment of one capability of the Model National Response for a
    year: a phase from 1 (building) to 4 (maturity), the evidence, and links. Private to
    the country: others see only alliance-wide counts (:mod:`alliance.countries.capabilities`)."""

    __tablename__ = "capability_assessments"
    __table_args__ = (
        UniqueConstraint("country_code", "year", "capability_id"),
        CheckConstraint("phase BETWEEN 1 AND 4", name="phase_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(
        ForeignKey("member_countries.code", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    #: A capability of an MNR framework version (``mnr2015.cap.12``).
    capability_id: Mapped[str] = mapped_column(String(32))
    phase: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: Web addresses (http or https) of the evidence: links only, no files.
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The audit label of who last changed it (``user:nl-editor``).
    assessed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
