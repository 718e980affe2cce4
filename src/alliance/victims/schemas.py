"""Victim-identification inputs and outputs, as the API, pages and CLI see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from alliance.validation import ID_MAX, CountryCode, Text, no_nul
from alliance.victims.formats import MediaType
from alliance.victims.models import (
    AgeGroup,
    AgencyRole,
    ReferralStatus,
    SeriesStatus,
    Verdict,
    VictimStatus,
    age_group,
)

MAX_NAME = 120
#: A seizure's line numbers, as a request names them.
Line = Annotated[int, Field(ge=1, le=ID_MAX)]


class SeriesIn(BaseModel):
    """A new series; with ``seizure`` it is started from that seizure's items."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=2, max_length=MAX_NAME, description="a code name, never a name")
    countries: list[CountryCode] = Field(default_factory=list, description="ISO 3166 alpha-2")
    notes: Text = Field(default="", max_length=20_000)
    first_seen_at: datetime | None = None
    seizure: Text | None = Field(default=None, description="seizure reference, e.g. SZ-…")
    lines: list[Line] | None = Field(
        default=None,
        description="the seizure's lines to link; default: every item in no series yet, "
        "except near-duplicates of a series your agency does not work on",
    )

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return sorted(set(values))

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) < 2:
            raise ValueError("a code name needs at least two characters")
        return value


class SeriesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: SeriesStatus | None = None
    notes: Annotated[str, Field(max_length=20_000), BeforeValidator(no_nul)] | None = None
    countries: list[CountryCode] | None = None

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else sorted(set(values))


class LinkIn(BaseModel):
    """Link a seizure's items to a series (they become its members)."""

    model_config = ConfigDict(extra="forbid")

    seizure: Text
    lines: list[Line] | None = Field(
        default=None,
        description="default: every item in no series yet, except near-duplicates of a "
        "series your agency does not work on",
    )


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: Text = Field(description="the collaborating agency's slug")


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: Text = Field(description="the code of the series that absorbs this one")


class SeriesSummary(BaseModel):
    """What any agency's triage may learn of a series: who to call about it."""

    code: str
    name: str
    owner: str
    owner_country: str
    status: SeriesStatus


class AgencyOut(BaseModel):
    organisation: str
    slug: str
    country: str
    role: AgencyRole
    added_at: datetime


class SeriesEventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    details: dict[str, Any]


class SeriesOut(SeriesSummary):
    first_seen_at: datetime
    countries: list[str]
    notes: str
    agencies: list[AgencyOut]
    media: int
    victims: int
    identified_victims: int
    merged_into: str | None = None
    created_at: datetime
    updated_at: datetime


class SeriesDetail(SeriesOut):
    timeline: list[SeriesEventOut]


class MediaRecordOut(BaseModel):
    id: int
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    image_id: str | None
    media_type: MediaType
    category: int | None
    baseline: bool
    victim_identified: bool
    offender_identified: bool
    is_distributed: bool
    submissions: int
    first_seen_at: datetime
    last_seen_at: datetime


def _age_group(value: object) -> object:
    """The victims' former bands (``young_child``, ``adolescent``...) read as the shared
    vocabulary's; anything unknown is left for the enum to refuse."""
    if isinstance(value, str):
        try:
            return age_group(value)
        except ValueError:
            return value
    return value


class VictimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age_group: Annotated[AgeGroup, BeforeValidator(_age_group)] = Field(
        default=AgeGroup.not_determined,
        description="apparent age at the time: infant, pre_pubescent, pubescent or "
        "not_determined (the assessment's vocabulary); the former young_child, child, "
        "adolescent and unknown are mapped to it",
    )


class IdentifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identified_on: date | None = Field(default=None, description="default: today")
    country: CountryCode | None = Field(default=None, description="default: your agency's country")


class SafeguardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    safeguarded_on: date | None = None


class VictimOut(BaseModel):
    reference: str
    series: str
    series_name: str
    age_group: AgeGroup
    status: VictimStatus
    identified_on: date | None
    identified_by: str | None
    identified_country: str | None
    safeguarded_on: date | None
    created_at: datetime


class TriageLine(BaseModel):
    line: int
    name: str | None
    verdict: Verdict
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    series: SeriesSummary | None
    distance: int | None
    category: int | None
    baseline: bool
    victim_identified: bool
    media_type: MediaType | None = None


class PreviousTriage(BaseModel):
    """The agency triaged this seizure before: the same file, or the same set of hashes."""

    reference: str
    submitted_at: datetime
    same_file: bool = Field(description="the same file; otherwise the same hashes")
    items: int
    known: int
    near: int
    new: int
    linked_since: int = Field(
        description="items made series members from the earlier seizure, known now"
    )
    reasons: list[str] = Field(description="why the counts differ, or that they do not")


class SeriesHit(BaseModel):
    series: SeriesSummary
    known: int
    near: int
    yours: bool
    alerted: bool = Field(description="the series' agencies were sent a deconfliction alert")


class TriageReport(BaseModel):
    reference: str
    organisation: str
    submitted_at: datetime
    case_reference: str | None
    source_format: str
    items: int
    known: int
    near: int
    new: int
    categorised: int
    identified: int
    baseline: int
    series: list[SeriesHit]
    previous: PreviousTriage | None = Field(
        default=None, description="the agency triaged the same seizure before"
    )

    @property
    def categorised_share(self) -> float:
        return self.categorised / self.items if self.items else 0.0

    @property
    def new_share(self) -> float:
        return self.new / self.items if self.items else 0.0


class SeizureOut(BaseModel):
    reference: str
    submitted_at: datetime
    case_reference: str | None
    items: int
    known: int
    near: int
    new: int


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: CountryCode = Field(description="where the victim most likely is")
    indicators: list[Text] = Field(
        default_factory=list, description="what points there: language, fittings, products"
    )
    note: Text = Field(default="", max_length=5000)

    @field_validator("indicators")
    @classmethod
    def _i(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values if v.strip()]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool
    reason: Text = Field(default="", max_length=5000)


class ReferralOut(BaseModel):
    reference: str
    series: SeriesSummary
    from_organisation: str
    to_organisation: str
    to_country: str
    status: ReferralStatus
    package: dict[str, Any]
    decision_reason: str | None
    created_at: datetime
    decided_at: datetime | None


class KpiYear(BaseModel):
    year: int
    country: str | None = Field(description="identifying country; None: alliance-wide")
    identified: int
    cumulative: int
    growth: float | None = Field(description="identified this year vs the year before")
    target_met: bool | None = Field(description="growth ≥ the +10 % target")
    median_days_to_identification: float | None


class VictimMetrics(BaseModel):
    target_growth: float
    years: list[KpiYear] = Field(description="alliance-wide, one row a year")
    by_country: list[KpiYear]


class ExchangeResult(BaseModel):
    created: int
    updated: int
    linked: int
    series_created: list[str]
