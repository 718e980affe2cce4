"""Industry reports: a platform's confirmed case, sent to the police of the uploader's
country through the alliance.

A report holds what the platform chose to give — the uploader's account id, the IP
addresses it used with their times, a declared country, the files' hashes, its bank
matches and its own classification — and never the media. The hub routes it to one
law-enforcement agency (``lea_organisation_id``), or to the secretariat's triage when no
country or no agency could be found; each step of its way is a :class:`ReportStep`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class Classification(StrEnum):
    """The platform's classification of the material, in the industry scheme NCMEC uses:
    A prepubescent, B pubescent; 1 a sex act, 2 lascivious exhibition."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"


class ReportStatus(StrEnum):
    triage = "triage"  # no country or no agency: waits for the secretariat
    routed = "routed"  # waits for the agency's decision
    accepted = "accepted"
    declined = "declined"


class RoutingBasis(StrEnum):
    """How the country was decided."""

    ip_geolocation = "ip_geolocation"
    declared_country = "declared_country"
    secretariat = "secretariat"  # assigned by hand from the triage queue
    forwarded = "forwarded"  # an agency forwarded it to another country


class Outcome(StrEnum):
    """What came of an accepted report, as the reporting platform reads it."""

    investigation_opened = "investigation_opened"
    arrest = "arrest"
    no_action = "no_action"


class Priority(StrEnum):
    """The inbox's order, most urgent first (:data:`PRIORITY_RANK`)."""

    child_at_risk = "child_at_risk"  # the platform flagged a child possibly at risk
    new_material = "new_material"  # in no bank and no series
    known_series = "known_series"  # a hash of a known series
    known_material = "known_material"  # in a bank, no series


PRIORITY_RANK: dict[Priority, int] = {p: n for n, p in enumerate(Priority)}


class StepKind(StrEnum):
    received = "received"
    routed = "routed"
    triage = "triage"
    accepted = "accepted"
    declined = "declined"
    forwarded = "forwarded"
    outcome = "outcome"


class IndustryReport(Base):
    __tablename__ = "industry_reports"
    __table_args__ = (
        # The platform's case reference makes a resend the same report.
        UniqueConstraint("organisation_id", "case_reference"),
        Index("ix_industry_reports_lea_status", "lea_organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # IR-XXXXXXXX
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_reference: Mapped[str] = mapped_column(String(100))
    # A digest of what was sent, so that a resend of a different case under the same
    # case reference is refused rather than taken for the first.
    digest: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    classification: Mapped[Classification] = mapped_column(StrEnumType(Classification, 4))
    child_at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(String(200))
    declared_country: Mapped[str | None] = mapped_column(String(2))
    # [{"ip": "198.51.100.7", "at": "...Z", "event": "upload", "country": "NL" | None}]
    ip_events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"signal_type": "pdq", "value": "…"}]
    hashes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The platform's matches: [{"bank": "…", "entry_id": 12, "signal_type": "pdq", "distance": 4}]
    bank_matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What the hub found itself: a hash in a bank (live entry), hashes of known series.
    known_in_bank: Mapped[bool] = mapped_column(Boolean, default=False)
    series_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[Priority] = mapped_column(StrEnumType(Priority, 16))
    priority_rank: Mapped[int] = mapped_column(SmallInteger)

    status: Mapped[ReportStatus] = mapped_column(StrEnumType(ReportStatus, 16), index=True)
    country_code: Mapped[str | None] = mapped_column(String(2))
    lea_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    routing_basis: Mapped[RoutingBasis | None] = mapped_column(StrEnumType(RoutingBasis, 16))
    routed_at: Mapped[datetime | None]
    triage_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome, 24))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined", foreign_keys=[organisation_id])
    lea: Mapped[Organisation | None] = relationship(
        lazy="joined", foreign_keys=[lea_organisation_id]
    )
    steps: Mapped[list[ReportStep]] = relationship(
        back_populates="report", order_by="ReportStep.id", cascade="all, delete-orphan"
    )

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class ReportStep(Base):
    """One step of a report's way: received, routed (and how), sent to triage, accepted,
    declined (with the reason), forwarded (with the note), an outcome recorded."""

    __tablename__ = "industry_report_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("industry_reports.id"), index=True)
    kind: Mapped[StepKind] = mapped_column(StrEnumType(StepKind, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    country_code: Mapped[str | None] = mapped_column(String(2))
    lea_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    basis: Mapped[RoutingBasis | None] = mapped_column(StrEnumType(RoutingBasis, 16))
    outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome, 24))
    note: Mapped[str | None] = mapped_column(Text)

    report: Mapped[IndustryReport] = relationship(back_populates="steps")
    lea: Mapped[Organisation | None] = relationship(
        lazy="joined", foreign_keys=[lea_organisation_id]
    )
