"""The API files a confirmed case's reports, as the case page and ``alliance review`` do:
NCMEC's CyberTipline and the DSA Transparency Database (their stand-ins on 127.0.0.1), the
police of the uploader's country through the alliance (this server is the hub); where each
stands, and closing the case. A stand-in failing mid-way is 502 with where the report
stopped, and the same call resumes it with the same ids; bad input is refused before
anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.industry import inbox, outcomes
from alliance.industry.models import IndustryReport
from alliance.industry.schemas import OutcomeIn
from alliance.member import destinations
from alliance.web import create_app
from tests.functional.conftest import SECRET
from tests.support.case_reports import COMPLAINT, Place, place_of, stand_ins

UPLOADER = {
    "account_id": "user-1234",
    # As the page and the CLI take them, or as the fields: both are the same addresses.
    "ip_addresses": [
        "203.0.113.5@2026-12-07T10:41:09Z@upload",
        {"ip": "192.0.2.7", "at": "2026-12-06T08:00:00+01:00", "event": "login"},
    ],
    "declared_country": "NL",
}
#: Where pydantic says a bad address is at fault: its time, its IP.
AT, IP = "uploader.ip_addresses.0.at", "uploader.ip_addresses.0.ip"


@pytest.fixture
def place(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Place]:
    monkeypatch.setattr(destinations, "BACKOFF_SECONDS", 0.0)
    with stand_ins() as (ncmec, tdb):
        yield place_of(sessions, tmp_path, ncmec, tdb, secret=SECRET)


@pytest.fixture
def app(engine: Engine, sessions: sessionmaker[Session], place: Place) -> FastAPI:
    return create_app(place.settings, engine=engine, sessions=sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


class Api:
    """The case's report routes, called with one API key."""

    def __init__(self, client: TestClient, key: str, case: str) -> None:
        self.client, self.case = client, case
        self.headers = {"Authorization": f"Bearer {key}"}

    def post(self, what: str, body: dict[str, Any] | None = None, case: str | None = None) -> Any:
        path = f"/api/v1/review/cases/{case or self.case}/{what}"
        return self.client.post(path, json=body, headers=self.headers)

    def reports(self, case: str | None = None) -> Any:
        path = f"/api/v1/review/cases/{case or self.case}/reports"
        return self.client.get(path, headers=self.headers)


def _events(sessions: sessionmaker[Session], kind: EventType) -> int:
    with sessions() as session:
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type == kind)
        return int(session.execute(stmt).scalar_one())


def test_the_api_files_each_report_and_closes_the_case(
    client: TestClient, place: Place, sessions: sessionmaker[Session]
) -> None:
    api = Api(client, place.keys["reviewer"], place.case)
    before = api.reports()
    assert before.status_code == 200, before.text
    shown = before.json()
    assert shown["case"] == place.case and shown["status"] == "confirmed"
    assert {shown[k]["stage"] for k in ("cybertipline", "dsa", "police")} == {"not_started"}
    assert shown["may_close"] and shown["dsa_user_notice"] is None

    filed = api.post("cybertipline", {"uploader": UPLOADER, "classification": "A1"})
    assert filed.status_code == 200, filed.text
    [report] = place.ncmec.finished_reports()
    ct = filed.json()["cybertipline"]
    assert ct["stage"] == "done" and ct["reference"] == report.report_id
    assert ct["summary"] == f"filed as CyberTipline report {report.report_id} (1 file)"
    assert b"user-1234" in report.document and b"192.0.2.7" in report.document
    assert b"Login" in report.document and len(report.files) == 1

    sent = api.post("dsa", {"account_action": "suspended"})
    assert sent.status_code == 200, sent.text
    assert list(place.tdb.stored) == [place.case]
    assert place.tdb.stored[place.case]["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    dsa = sent.json()
    assert dsa["dsa"]["stage"] == "done" and dsa["dsa"]["kept"]
    # The statement of reasons the uploader reads, kept with the statement: plain text.
    notice = dsa["dsa_user_notice"]
    assert f"Reference: {place.case}" in notice and "Your upload: upload-1" in notice
    assert "Your account has also been suspended." in notice and COMPLAINT in notice

    police = api.post("police", {"uploader": UPLOADER, "child_at_risk": True, "note": "  urgent  "})
    assert police.status_code == 200, police.text
    answer = police.json()["police"]
    assert answer["stage"] == "done" and answer["status"] == "routed"
    assert answer["country"] == "NL" and answer["reference"].startswith("IR-")
    with sessions.begin() as session:
        hub_report = session.execute(select(IndustryReport)).scalar_one()
        assert hub_report.child_at_risk and hub_report.note == "urgent"
        assert hub_report.classification.value == "A1"  # the matches' own category
        inbox.accept(session, place.investigator, hub_report.reference)
        outcomes.record_outcome(
            session,
            place.investigator,
            hub_report.reference,
            OutcomeIn(outcome="investigation_opened", note="on it"),
        )

    closed = api.post("close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and not closed.json()["may_close"]
    # Read-only, but the police's answer is still read (the body is not used once sent).
    checked = api.post("police", {})
    assert checked.status_code == 200, checked.text
    answer = checked.json()["police"]
    assert (answer["status"], answer["outcome"], answer["outcome_note"]) == (
        "accepted",
        "investigation_opened",
        "on it",
    )
    refused = api.post("dsa", {})
    assert refused.status_code == 409
    assert "its reports can no longer change" in refused.json()["error"]["message"]
    again = api.post("close")
    assert again.status_code == 409 and "is closed already" in again.json()["error"]["message"]
    assert _events(sessions, EventType.CASE_CLOSED) == 1
    assert _events(sessions, EventType.CASE_REPORT_STARTED) == 3
    assert len(place.tdb.calls) == 1 and len(place.ncmec.reports) == 1


def test_a_stand_in_failing_mid_flow_is_502_and_the_same_call_resumes(
    client: TestClient, place: Place
) -> None:
    api = Api(client, place.keys["reviewer"], place.case)
    for _ in range(destinations.TRIES):
        place.ncmec.fail("upload", "http_5xx")
    stopped = api.post("cybertipline", {"uploader": UPLOADER})
    assert stopped.status_code == 502, stopped.text
    error = stopped.json()["error"]
    assert error["code"] == "report_stopped"
    assert "the CyberTipline report stopped at upload u1.png" in error["message"]
    [where] = error["details"]
    assert where["report"] == "cybertipline" and where["stage"] == "stopped"
    assert where["stopped_at"] == "upload u1.png" and "HTTP 503" in where["error"]
    assert where["cause"] == "cybertipline_unavailable"
    opened = where["reference"]
    assert opened is not None and "Traceback" not in stopped.text

    shown = api.reports().json()
    assert shown["cybertipline"]["stage"] == "stopped" and shown["cybertipline"]["resumable"]
    assert shown["cybertipline"]["reference"] == opened and not shown["may_close"]
    refused = api.post("close")
    assert refused.status_code == 409
    assert "stays open while a report has not finished" in refused.json()["error"]["message"]

    for n in range(destinations.TRIES):
        place.tdb.fail(len(place.tdb.calls) + 1 + n, "error")
    dsa = api.post("dsa", {})
    assert dsa.status_code == 502
    [where] = dsa.json()["error"]["details"]
    assert where["report"] == "dsa" and where["stopped_at"] == f"sending statement {place.case}"
    assert where["cause"] == "dsa_unavailable" and place.tdb.stored == {}

    # The same calls resume: the report first built, from where it stopped (another
    # uploader given now is not used), the same report id; nothing sent twice.
    resumed = api.post("cybertipline", {"uploader": {"account_id": "someone-else"}})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["cybertipline"]["reference"] == opened
    [report] = place.ncmec.finished_reports()
    assert report.report_id == opened and len(place.ncmec.reports) == 1
    assert b"user-1234" in report.document and b"someone-else" not in report.document
    assert len(place.ncmec.accepted("submit")) == 1 and len(place.ncmec.accepted("upload")) == 1
    again = api.post("dsa", {})
    assert again.status_code == 200 and again.json()["dsa"]["stage"] == "done"
    assert list(place.tdb.stored) == [place.case]
    # Sent again: refused in words, nothing sent.
    calls = len(place.ncmec.calls)
    stale = api.post("cybertipline", {"uploader": UPLOADER})
    assert stale.status_code == 409 and "done already" in stale.json()["error"]["message"]
    assert len(place.ncmec.calls) == calls
    assert api.post("close").status_code == 200


def test_a_refused_report_is_withdrawn_and_filed_anew(client: TestClient, place: Place) -> None:
    api = Api(client, place.keys["reviewer"], place.case)
    place.ncmec.fail("fileinfo", "code", code=4100)
    refused = api.post("cybertipline", {"uploader": UPLOADER})
    assert refused.status_code == 502
    [where] = refused.json()["error"]["details"]
    assert where["cause"] == "cybertipline_refused" and "4100" in where["error"]
    withdrawn = api.post("cybertipline/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["cybertipline"]["stage"] == "withdrawn"
    again = api.post("cybertipline/withdraw")
    assert again.status_code == 409
    assert "only a report that stopped mid-way" in again.json()["error"]["message"]
    filed = api.post("cybertipline", {"uploader": UPLOADER})
    assert filed.status_code == 200 and filed.json()["cybertipline"]["stage"] == "done"
    assert sorted(r.state for r in place.ncmec.reports.values()) == ["finished", "retracted"]


@pytest.mark.parametrize(
    ("what", "body", "field"),
    [
        ("cybertipline", {"uploader": {"ip_addresses": ["203.0.113.5"]}}, "ip_addresses"),
        ("cybertipline", {"uploader": {"ip_addresses": ["203.0.113.5@yesterday"]}}, AT),
        ("cybertipline", {"uploader": {"ip_addresses": ["a@2026-12-07T10:41:09"]}}, IP),
        ("cybertipline", {"classification": "C3"}, "classification"),
        ("cybertipline", {"uploader": {"declared_country": "Netherlands"}}, "declared_country"),
        ("cybertipline", {"child_at_risk": True, "extra": 1}, "extra"),
        ("police", {"note": "x" * 2001}, "note"),
        ("police", {"uploader": {"ip_addresses": [{"ip": "192.0.2.7"}]}}, AT),
        ("dsa", {"account_action": "banned"}, "account_action"),
    ],
)
def test_bad_input_is_422_and_sends_nothing(
    client: TestClient, place: Place, what: str, body: dict[str, Any], field: str
) -> None:
    api = Api(client, place.keys["reviewer"], place.case)
    answer = api.post(what, body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert any(field in d["field"] for d in error["details"]), error
    assert place.ncmec.calls == [] and place.tdb.calls == []
    assert api.reports().json()[what]["stage"] == "not_started"


def test_what_the_case_refuses_and_who_may(client: TestClient, place: Place, app: FastAPI) -> None:
    api = Api(client, place.keys["reviewer"], place.case)
    # NCMEC names a reported user by the account id: addresses without one are refused
    # by the service (a rule across fields, 400), nothing sent.
    alone = api.post("cybertipline", {"uploader": {"ip_addresses": [UPLOADER["ip_addresses"][0]]}})
    assert alone.status_code == 400 and "account id" in alone.json()["error"]["message"]
    # Nothing to report on an undecided case; an unknown or another platform's case is 404.
    early = api.post("dsa", {}, case=place.undecided)
    assert early.status_code == 409
    assert "only a confirmed (removed) case" in early.json()["error"]["message"]
    assert api.post("close", case=place.undecided).status_code == 409
    for what in ("cybertipline", "dsa", "police", "close", "cybertipline/withdraw"):
        assert api.post(what, {}, case="RC-NOSUCH00").status_code == 404, what
    assert api.reports("RC-NOSUCH00").status_code == 404
    other = Api(client, place.keys["other"], place.case)
    assert other.reports().status_code == 404
    assert other.post("police", {"uploader": UPLOADER}).status_code == 404
    assert other.post("close").status_code == 404
    # A viewer may not file, nor read review cases; without a key, nothing.
    viewer = Api(client, place.keys["viewer"], place.case)
    for what in ("cybertipline", "dsa", "police", "close", "cybertipline/withdraw"):
        assert viewer.post(what, {}).status_code == 403, what
    assert viewer.reports().status_code == 403
    assert client.post(f"/api/v1/review/cases/{place.case}/dsa", json={}).status_code == 401
    assert place.ncmec.calls == [] and place.tdb.calls == []
    # Not configured here: 503, saying what to set; nothing sent, nothing begun.
    unset = place.settings.model_copy(update={"cybertipline_url": "", "dsa_complaint": ""})
    app.state.alliance.settings = unset
    for what, setting in (
        ("cybertipline", "ALLIANCE_CYBERTIPLINE_URL"),
        ("cybertipline/withdraw", "ALLIANCE_CYBERTIPLINE_URL"),
        ("dsa", "ALLIANCE_DSA_COMPLAINT"),
    ):
        answer = api.post(what, {"uploader": UPLOADER} if what == "cybertipline" else {})
        assert answer.status_code == 503, (what, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "not_configured" and setting in error["message"], what
    shown = api.reports().json()
    assert shown["cybertipline"]["stage"] == shown["dsa"]["stage"] == "not_started"
    assert place.ncmec.calls == [] and place.tdb.calls == []
