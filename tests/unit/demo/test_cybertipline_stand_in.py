"""The CyberTipline stand-in keeps NCMEC's order and checks what it receives, so that a
client's mistakes show in tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alliance.demo.cybertipline import StandInCyberTipline
from alliance.platforms.cybertipline import document
from alliance.platforms.cybertipline.schemas import CaseReport
from alliance.validation import validated
from tests.unit.platforms.conftest import case_data, picture


@pytest.fixture
def http() -> Iterator[tuple[StandInCyberTipline, httpx.Client]]:
    with (
        StandInCyberTipline() as server,
        httpx.Client(
            base_url=server.base_url, auth=(server.username, server.password), timeout=5
        ) as client,
    ):
        yield server, client


def code(response: httpx.Response) -> int:
    return document.read_answer(response.content).code


def submit(client: httpx.Client) -> str:
    case = validated(CaseReport, **case_data())
    answer = document.read_answer(
        client.post("/submit", content=document.report_document(case)).content
    )
    assert answer.code == 0 and answer.report_id
    return answer.report_id


def test_nothing_before_submit(http) -> None:
    _, client = http
    assert code(client.post("/upload", data={"id": "1"}, files={"file": ("a.png", b"x")})) == 5001
    assert code(client.post("/finish", data={"id": "1"})) == 5001
    assert code(client.post("/retract", data={"id": "1"})) == 5001


def test_a_report_the_schema_refuses_is_4100_with_the_reason(http) -> None:
    server, client = http
    answer = document.read_answer(
        client.post(
            "/submit", content=b"<report><additionalInfo>x</additionalInfo></report>"
        ).content
    )
    assert answer.code == 4100 and "incidentSummary" in answer.description
    assert code(client.post("/submit", content=b"not xml")) == 4110
    assert server.reports == {}


def test_no_finish_before_file_info_and_nothing_after_finish(http) -> None:
    server, client = http
    report_id = submit(client)
    upload = document.read_answer(
        client.post(
            "/upload", data={"id": report_id}, files={"file": ("a.png", picture("a"))}
        ).content
    )
    assert upload.code == 0 and upload.file_id and upload.md5
    finish = document.read_answer(client.post("/finish", data={"id": report_id}).content)
    assert finish.code == 4000 and "a.png" in finish.description

    case = validated(CaseReport, **case_data())
    wrong = document.file_details_document(report_id, "0" * 32, case.files[0])
    assert code(client.post("/fileinfo", content=wrong)) == 5002
    details = document.file_details_document(report_id, upload.file_id, case.files[0])
    assert code(client.post("/fileinfo", content=details)) == 0
    done = client.post("/finish", data={"id": report_id})
    assert document.read_answer(done.content).file_ids == [upload.file_id]
    assert b"<reportDoneResponse>" in done.content

    assert code(client.post("/upload", data={"id": report_id}, files={"file": ("b", b"y")})) == 5102
    assert code(client.post("/fileinfo", content=details)) == 5102
    assert code(client.post("/finish", data={"id": report_id})) == 5102
    assert code(client.post("/retract", data={"id": report_id})) == 5102
    [received] = server.reports[report_id].files.values()
    assert received.name == "a.png" and received.size == len(picture("a"))


def test_nothing_after_retract(http) -> None:
    _, client = http
    report_id = submit(client)
    assert code(client.post("/retract", data={"id": report_id})) == 0
    assert code(client.post("/retract", data={"id": report_id})) == 5101
    assert code(client.post("/finish", data={"id": report_id})) == 5101


def test_credentials_are_checked(http) -> None:
    server, _ = http
    with httpx.Client(base_url=server.base_url, auth=("esp-user", "wrong")) as stranger:
        refused = stranger.post("/submit", content=b"<report/>")
        assert refused.status_code == 401 and refused.content == b""
        assert stranger.get("/status").status_code == 401
    assert server.reports == {}
