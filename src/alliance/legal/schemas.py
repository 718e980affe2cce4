"""Inputs and outputs of the legal-framework matrix: what a form, the API, the CLI and an
import file give, and what the gap report answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from alliance.legal.models import Coverage, CriterionStatus
from alliance.validation import Text

HttpUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")
]


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    citation: Text = Field(min_length=1, max_length=1000)
    url: HttpUrl | None = Field(default=None, description="http(s) only")
    dated: date | None = Field(default=None, description="the source's date")


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: CriterionStatus
    statute: Text = Field(default="", max_length=2000, description="the statute cited")


class ReviewIn(BaseModel):
    """One review of a country's law. Criteria and scores are keyed by framework item id
    (``icmec2018.crit.1``, ``oosi2019.ind.4.4.1``); the service checks them against the
    framework data (every criterion answered, every score in its item's range)."""

    model_config = ConfigDict(extra="forbid")
    country: Text = Field(max_length=20, description="ISO 3166-1 alpha-2 code of a member")
    reviewed_on: date
    reviewed_by: Text = Field(min_length=1, max_length=200)
    criteria: dict[str, CriterionIn] = Field(max_length=50)
    scores: dict[str, int] = Field(max_length=50)
    non_photographic: Coverage = Coverage.unclear
    ai_generated: Coverage = Coverage.unclear
    provider_reporting: Coverage = Coverage.unclear
    notes: Text = Field(default="", max_length=10000)
    sources: list[SourceIn] = Field(default_factory=list, max_length=50)
    published: bool = False
    demo: bool = False


class CriterionOut(BaseModel):
    item_id: str
    title: str
    status: CriterionStatus
    statute: str


class ScoreOut(BaseModel):
    item_id: str
    title: str
    score: int
    max: int


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    citation: str
    url: str | None
    dated: date | None


class ReviewOut(BaseModel):
    id: int
    country: str
    country_name: str
    criteria_framework: str
    score_framework: str
    criteria: list[CriterionOut]
    sufficient: bool
    scores: list[ScoreOut]
    score_total: int
    score_max: int
    non_photographic: Coverage
    ai_generated: Coverage
    provider_reporting: Coverage
    notes: str
    sources: list[SourceOut]
    reviewed_on: date
    reviewed_by: str
    recorded_by: str
    recorded_at: datetime
    published: bool
    published_at: datetime | None
    demo: bool


class CountryGap(BaseModel):
    """What one country's current review lacks, and how it moved since the previous one."""

    country: str
    country_name: str
    review_id: int
    reviewed_on: date
    demo: bool
    sufficient: bool
    #: Criteria not fully met (item id → status).
    criteria_missing: dict[str, CriterionStatus]
    score_total: int
    score_max: int
    #: Points short of the maximum, per scored item.
    points_missing: dict[str, int]
    previous_reviewed_on: date | None = None
    #: None without a previous review.
    sufficient_before: bool | None = None
    score_change: int | None = None
    criteria_gained: list[str] = Field(default_factory=list)
    criteria_lost: list[str] = Field(default_factory=list)


class GapReport(BaseModel):
    criteria_framework: str
    score_framework: str
    #: Titles of the criteria and scored items, by id, for people.
    titles: dict[str, str]
    members: int
    reviewed: int
    sufficient: int
    #: How many countries do not fully meet each criterion, most often missing first.
    criterion_missing_counts: dict[str, int]
    most_often_missing: list[str]
    #: How many countries have each total score (0 to the maximum).
    score_distribution: dict[int, int]
    countries: list[CountryGap]
    not_reviewed: list[str]
    any_demo: bool


class ImportResult(BaseModel):
    rows: int
    countries: list[str]
