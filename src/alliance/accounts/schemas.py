"""Inputs and outputs of the account services, as the API and CLI see them."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alliance.accounts.permissions import OrgKind, Role
from alliance.validation import CountryCode, Days, Text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$")


class JurisdictionIn(BaseModel):
    code: CountryCode
    name: Text = Field(min_length=1, max_length=100)
    alliance_member: bool = True


class JurisdictionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    alliance_member: bool


class OrganisationIn(BaseModel):
    slug: str = Field(description="short unique name: lowercase letters, digits, hyphens")
    name: Text = Field(min_length=1, max_length=200)
    kind: OrgKind
    country_code: CountryCode

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError("3-64 characters: lowercase letters, digits and hyphens")
        return value


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    slug: str
    name: str
    kind: OrgKind
    country_code: str
    active: bool
    created_at: datetime


class UserIn(BaseModel):
    username: str
    display_name: Text = Field(min_length=1, max_length=200)
    role: Role
    organisation: str = Field(description="slug of the user's organisation")
    password: Text | None = Field(
        None, description="at least 12 characters; omitted: one is generated and shown once"
    )

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.lower()
        if not USERNAME_RE.match(value):
            raise ValueError("3-64 characters: lowercase letters, digits, '.', '_' and '-'")
        return value


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreated(BaseModel):
    user: UserOut
    password: Text | None = Field(None, description="the generated password, shown this once")


class ApiKeyIn(BaseModel):
    name: Text = Field(min_length=1, max_length=100)
    role: Role
    days: Days = Field(90, description="lifetime in days")
    organisation: str | None = Field(None, description="slug; defaults to your own organisation")


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    role: Role
    organisation_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(BaseModel):
    api_key: ApiKeyOut
    token: str = Field(description="the key itself: shown this once, store it now")


class PrincipalOut(BaseModel):
    kind: str
    name: str
    role: Role
    organisation_id: int | None
    organisation_kind: OrgKind | None
    country_code: str | None
    permissions: list[str]
