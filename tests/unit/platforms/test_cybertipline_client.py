"""The CyberTipline call flow against the stand-in on 127.0.0.1: the whole flow, faults
mid-flow retried with the same ids and nothing duplicated, resuming, retracting."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from alliance.demo.cybertipline import StandInCyberTipline
from alliance.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from alliance.platforms.cybertipline.client import (
    ALREADY_FINISHED,
    SERVER_ERROR,
    VALIDATION_FAILED,
    CyberTipline,
    CyberTiplineUnavailable,
    ProgressFile,
    ReportRefused,
    Retry,
    make_http_client,
)
from alliance.platforms.cybertipline.schemas import CaseReport, Progress, ReportedFile
from alliance.validation import validated

from .conftest import case_data, picture

#: The client waits this long for an answer (generous: a loaded machine must not time
#: out a normal call); a stalled stand-in waits longer.
TIMEOUT = 2.0
STALL = 3.0


def tipline(
    server: StandInCyberTipline, *, attempts: int = 4, password: str | None = None
) -> CyberTipline:
    http = make_http_client(
        server.base_url, server.username, password or server.password, timeout=TIMEOUT
    )
    return CyberTipline(http, retry=Retry(attempts=attempts, sleep=lambda _: None))


class Member:
    """The member's side: its storage of the files, and where it keeps the progress."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.saved: list[Progress] = []

    def open_file(self, file: ReportedFile) -> bytes:
        self.opened.append(file.file_name)
        return picture(file.file_name)

    def save(self, progress: Progress) -> None:
        self.saved.append(progress.model_copy(deep=True))

    @property
    def last(self) -> Progress:
        return self.saved[-1]


def the_case() -> CaseReport:
    return validated(CaseReport, **case_data())


def send(server, member, *, progress=None, **options) -> Progress:
    client = tipline(server, **options)
    with client.http:
        return client.send(
            the_case(), open_file=member.open_file, save=member.save, progress=progress
        )


def assert_filed_once(server: StandInCyberTipline, progress: Progress) -> None:
    """One finished report at the stand-in, holding each file once, with its details."""
    [report] = server.finished_reports()
    assert report.report_id == progress.report_id
    assert len(server.reports) == 1
    assert sorted(f.name for f in report.files.values()) == ["first.png", "second.png"]
    assert all(f.details is not None for f in report.files.values())
    assert sorted(report.files) == sorted(f.file_id or "" for f in progress.files)
    if progress.finished_file_ids is not None:  # None: the answer to finish was lost
        assert sorted(progress.finished_file_ids) == sorted(report.files)
    assert len(server.accepted("submit")) == 1
    assert len(server.accepted("upload")) == 2
    assert len(server.accepted("finish")) == 1


def test_the_whole_flow(stand_in: StandInCyberTipline) -> None:
    member = Member()
    done = send(stand_in, member)
    assert done.finished and not done.retracted
    assert done.stopped_at is None and done.last_error is None
    assert_filed_once(stand_in, done)
    # the order of the documented flow, each step saved as it was confirmed
    assert [c.step for c in stand_in.calls] == [
        "submit", "upload", "fileinfo", "upload", "fileinfo", "finish",
    ]  # fmt: skip
    assert len(member.saved) == 6
    assert member.saved[0].report_id == done.report_id
    assert member.saved[0].files[0].file_id is None
    # NCMEC's MD5 of what it received is the member's own
    for state in done.files:
        assert (
            state.received_md5
            == hashlib.md5(picture(state.file_name), usedforsecurity=False).hexdigest()
        )
    # the stand-in kept no media, only what identifies them
    report = stand_in.finished_reports()[0]
    assert all(not hasattr(f, "data") for f in report.files.values())


def test_a_5xx_at_upload_is_retried_without_a_second_file(stand_in) -> None:
    stand_in.fail("upload", "http_5xx")
    member = Member()
    done = send(stand_in, member)
    assert_filed_once(stand_in, done)
    assert member.opened == ["first.png", "first.png", "second.png"]  # read afresh


def test_a_server_error_code_at_upload_is_retried(stand_in) -> None:
    stand_in.fail("upload", "code", code=SERVER_ERROR)
    done = send(stand_in, Member())
    assert_filed_once(stand_in, done)


def test_a_timeout_at_file_info_is_retried_with_the_same_ids(stand_in) -> None:
    stand_in.fail("fileinfo", "stall_after", stall_seconds=STALL)
    done = send(stand_in, Member())
    assert_filed_once(stand_in, done)
    # the first file's details arrived twice (the first answer lost), for one file id
    infos = [c for c in stand_in.calls if c.step == "fileinfo"]
    assert len(infos) == 3


def test_a_timeout_before_the_step_is_retried(stand_in) -> None:
    stand_in.fail("submit", "stall", stall_seconds=STALL)
    done = send(stand_in, Member())
    assert_filed_once(stand_in, done)


def test_a_lost_answer_to_finish_is_not_a_second_filing(stand_in) -> None:
    stand_in.fail("finish", "stall_after", stall_seconds=STALL)
    done = send(stand_in, Member())
    assert done.finished
    assert_filed_once(stand_in, done)
    finishes = [c.code for c in stand_in.calls if c.step == "finish"]
    assert finishes == [0, ALREADY_FINISHED]
    assert done.finished_file_ids is None


def test_an_error_at_finish_is_retried(stand_in) -> None:
    stand_in.fail("finish", "code", code=SERVER_ERROR)
    done = send(stand_in, Member())
    assert_filed_once(stand_in, done)


def test_a_refusal_is_final_says_what_ncmec_refused_and_the_case_shows_where(stand_in) -> None:
    stand_in.fail("fileinfo", "code", code=VALIDATION_FAILED)
    member = Member()
    with pytest.raises(ReportRefused, match=r"NCMEC answered 4100 .* to fileinfo"):
        send(stand_in, member)
    stopped = member.last
    assert stopped.stopped_at == "fileinfo first.png"
    assert "4100" in (stopped.last_error or "")
    assert stopped.report_id is not None and stopped.files[0].file_id is not None
    assert not stopped.files[0].details_sent
    assert len([c for c in stand_in.calls if c.step == "fileinfo"]) == 1  # not repeated

    # resumed, it goes on from file info with the same report and file
    done = send(stand_in, member, progress=stopped)
    assert done.report_id == stopped.report_id
    assert done.files[0].file_id == stopped.files[0].file_id
    assert_filed_once(stand_in, done)


def test_resume_from_a_stored_progress_file(stand_in, tmp_path: Path) -> None:
    kept = ProgressFile(tmp_path / "progress.json")
    stand_in.fail("upload", "http_5xx")
    stand_in.fail("upload", "http_5xx")
    member = Member()
    client = tipline(stand_in, attempts=2)
    with client.http, pytest.raises(CyberTiplineUnavailable, match="after 2 attempts"):
        client.send(the_case(), open_file=member.open_file, save=kept.save)
    stored = kept.load()
    assert stored is not None
    assert stored.report_id is not None and stored.files[0].file_id is None
    assert stored.stopped_at == "upload first.png"
    assert "HTTP 503" in (stored.last_error or "")

    # another process, later: the same report id, nothing sent twice
    client = tipline(stand_in)
    with client.http:
        done = client.send(
            the_case(), open_file=member.open_file, save=kept.save, progress=kept.load()
        )
    assert done.report_id == stored.report_id
    assert_filed_once(stand_in, done)
    assert kept.load() == done
    # a finished progress sends nothing more
    calls = len(stand_in.calls)
    assert send(stand_in, member, progress=done).finished
    assert len(stand_in.calls) == calls


def test_retract_an_unfinished_report(stand_in) -> None:
    stand_in.fail("finish", "http_5xx")
    member = Member()
    with pytest.raises(CyberTiplineUnavailable):
        send(stand_in, member, attempts=1)
    stopped = member.last
    assert stopped.stopped_at == "finish"
    client = tipline(stand_in)
    with client.http:
        retracted = client.retract(stopped, save=member.save)
        assert retracted.retracted
        # retracting again asks nothing of NCMEC
        calls = len(stand_in.calls)
        assert client.retract(retracted, save=member.save).retracted
        assert len(stand_in.calls) == calls
    assert stand_in.reports[stopped.report_id or ""].state == "retracted"
    assert stand_in.finished_reports() == []
    with pytest.raises(Conflict, match="retracted"):
        send(stand_in, member, progress=retracted)


def test_a_lost_answer_to_retract_is_retracted(stand_in) -> None:
    member = Member()
    stand_in.fail("fileinfo", "code", code=VALIDATION_FAILED)
    with pytest.raises(ReportRefused):
        send(stand_in, member)
    stand_in.fail("retract", "stall_after", stall_seconds=STALL)
    client = tipline(stand_in)
    with client.http:
        assert client.retract(member.last, save=member.save).retracted
    assert stand_in.reports[member.last.report_id or ""].state == "retracted"


def test_a_filed_report_cannot_be_retracted(stand_in) -> None:
    member = Member()
    done = send(stand_in, member)
    client = tipline(stand_in)
    with client.http, pytest.raises(Conflict, match="already filed"):
        client.retract(done, save=member.save)


def test_bad_credentials_open_nothing(stand_in) -> None:
    member = Member()
    with pytest.raises(NotAuthenticated, match="username and password"):
        send(stand_in, member, password="wrong")
    assert stand_in.reports == {}
    assert member.last.stopped_at == "submit"


def test_progress_of_another_case_is_refused(stand_in) -> None:
    member = Member()
    done = send(stand_in, member)
    other = validated(CaseReport, **case_data(additional_info="Something else."))
    client = tipline(stand_in)
    with client.http, pytest.raises(Conflict, match="another report"):
        client.send(other, open_file=member.open_file, save=member.save, progress=done)


def test_a_report_ncmec_no_longer_holds_is_not_found(stand_in) -> None:
    stand_in.fail("finish", "http_5xx")
    member = Member()
    with pytest.raises(CyberTiplineUnavailable):
        send(stand_in, member, attempts=1)
    stand_in.reports.clear()  # unfinished reports expire at NCMEC
    with pytest.raises(NotFound, match="no longer holds this report"):
        send(stand_in, member, progress=member.last)


def test_bad_input_opens_no_report(stand_in) -> None:
    data = case_data()
    data["files"][0]["hashes"]["md5"] = "0" * 31
    with pytest.raises(InvalidInput):
        validated(CaseReport, **data)
    assert stand_in.calls == []


def test_status_and_the_schema_are_served(stand_in) -> None:
    client = tipline(stand_in)
    with client.http:
        assert client.status().code == 0
        assert b"<xs:schema" in client.http.get("/xsd").content


def test_a_lost_answer_to_an_upload_withdraws_the_report_and_sends_anew(stand_in) -> None:
    # NCMEC may hold the file: uploading it again would file it twice
    stand_in.fail("upload", "stall_after", stall_seconds=STALL)
    member = Member()
    done = send(stand_in, member)
    [withdrawn] = done.withdrawn_report_ids
    assert stand_in.reports[withdrawn].state == "retracted"
    [filed] = stand_in.finished_reports()
    assert filed.report_id == done.report_id != withdrawn
    assert sorted(f.name for f in filed.files.values()) == ["first.png", "second.png"]
    assert not any(f.upload_uncertain for f in done.files)


def test_a_lost_upload_answer_is_resumed_by_starting_over(stand_in) -> None:
    stand_in.fail("upload", "stall_after", stall_seconds=STALL)
    stand_in.fail("retract", "http_5xx")
    member = Member()
    with pytest.raises(CyberTiplineUnavailable, match="retract"):
        send(stand_in, member, attempts=1)
    stopped = member.last
    assert stopped.files[0].upload_uncertain and stopped.stopped_at == "retract"
    done = send(stand_in, member, progress=stopped)
    assert done.withdrawn_report_ids == [stopped.report_id]
    assert len(stand_in.finished_reports()) == 1


def test_a_file_the_member_cannot_read_stops_the_flow_where_it_was(stand_in) -> None:
    member = Member()

    def gone(file: ReportedFile) -> bytes:
        raise FileNotFoundError(file.file_name)

    client = tipline(stand_in)
    with client.http, pytest.raises(InvalidInput, match=r"first\.png"):
        client.send(the_case(), open_file=gone, save=member.save)
    assert member.last.stopped_at == "upload first.png"
    assert member.last.report_id is not None
    done = send(stand_in, member, progress=member.last)
    assert_filed_once(stand_in, done)


def test_a_refusal_is_not_retried(stand_in) -> None:
    # a refusal is final: repeating the same document cannot help
    stand_in.fail("submit", "code", code=VALIDATION_FAILED)
    member = Member()
    with pytest.raises(ReportRefused, match="4100"):
        send(stand_in, member)
    assert [c.step for c in stand_in.calls] == ["submit"]
    assert member.last.report_id is None and member.last.stopped_at == "submit"
