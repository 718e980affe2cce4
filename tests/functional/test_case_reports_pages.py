"""The case page files a confirmed case's reports: NCMEC's CyberTipline and the DSA
Transparency Database (their stand-ins on 127.0.0.1) and the police of the uploader's
country through the alliance (this server is the hub); each report's state on the page,
a failing form or stand-in said on the page (no traceback), and closing the case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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
from alliance.review.models import Case, CaseStatus
from alliance.web import create_app
from tests.functional.conftest import SECRET, csrf_from_page, log_in
from tests.support.case_reports import COMPLAINT, Place, place_of, stand_ins

GOOD = {
    "account": "user-1234",
    "ip": "203.0.113.5@2026-12-07T10:41:09Z@upload\n192.0.2.7@2026-12-06T08:00:00+01:00@login",
    "country": "NL",
    "classification": "",
}


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


def _state(page: str, kind: str) -> str:
    block = page.split(f'data-testid="report-{kind}"', 1)[1].split("</article>", 1)[0]
    found = re.search(r'data-stage="(\w+)"', block)
    assert found, block[:500]
    return found.group(1)


def _events(sessions: sessionmaker[Session], kind: EventType) -> int:
    with sessions() as session:
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type == kind)
        return int(session.execute(stmt).scalar_one())


def test_the_case_page_files_each_report_and_closes_the_case(
    client: TestClient, place: Place, sessions: sessionmaker[Session]
) -> None:
    case, path = place.case, f"/review/cases/{place.case}"
    log_in(client, "rev-1")
    page = client.get(path)
    for button in (
        "File with NCMEC's CyberTipline",
        "Submit the DSA statement of reasons",
        "Report to the police through the alliance",
        "Close case",
    ):
        assert button in page.text, button
    assert {_state(page.text, k) for k in ("cybertipline", "dsa", "police")} == {"not_started"}
    csrf = csrf_from_page(client, path)
    # A bad line of addresses: said beside the field, what was typed kept, nothing sent.
    bad = client.post(
        f"{path}/cybertipline", data={**GOOD, "ip": "203.0.113.5", "csrf_token": csrf}
    )
    assert bad.status_code == 400 and 'data-testid="field-error"' in bad.text
    assert "give IP@TIME" in bad.text and "user-1234" in bad.text
    assert place.ncmec.calls == []
    filed = client.post(f"{path}/cybertipline", data={**GOOD, "csrf_token": csrf})
    assert filed.status_code == 303, filed.text
    page = client.get(path)
    [report] = place.ncmec.finished_reports()
    assert _state(page.text, "cybertipline") == "done"
    assert f"filed as CyberTipline report {report.report_id}" in page.text
    assert b"user-1234" in report.document and b"Upload" in report.document
    # The police's form is filled with what the CyberTipline report gave of the uploader.
    police_form = page.text.split('data-testid="send-police"', 1)[1]
    assert 'value="user-1234"' in police_form and "203.0.113.5@" in police_form
    assert 'data-testid="dsa-user-notice"' not in page.text  # no statement yet
    sent = client.post(f"{path}/dsa", data={"account_action": "suspended", "csrf_token": csrf})
    assert sent.status_code == 303
    assert list(place.tdb.stored) == [case]
    # The statement of reasons the uploader reads, kept with the statement: shown, escaped.
    page = client.get(path)
    notice = page.text.split('data-testid="dsa-user-notice"', 1)[1].split("</details>", 1)[0]
    assert "Statement of reasons from" in notice and f"Reference: {case}" in notice
    assert "Your upload: upload-1" in notice and "Your account has also been suspended." in notice
    assert "&lt;a href=&#34;https://photos.example.test/appeals&#34;&gt;" in notice
    assert COMPLAINT not in page.text
    police = client.post(
        f"{path}/police",
        data={**GOOD, "note": "urgent", "child_at_risk": "yes", "csrf_token": csrf},
    )
    assert police.status_code == 303
    page = client.get(path)
    assert _state(page.text, "police") == "done" and "sent to the police of NL" in page.text
    assert "Check for the police's answer" in page.text
    with sessions.begin() as session:
        hub_report = session.execute(select(IndustryReport)).scalar_one()
        assert hub_report.child_at_risk and hub_report.note == "urgent"
        inbox.accept(session, place.investigator, hub_report.reference)
        outcomes.record_outcome(
            session,
            place.investigator,
            hub_report.reference,
            OutcomeIn(outcome="investigation_opened", note="on it"),
        )
    closed = client.post(f"{path}/close", data={"csrf_token": csrf})
    assert closed.status_code == 303
    page = client.get(path)
    assert 'data-testid="case-closed"' in page.text
    for form in ("file-cybertipline", "submit-dsa", "close-case", "decide"):
        assert f'data-testid="{form}"' not in page.text, form
    # Read-only, but the police's answer is still read.
    checked = client.post(f"{path}/police", data={"csrf_token": csrf})
    assert checked.status_code == 303
    assert "accepted by the police of NL; outcome: investigation opened" in client.get(path).text
    refused = client.post(f"{path}/dsa", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "its reports can no longer change" in refused.text
    again = client.post(f"{path}/close", data={"csrf_token": csrf})
    assert again.status_code == 409 and "is closed already" in again.text
    assert _events(sessions, EventType.CASE_CLOSED) == 1
    assert _events(sessions, EventType.CASE_REPORT_STARTED) == 3
    with sessions() as session:
        found = select(Case.status).where(Case.reference == case)
        assert session.execute(found).scalar_one() is CaseStatus.closed


def test_a_stand_in_failing_mid_flow_is_said_on_the_page_and_resumed(
    client: TestClient, place: Place
) -> None:
    path = f"/review/cases/{place.case}"
    log_in(client, "rev-1")
    csrf = csrf_from_page(client, path)
    for _ in range(destinations.TRIES):
        place.ncmec.fail("upload", "http_5xx")
    stopped = client.post(f"{path}/cybertipline", data={**GOOD, "csrf_token": csrf})
    assert stopped.status_code == 502
    assert 'data-testid="form-errors"' in stopped.text and "Traceback" not in stopped.text
    assert _state(stopped.text, "cybertipline") == "stopped"
    assert "upload u1.png" in stopped.text and "HTTP 503" in stopped.text
    assert "Resume filing with the CyberTipline" in stopped.text
    refused = client.post(f"{path}/close", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "stays open while a report has not finished" in (
        refused.text
    )
    for _ in range(destinations.TRIES):
        place.tdb.fail(len(place.tdb.calls) + 1 + _, "error")
    dsa = client.post(f"{path}/dsa", data={"csrf_token": csrf})
    assert dsa.status_code == 502 and _state(dsa.text, "dsa") == "stopped"
    assert "Submit the statement again" in dsa.text
    resumed = client.post(f"{path}/cybertipline", data={"csrf_token": csrf})
    assert resumed.status_code == 303
    assert len(place.ncmec.reports) == 1 and len(place.ncmec.finished_reports()) == 1
    again = client.post(f"{path}/dsa", data={"csrf_token": csrf})
    assert again.status_code == 303 and list(place.tdb.stored) == [place.case]
    page = client.get(path)
    assert _state(page.text, "cybertipline") == "done" and _state(page.text, "dsa") == "done"
    # Sent again from a stale page: refused in words, nothing sent twice.
    stale = client.post(f"{path}/cybertipline", data={**GOOD, "csrf_token": csrf})
    assert stale.status_code == 409 and "done already" in stale.text
    assert len(place.ncmec.reports) == 1


def test_who_may_file_and_what_is_not_configured(
    client: TestClient, place: Place, app: FastAPI
) -> None:
    path = f"/review/cases/{place.case}"
    log_in(client, "viewer-1")
    assert client.get(path).status_code == 403  # a viewer reads no review case
    csrf = csrf_from_page(client, "/dashboard")
    assert client.post(f"{path}/cybertipline", data={"csrf_token": csrf}).status_code == 403
    assert client.post(f"{path}/close", data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    log_in(client, "rev-other")
    csrf = csrf_from_page(client, "/review")
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/police", data={"csrf_token": csrf}).status_code == 404
    assert client.post(
        "/review/cases/RC-NOSUCH00/close", data={"csrf_token": csrf}
    ).status_code == (404)
    client.cookies.clear()
    log_in(client, "rev-1")
    # An undecided case has nothing to report yet: said on its page.
    undecided = f"/review/cases/{place.undecided}"
    csrf = csrf_from_page(client, undecided)
    early = client.post(f"{undecided}/dsa", data={"csrf_token": csrf})
    assert early.status_code == 409 and "only a confirmed (removed) case" in early.text
    assert 'data-testid="case-reports"' not in early.text
    unset = place.settings.model_copy(update={"cybertipline_url": "", "dsa_url": ""})
    app.state.alliance.settings = unset
    page = client.get(path)
    assert "Not configured here: set ALLIANCE_CYBERTIPLINE_URL" in page.text
    assert "Not configured here: set ALLIANCE_DSA_URL" in page.text
    assert 'data-testid="file-cybertipline"' not in page.text
    csrf = csrf_from_page(client, path)
    tried = client.post(f"{path}/cybertipline", data={**GOOD, "csrf_token": csrf})
    assert tried.status_code == 503 and "not configured" in tried.text
    assert place.ncmec.calls == []


def test_a_refused_report_is_withdrawn_from_the_page_and_filed_anew(
    client: TestClient, place: Place
) -> None:
    path = f"/review/cases/{place.case}"
    log_in(client, "rev-1")
    csrf = csrf_from_page(client, path)
    place.ncmec.fail("fileinfo", "code", code=4100)
    refused = client.post(f"{path}/cybertipline", data={**GOOD, "csrf_token": csrf})
    assert refused.status_code == 502 and "NCMEC answered 4100" in refused.text
    assert 'data-testid="withdraw-cybertipline"' in refused.text
    withdrawn = client.post(f"{path}/cybertipline/withdraw", data={"csrf_token": csrf})
    assert withdrawn.status_code == 303
    page = client.get(path)
    assert _state(page.text, "cybertipline") == "withdrawn"
    assert 'data-testid="file-cybertipline"' in page.text and 'value="user-1234"' in page.text
    again = client.post(f"{path}/cybertipline/withdraw", data={"csrf_token": csrf})
    assert again.status_code == 409 and "only a report that stopped mid-way" in again.text
    filed = client.post(f"{path}/cybertipline", data={**GOOD, "csrf_token": csrf})
    assert filed.status_code == 303
    states = sorted(r.state for r in place.ncmec.reports.values())
    assert states == ["finished", "retracted"]
