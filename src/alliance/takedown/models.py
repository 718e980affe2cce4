"""Notice-and-takedown tables.

A **report** names one or more URLs; each open URL is one **content item**, shared by every
report that names it (``open_url`` is unique while the item is open and NULL once closed).
An item is assessed, resolved to its hosting country and provider, routed to that
country's hotline and LEA, and — unless an investigation **hold** matches it — gets
**notices** until a re-check finds it removed. Every step is an :class:`ItemEvent`, the
item's timeline. Work that falls due later (resolution, notices, re-checks, hold expiry,
escalation) is a :class:`ScheduledAction` row claimed by the worker, so nothing lives only
in memory.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, StrEnumType, utcnow
from alliance.hosting.models import HostingProvider


class ReportSource(StrEnum):
    public = "public"  # the public web form, anonymous allowed
    hotline = "hotline"
    industry = "industry"
    law_enforcement = "law_enforcement"
    scanner = "scanner"  # created from a confirmed scanner match
    secretariat = "secretariat"


class ItemStage(StrEnum):
    received = "received"  # hosting not yet resolved
    unresolved = "unresolved"  # no country found: waits for manual routing
    awaiting_assessment = "awaiting_assessment"
    notice_pending = "notice_pending"  # assessed illegal; waits for LEA window, holds, worker
    notified = "notified"
    removed = "removed"
    closed = "closed"  # assessed not illegal, doubtful or ignore: no notice


OPEN_STAGES = frozenset(
    {
        ItemStage.received,
        ItemStage.unresolved,
        ItemStage.awaiting_assessment,
        ItemStage.notice_pending,
        ItemStage.notified,
    }
)


class EventKind(StrEnum):
    """What one line of an item's timeline says happened."""

    received = "received"  # the first report of the URL opened the item
    reappeared = "reappeared"  # a URL removed before is reported again
    report_joined = "report_joined"  # another report named the open item
    unresolved = "unresolved"  # no hosting country found: to the secretariat's queue
    resolution_failed = "resolution_failed"
    routed = "routed"
    lea_informed = "lea_informed"
    moved = "moved"  # a re-check or resolution found other hosting
    claimed = "claimed"
    released = "released"
    assessed = "assessed"
    hashes_proposed = "hashes_proposed"
    notice_scheduled = "notice_scheduled"
    lea_cleared = "lea_cleared"
    recheck_requested = "recheck_requested"
    notice_held = "notice_held"
    notice_blocked = "notice_blocked"
    notice_sent = "notice_sent"
    notice_failed = "notice_failed"
    hold_placed = "hold_placed"  # an LEA's hold now matches the item
    hold_renewed = "hold_renewed"
    hold_released = "hold_released"  # released by the agency before it expired
    hold_ended = "hold_ended"  # expired
    rechecked = "rechecked"
    removed = "removed"
    escalated = "escalated"


class Classification(StrEnum):
    """ICCAM's classification of what an item shows."""

    baseline = "baseline"  # illegal everywhere (INTERPOL baseline)
    national = "national"  # illegal under the assessing country's law
    doubtful = "doubtful"
    not_illegal = "not_illegal"
    ignore = "ignore"

    @property
    def illegal(self) -> bool:
        return self in (Classification.baseline, Classification.national)


class AgeGroup(StrEnum):
    infant = "infant"
    pre_pubescent = "pre_pubescent"
    pubescent = "pubescent"
    not_determined = "not_determined"


class Gender(StrEnum):
    female = "female"
    male = "male"
    both = "both"
    not_determined = "not_determined"


class ContentType(StrEnum):
    image = "image"
    video = "video"
    image_and_video = "image_and_video"
    #: Drawn, animated or otherwise not a photograph of a real child; not illegal in
    #: every country (the legal matrix says whose law covers it).
    non_photographic = "non_photographic"
    #: Made or altered by a generative model.
    ai_generated = "ai_generated"
    other = "other"


class SiteType(StrEnum):
    website = "website"
    image_host = "image_host"
    file_host = "file_host"
    forum = "forum"
    social_network = "social_network"
    blog = "blog"
    video_channel = "video_channel"
    image_board = "image_board"
    redirector = "redirector"
    other = "other"


class Commerciality(StrEnum):
    commercial = "commercial"
    non_commercial = "non_commercial"
    not_determined = "not_determined"


class HoldTarget(StrEnum):
    """What a hold names; the same values as ``cooperation.models.TargetKind``."""

    url = "url"
    domain = "domain"  # the host and every subdomain of it
    hash = "hash"  # "<signal_type>:<value>", e.g. sha256:ab12...
    report = "report"  # a report reference


class ActionKind(StrEnum):
    resolve = "resolve"  # DNS → IP → country/ASN → provider → route
    notice = "notice"  # first notice or re-notice to the provider
    recheck = "recheck"  # fetch the URL: live, removed, unavailable or moved
    escalate = "escalate"  # tell the hosting country's hotline/LEA the provider is slow
    expire_hold = "expire_hold"


class ActionStatus(StrEnum):
    due = "due"
    done = "done"
    cancelled = "cancelled"
    failed = "failed"  # gave up after repeated errors; shown to analysts


class NoticeChannel(StrEnum):
    email = "email"
    webhook = "webhook"
    platform = "platform"  # an escalation to a member organisation inside Alliance


class NoticeStatus(StrEnum):
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("reporter_organisation_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    source: Mapped[ReportSource] = mapped_column(StrEnumType(ReportSource))
    reporter_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    reporter_contact: Mapped[str | None] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(Text, default="")
    country_hint: Mapped[str | None] = mapped_column(String(2))
    # [{"signal_type": "sha256", "value": "..."}]: hashes the reporter already has (a
    # scanner match), so hash holds can see the report.
    hashes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the request, so a reused Idempotency-Key with another body is a conflict.
    request_digest: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    reporter: Mapped[Organisation | None] = relationship(lazy="joined")
    links: Mapped[list[ReportItem]] = relationship(lazy="selectin", back_populates="report")

    @property
    def owner_organisation_id(self) -> int | None:
        return self.reporter_organisation_id


class ContentItem(Base):
    __tablename__ = "content_items"
    __table_args__ = (
        Index("ix_content_items_stage_assigned", "stage", "assigned_organisation_id"),
        Index("ix_content_items_host", "host"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(Text)
    # The URL while the item is open, NULL once removed or closed: one open item per URL.
    open_url: Mapped[str | None] = mapped_column(Text, unique=True)
    host: Mapped[str] = mapped_column(String(255))
    stage: Mapped[ItemStage] = mapped_column(StrEnumType(ItemStage), default=ItemStage.received)
    classification: Mapped[Classification | None] = mapped_column(StrEnumType(Classification))
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    reappearance_of_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id"))

    # Hosting, from the last resolution.
    ip_address: Mapped[str | None] = mapped_column(String(45))
    country_code: Mapped[str | None] = mapped_column(String(2))
    asn: Mapped[int | None] = mapped_column(Integer)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("hosting_providers.id"))
    resolved_at: Mapped[datetime | None]
    resolution_error: Mapped[str | None] = mapped_column(String(300))

    # Routing: the hotline (or LEA, or secretariat) whose queue holds the item, and the LEA
    # that gets the item first.
    assigned_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    lea_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    routed_at: Mapped[datetime | None]
    lea_informed_at: Mapped[datetime | None]
    lea_window_ends_at: Mapped[datetime | None]

    # Who is working on it ("user:ID" or "api_key:ID": a hotline's case tool may claim
    # through the API); a claim lapses so an abandoned item returns to the queue.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None]

    # The takedown clock.
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    assessed_at: Mapped[datetime | None]
    first_notice_at: Mapped[datetime | None]
    last_notice_at: Mapped[datetime | None]
    notice_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_check_outcome: Mapped[str | None] = mapped_column(String(16))
    # SHA-256 of what a re-check downloaded (hashed in memory; the bytes are not kept).
    content_sha256: Mapped[str | None] = mapped_column(String(64))

    provider: Mapped[HostingProvider | None] = relationship(lazy="joined")
    links: Mapped[list[ReportItem]] = relationship(lazy="selectin", back_populates="item")

    @property
    def owner_organisation_id(self) -> int | None:
        return self.assigned_organisation_id

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class ReportItem(Base):
    """A report names an item: the URL exactly as the reporter gave it is kept too."""

    __tablename__ = "report_items"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), primary_key=True)
    submitted_url: Mapped[str] = mapped_column(Text)

    report: Mapped[Report] = relationship(back_populates="links", lazy="joined")
    item: Mapped[ContentItem] = relationship(back_populates="links", lazy="joined")


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))
    classification: Mapped[Classification] = mapped_column(StrEnumType(Classification))
    age_group: Mapped[AgeGroup | None] = mapped_column(StrEnumType(AgeGroup))
    gender: Mapped[Gender | None] = mapped_column(StrEnumType(Gender))
    content_type: Mapped[ContentType | None] = mapped_column(StrEnumType(ContentType))
    site_type: Mapped[SiteType | None] = mapped_column(StrEnumType(SiteType))
    commerciality: Mapped[Commerciality | None] = mapped_column(StrEnumType(Commerciality))
    # [{"signal_type": "pdq", "value": "..."}]: hashes of what the analyst saw, never media.
    hashes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class Hold(Base):
    """An LEA's investigation hold: while active and matching, no notice goes out.

    ``reason`` is shown only to the holding agency; everybody else sees "on hold until T".
    """

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_target", "target_type", "target_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    target_type: Mapped[HoldTarget] = mapped_column(StrEnumType(HoldTarget))
    target_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class Notice(Base):
    """One notice (or re-notice, or escalation) about one item.

    ``reference`` doubles as the e-mail Message-ID and the webhook Idempotency-Key, so a
    repeat after a crash between sending and recording is recognisable as the same notice.
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("item_id", "kind", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("hosting_providers.id"))
    kind: Mapped[str] = mapped_column(String(16))  # notice | escalation
    sequence: Mapped[int] = mapped_column(Integer)  # 1 = first notice, 2.. = re-notices
    channel: Mapped[NoticeChannel] = mapped_column(StrEnumType(NoticeChannel))
    recipient: Mapped[str] = mapped_column(String(2000))
    status: Mapped[NoticeStatus] = mapped_column(StrEnumType(NoticeStatus))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))

    provider: Mapped[HostingProvider | None] = relationship(lazy="joined")


class ItemEvent(Base):
    """One line of an item's timeline. Hold reasons never appear here."""

    __tablename__ = "item_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[EventKind] = mapped_column(StrEnumType(EventKind))
    actor: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ScheduledAction(Base):
    """Work that falls due: claimed by a worker under a lease, done at most once visibly.

    ``key`` makes scheduling idempotent (scheduling the same step twice is a no-op).
    """

    __tablename__ = "scheduled_actions"
    __table_args__ = (Index("ix_scheduled_actions_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[ActionKind] = mapped_column(StrEnumType(ActionKind))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id"), index=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    due_at: Mapped[datetime]
    status: Mapped[ActionStatus] = mapped_column(
        StrEnumType(ActionStatus), default=ActionStatus.due
    )
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class PublicSubmission(Base):
    """A public report's proof-of-work challenge, spent once; rate limits count these.

    The client address is kept only as a keyed hash: enough to count, not to identify.
    """

    __tablename__ = "public_submissions"
    __table_args__ = (Index("ix_public_submissions_address_at", "address_digest", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_digest: Mapped[str] = mapped_column(String(64), unique=True)
    address_digest: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
