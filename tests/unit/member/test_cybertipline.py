"""A confirmed case filed with NCMEC's stand-in from the platform's own storage: the report
built from the case, every step kept on the case, a failure mid-way that says where it
stopped and resumes with the same ids, never a second report, and bad input refused
before anything opens at NCMEC."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from alliance.member import cybertipline
from alliance.member.uploader import uploader_of
from alliance.platforms.cybertipline.client import CyberTiplineUnavailable, ReportRefused
from alliance.platforms.cybertipline.schemas import CaseReport
from alliance.review import cases, previews, reports
from alliance.review.models import Case
from alliance.review.reports import ReportKind, ReportStopped, Stage
from alliance.settings import Settings
from tests.unit.member.conftest import ConfirmedCase, Platform, tipline

UPLOADER = uploader_of(
    "user-1234",
    ["203.0.113.5@2026-12-07T10:41:09Z@upload", "2001:db8::7@2026-12-06T08:00:00+01:00@login"],
    "NL",
)


def _case(sessions: sessionmaker[Session], reference: str) -> Case:
    with sessions() as session:
        found = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        session.expunge(found)
        return found


def _file(
    sessions: sessionmaker[Session],
    platform: Platform,
    reference: str,
    ncmec: StandInCyberTipline,
    settings: Settings,
    **options: object,
):
    client = tipline(ncmec)
    with client.http:
        return cybertipline.file_case(
            sessions,
            platform.reviewer,
            reference,
            tipline=client,
            settings=settings,
            uploader=options.pop("uploader", UPLOADER),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )


def test_the_report_is_built_from_the_case_and_the_reviewers_details(
    session: Session, platform: Platform, confirmed_case: ConfirmedCase, settings: Settings,
    media_root: Path,
) -> None:  # fmt: skip
    reference = confirmed_case()
    previews.revealed(session, platform.reviewer, reference, settings=settings)
    report = cybertipline.report_of_case(
        session, platform.reviewer, reference, UPLOADER,
        classification=None, child_at_risk=True, settings=settings,
    )  # fmt: skip
    assert report.incident.type.value.startswith("Child Pornography")
    assert report.incident.escalate is not None  # a child possibly at risk
    assert report.reporter.organisation == platform.org.name
    assert report.reporter.reporting_person.email == "safety@example.test"
    user = report.reported_user
    assert user is not None and user.account_id == "user-1234"
    assert [(str(e.ip), e.event.value) for e in user.ip_events] == [
        ("203.0.113.5", "Upload"),
        ("2001:db8::7", "Login"),
    ]
    assert user.additional_info is not None and "(NL)" in user.additional_info
    [file] = report.files
    data = (media_root / "uploads" / "u1.png").read_bytes()
    assert file.file_name == "u1.png"
    assert file.hashes.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert file.hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert file.hashes.pdq is not None and len(file.hashes.pdq) == 64
    assert file.classification is not None and file.classification.value == "A2"
    assert file.viewed_by_platform is True  # the reviewer revealed it (audited)
    assert file.upload_ip is not None and str(file.upload_ip.ip) == "203.0.113.5"
    assert any("baseline-nl" in line for line in file.additional_info)
    assert report.additional_info is not None and reference in report.additional_info


def test_a_case_is_filed_once_with_every_step_kept_on_the_case(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case()
    done = _file(sessions, platform, reference, ncmec, settings)
    assert done.finished and done.report_id
    [report] = ncmec.finished_reports()
    assert report.report_id == done.report_id
    assert [f.name for f in report.files.values()] == ["u1.png"]
    case = _case(sessions, reference)
    assert CaseReport.model_validate(case.cybertipline_report).files[0].file_name == "u1.png"
    state = reports.state_of(case, ReportKind.cybertipline)
    assert (state.stage, state.reference) == (Stage.done, done.report_id)
    assert case.report_runs is None  # the run ended
    with pytest.raises(Conflict, match="done already"):
        _file(sessions, platform, reference, ncmec, settings)
    assert len(ncmec.reports) == 1
    with sessions() as session:
        kinds = session.execute(
            select(AuditEvent.event_type).where(AuditEvent.subject_id == reference)
        ).scalars().all()  # fmt: skip
    assert kinds.count(EventType.CASE_REPORT_STARTED.value) == 1
    assert kinds.count(EventType.CASE_REPORT_PROGRESS.value) >= 4  # submit, upload, info, finish


def test_a_stand_in_failing_mid_flow_stops_the_case_there_and_a_retry_resumes(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case()
    for _ in range(3):  # every attempt of the upload
        ncmec.fail("upload", "http_5xx")
    # The case keeps where it stopped; the error says so (ReportStopped: a 502 on the web).
    with pytest.raises(ReportStopped, match=r"stopped at upload u1\.png") as stopped:
        _file(sessions, platform, reference, ncmec, settings)
    assert isinstance(stopped.value.cause, CyberTiplineUnavailable)
    case = _case(sessions, reference)
    state = reports.state_of(case, ReportKind.cybertipline)
    assert state.stage is Stage.stopped and state.stopped_at == "upload u1.png"
    assert state.error is not None and "HTTP 503" in state.error
    opened = state.reference
    assert opened is not None and case.report_runs is None
    with (
        pytest.raises(Conflict, match="stays open while a report has not finished"),
        sessions.begin() as session,
    ):
        reports.close_case(session, platform.reviewer, reference)
    # Resumed with other details given: the report first built goes, from where it stopped.
    other = uploader_of("someone-else", [], None)
    done = _file(sessions, platform, reference, ncmec, settings, uploader=other)
    assert done.report_id == opened
    assert [c.step for c in ncmec.calls if c.step == "submit"] == ["submit"]
    [report] = ncmec.finished_reports()
    assert len(report.files) == 1 and b"user-1234" in report.document
    with sessions.begin() as session:
        reports.close_case(session, platform.reviewer, reference)


def test_an_answer_lost_after_finish_does_not_file_twice(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case()
    for _ in range(3):
        ncmec.fail("finish", "code", code=1000)
    with pytest.raises(ReportStopped, match="stopped at finish"):
        _file(sessions, platform, reference, ncmec, settings)
    assert reports.state_of(_case(sessions, reference), ReportKind.cybertipline).stopped_at == (
        "finish"
    )
    ncmec.fail("finish", "stall_after", stall_seconds=0.2)  # done, the answer slow but there
    done = _file(sessions, platform, reference, ncmec, settings)
    assert done.finished and len(ncmec.finished_reports()) == 1 and len(ncmec.reports) == 1


def test_a_refusal_stops_the_case_and_withdrawing_lets_it_be_filed_anew(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case()
    ncmec.fail("fileinfo", "code", code=4100)
    with pytest.raises(ReportStopped) as stopped:
        _file(sessions, platform, reference, ncmec, settings)
    assert isinstance(stopped.value.cause, ReportRefused)
    first = reports.state_of(_case(sessions, reference), ReportKind.cybertipline)
    assert first.stage is Stage.stopped and "4100" in (first.error or "")
    client = tipline(ncmec)
    with client.http:
        withdrawn = cybertipline.withdraw(sessions, platform.reviewer, reference, tipline=client)
    assert withdrawn.retracted
    assert ncmec.reports[str(first.reference)].state == "retracted"
    state = reports.state_of(_case(sessions, reference), ReportKind.cybertipline)
    assert state.stage is Stage.withdrawn
    done = _file(sessions, platform, reference, ncmec, settings)
    assert done.report_id != first.reference and done.withdrawn_report_ids == [first.reference]
    assert len(ncmec.finished_reports()) == 1


def test_bad_input_opens_nothing_at_ncmec(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline, media_root: Path,
) -> None:  # fmt: skip
    reference = confirmed_case()
    with pytest.raises(InvalidInput, match="account id") as raised:
        _file(sessions, platform, reference, ncmec, settings, uploader=uploader_of(None, [], "NL"))
    assert raised.value.field == "account"
    with pytest.raises(InvalidInput, match="A1, A2, B1 or B2"):
        _file(sessions, platform, reference, ncmec, settings, classification="C3")
    unconfigured = settings.model_copy(update={"cybertipline_reporter_email": ""})
    with pytest.raises(ConfigurationError, match="REPORTER"):
        _file(sessions, platform, reference, ncmec, unconfigured)
    (media_root / "uploads" / "u1.png").unlink()
    with pytest.raises(InvalidInput, match="cannot be read from your storage"):
        _file(sessions, platform, reference, ncmec, settings)
    assert ncmec.calls == []
    case = _case(sessions, reference)
    assert (case.cybertipline_report, case.cybertipline_progress) == (None, None)
    with pytest.raises(InvalidInput, match="give IP@TIME"):
        uploader_of("u", ["203.0.113.5"], None)
    with pytest.raises(InvalidInput, match="timezone"):
        uploader_of("u", ["203.0.113.5@2026-12-07T10:41:09"], None)


def test_only_a_confirmed_case_of_ones_own_is_filed(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case()
    client = tipline(ncmec)
    with pytest.raises(NotFound, match="no case"):
        cybertipline.file_case(
            sessions, platform.outsider, reference, tipline=client, settings=settings,
            uploader=UPLOADER,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        cybertipline.file_case(
            sessions, platform.viewer, reference, tipline=client, settings=settings,
            uploader=UPLOADER,
        )  # fmt: skip
    with sessions.begin() as session:
        reports.close_case(session, platform.reviewer, reference)
        assert cases.get_case(session, platform.reviewer, reference).closed_by
    with pytest.raises(Conflict, match="closed"):
        cybertipline.file_case(
            sessions, platform.reviewer, reference, tipline=client, settings=settings,
            uploader=UPLOADER,
        )  # fmt: skip
    client.http.close()
    assert ncmec.calls == []


def test_a_second_run_is_refused_while_the_first_holds_the_report(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case()
    seen: list[str] = []

    def meanwhile(progress: object) -> None:
        if seen:
            return
        seen.append("once")
        with pytest.raises(Conflict, match="being sent right now"):
            _file(sessions, platform, reference, ncmec, settings)

    _file(sessions, platform, reference, ncmec, settings, on_step=meanwhile)
    assert seen and len(ncmec.reports) == 1 and len(ncmec.finished_reports()) == 1


def test_a_case_without_a_file_is_filed_with_its_hashes_only(
    sessions: sessionmaker[Session], platform: Platform, confirmed_case: ConfirmedCase,
    settings: Settings, ncmec: StandInCyberTipline,
) -> None:  # fmt: skip
    reference = confirmed_case(content_id="upload-8", media_path=None)
    done = _file(sessions, platform, reference, ncmec, settings)
    [report] = ncmec.finished_reports()
    assert done.files == [] and report.files == {}
    assert b"not held in the platform" in report.document
