"""Inputs and outputs of the member-country register, as the CLI (and later the API) see them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from alliance.validation import Text


class MemberCountryIn(BaseModel):
    """A country to register. Codes, framework ids and contacts are checked by the service
    (against ISO 3166-1, the framework registry and the organisations), so that each
    error names its field."""

    code: Text = Field(max_length=20, description="ISO 3166-1 alpha-2 code, e.g. NL")
    name: Text | None = Field(
        default=None, max_length=100, description="defaults to ISO 3166-1's English name"
    )
    joined_on: date = Field(description="when the country joined the alliance")
    frameworks: list[Text] = Field(
        default_factory=lambda: ["ga2012"],
        max_length=20,
        description="ids of the framework versions it reports against (alliance frameworks list)",
    )
    contacts: list[Text] = Field(
        default_factory=list,
        max_length=20,
        description="slugs of its national contact organisations",
    )
    note: Text = Field(default="", max_length=2000)
    demo: bool = Field(default=False, description="part of the demo register")


class MemberCountryChange(BaseModel):
    """A change to a registered country: only the fields given are changed."""

    name: Text | None = Field(default=None, min_length=1, max_length=100)
    joined_on: date | None = None
    frameworks: list[Text] | None = Field(default=None, max_length=20)
    contacts: list[Text] | None = Field(default=None, max_length=20)
    note: Text | None = Field(default=None, max_length=2000)


class MemberCountryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    joined_on: date
    framework_ids: list[str]
    contact_slugs: list[str]
    note: str
    demo: bool
    created_at: datetime
    updated_at: datetime


#: How long one section of a commitment may be (characters).
MAX_SECTION = 20_000


class CommitmentIn(BaseModel):
    """A new version of a country's text for one cycle and target. Markdown; references
    to framework items (``[[mnr2015.cap.12]]``) and indicators
    (``[[indicator:takedown.median_hours]]``) are checked by the service."""

    baseline: Text = Field(
        default="", max_length=MAX_SECTION, description="actions already undertaken"
    )
    committed: Text = Field(default="", max_length=MAX_SECTION, description="new concrete actions")
    progress: Text = Field(default="", max_length=MAX_SECTION, description="what was done")
    version: int = Field(
        ge=0,
        le=1_000_000,
        description="the version this edit started from (0 for the first): a version saved "
        "since is 409 Conflict and nothing is written",
    )


class CommitmentStep(BaseModel):
    """Submit or publish the version read (a newer one is 409 Conflict)."""

    version: int | None = Field(default=None, ge=1, le=1_000_000)


class CommitmentReturn(BaseModel):
    """Return a submitted text to its country, saying why."""

    reason: Text = Field(min_length=1, max_length=2000)
    version: int | None = Field(default=None, ge=1, le=1_000_000)


class CommitmentReferenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    section: str
    action: int
    kind: str = Field(description="framework (an item id) or indicator")
    ref: str


class CommitmentVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: int
    baseline: str
    committed: str
    progress: str
    author: str
    created_at: datetime
    references: list[CommitmentReferenceOut]


class CommitmentOut(BaseModel):
    """A country's text for one cycle and target, as the reader may see it: ``text`` is
    the current version for the country and the secretariat, the published one for others."""

    country: str
    country_name: str
    cycle: int
    target: str
    target_number: int
    target_title: str
    status: str
    version: int | None = Field(description="the current version (the country and the secretariat)")
    published_version: int | None
    returned_reason: str | None
    updated_at: datetime | None
    submitted_at: datetime | None
    published_at: datetime | None
    text: CommitmentVersionOut | None


class CapabilityAssessmentIn(BaseModel):
    """One capability's assessment for a year. ``phase`` None clears it (not assessed)."""

    capability: Text = Field(
        max_length=40, description="a capability id (mnr2015.cap.12) or its number (12)"
    )
    phase: int | None = Field(
        default=None, ge=1, le=4, description="1 (building) to 4 (maturity); null: not assessed"
    )
    evidence: Text = Field(default="", max_length=10_000)
    links: list[Text] = Field(
        default_factory=list, max_length=20, description="http(s) addresses: links, no files"
    )


class CapabilityAssessmentOut(BaseModel):
    """A country's assessment of one capability in a year: for its own government only."""

    country: str
    year: int
    capability: str
    number: str | None
    title: str
    domain: str
    phase: int
    phase_name: str
    evidence: str
    links: list[str]
    assessed_by: str
    updated_at: datetime


class PhaseCountOut(BaseModel):
    """One figure of the distribution: ``count`` null when it is hidden (``hidden`` says why)."""

    count: int | None
    hidden: str = ""


class CapabilityDistributionOut(BaseModel):
    """How many countries put one capability in each phase: no country named."""

    capability: str
    number: str | None
    title: str
    domain: str
    assessed: PhaseCountOut
    phases: dict[str, PhaseCountOut] = Field(description="by phase, '1' to '4'")


class DistributionOut(BaseModel):
    """The alliance-wide distribution of a framework's capability phases in a year; every
    count of fewer than ``k`` countries hidden."""

    framework: str
    year: int
    k: int
    countries: PhaseCountOut = Field(description="countries that assessed any capability")
    capabilities: list[CapabilityDistributionOut]
