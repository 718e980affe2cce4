"""What the library takes and gives, as the API, the CLI and import files see it.

Vocabularies (kind, audiences, tags, languages), the country and the organisation are
checked by :mod:`alliance.library.entries`, so that each error names its field.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from alliance.validation import Text


class EntryIn(BaseModel):
    """A library entry to add, or the whole new state of one to change."""

    kind: Text = Field(
        max_length=16, description="campaign, practice, guidance, training or research"
    )
    title: Text = Field(min_length=1, max_length=200)
    summary: Text = Field(default="", max_length=5000)
    country: Text = Field(max_length=20, description="ISO 3166-1 alpha-2 code, e.g. NL")
    organisation: Text | None = Field(
        default=None,
        max_length=100,
        description="slug of the organisation whose work it is (default: your own)",
    )
    audiences: list[Text] = Field(default_factory=list, max_length=10)
    languages: list[Text] = Field(default_factory=list, max_length=20, description="ISO 639-1")
    tags: list[Text] = Field(default_factory=list, max_length=20)
    starts_on: date | None = None
    ends_on: date | None = None
    reach: Text = Field(default="", max_length=200, description="self-reported reach")
    links: list[Text] = Field(default_factory=list, max_length=20, description="http(s) URLs")


class AdoptionIn(BaseModel):
    notes: Text = Field(default="", max_length=2000, description="how you took it up")


class AdoptionOut(BaseModel):
    organisation: str
    organisation_name: str
    country: str | None
    notes: str
    adopted_at: datetime


class EntryOut(BaseModel):
    id: int
    kind: str
    title: str
    summary: str
    country: str
    organisation: str
    organisation_name: str
    audiences: list[str]
    languages: list[str]
    tags: list[str]
    starts_on: date | None
    ends_on: date | None
    reach: str = Field(description="as the organisation reports it (self-reported)")
    links: list[str]
    status: str
    published_at: datetime | None
    updated_at: datetime
    adoptions: list[AdoptionOut]


class EntryPage(BaseModel):
    total: int = Field(description="how many match, counted up to 1,001 (see total_exceeds)")
    total_exceeds: bool = Field(
        default=False, description="more than 1,000 match: total is a lower bound"
    )
    offset: int
    limit: int
    entries: list[EntryOut]
