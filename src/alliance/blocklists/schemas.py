"""Inputs and outputs of the blocklists' services, for the API, the pages and the CLI."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from alliance.blocklists.models import (
    AppealStatus,
    DelistReason,
    KeywordCategory,
    SelfTestResult,
    UrlCategory,
)
from alliance.validation import Email, Text

QUARTER_RE = re.compile(r"^(20\d\d)-Q([1-4])$")


def _quarter(value: str) -> str:
    if not QUARTER_RE.match(value):
        raise ValueError("a quarter is written YYYY-Qn, e.g. 2026-Q4")
    return value


Quarter = Annotated[str, AfterValidator(_quarter)]
LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=8)]


class UrlOut(BaseModel):
    id: int
    url: str
    host: str
    category: UrlCategory
    listed_at: datetime
    delisted_at: datetime | None
    delist_reason: DelistReason | None


class KeywordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: Text = Field(min_length=1, max_length=200)
    category: KeywordCategory
    language: LanguageTag | None = None


class KeywordOut(BaseModel):
    id: int
    term: str
    category: KeywordCategory
    language: str | None
    added_at: datetime
    removed_at: datetime | None


class AppealIn(BaseModel):
    """A site owner's appeal: the listed URL, how to reply, and why it should not be
    listed. Public: no account needed."""

    model_config = ConfigDict(extra="forbid")

    url: Text = Field(min_length=1, max_length=2000)
    contact: Email = Field(description="e-mail for the analyst's answer")
    reason: Text = Field(min_length=10, max_length=5000)


class PublicAppealIn(AppealIn):
    """The public form's appeal, with the proof of work every public form carries."""

    challenge: Text = Field(min_length=1, max_length=300)
    nonce: Text = Field(min_length=1, max_length=100)


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["upheld", "rejected"]
    outcome: Text = Field(min_length=1, max_length=5000, description="the reasons, as recorded")


class AppealReceipt(BaseModel):
    reference: str
    status: AppealStatus


class AppealOut(BaseModel):
    reference: str
    url: str
    contact: str
    reason: str
    status: AppealStatus
    received_at: datetime
    reviewer: str | None
    outcome: str
    decided_at: datetime | None
    still_listed: bool


class SelfTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quarter: Quarter
    tested_on: date
    result: SelfTestResult
    note: Text = Field("", max_length=2000)


class SelfTestOut(BaseModel):
    id: int
    organisation: str
    quarter: str
    tested_on: date
    result: SelfTestResult
    note: str
    recorded_by: str
    recorded_at: datetime
