"""The CyberTipline XML: the ``<report>`` and ``<fileDetails>`` documents built from a
case, checked against the schema shipped beside this module, and NCMEC's answers read.

Documents are built with ``xml.etree`` (text and attributes escaped by the serialiser,
never by hand) and are checked against ``cybertipline.xsd`` before they leave: a document
our own schema refuses is a bug or bad input, and is never sent. Anything that comes from
outside (a file given to ``alliance cybertipline check``, a response from NCMEC, what the
stand-in receives) is parsed with ``defusedxml``, a DOCTYPE refused.

Times are written in UTC with a ``Z``; the reporter's own time zone is not needed by NCMEC
and a single zone makes reports comparable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import defusedxml.ElementTree as SafeElementTree  # type: ignore[import-untyped]
import xmlschema
from defusedxml import DefusedXmlException

from alliance.errors import InvalidInput
from alliance.platforms.cybertipline.schemas import (
    CaseReport,
    Contact,
    IpEvent,
    ReportedFile,
)

#: Documents larger than this are refused unread (a report is a few kilobytes).
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
#: How many of a document's problems an error message lists.
MAX_REASONS = 20


class DocumentInvalid(InvalidInput):
    """A report or file-details document our schema refuses; ``reasons`` lists why."""

    code = "cybertipline_document_invalid"

    def __init__(self, what: str, reasons: list[str]) -> None:
        shown = reasons[:MAX_REASONS]
        more = len(reasons) - len(shown)
        message = f"{what}: " + "; ".join(shown) + (f"; and {more} more" if more else "")
        super().__init__(message)
        self.reasons = reasons


# Building ---------------------------------------------------------------------------


def report_document(case: CaseReport) -> bytes:
    """The ``<report>`` for ``case``, checked against the schema."""
    root = Element("report")
    incident = case.incident
    summary = SubElement(root, "incidentSummary")
    _text(summary, "incidentType", incident.type.value)
    _text(summary, "platform", incident.platform)
    _text(summary, "escalateToHighPriority", incident.escalate)
    if incident.annotations:
        tags = SubElement(summary, "reportAnnotations")
        for tag in dict.fromkeys(incident.annotations):
            SubElement(tags, tag.value)
    _text(summary, "incidentDateTime", _when(incident.time))
    _text(summary, "incidentDateTimeDescription", incident.time_description)

    for page in case.web_pages:
        web = SubElement(SubElement(root, "internetDetails"), "webPageIncident")
        if page.third_party_hosted is not None:
            web.set("thirdPartyHostedContent", _bool(page.third_party_hosted))
        for url in page.urls:
            _text(web, "url", url)
        _text(web, "additionalInfo", page.additional_info)

    reporter = SubElement(root, "reporter")
    _person(SubElement(reporter, "reportingPerson"), case.reporter.reporting_person)
    if case.reporter.contact_person is not None:
        _person(SubElement(reporter, "contactPerson"), case.reporter.contact_person)
    # NCMEC knows the reporter by its credentials; the organisation's name leads the
    # company template so that a reader of the report sees it too.
    template = case.reporter.organisation
    if case.reporter.company_template:
        template += "\n\n" + case.reporter.company_template
    _text(reporter, "companyTemplate", template)
    _text(reporter, "termsOfService", case.reporter.terms_of_service)
    _text(reporter, "legalURL", case.reporter.legal_url)

    user = case.reported_user
    if user is not None:
        reported = SubElement(root, "personOrUserReported")
        if user.email is not None:
            _text(SubElement(reported, "personOrUserReportedPerson"), "email", user.email)
        _text(reported, "espIdentifier", user.account_id)
        _text(reported, "espService", user.service)
        _text(reported, "screenName", user.screen_name)
        for name in user.display_names:
            _text(reported, "displayName", name)
        for url in user.profile_urls:
            _text(reported, "profileUrl", url)
        for event in user.ip_events:
            _ip_event(reported, event)
        _text(reported, "additionalInfo", user.additional_info)

    _text(root, "additionalInfo", case.additional_info)
    return _checked(root, "report")


def file_details_document(report_id: str, file_id: str, file: ReportedFile) -> bytes:
    """The ``<fileDetails>`` of one uploaded file, checked against the schema."""
    root = Element("fileDetails")
    _text(root, "reportId", report_id)
    _text(root, "fileId", file_id)
    _text(root, "originalFileName", file.file_name)
    if file.uploaded_at is not None:
        _text(root, "uploadedToEspTimestamp", _when(file.uploaded_at))
    _text(root, "locationOfFile", file.location)
    if file.viewed_by_platform is not None:
        _text(root, "fileViewedByEsp", _bool(file.viewed_by_platform))
    if file.publicly_available is not None:
        _text(root, "publiclyAvailable", _bool(file.publicly_available))
    _text(root, "fileRelevance", file.relevance.value)
    if file.annotations:
        tags = SubElement(root, "fileAnnotations")
        for tag in dict.fromkeys(file.annotations):
            SubElement(tags, tag.value)
    if file.classification is not None:
        _text(root, "industryClassification", file.classification.value)
    hashes = file.hashes
    for hash_type, value in (("MD5", hashes.md5), ("SHA1", hashes.sha1), ("SHA256", hashes.sha256)):
        if value is not None:
            _text(root, "originalFileHash", value).set("hashType", hash_type)
    if file.upload_ip is not None:
        _ip_event(root, file.upload_ip)
    if hashes.pdq is not None:
        # PDQ is not a hash of the file's bytes, so it goes with the other metadata.
        details = SubElement(root, "details", type="HASH")
        pair = SubElement(details, "nameValuePair")
        _text(pair, "name", "PDQ")
        _text(pair, "value", hashes.pdq)
    for info in file.additional_info:
        _text(root, "additionalInfo", info)
    return _checked(root, "file details")


def digest(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()


def _text(parent: Element, tag: str, value: str | None) -> Element:
    element = SubElement(parent, tag) if value is not None else Element(tag)
    if value is not None:
        element.text = value
    return element


def _person(parent: Element, contact: Contact) -> None:
    _text(parent, "firstName", contact.first_name)
    _text(parent, "lastName", contact.last_name)
    _text(parent, "phone", contact.phone)
    _text(parent, "email", contact.email)


def _ip_event(parent: Element, event: IpEvent) -> None:
    capture = SubElement(parent, "ipCaptureEvent")
    _text(capture, "ipAddress", str(event.ip))
    _text(capture, "eventName", event.event.value)
    _text(capture, "dateTime", _when(event.time))
    if event.possible_proxy is not None:
        _text(capture, "possibleProxy", _bool(event.possible_proxy))
    if event.port is not None:
        _text(capture, "port", str(event.port))


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _checked(root: Element, what: str) -> bytes:
    problems = _problems(root)
    if problems:
        # Our own builder made it: input the pydantic schema let through, or a bug.
        raise DocumentInvalid(f"the {what} does not meet the CyberTipline schema", problems)
    return _serialised(root)


# Checking ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema10:
    """Our schema of the CyberTipline documents (``cybertipline.xsd``), loaded once."""
    source = resources.files(__package__).joinpath("cybertipline.xsd").read_text("utf-8")
    return xmlschema.XMLSchema10(source)


def parse(data: bytes, what: str) -> Element:
    """``data`` parsed safely: no DOCTYPE, no entities, no external references."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"{what}: over {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    try:
        root: Element = SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidInput(f"{what}: a DOCTYPE or entity is not accepted") from None
    except ParseError as exc:
        raise InvalidInput(f"{what}: not well-formed XML ({exc})") from None
    return root


def _problems(root: Element) -> list[str]:
    return [_reason(error) for error in schema().iter_errors(root)]


def _reason(error: xmlschema.XMLSchemaValidationError) -> str:
    where = error.path or "/"
    reason = error.reason or str(error.message)
    return f"{where}: {reason}"


def check(data: bytes, what: str = "document") -> str:
    """The root element's name (``report`` or ``fileDetails``) when ``data`` meets the
    schema; :class:`DocumentInvalid` with every problem otherwise."""
    root = parse(data, what)
    if root.tag not in ("report", "fileDetails"):
        raise DocumentInvalid(what, [f"expected <report> or <fileDetails>, got <{root.tag}>"])
    problems = _problems(root)
    if problems:
        raise DocumentInvalid(what, problems)
    return root.tag


# NCMEC's answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A ``<reportResponse>`` or ``<reportDoneResponse>``: the code (0 is success), its
    description, and the ids it carries."""

    code: int
    description: str = ""
    report_id: str | None = None
    file_id: str | None = None
    md5: str | None = None
    file_ids: list[str] = field(default_factory=list)


def read_answer(data: bytes) -> Answer:
    """NCMEC's answer; InvalidInput when it is not one."""
    root = parse(data, "the CyberTipline's answer")
    if root.tag not in ("reportResponse", "reportDoneResponse"):
        raise InvalidInput(f"the CyberTipline's answer: unexpected <{root.tag}>")
    code_text = (root.findtext("responseCode") or "").strip()
    if not code_text.lstrip("-").isdigit():
        raise InvalidInput("the CyberTipline's answer has no responseCode")
    files = root.find("files")
    return Answer(
        code=int(code_text),
        description=(root.findtext("responseDescription") or "").strip(),
        report_id=_optional(root.findtext("reportId")),
        file_id=_optional(root.findtext("fileId")),
        md5=_optional(root.findtext("hash")),
        file_ids=[
            text for e in (files if files is not None else []) if (text := (e.text or "").strip())
        ],
    )


def answer_document(answer: Answer, *, done: bool = False) -> bytes:
    """``answer`` as NCMEC writes it (for the stand-in)."""
    root = Element("reportDoneResponse" if done else "reportResponse")
    _text(root, "responseCode", str(answer.code))
    if not done:
        _text(root, "responseDescription", answer.description)
    _text(root, "reportId", answer.report_id)
    _text(root, "fileId", answer.file_id)
    _text(root, "hash", answer.md5)
    if done:
        files = SubElement(root, "files")
        for file_id in answer.file_ids:
            _text(files, "fileId", file_id)
    return _serialised(root)


def _serialised(root: Element) -> bytes:
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _optional(text: str | None) -> str | None:
    value = (text or "").strip()
    return value or None
