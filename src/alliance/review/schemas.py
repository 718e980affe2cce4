"""Inputs and outputs of the review queue, for the upload service, the API and the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alliance.industry.models import Outcome, ReportStatus
from alliance.review.models import (
    CaseStatus,
    DecisionKind,
    EffectOutcome,
    FeedbackState,
    ReportKind,
    RuleAction,
    Stage,
)
from alliance.validation import DB_INT_MAX, Text

#: What a bank name may be: the banks' own names, or ``*`` (any bank) in a rule.
BANK_PATTERN = r"^(\*|[a-z0-9][a-z0-9_.-]{0,99})$"
MAX_MATCHES = 100
MAX_BULK = 500


class ContentRef(BaseModel):
    """The upload, as the platform knows it: its content id, and where its own storage
    keeps the file (a path under ``ALLIANCE_REVIEW_MEDIA_ROOT`` or a URL under one of
    ``ALLIANCE_REVIEW_MEDIA_URL_PREFIXES``). The media never leave that storage."""

    model_config = ConfigDict(extra="forbid")

    content_id: Text = Field(min_length=1, max_length=500)
    media_path: Text | None = Field(None, min_length=1, max_length=2000)
    media_url: Text | None = Field(None, min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _one_place(self) -> ContentRef:
        if self.media_path is not None and self.media_url is not None:
            raise ValueError("give the media's path or its URL, not both")
        return self


class CaseMatch(BaseModel):
    """One match of the upload, as the matcher answered it (banks.lookup / local_store)."""

    model_config = ConfigDict(extra="forbid")

    bank: str = Field(pattern=BANK_PATTERN.replace(r"\*|", ""), max_length=100)
    entry_id: int = Field(ge=1, le=DB_INT_MAX)
    signal_type: str = Field("pdq", min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    category: Text | None = Field(None, max_length=64)
    verification: Text | None = Field(None, max_length=32)
    distance: int = Field(ge=0, le=256)
    variant: Text = Field("original", min_length=1, max_length=64)
    form: Text | None = Field(None, max_length=64)


class OpenCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: ContentRef
    matches: list[CaseMatch] = Field(min_length=1, max_length=MAX_MATCHES)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: DecisionKind
    reason: Text = Field("", max_length=2000)


class BulkDecisionIn(DecisionIn):
    cases: list[str] = Field(min_length=1, max_length=MAX_BULK)


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: str = Field(pattern=BANK_PATTERN, max_length=100)
    max_distance: int = Field(ge=0, le=256)
    action: RuleAction
    enabled: bool = True


class RuleChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class MatchOut(BaseModel):
    id: int
    bank: str
    entry_id: int
    signal_type: str
    category: str | None
    verification: str | None
    distance: int
    variant: str
    form: str | None
    matched_at: datetime
    feedback: FeedbackState | None


class DecisionOut(BaseModel):
    decision: DecisionKind
    reviewer: str
    reason: str
    result: CaseStatus
    decided_at: datetime


class EffectOut(BaseModel):
    rule_id: int
    match_id: int
    action: RuleAction
    outcome: EffectOutcome
    detail: str
    applied_at: datetime


class CaseOut(BaseModel):
    reference: str
    content_id: str
    media_path: str | None
    media_url: str | None
    status: CaseStatus
    opened_at: datetime
    decided_at: datetime | None
    age_hours: float
    overdue: bool
    assignee: str | None
    best_distance: int
    match_count: int
    matches: list[MatchOut] = Field(default_factory=list)
    decisions: list[DecisionOut] = Field(default_factory=list)
    effects: list[EffectOut] = Field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: str | None = None
    cybertipline_progress: dict[str, Any] | None = None
    dsa_progress: dict[str, Any] | None = None
    police_progress: dict[str, Any] | None = None


class PoliceProgress(BaseModel):
    """Where a case's industry report to the police stands, as the case keeps it: the hub's
    report (its reference, status, the country whose police have it, their outcome) once
    sent, or where and why the sending stopped. Versioned JSON, like the other reports'."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["alliance.police_report_progress"] = "alliance.police_report_progress"
    version: Literal[1] = 1
    reference: str | None = Field(None, description="the hub's report (IR-...), once sent")
    status: ReportStatus | None = None
    country: str | None = None
    accepted_at: datetime | None = None
    outcome: Outcome | None = None
    outcome_note: str | None = None
    sent_at: datetime | None = None
    checked_at: datetime | None = None
    stopped_at: str | None = None
    last_error: str | None = None


class ReportStateOut(BaseModel):
    """Where one report of a case stands (alliance.review.reports.state_of)."""

    report: ReportKind
    stage: Stage
    summary: str = Field(
        description="one line, as the case page and `alliance review reports` say it"
    )
    reference: str | None = Field(
        description="NCMEC's report id, the Transparency Database's uuid (or the puid), or "
        "the hub's report reference"
    )
    stopped_at: str | None = Field(description="the step it stopped at, when stopped")
    error: str | None = Field(description="why it stopped")
    status: str | None = Field(description="the police's side: triage, routed, accepted, declined")
    country: str | None = Field(description="the country whose police have the report")
    outcome: str | None = Field(description="the police's outcome")
    outcome_note: str | None
    running_by: str | None = Field(description="who is sending it right now")
    running_since: datetime | None
    updated_at: datetime | None
    resumable: bool = Field(description="stopped (or left under way): sending it again resumes it")
    kept: bool = Field(
        description="the case keeps the document this report sent: a resume sends it again, "
        "whatever the request gives now"
    )


class CaseReportsOut(BaseModel):
    """The reports that follow a confirmed case, each where it stands."""

    case: str
    status: CaseStatus
    cybertipline: ReportStateOut
    dsa: ReportStateOut
    police: ReportStateOut
    may_close: bool = Field(
        description="confirmed, and no report under way or stopped: closing it is allowed"
    )
    dsa_user_notice: str | None = Field(
        description="the statement of reasons as the uploader reads it (DSA Art. 17), kept "
        "with the statement sent to the Transparency Database; plain text"
    )


class CaseRow(BaseModel):
    """A case as the queue lists it (no matches, decisions or effects)."""

    reference: str
    content_id: str
    status: CaseStatus
    opened_at: datetime
    age_hours: float
    overdue: bool
    assignee: str | None
    best_distance: int
    match_count: int


class CasePage(BaseModel):
    total: int = Field(description="cases with these filters (counted up to 10,000 + 1)")
    total_capped: bool = Field(description="true when there are more than `total` cases")
    cases: list[CaseRow]


class BulkResult(BaseModel):
    decided: list[str]
    status: dict[str, CaseStatus]


class RuleOut(BaseModel):
    id: int
    bank: str
    max_distance: int
    action: RuleAction
    enabled: bool
    created_by: str
    created_at: datetime
