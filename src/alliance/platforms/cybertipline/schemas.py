"""What a confirmed case gives for a CyberTipline report, and the progress of sending one.

The vocabularies are NCMEC's, spelt as its reporting API documents them (the values go
into the XML unchanged); see ``docs/platforms.md`` for the sources and what they did not
settle. A case is validated here, before any XML is built or anything is sent, so bad input
never opens a report at NCMEC.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from alliance.errors import InvalidInput
from alliance.validation import Email, Text, web_address


class IncidentType(StrEnum):
    """``incidentSummary/incidentType``: the kind of incident (one per report)."""

    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_IMAGES = "Misleading Words or Digital Images on the Internet"
    # One public client spells it "...for Sexual Act"; the others and NCMEC's own form
    # wording have "Acts".
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE_MATERIAL = "Unsolicited Obscene Material Sent to a Child"


class ReportAnnotation(StrEnum):
    """``incidentSummary/reportAnnotations``: tags on the report, each an empty element."""

    SEXTORTION = "sextortion"
    CSAM_SOLICITATION = "csamSolicitation"
    MINOR_TO_MINOR_INTERACTION = "minorToMinorInteraction"
    SPAM = "spam"
    SADISTIC_ONLINE_EXPLOITATION = "sadisticOnlineExploitation"
    INFORMATIONAL = "informational"


class EventName(StrEnum):
    """``ipCaptureEvent/eventName``: what the user was doing when the address was seen."""

    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class IndustryClassification(StrEnum):
    """``fileDetails/industryClassification``, the industry's scale: the letter is the
    apparent age (A prepubescent, B pubescent), the digit the content (1 a sex act,
    2 lascivious exhibition)."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"


class FileAnnotation(StrEnum):
    """``fileDetails/fileAnnotations``: tags on a file, each an empty element."""

    ANIME_DRAWING_VIRTUAL_HENTAI = "animeDrawingVirtualHentai"
    POTENTIAL_MEME = "potentialMeme"
    VIRAL = "viral"
    POSSIBLE_SELF_PRODUCTION = "possibleSelfProduction"
    PHYSICAL_HARM = "physicalHarm"
    VIOLENCE_GORE = "violenceGore"
    BESTIALITY = "bestiality"
    LIVE_STREAMING = "liveStreaming"
    INFANT = "infant"
    GENERATIVE_AI = "generativeAi"


class FileRelevance(StrEnum):
    """``fileDetails/fileRelevance``: "Reported" is the reason for the report;
    "Supplemental Reported" gives context and may not be classified or called a meme."""

    REPORTED = "Reported"
    SUPPLEMENTAL_REPORTED = "Supplemental Reported"


def _hex_of(length: int, name: str) -> AfterValidator:
    pattern = re.compile(rf"[0-9a-f]{{{length}}}")

    def check(value: str) -> str:
        value = value.strip().lower()
        if not pattern.fullmatch(value):
            raise ValueError(f"a {name} is {length} hexadecimal characters")
        return value

    return AfterValidator(check)


def _web_address(value: str) -> str:
    try:
        return web_address(value, field="url")
    except InvalidInput as exc:  # a ValueError, so that pydantic says which field
        raise ValueError(exc.message) from None


Md5 = Annotated[str, _hex_of(32, "MD5")]
Sha1 = Annotated[str, _hex_of(40, "SHA-1")]
Sha256 = Annotated[str, _hex_of(64, "SHA-256")]
Pdq = Annotated[str, _hex_of(64, "PDQ hash")]
Url = Annotated[str, Field(max_length=2083), AfterValidator(_web_address)]
#: NCMEC's free-text fields are at most 3000 characters where it gives a limit.
LongText = Annotated[Text, Field(min_length=1, max_length=3000)]
Name = Annotated[Text, Field(min_length=1, max_length=100)]
Handle = Annotated[Text, Field(min_length=1, max_length=255)]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Incident(BaseModel):
    """``incidentSummary``: the two things the law requires, type and time, and tags."""

    model_config = _STRICT

    type: IncidentType
    time: AwareDatetime = Field(description="when the incident happened, with its time zone")
    time_description: LongText | None = None
    annotations: list[ReportAnnotation] = Field(default_factory=list, max_length=6)
    escalate: LongText | None = Field(
        None, description="why this needs urgent attention (e.g. a child at risk now)"
    )
    platform: Annotated[Text, Field(max_length=256)] | None = None


class WebPage(BaseModel):
    """``internetDetails/webPageIncident``: where the material was seen."""

    model_config = _STRICT

    urls: list[Url] = Field(min_length=1, max_length=100)
    third_party_hosted: bool | None = None
    additional_info: LongText | None = None


class Contact(BaseModel):
    """A person at the platform whom NCMEC and the police can reach."""

    model_config = _STRICT

    first_name: Name
    last_name: Name
    email: Email
    phone: Annotated[Text, Field(min_length=1, max_length=50)] | None = None


class Reporter(BaseModel):
    """``reporter``: the platform making the report."""

    model_config = _STRICT

    organisation: Annotated[Text, Field(min_length=1, max_length=255)]
    reporting_person: Contact
    contact_person: Contact | None = None
    company_template: LongText | None = Field(
        None, description="standing text: how to serve legal process, retention, 24 h line"
    )
    terms_of_service: LongText | None = None
    legal_url: Url | None = None


class IpEvent(BaseModel):
    """``ipCaptureEvent``: an address the user was seen at, when, doing what."""

    model_config = _STRICT

    ip: IPv4Address | IPv6Address
    time: AwareDatetime
    event: EventName
    port: int | None = Field(None, ge=1, le=65535)
    possible_proxy: bool | None = None


class ReportedUser(BaseModel):
    """``personOrUserReported``: the account the material came from."""

    model_config = _STRICT

    account_id: Handle = Field(description="the account's id in the platform (espIdentifier)")
    screen_name: Annotated[Text, Field(min_length=1, max_length=256)] | None = None
    display_names: list[Annotated[Text, Field(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=20
    )
    profile_urls: list[Url] = Field(default_factory=list, max_length=20)
    email: Email | None = None
    service: Annotated[Text, Field(min_length=1, max_length=100)] | None = Field(
        None, description="the platform's product the user used (espService)"
    )
    ip_events: list[IpEvent] = Field(default_factory=list, max_length=1000)
    additional_info: LongText | None = None


class FileHashes(BaseModel):
    """The file's hashes as received from the user, before any change by the platform."""

    model_config = _STRICT

    md5: Md5 | None = None
    sha1: Sha1 | None = None
    sha256: Sha256 | None = None
    pdq: Pdq | None = None


class ReportedFile(BaseModel):
    """One file of the report. Its bytes are not here: the member's own storage gives
    them to the client when it uploads (see :mod:`.client`)."""

    model_config = _STRICT

    file_name: Annotated[Text, Field(min_length=1, max_length=2056)]
    hashes: FileHashes = Field(default_factory=FileHashes)
    classification: IndustryClassification | None = None
    annotations: list[FileAnnotation] = Field(default_factory=list, max_length=10)
    relevance: FileRelevance = FileRelevance.REPORTED
    publicly_available: bool | None = None
    viewed_by_platform: bool | None = Field(
        None, description="whether a person at the platform saw the whole file"
    )
    location: Url | None = Field(None, description="where the file was on the platform")
    uploaded_at: AwareDatetime | None = None
    upload_ip: IpEvent | None = None
    additional_info: list[LongText] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _supplemental_is_not_classified(self) -> ReportedFile:
        if self.relevance is FileRelevance.SUPPLEMENTAL_REPORTED and (
            self.classification is not None or FileAnnotation.POTENTIAL_MEME in self.annotations
        ):
            raise ValueError(
                "a 'Supplemental Reported' file takes no industry classification and no "
                "potentialMeme annotation"
            )
        return self


class CaseReport(BaseModel):
    """Everything a confirmed case gives for one CyberTipline report (``CASE.json``)."""

    model_config = _STRICT

    incident: Incident
    web_pages: list[WebPage] = Field(default_factory=list, max_length=100)
    reporter: Reporter
    reported_user: ReportedUser | None = None
    files: list[ReportedFile] = Field(default_factory=list, max_length=1000)
    additional_info: LongText | None = None

    @model_validator(mode="after")
    def _file_names_unique(self) -> CaseReport:
        # The progress record and the stand-in follow files by name as well as position.
        names = [f.file_name for f in self.files]
        if len(names) != len(set(names)):
            raise ValueError("each file of a report needs its own file_name")
        return self


# Progress -----------------------------------------------------------------------------

Step = Literal["status", "submit", "upload", "fileinfo", "finish", "retract"]


class FileProgress(BaseModel):
    """How far one file has gone: uploaded (NCMEC's file id) and described."""

    model_config = ConfigDict(extra="forbid")

    file_name: str
    file_id: str | None = None
    #: The MD5 NCMEC computed of what it received, to compare with the member's own.
    received_md5: str | None = None
    details_sent: bool = False
    #: An upload went out and its answer was lost: NCMEC may hold the file already.
    upload_uncertain: bool = False


class Progress(BaseModel):
    """Where the sending of one report stands: JSON the caller keeps after every step.

    Calling :func:`~.client.send` again with it resumes where it stopped, with the same
    report id and file ids. ``stopped_at`` and ``last_error`` say where and why it stopped
    when it did.
    """

    model_config = ConfigDict(extra="forbid")

    format: Literal["alliance.cybertipline_progress"] = "alliance.cybertipline_progress"
    version: Literal[1] = 1
    #: SHA-256 of the case's documents: a progress is only ever resumed for its own case.
    report_digest: str
    report_id: str | None = None
    files: list[FileProgress] = Field(default_factory=list)
    finished: bool = False
    retracted: bool = False
    #: Reports withdrawn because an upload's answer was lost (the case was sent anew).
    withdrawn_report_ids: list[str] = Field(default_factory=list)
    #: The file ids NCMEC's answer to finish listed; None when that answer was lost (a
    #: repeated finish is answered "already finished", without the list).
    finished_file_ids: list[str] | None = None
    stopped_at: str | None = None
    last_error: str | None = None
    updated_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.finished or self.retracted
