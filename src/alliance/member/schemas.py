"""Member mode's inputs and outputs: local banks, the upload-time answers, and the reports
that follow a confirmed case (what a reviewer gives of the uploader)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from alliance.banks.schemas import BANK_NAME_RE, Classification, EntryIn, SignalIn
from alliance.industry.models import Classification as IndustryClassification
from alliance.industry.schemas import IpEventIn, UploaderIn
from alliance.member.uploader import EXAMPLE, MAX_ADDRESSES, ip_event_given
from alliance.validation import Text, no_nul

Origin = Literal["synced", "local"]
#: The service's own id of an upload, echoed in the answer and kept with its matches.
Reference = Annotated[str, Field(max_length=200), BeforeValidator(no_nul)]


class LocalBankIn(BaseModel):
    name: str = Field(description="3-64 characters: lowercase letters, digits, '-', '_'")
    description: Text = Field("", max_length=2000)
    negative: bool = Field(
        False,
        description="a negative (suppression) bank: content in it is known not to be what "
        "the other banks look for, and a match here suppresses the upload's other matches",
    )
    pdq_threshold: int = Field(31, ge=0, le=31, description="largest PDQ distance that matches")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not BANK_NAME_RE.match(value):
            raise ValueError("3-64 characters: lowercase letters, digits, '-' and '_'")
        return value


class LocalBankOut(BaseModel):
    name: str
    description: str
    negative: bool
    pdq_threshold: int
    entries: int


class LocalEntriesIn(BaseModel):
    entries: list[EntryIn] = Field(min_length=1, max_length=10_000)


class HashQuery(BaseModel):
    signals: list[SignalIn] = Field(min_length=1, max_length=100)
    reference: Reference | None = None


class UrlQuery(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="a URL of your own storage")
    reference: Reference | None = None


class BankRef(BaseModel):
    origin: Origin
    bank: str


class MemberMatch(BaseModel):
    origin: Origin = Field(description="synced: a bank of the hub's; local: one of yours")
    bank: str
    entry_id: int
    signal_type: str
    matched_signal: str
    distance: int
    variant: str = Field(description="which variant of the entry matched")
    query_form: str = Field(description="which form of the query (or of the file) matched")
    classification: Classification
    verified: bool
    contributor: str | None
    suppressed: bool = Field(description="a negative bank holds the same content: do not act")


class MemberSignalResult(BaseModel):
    signal_type: str
    signal: str
    matches: list[MemberMatch]
    suppressed_by: list[BankRef] = Field(
        default_factory=list, description="negative banks that suppressed this signal's matches"
    )


class UploadAnswer(BaseModel):
    upload_id: int | None = Field(description="the recorded upload, when anything matched")
    reference: str | None
    kind: Literal["file", "hash", "url"]
    matched: bool = Field(description="a match not suppressed: queue the upload for review")
    suppressed: bool = Field(description="matches were found, all suppressed")
    results: list[MemberSignalResult]
    banks: dict[str, int] = Field(description="the synced banks and their sequences used")
    case_id: int | None = Field(
        None,
        description="the review case this upload opened or joined (member mode, when the "
        "caller may open cases and a match was not suppressed)",
    )


# --- the reports that follow a confirmed case ------------------------------------------------

#: One address the uploader used: the fields, or the ``IP@TIME[@EVENT]`` line the case page
#: and ``alliance review ... --ip`` take (TIME in ISO 8601 with its zone).
IpLine = Annotated[str, Field(max_length=300, examples=[EXAMPLE])]
IpAddressGiven = Annotated[
    IpEventIn, BeforeValidator(ip_event_given, json_schema_input_type=IpEventIn | IpLine)
]


class UploaderGiven(UploaderIn):
    """What the platform chooses to give of the uploader: the hub's ``UploaderIn``, each
    address as its fields or as one ``IP@TIME[@EVENT]`` line."""

    ip_addresses: list[IpAddressGiven] = Field(default_factory=list, max_length=MAX_ADDRESSES)


class CyberTiplineIn(BaseModel):
    """A confirmed case filed with NCMEC's CyberTipline. Resumed after a stop, the report
    first built is sent, whatever is given now."""

    model_config = ConfigDict(extra="forbid")

    uploader: UploaderGiven = Field(
        default_factory=UploaderGiven,
        description="the reported user: NCMEC names one by the account id, so addresses or a "
        "country need it",
    )
    classification: IndustryClassification | None = Field(
        None, description="A1, A2, B1 or B2; none: the category the case's matches share"
    )
    child_at_risk: bool = Field(False, description="a child is possibly at risk now")


class PoliceIn(CyberTiplineIn):
    """A confirmed case sent to the police of the uploader's country through the hub (once
    sent, the same call asks the hub what became of it, and the body is not used)."""

    note: Text = Field("", max_length=2000, description="for the police: no media, no links")


class DsaIn(BaseModel):
    """A confirmed case's statement of reasons for the DSA Transparency Database."""

    model_config = ConfigDict(extra="forbid")

    account_action: Literal["suspended", "terminated"] | None = Field(
        None, description="what was done to the uploader's account, if anything"
    )
