"""Provider directory inputs and outputs, as the API, CLI and import file see them."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alliance.errors import InvalidInput
from alliance.hosting.urls import normalise_url
from alliance.validation import CountryCode, OptionalEmail, Text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
MAX_ASN = 4_294_967_295


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(description="short unique name: lowercase letters, digits, hyphens")
    name: Text = Field(min_length=1, max_length=200)
    country_code: CountryCode = Field(description="ISO 3166-1 alpha-2 code of the provider's seat")
    asns: list[int] = Field(
        default_factory=list, description="AS numbers whose addresses this provider hosts"
    )
    abuse_email: OptionalEmail = Field(None, description="where notices are e-mailed")
    abuse_webhook_url: Text | None = Field(None, description="where notices are POSTed")
    batch_notices: bool = Field(False, description="send several due notices as one message")
    note: Text = Field("", max_length=2000)
    active: bool = True
    member: Text | None = Field(
        None,
        max_length=100,
        description="slug of the member organisation this provider is (an industry member), "
        "if it takes part in the alliance; its notices count as notices to a participating "
        "company in the progress report",
    )

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError("3-64 characters: lowercase letters, digits and hyphens")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("asns")
    @classmethod
    def _asns(cls, value: list[int]) -> list[int]:
        for asn in value:
            if not 1 <= asn <= MAX_ASN:
                raise ValueError(f"AS number {asn} is out of range 1-{MAX_ASN}")
        return sorted(set(value))

    @field_validator("member")
    @classmethod
    def _member(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("abuse_webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalise_url(value).url
        except InvalidInput as exc:
            raise ValueError(exc.message) from None


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    country_code: str
    asns: list[int]
    abuse_email: str | None
    abuse_webhook_url: str | None
    batch_notices: bool
    note: str
    active: bool
    member: str | None
    has_contact: bool
    created_at: datetime
    updated_at: datetime
