"""The legal-framework matrix: each member country's law reviewed against ICMEC's model
legislation criteria and the Out of the Shadows indicator 4.4, every review kept.

A country's current review is its latest (by ``reviewed_on``, then ``id``); the public
sees the latest *published* one. Criteria and scores are keyed by the framework items
they answer (``icmec2018.crit.N``, ``oosi2019.ind.4.4.N``), so a new framework version
is new data, not new columns.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.db.base import Base, StrEnumType, utcnow


class CriterionStatus(StrEnum):
    met = "met"
    partly = "partly"
    not_met = "not_met"


class Coverage(StrEnum):
    """Whether the law covers a kind of material or duty."""

    covered = "covered"
    not_covered = "not_covered"
    unclear = "unclear"


class LegalReview(Base):
    __tablename__ = "legal_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("member_countries.code"), index=True)
    #: The framework versions answered (ids of alliance.frameworks).
    criteria_framework: Mapped[str] = mapped_column(String(32))
    score_framework: Mapped[str] = mapped_column(String(32))
    #: Derived from the criteria by the framework's rule when recorded.
    sufficient: Mapped[bool] = mapped_column(Boolean)
    score_total: Mapped[int] = mapped_column(Integer)
    non_photographic: Mapped[Coverage] = mapped_column(StrEnumType(Coverage))
    ai_generated: Mapped[Coverage] = mapped_column(StrEnumType(Coverage))
    provider_reporting: Mapped[Coverage] = mapped_column(StrEnumType(Coverage))
    notes: Mapped[str] = mapped_column(Text, default="")
    reviewed_on: Mapped[date] = mapped_column(Date)
    #: Who reviewed the law (a person or a body, as given), and who recorded it here.
    reviewed_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Synthetic demo values: "demo data, not a legal assessment" wherever shown.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    criteria: Mapped[list[LegalReviewCriterion]] = relationship(
        cascade="all, delete-orphan", order_by="LegalReviewCriterion.item_id", lazy="selectin"
    )
    scores: Mapped[list[LegalReviewScore]] = relationship(
        cascade="all, delete-orphan", order_by="LegalReviewScore.item_id", lazy="selectin"
    )
    sources: Mapped[list[LegalReviewSource]] = relationship(
        cascade="all, delete-orphan", order_by="LegalReviewSource.position", lazy="selectin"
    )

    def status_of(self, item_id: str) -> CriterionStatus | None:
        return next((c.status for c in self.criteria if c.item_id == item_id), None)

    def score_of(self, item_id: str) -> int | None:
        return next((s.score for s in self.scores if s.item_id == item_id), None)


class LegalReviewCriterion(Base):
    __tablename__ = "legal_review_criteria"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("legal_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[CriterionStatus] = mapped_column(StrEnumType(CriterionStatus))
    statute: Mapped[str] = mapped_column(Text, default="")


class LegalReviewScore(Base):
    __tablename__ = "legal_review_scores"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("legal_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)


class LegalReviewSource(Base):
    __tablename__ = "legal_review_sources"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("legal_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    citation: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    dated: Mapped[date | None] = mapped_column(Date, default=None)
