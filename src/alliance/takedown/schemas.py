"""Notice-and-takedown inputs and outputs, as the API, pages and CLI see them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alliance.takedown.models import (
    AgeGroup,
    Classification,
    Commerciality,
    ContentType,
    Gender,
    HoldTarget,
    ItemStage,
    ReportSource,
    SiteType,
)
from alliance.validation import CountryCode, Days, OptionalCountryCode, OptionalEmail, Text

MAX_URLS_PER_REPORT = 1000
MAX_REPORTS_PER_BATCH = 1000
HASH_TYPES = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
HEX_RE = re.compile(r"^[0-9a-f]+$")


class HashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signal_type: str = Field(description="md5 | sha1 | sha256 | pdq")
    value: str = Field(description="lowercase hex")

    @field_validator("signal_type")
    @classmethod
    def _type(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in HASH_TYPES:
            raise ValueError(f"must be one of {', '.join(sorted(HASH_TYPES))}")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        value = value.strip().lower()
        if not HEX_RE.match(value):
            raise ValueError("must be hexadecimal")
        return value

    def model_post_init(self, context: Any) -> None:
        if len(self.value) != HASH_TYPES[self.signal_type]:
            raise ValueError(
                f"a {self.signal_type} hash has {HASH_TYPES[self.signal_type]} hex digits"
            )

    @property
    def key(self) -> str:
        return f"{self.signal_type}:{self.value}"


class ReportIn(BaseModel):
    """A report from a member (API, CLI, scanner): one or more URLs."""

    model_config = ConfigDict(extra="forbid")

    urls: list[Text] = Field(min_length=1, max_length=MAX_URLS_PER_REPORT)
    description: Text = Field("", max_length=5000)
    country_hint: OptionalCountryCode = Field(
        None, description="where the reporter thinks it is hosted"
    )
    hashes: list[HashIn] = Field(
        default_factory=list, max_length=100, description="hashes of the reported media"
    )
    origin: Literal["manual", "scanner"] = Field(
        "manual", description="scanner: found by `alliance scan` matching a bank"
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_REPORTS_PER_BATCH)


class PublicReportIn(BaseModel):
    """The public form: anonymous allowed (EU DSA Art. 16(2)(c) exempts CSAM notices)."""

    model_config = ConfigDict(extra="forbid")

    url: Text = Field(min_length=1, max_length=2000)
    description: Text = Field("", max_length=5000)
    contact: OptionalEmail = Field(None, description="optional e-mail for a reply")
    country_hint: OptionalCountryCode = None
    challenge: Text = Field(min_length=1, max_length=300)
    nonce: Text = Field(min_length=1, max_length=100)


class ReportItemOut(BaseModel):
    url: str
    submitted_url: str
    item: str
    new: bool
    on_hold_until: datetime | None = None


class ReportReceipt(BaseModel):
    reference: str
    received_at: datetime
    items: list[ReportItemOut]
    replayed: bool = Field(False, description="true when an Idempotency-Key was seen before")


class BatchReceipt(BaseModel):
    reports: list[ReportReceipt]
    items_created: int
    items_joined: int


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classification: Classification
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    content_type: ContentType | None = None
    site_type: SiteType | None = None
    commerciality: Commerciality | None = None
    hashes: list[HashIn] = Field(default_factory=list, max_length=100)
    note: Text = Field("", max_length=5000)
    propose_to_bank: Text | None = Field(
        None, description="bank to propose the hashes to (illegal classifications only)"
    )


class AssessmentOut(BaseModel):
    classification: Classification
    age_group: AgeGroup | None
    gender: Gender | None
    content_type: ContentType | None
    site_type: SiteType | None
    commerciality: Commerciality | None
    hashes: list[dict[str, str]]
    note: str
    organisation: str | None
    actor: str
    assessed_at: datetime


class HoldStatus(BaseModel):
    """What every party may know of a hold: that it exists and until when."""

    on_hold: bool
    until: datetime | None = None


class ItemOut(BaseModel):
    reference: str
    url: str
    host: str
    stage: ItemStage
    classification: Classification | None
    report_count: int
    ip_address: str | None
    country_code: str | None
    asn: int | None
    provider: str | None
    assigned_to: str | None
    lea: str | None
    received_at: datetime
    assessed_at: datetime | None
    lea_informed_at: datetime | None
    lea_window_ends_at: datetime | None
    first_notice_at: datetime | None
    last_notice_at: datetime | None
    notice_count: int
    escalated_at: datetime | None
    removed_at: datetime | None
    last_checked_at: datetime | None
    last_check_outcome: str | None
    claimed: bool
    hold: HoldStatus
    reappearance_of: str | None = None


class EventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    organisation: str | None
    details: dict[str, Any]


class NoticeOut(BaseModel):
    reference: str
    kind: str
    sequence: int
    channel: str
    recipient: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


class ItemDetail(ItemOut):
    events: list[EventOut]
    assessments: list[AssessmentOut]
    notices: list[NoticeOut]
    reports: list[str]


class ReportOut(BaseModel):
    """A report as an analyst reads it: who reported what, in the reporter's words."""

    reference: str
    source: ReportSource
    received_at: datetime
    reporter: str | None = Field(description="the reporting organisation; None: the public")
    contact: str | None
    country_hint: str | None
    description: str
    hashes: list[dict[str, str]]
    submitted_url: str | None = Field(None, description="the URL as this report wrote it")


class ReportDetail(ReportOut):
    items: list[ItemOut] = Field(description="the items of the report you may see")
    other_items: int = Field(0, description="items of the report routed elsewhere")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_type: HoldTarget
    target_value: Text = Field(min_length=1, max_length=2000)
    reason: Text = Field(min_length=3, max_length=2000, description="seen only by your agency")
    days: Days | None = Field(None, description="lifetime; default from settings")


class HoldOut(BaseModel):
    reference: str
    organisation: str
    target_type: HoldTarget
    target_value: str
    reason: str | None = Field(description="only the holding agency sees the reason")
    placed_by: str | None
    placed_at: datetime
    expires_at: datetime
    renewals: int
    released_at: datetime | None
    released_by: str | None = Field(None, description="only the holding agency sees who")
    active: bool


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country_code: CountryCode
    note: Text = Field("", max_length=2000)


class IntervalStats(BaseModel):
    """One interval of the takedown clock over a group of items, in hours."""

    count: int = Field(description="items for which both ends of the interval are known")
    median_hours: float | None
    p90_hours: float | None


class MetricsRow(BaseModel):
    """Takedown times for one group (a country, a provider, a month, or everything)."""

    group: str
    items: int = Field(description="items received in the period and assessed illegal")
    removed: int
    received_to_assessed: IntervalStats
    assessed_to_lea_informed: IntervalStats
    received_to_first_notice: IntervalStats
    first_notice_to_removed: IntervalStats
    received_to_removed: IntervalStats
    removed_within_1_day: float | None = Field(description="share of items, 0..1")
    removed_within_3_days: float | None
    removed_within_7_days: float | None
    open_over_42_days: float | None = Field(
        description="share not removed 42 days after receipt (Project Arachnid's long tail)"
    )
    reappearances: int
    notices_sent: int


class MetricsReport(BaseModel):
    group_by: str = Field(description="country | provider | month | all")
    since: datetime | None
    until: datetime | None
    generated_at: datetime
    overall: MetricsRow
    rows: list[MetricsRow]


SOURCE_FOR_KIND = {
    "hotline": ReportSource.hotline,
    "industry": ReportSource.industry,
    "law_enforcement": ReportSource.law_enforcement,
    "secretariat": ReportSource.secretariat,
    "ngo": ReportSource.hotline,
}
