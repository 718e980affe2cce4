"""The member-country register: which countries are in the alliance, since when, which
framework versions they report against, and who the national contacts are."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, utcnow


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
