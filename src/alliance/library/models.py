"""The library's tables: entries, their facets (tags, audiences, languages), links and
adoptions.

Full-text search is kept by the migrations, not the models: on SQLite an FTS5 table
``fts_library`` filled by triggers from ``library_entries.search_text`` and
``search_facets``; on PostgreSQL a table ``fts_library`` (``to_tsvector('simple', ...)`` of
each, with GIN indexes) filled by a trigger (migrations 0013, 0015 and 0016).
:mod:`alliance.db.migrate` leaves ``fts_*`` objects out of drift checks.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, StrEnumType, utcnow
from alliance.library.vocabulary import EntryKind, EntryStatus


class LibraryEntry(Base):
    """A campaign, practice, guidance, training or research of a member organisation."""

    __tablename__ = "library_entries"
    __table_args__ = (Index("ix_library_entries_status_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(StrEnumType(EntryKind, 16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: What the organisation says it reached ("1.2 million views"): self-reported.
    reach: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[EntryStatus] = mapped_column(
        StrEnumType(EntryStatus, 16), default=EntryStatus.draft
    )
    #: Title, summary, organisation, country, tag and audience words: what search reads.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: The entry's filter values as words of their own (``statuspublished tagselfgenerated``,
    #: see alliance.library.search.facet_words): what search filters on in the same index.
    search_facets: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    terms: Mapped[list[LibraryTerm]] = relationship(
        cascade="all, delete-orphan", order_by="LibraryTerm.position", lazy="selectin"
    )
    links: Mapped[list[LibraryLink]] = relationship(
        cascade="all, delete-orphan", order_by="LibraryLink.position", lazy="selectin"
    )
    adoptions: Mapped[list[LibraryAdoption]] = relationship(
        cascade="all, delete-orphan", order_by="LibraryAdoption.id", lazy="selectin"
    )

    @property
    def owner_organisation_id(self) -> int | None:
        return self.organisation_id

    def facet(self, name: str) -> list[str]:
        return [t.value for t in self.terms if t.facet == name]

    @property
    def tags(self) -> list[str]:
        return self.facet("tag")

    @property
    def audiences(self) -> list[str]:
        return self.facet("audience")

    @property
    def languages(self) -> list[str]:
        return self.facet("language")

    @property
    def urls(self) -> list[str]:
        return [link.url for link in self.links]


class LibraryTerm(Base):
    """One value of an entry's facet: a tag, an audience or a language."""

    __tablename__ = "library_terms"
    __table_args__ = (Index("ix_library_terms_facet_value", "facet", "value", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("library_entries.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class LibraryLink(Base):
    """A web address about the entry (no files: the library holds links only)."""

    __tablename__ = "library_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("library_entries.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    position: Mapped[int] = mapped_column(Integer, default=0)


class LibraryAdoption(Base):
    """Another member organisation took the entry up, and says how."""

    __tablename__ = "library_adoptions"
    __table_args__ = (UniqueConstraint("entry_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("library_entries.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    adopted_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
