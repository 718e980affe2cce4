"""A platform's confirmed case, sent to the police of the uploader's country.

:func:`report_of_case` builds the industry report (:mod:`alliance.industry`) of a confirmed
review case from what member mode knows of it: the hashes it matched for the case's content
(else those of the file in the platform's own storage) and the case's bank matches, with
what the platform chooses to give of the uploader; never the media. The report is keyed by
the case's reference, so a resend finds the same report at the hub.

:func:`send_to_police` sends it and keeps on the case what came back
(:mod:`alliance.review.reports`): the document sent, kept the first time so that a resend
is the same report (the hub answers a different one under the same reference 409), and
the hub's report — its reference, status, the country whose police have it and their
outcome — or where and why the sending stopped. Once sent, the same call asks the hub
what became of it. The way to the hub is a :class:`PoliceChannel`: the hub's API with the
member's key (:func:`alliance.industry.client.connect`), or, when the platform reviews on
the hub itself, the hub's own services (:class:`HubInProcess`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Protocol

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.policy import Principal
from alliance.banks.hub_client import HubError
from alliance.db.base import utcnow
from alliance.errors import (
    AllianceError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    OutsideServiceFailed,
    RateLimited,
)
from alliance.hosting.geo import GeoDatabase
from alliance.industry import submission
from alliance.industry.models import Classification
from alliance.industry.schemas import HASH_TYPES, IndustryReportIn, PlatformReportOut, UploaderIn
from alliance.member import case_content
from alliance.member.case_content import uploads_of
from alliance.review import cases, reports
from alliance.review.models import CaseStatus
from alliance.review.reports import ReportKind
from alliance.review.schemas import PoliceProgress
from alliance.settings import Settings, get_settings

__all__ = [
    "HubInProcess",
    "PoliceChannel",
    "PoliceSent",
    "report_of_case",
    "send_to_police",
    "uploads_of",
]


class PoliceChannel(Protocol):
    """The way to the hub's industry reports (:class:`~alliance.industry.client.IndustryReports`
    over the API, or :class:`HubInProcess`)."""

    def submit(self, report: IndustryReportIn) -> PlatformReportOut: ...

    def status(self, reference: str) -> PlatformReportOut: ...


class HubInProcess:
    """The hub's own services, for a platform that reviews its cases on the hub itself:
    each call a short transaction of its own, as the platform's reviewer."""

    def __init__(
        self, sessions: sessionmaker[Session], principal: Principal, settings: Settings
    ) -> None:
        self.sessions, self.principal, self.settings = sessions, principal, settings

    def submit(self, report: IndustryReportIn) -> PlatformReportOut:
        geo = GeoDatabase.from_settings(self.settings)
        try:
            with self.sessions.begin() as session:
                done = submission.submit(session, self.principal, report, geo)
                return submission.platform_out(done.report, created=done.created)
        finally:
            if geo is not None:
                geo.close()

    def status(self, reference: str) -> PlatformReportOut:
        with self.sessions.begin() as session:
            found = submission.status_of(session, self.principal, reference)
            return submission.platform_out(found)


def report_of_case(
    session: Session,
    principal: Principal,
    reference: str,
    uploader: UploaderIn,
    *,
    classification: str | None,
    child_at_risk: bool,
    note: str,
    settings: Settings | None = None,
    file_data: bytes | None = None,
) -> IndustryReportIn:
    """The industry report of a confirmed case: its hashes (those member mode matched for
    its content, else those of its file in your storage), its matches, and what the
    platform gives of the uploader; never the media. Its case reference is the case's, so
    sending it again finds the same report."""
    case = cases.get_case(session, principal, reference)
    if case.status not in (CaseStatus.confirmed, CaseStatus.closed):
        raise Conflict(
            f"case {reference} is {case.status.value}: only a confirmed case is reported"
        )
    hashes = case_content.matched_hashes(session, case)
    place = case_content.place_of(case)
    if not hashes and place.named:
        data = (
            file_data
            if file_data is not None
            else case_content.read_file(place, settings or get_settings())
        )
        hashes = set(case_content.hashes_of_file(data).items())
    if not hashes:
        raise InvalidInput(
            f"case {reference}: no hash of its content {case.content_id!r} is known here "
            "(its uploads were not matched through member mode, and it names no file in "
            "your storage)"
        )
    categories = {m.category for m in case.matches} & {c.value for c in Classification}
    chosen = classification or (categories.pop() if len(categories) == 1 else None)
    if chosen is None:
        raise InvalidInput(
            "give the classification (A1, A2, B1 or B2): the case's matches do not settle it",
            field="classification",
        )
    try:
        return IndustryReportIn.model_validate(
            {
                "case_reference": case.reference,
                "confirmed_at": case_content.confirmed_at(case).astimezone(UTC),
                "classification": chosen,
                "child_at_risk": child_at_risk,
                "uploader": uploader.model_dump(mode="json"),
                "hashes": [{"signal_type": t, "value": v} for t, v in sorted(hashes)][:100],
                "bank_matches": [
                    {
                        "bank": m.bank,
                        "entry_id": m.entry_id,
                        "signal_type": m.signal_type,
                        "distance": m.distance,
                    }
                    for m in case.matches
                    if m.signal_type in HASH_TYPES
                ][:100],
                "note": note,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        field = str(error["loc"][0]) if error["loc"] else None
        raise InvalidInput(f"{where}: {error['msg']}", field=field) from None


@dataclass(frozen=True)
class PoliceSent:
    """What the hub answered, and what the case now keeps."""

    answer: PlatformReportOut
    progress: PoliceProgress
    #: False when the call asked for the report's news rather than sending it.
    sent_now: bool


def _progress_of(answer: PlatformReportOut, before: PoliceProgress | None) -> PoliceProgress:
    now = utcnow()
    return PoliceProgress(
        reference=answer.reference,
        status=answer.status,
        country=answer.country,
        accepted_at=answer.accepted_at,
        outcome=answer.outcome,
        outcome_note=answer.outcome_note,
        sent_at=(before.sent_at if before and before.sent_at else now),
        checked_at=now,
    )


def _kept(raw: object) -> PoliceProgress | None:
    return PoliceProgress.model_validate(raw) if raw is not None else None


def send_to_police(
    sessions: sessionmaker[Session],
    principal: Principal,
    reference: str,
    *,
    channel: PoliceChannel,
    uploader: UploaderIn | None = None,
    classification: str | None = None,
    child_at_risk: bool = False,
    note: str = "",
    settings: Settings | None = None,
) -> PoliceSent:
    """Send the case's industry report to the hub, or, once it was sent, ask the hub where
    it stands; either way the answer is kept on the case (audited).

    The first send builds the report from ``uploader`` and the rest; a send after a stop
    sends the report first built, whatever is given now. A failure is kept on the case
    (where, and the hub's error) before it is raised as
    :class:`~alliance.review.reports.ReportStopped`; a hub that fails to say where a sent
    report stands is :class:`OutsideServiceFailed`."""
    with sessions.begin() as session:
        case = cases.get_case(session, principal, reference)
        before = _kept(case.police_progress)
        sent_before = before is not None and before.reference is not None
        place = case_content.place_of(case)
        needs_file = (
            not sent_before
            and case.police_report is None
            and place.named
            and not case_content.matched_hashes(session, case)
        )
    if sent_before:  # what became of it
        try:
            answer = channel.status(reference)
        except (HubError, RateLimited, NotAuthenticated) as exc:
            # The hub's failure (or its refusal of this member's key), not the caller's.
            raise OutsideServiceFailed(
                f"case {reference}: the hub did not say where its report stands: {exc.message}"
            ) from exc
        progress = _progress_of(answer, before)
        _keep(sessions, principal, reference, progress)
        return PoliceSent(answer, progress, sent_now=False)
    # Read from the storage (when its hashes must come from the file) with no transaction open.
    data = case_content.read_file(place, settings or get_settings()) if needs_file else None
    with sessions.begin() as session:
        kept = cases.get_case(session, principal, reference).police_report
        report = (
            IndustryReportIn.model_validate(kept)
            if kept is not None
            else report_of_case(
                session,
                principal,
                reference,
                uploader or UploaderIn(),
                classification=classification,
                child_at_risk=child_at_risk,
                note=note,
                settings=settings,
                file_data=data,
            )
        )
        run = reports.begin(
            session,
            principal,
            reference,
            ReportKind.police,
            request=report.model_dump(mode="json"),
            progress=PoliceProgress().model_dump(mode="json"),
        )
    with reports.running(sessions, principal, reference, ReportKind.police, run):
        try:
            answer = channel.submit(report)
        except AllianceError as exc:
            stopped = PoliceProgress(
                stopped_at="sending to the hub", last_error=exc.message, checked_at=utcnow()
            )
            _keep(sessions, principal, reference, stopped)
            raise
        progress = _progress_of(answer, None)
        _keep(sessions, principal, reference, progress)
        return PoliceSent(answer, progress, sent_now=True)


def _keep(
    sessions: sessionmaker[Session], principal: Principal, reference: str, progress: PoliceProgress
) -> None:
    with sessions.begin() as session:
        reports.keep_progress(
            session, principal, reference, ReportKind.police, progress.model_dump(mode="json")
        )
