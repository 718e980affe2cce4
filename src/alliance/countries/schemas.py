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
