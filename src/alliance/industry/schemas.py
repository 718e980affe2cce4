"""What a platform sends (:class:`IndustryReportIn`), what it reads back
(:class:`PlatformReportOut`: status and outcome only) and what the police read
(:class:`IndustryReportOut`), with the LEA's and the secretariat's decisions.

A report carries hashes, never the media: a field that would hold a file (``media``,
``file``, ``image``, ``base64``, ...) is refused by name, anywhere in the body, before
anything else is checked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from ipaddress import ip_address
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from alliance.errors import InvalidInput
from alliance.hashing import signals
from alliance.industry.models import (
    Classification,
    Outcome,
    Priority,
    ReportStatus,
    RoutingBasis,
    StepKind,
)
from alliance.validation import CountryCode, OptionalCountryCode, RecordId, Text

#: Signal types a report may name: the image and file hashes (a vPDQ is a video's frames,
#: too long for a report; send the video's MD5 or SHA-256).
HASH_TYPES = ("pdq", "md5", "sha1", "sha256")
HashType = Literal["pdq", "md5", "sha1", "sha256"]
#: Names of fields that would carry the media, refused wherever they appear.
MEDIA_FIELDS = frozenset(
    {
        "media",
        "file",
        "files",
        "file_data",
        "content",
        "contents",
        "data",
        "bytes",
        "base64",
        "image",
        "images",
        "video",
        "videos",
        "thumbnail",
        "preview",
        "attachment",
        "attachments",
        "upload",
        "blob",
    }
)
#: A confirmation this far in the future is a clock error, not a report.
CLOCK_SKEW = timedelta(minutes=5)


def _media_field(value: Any, path: str = "") -> str | None:
    if isinstance(value, dict):
        for key, inner in value.items():
            name = str(key)
            where = f"{path}.{name}" if path else name
            if name.strip().lower() in MEDIA_FIELDS or "base64" in name.lower():
                return where
            found = _media_field(inner, where)
            if found:
                return found
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            found = _media_field(inner, f"{path}.{n}")
            if found:
                return found
    return None


def refuse_media(body: Any) -> None:
    """Raise :class:`InvalidInput` when ``body`` has a field that would carry media."""
    found = _media_field(body)
    if found is not None:
        raise InvalidInput(
            f"{found}: an industry report carries hashes, never the media; "
            "remove the field (the media stay with the platform)",
            field=found,
        )


class IpEvent(StrEnum):
    upload = "upload"
    login = "login"
    registration = "registration"
    other = "other"


class IpEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ip: str = Field(max_length=64, description="IPv4 or IPv6 address the uploader used")
    at: AwareDatetime = Field(description="when, with its time zone")
    event: IpEvent = IpEvent.upload

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        try:
            return str(ip_address(value.strip().removeprefix("[").removesuffix("]")))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None


class UploaderIn(BaseModel):
    """What the platform chooses to give of the uploader."""

    model_config = ConfigDict(extra="forbid")

    account_id: Text | None = Field(
        None, min_length=1, max_length=200, description="the account's id on the platform"
    )
    ip_addresses: list[IpEventIn] = Field(default_factory=list, max_length=100)
    declared_country: OptionalCountryCode = Field(
        None, description="the country the account declared, ISO 3166-1 alpha-2"
    )


class HashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signal_type: HashType
    value: str = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _canonical(self) -> HashIn:
        try:
            self.value = signals.get(self.signal_type).validate(self.value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return self

    @property
    def key(self) -> str:
        """As deconfliction names a hash: ``pdq:ab12…``."""
        return f"{self.signal_type}:{self.value}"


class BankMatchIn(BaseModel):
    """A match the platform's own matching found, against a bank it syncs."""

    model_config = ConfigDict(extra="forbid")

    bank: Text = Field(min_length=1, max_length=64)
    entry_id: RecordId | None = None
    signal_type: HashType
    distance: int = Field(0, ge=0, le=256)


class IndustryReportIn(BaseModel):
    """A confirmed case, as the platform sends it."""

    model_config = ConfigDict(extra="forbid")

    case_reference: Text = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="the platform's own reference of the case; a resend with the same "
        "reference returns the same report",
    )
    confirmed_at: AwareDatetime = Field(description="when a person at the platform confirmed it")
    classification: Classification
    child_at_risk: bool = Field(
        False, description="a child is possibly at risk now: the police read it first"
    )
    uploader: UploaderIn = Field(default_factory=UploaderIn)
    hashes: list[HashIn] = Field(min_length=1, max_length=100)
    bank_matches: list[BankMatchIn] = Field(default_factory=list, max_length=100)
    note: Text = Field("", max_length=2000, description="for the police; no media, no links")

    @model_validator(mode="before")
    @classmethod
    def _no_media(cls, data: Any) -> Any:
        refuse_media(data)
        return data

    @field_validator("confirmed_at")
    @classmethod
    def _not_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("the confirmation time is in the future")
        return value

    @field_validator("hashes")
    @classmethod
    def _distinct(cls, values: list[HashIn]) -> list[HashIn]:
        seen: dict[str, HashIn] = {}
        for value in values:
            seen.setdefault(value.key, value)
        return list(seen.values())


class OutcomeOut(BaseModel):
    outcome: Outcome
    note: str | None
    at: datetime


class PlatformReportOut(BaseModel):
    """What the reporting platform reads: where its report stands and what came of it;
    never who handled it inside the agency, nor the other members' data."""

    reference: str
    case_reference: str
    status: ReportStatus
    country: str | None = Field(description="the country whose police received it")
    received_at: datetime
    accepted_at: datetime | None
    outcome: Outcome | None
    outcome_note: str | None
    outcome_at: datetime | None
    outcomes: list[OutcomeOut]
    created: bool = Field(False, description="true when this request made the report")


class StepOut(BaseModel):
    kind: StepKind
    at: datetime
    actor: str
    country: str | None
    lea: str | None
    basis: RoutingBasis | None
    outcome: Outcome | None
    note: str | None


class IndustryReportOut(BaseModel):
    """The report as its agency (or the secretariat's triage) reads it."""

    reference: str
    platform: str
    case_reference: str
    confirmed_at: datetime
    received_at: datetime
    classification: Classification
    child_at_risk: bool
    note: str | None
    account_id: str | None
    declared_country: str | None
    ip_addresses: list[dict[str, Any]]
    hashes: list[dict[str, Any]]
    bank_matches: list[dict[str, Any]]
    known_in_bank: bool
    known_series: bool
    priority: Priority
    status: ReportStatus
    country: str | None
    lea: str | None
    routing_basis: RoutingBasis | None
    routed_at: datetime | None
    triage_reason: str | None
    decided_at: datetime | None
    decline_reason: str | None
    outcome: Outcome | None
    outcome_note: str | None
    outcome_at: datetime | None
    steps: list[StepOut]


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the report is declined")
        return value.strip()


class ForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: CountryCode = Field(description="the country whose police should have it")
    note: Text = Field("", max_length=2000)


class AssignIn(BaseModel):
    """The secretariat routes a report from its triage to a country."""

    model_config = ConfigDict(extra="forbid")

    country: CountryCode
    note: Text = Field("", max_length=2000)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: Text = Field("", max_length=2000, description="the reporting platform reads it")


class CountryAcceptance(BaseModel):
    """Time from the platform's confirmation to an LEA's acceptance, in one country."""

    country: str
    accepted: int
    median_hours: float | None
    waiting: int = Field(description="reports routed to the country's police, not decided yet")


class IndustryMetricsOut(BaseModel):
    countries: list[CountryAcceptance]
    accepted: int
    median_hours: float | None
    in_triage: int
