"""A confirmed review case, filed with NCMEC's CyberTipline from the platform's own machine.

:func:`report_of_case` builds the CyberTipline report (:mod:`alliance.platforms.cybertipline`)
of a confirmed case: the incident (apparent child sexual abuse material, at the time the
platform received the upload, escalated when the reviewer says a child is possibly at
risk now), the reporter (the platform, with the reporting person of
``ALLIANCE_CYBERTIPLINE_REPORTER_*``), the reported user from what the reviewer gives of the
uploader (account, addresses with times and events, declared country), and the file: its
name, its hashes (MD5, SHA-1, SHA-256 and PDQ, computed from the file itself), the
classification (A1, A2, B1, B2: given, or the one the case's matches share), whether a person
at the platform saw it unblurred (the case's audited reveals) and the bank matches.

:func:`file_case` sends it with the CyberTipline client, keeping the report and its
progress on the case after every step (:mod:`alliance.review.reports`), with no transaction
open while NCMEC is waited for. Run again after a stop, it resumes from the case's
progress with the report first built: the same report id, the same file ids; a finished
report is never sent again. :func:`withdraw` retracts an unfinished report, after which the
case can be filed anew.

The file goes from the platform's own storage (the case's media path or URL, as its
previews read it) to NCMEC, read at the moment it is uploaded; never through the alliance.
A case that names no file in the storage is filed without one, its hashes in the report's
additional information.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal, authorize
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.countries.names import country_name
from alliance.errors import Conflict, InvalidInput, NotConfigured, NotFound
from alliance.industry.schemas import IpEventIn, UploaderIn
from alliance.member import case_content
from alliance.member.case_content import MediaPlace
from alliance.member.uploader import ncmec_event
from alliance.platforms.cybertipline.client import CyberTipline, new_progress, prepare
from alliance.platforms.cybertipline.schemas import (
    CaseReport,
    Contact,
    FileHashes,
    Incident,
    IncidentType,
    IndustryClassification,
    IpEvent,
    Progress,
    ReportedFile,
    ReportedUser,
    Reporter,
)
from alliance.review import cases, reports
from alliance.review.models import Case, CaseStatus
from alliance.review.reports import ReportKind, Stage
from alliance.settings import Settings
from alliance.validation import validated

StepHook = Callable[[Progress], object]
CHILD_AT_RISK = (
    "The platform's reviewer indicated that a child is possibly at risk now (the case was "
    "confirmed by a person after a hash match)."
)


def reporter_of(settings: Settings, organisation: str) -> Reporter:
    """The platform as the reporter, with its reporting person from the settings."""
    first = settings.cybertipline_reporter_first_name.strip()
    last = settings.cybertipline_reporter_last_name.strip()
    email = settings.cybertipline_reporter_email.strip()
    if not (first and last and email):
        raise NotConfigured(
            "set ALLIANCE_CYBERTIPLINE_REPORTER_FIRST_NAME, _LAST_NAME and _EMAIL: the "
            "person at your platform NCMEC and the police may reach about a report"
        )
    try:
        contact = validated(Contact, first_name=first, last_name=last, email=email)
    except InvalidInput as exc:
        raise NotConfigured(f"ALLIANCE_CYBERTIPLINE_REPORTER_*: {exc.message}") from None
    return Reporter(organisation=organisation[:255], reporting_person=contact)


def _revealed(session: Session, reference: str) -> bool:
    """Whether a person at the platform saw the file unblurred (an audited reveal)."""
    return bool(
        session.execute(
            select(
                exists().where(
                    AuditEvent.event_type == EventType.CASE_MEDIA_REVEALED.value,
                    AuditEvent.subject_type == "review_case",
                    AuditEvent.subject_id == reference,
                )
            )
        ).scalar()
    )


def _classification(case: Case, given: str | None) -> IndustryClassification | None:
    if given:
        try:
            return IndustryClassification(given.strip().upper())
        except ValueError:
            raise InvalidInput(
                f"{given!r}: the classification is A1, A2, B1 or B2", field="classification"
            ) from None
    shared = {m.category for m in case.matches} & {c.value for c in IndustryClassification}
    return IndustryClassification(str(shared.pop())) if len(shared) == 1 else None


def _matches_text(case: Case) -> list[str]:
    return [
        f"Matched entry {m.entry_id} of the hash list {m.bank}"
        + (f" (category {m.category})" if m.category else "")
        + f" by {m.signal_type}, distance {m.distance}, variant {m.variant}"
        + (f" / {m.form}" if m.form else "")
        for m in sorted(case.matches, key=lambda m: (m.distance, m.id))
    ][:20]


def _ip_event(event: IpEventIn) -> IpEvent:
    return IpEvent.model_validate(
        {"ip": event.ip, "time": event.at, "event": ncmec_event(event.event)}
    )


def _reported_user(uploader: UploaderIn) -> ReportedUser | None:
    if uploader.account_id is None:
        if uploader.ip_addresses or uploader.declared_country:
            raise InvalidInput(
                "give the uploader's account id with their addresses or country: NCMEC "
                "names a reported user by it",
                field="account",
            )
        return None
    declared = uploader.declared_country
    return ReportedUser(
        account_id=uploader.account_id,
        ip_events=[_ip_event(e) for e in uploader.ip_addresses],
        additional_info=(
            f"Country the account declared: {country_name(declared)} ({declared})."
            if declared
            else None
        ),
    )


def report_of_case(
    session: Session,
    principal: Principal,
    reference: str,
    uploader: UploaderIn,
    *,
    classification: str | None,
    child_at_risk: bool,
    settings: Settings,
    file_data: bytes | None = None,
) -> CaseReport:
    """The CyberTipline report of a confirmed case (checked, not sent); the case's file
    is read from the storage unless ``file_data`` holds it already."""
    case = cases.get_case(session, principal, reference)
    authorize(principal, Permission.CASE_DECIDE, case)
    if case.status is not CaseStatus.confirmed:
        raise Conflict(
            f"case {reference} is {case.status.value}: only a confirmed case is reported"
        )
    organisation = session.get_one(Organisation, case.organisation_id)
    reporter = reporter_of(settings, organisation.name)
    reported = _reported_user(uploader)
    chosen = _classification(case, classification)
    received = case_content.received_at(session, case)
    confirmed = case_content.confirmed_at(case)
    place = case_content.place_of(case)
    banks = ", ".join(sorted({m.bank for m in case.matches}))
    about = (
        f"Detected by matching the upload's hashes against hash lists of known child sexual "
        f"abuse material ({banks}); confirmed by a reviewer at {confirmed:%Y-%m-%d %H:%M} UTC. "
        f"The platform's review case {case.reference}, content {case.content_id}."
    )
    files: list[ReportedFile] = []
    if place.named:
        data = file_data if file_data is not None else case_content.read_file(place, settings)
        hashes = case_content.hashes_of_file(data)
        uploads = [e for e in uploader.ip_addresses if e.event.value == "upload"]
        files.append(
            ReportedFile(
                file_name=place.file_name,
                hashes=FileHashes(**hashes),
                classification=chosen,
                viewed_by_platform=_revealed(session, case.reference),
                uploaded_at=received,
                upload_ip=_ip_event(uploads[0]) if uploads else None,
                additional_info=_matches_text(case),
            )
        )
    else:
        known = sorted(case_content.matched_hashes(session, case))
        listed = "; ".join(f"{kind} {value}" for kind, value in known) or "none recorded"
        about += (
            f" The file is not held in the platform's review storage; its hashes: {listed}."
            + (f" Classification: {chosen.value}." if chosen else "")
        )
    return validated(
        CaseReport,
        incident=Incident(
            type=IncidentType.CHILD_PORNOGRAPHY,
            time=received,
            escalate=CHILD_AT_RISK if child_at_risk else None,
        ),
        reporter=reporter,
        reported_user=reported,
        files=files,
        additional_info=about[:3000],
    )


def file_case(
    sessions: sessionmaker[Session],
    principal: Principal,
    reference: str,
    *,
    tipline: CyberTipline,
    settings: Settings,
    uploader: UploaderIn | None = None,
    classification: str | None = None,
    child_at_risk: bool = False,
    on_step: StepHook | None = None,
) -> Progress:
    """File the case with NCMEC, or resume its filing; the finished progress.

    The first run builds the report from ``uploader`` and the rest, checks every document
    and that the file can be read, and only then opens a report at NCMEC. A run after a
    stop sends the report first built (what is given now is not used) from where it
    stopped. Every step is kept on the case; a failure at NCMEC is raised as
    :class:`~alliance.review.reports.ReportStopped` after the case says where and why it
    stopped."""
    with sessions.begin() as session:
        case = cases.get_case(session, principal, reference)
        authorize(principal, Permission.CASE_DECIDE, case)
        place = case_content.place_of(case)
    # Read from the storage with no transaction open (a URL may take its time), and before
    # anything is opened at NCMEC: a file that cannot be read sends nothing.
    data = case_content.read_file(place, settings) if place.named else None
    with sessions.begin() as session:
        case = cases.get_case(session, principal, reference)
        raw = case.cybertipline_progress
        earlier = Progress.model_validate(raw) if raw is not None else None
        resuming = (
            case.cybertipline_report is not None and earlier is not None and not earlier.retracted
        )
        if resuming:
            assert earlier is not None
            report = CaseReport.model_validate(case.cybertipline_report)
            progress = earlier
        else:
            report = report_of_case(
                session,
                principal,
                reference,
                uploader or UploaderIn(),
                classification=classification,
                child_at_risk=child_at_risk,
                settings=settings,
                file_data=data,
            )
            progress = new_progress(prepare(report))
            if earlier is not None:  # a withdrawn report's ids stay in the record
                progress.withdrawn_report_ids = [
                    *earlier.withdrawn_report_ids,
                    *([earlier.report_id] if earlier.report_id else []),
                ]
        run = reports.begin(
            session,
            principal,
            reference,
            ReportKind.cybertipline,
            request=report.model_dump(mode="json"),
            progress=progress.model_dump(mode="json"),
            replace_request=not resuming,
        )
    keep = _keeper(sessions, principal, reference, on_step)
    with reports.running(sessions, principal, reference, ReportKind.cybertipline, run):
        return tipline.send(
            report, open_file=_opener(place, settings), save=keep, progress=progress
        )


def withdraw(
    sessions: sessionmaker[Session],
    principal: Principal,
    reference: str,
    *,
    tipline: CyberTipline,
) -> Progress:
    """Retract the case's unfinished report at NCMEC (a filed one cannot be); the case may
    then be filed anew. A report NCMEC deleted already counts as withdrawn."""
    with sessions.begin() as session:
        case = cases.get_case(session, principal, reference)
        state = reports.state_of(case, ReportKind.cybertipline)
        if state.stage not in (Stage.stopped, Stage.under_way) or case.cybertipline_report is None:
            raise Conflict(
                f"case {reference}: the CyberTipline report is {state.summary()}; only a "
                "report that stopped mid-way is withdrawn"
            )
        progress = Progress.model_validate(case.cybertipline_progress)
        run = reports.begin(
            session,
            principal,
            reference,
            ReportKind.cybertipline,
            request=case.cybertipline_report,
            progress=progress.model_dump(mode="json"),
        )
    keep = _keeper(sessions, principal, reference, None)
    with reports.running(sessions, principal, reference, ReportKind.cybertipline, run):
        try:
            return tipline.retract(progress, save=keep)
        except NotFound:
            gone = progress.model_copy(
                update={"retracted": True, "stopped_at": None, "last_error": None}
            )
            keep(gone)
            return gone


def _keeper(
    sessions: sessionmaker[Session], principal: Principal, reference: str, on_step: StepHook | None
) -> Callable[[Progress], None]:
    def keep(progress: Progress) -> None:
        with sessions.begin() as session:
            reports.keep_progress(
                session,
                principal,
                reference,
                ReportKind.cybertipline,
                progress.model_dump(mode="json"),
            )
        if on_step is not None:
            on_step(progress)

    return keep


def _opener(place: MediaPlace, settings: Settings) -> Callable[[ReportedFile], bytes]:
    def open_file(_file: ReportedFile) -> bytes:
        return case_content.read_file(place, settings)

    return open_file
