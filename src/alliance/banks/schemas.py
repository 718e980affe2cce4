"""Bank inputs and outputs, as the API, CLI and distribution formats see them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from alliance.accounts.permissions import OrgKind
from alliance.hashing import variants
from alliance.validation import CountryCode, Text, no_nul

BANK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}[a-z0-9]$")
SCOPE_RE = re.compile(r"^(baseline|policy|national:[A-Z]{2})$")

#: An entry's note (the length checked on the string, so its message says "characters").
Note = Annotated[str, Field(max_length=1000), BeforeValidator(no_nul)]
IwfCategory = Literal["A", "B", "C"]
NcmecCategory = Literal["A1", "A2", "B1", "B2"]


class Classification(BaseModel):
    """An entry's category in each scheme it has; any may be absent."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    baseline: bool = Field(False, description="INTERPOL Baseline: illegal everywhere")
    iwf: IwfCategory | None = Field(None, description="IWF category A, B or C")
    ncmec: NcmecCategory | None = Field(None, description="NCMEC A1, A2, B1 or B2")
    vics: int | None = Field(None, ge=0, le=4, description="Project VIC category 0-4")


class BankIn(BaseModel):
    name: str = Field(description="3-64 characters: lowercase letters, digits, '-', '_'")
    scope: str = Field(description="baseline | national:CC | policy")
    owner: str | None = Field(None, description="owning organisation's slug; default yours")
    description: Text = Field("", max_length=2000)
    suppression: bool = Field(
        False, description="a list of known false positives: a match here silences others"
    )
    pdq_threshold: int = Field(31, ge=0, le=31, description="largest PDQ distance that matches")
    dispute_threshold: int = Field(3, ge=1, description="disputes that flag an entry for review")
    subscriber_kinds: list[OrgKind] = Field(
        default_factory=list, description="kinds of organisation that may subscribe"
    )
    subscriber_countries: list[CountryCode] = Field(
        default_factory=list, description="countries that may subscribe; empty: any"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not BANK_NAME_RE.match(value):
            raise ValueError("3-64 characters: lowercase letters, digits, '-' and '_'")
        return value

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        value = value.strip()
        if value.lower().startswith("national:"):
            value = "national:" + value.split(":", 1)[1].upper()
        if not SCOPE_RE.match(value):
            raise ValueError("must be baseline, policy or national:CC (e.g. national:NL)")
        return value

    @field_validator("subscriber_countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class BankOut(BaseModel):
    name: str
    scope: str
    owner: str = Field(description="owning organisation's slug")
    owner_name: str = Field(description="owning organisation's name")
    description: str
    suppression: bool
    pdq_threshold: int
    dispute_threshold: int
    subscriber_kinds: list[str]
    subscriber_countries: list[str]
    sequence: int
    entries: int
    verified: int
    created_at: datetime
    updated_at: datetime


class EntryIn(BaseModel):
    signal_type: str = Field(description="pdq, vpdq, md5, sha1 or sha256")
    signal: str = Field(min_length=1, max_length=2_000_000)
    classification: Classification = Field(default_factory=Classification)
    note: Note | None = None
    variants: dict[str, str] = Field(
        default_factory=dict,
        description="PDQ only: hashes of the same picture flipped, turned, tilted, "
        "cropped, its middle strip and halves... by variant name (`alliance hash "
        "--variants` computes them)",
    )


class EntryOut(BaseModel):
    id: int
    signal_type: str
    signal: str
    classification: Classification
    contributor: str
    votes: int
    verified: bool
    confirmed: int
    disputed: int
    flagged: bool
    note: str | None
    added_at: datetime
    removed_at: datetime | None
    seq: int
    variants: dict[str, str] = Field(default_factory=dict)


class EntriesAdded(BaseModel):
    added: int
    unchanged: int
    sequence: int
    entries: list[EntryOut]


class SignalIn(BaseModel):
    signal_type: str
    signal: str = Field(min_length=1, max_length=2_000_000)
    forms: dict[Annotated[str, Field(max_length=64)], str] | None = Field(
        None,
        max_length=variants.MAX_QUERY_FORMS,
        description="PDQ and vPDQ: further hashes of the same picture or video searched "
        "with it (without a frame or bars, straightened, its middle strip, flipped or "
        "turned; a video's sampled ten frames a second and matched by the second: what "
        "`alliance hash --query` gives); each match says which form met it",
    )


class MatchRequest(BaseModel):
    signals: list[SignalIn] = Field(min_length=1, max_length=1000)
    banks: list[str] | None = Field(None, description="only these banks; default all yours")


class MatchOut(BaseModel):
    match_id: int
    bank: str
    entry_id: int
    signal_type: str
    matched_signal: str
    distance: int
    variant: str = Field("original", description="which variant of the entry matched")
    query_form: str = Field("original", description="which form of the query matched")
    classification: Classification
    votes: int
    verified: bool
    confirmed: int
    disputed: int
    flagged: bool
    contributor: str
    note: str | None
    added_at: datetime


class SignalResult(BaseModel):
    signal_type: str
    signal: str
    matches: list[MatchOut]
    suppressed_by: list[str] = Field(
        default_factory=list, description="suppression banks that silenced matches"
    )


class MatchResponse(BaseModel):
    results: list[SignalResult]


class FeedbackIn(BaseModel):
    verdict: Literal["confirmed", "disputed"]
    note: Note | None = None


class LocalFeedbackIn(FeedbackIn):
    distance: int = Field(0, ge=0, le=256, description="the distance your scan found")


class FeedbackOut(BaseModel):
    match_id: int
    verdict: str
    entry_id: int
    confirmed: int
    disputed: int
    flagged: bool


class ImportResult(BaseModel):
    added: int
    updated: int
    unchanged: int
    removed: int
    skipped: list[str] = Field(description="what the file held that banks cannot use")
    sequence: int
