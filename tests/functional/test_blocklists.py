"""The lists for blocking end to end: a reported live page is listed, an ISP syncs the
list and exports it for its resolver, and the page leaves the list after it is taken down.

The hub is the app in-process on the takedown world (tests.support.takedown_world: the
reported sites are served on 127.0.0.1); the ISP is `alliance sync` through the bridge
of the bank sync tests, into a folder of the test's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.blocklists.local_store import LocalListStore
from alliance.blocklists.models import Appeal
from alliance.cli import sync as sync_cli
from alliance.cli.main import main
from alliance.db.session import transaction
from alliance.takedown import assessment, intake
from alliance.takedown.models import ActionKind, Classification
from alliance.takedown.public import solve
from alliance.takedown.schemas import AssessmentIn, ReportIn
from alliance.web import create_app
from tests import factories
from tests.functional.conftest import SECRET, log_in
from tests.functional.test_sync import SERVER, _bridge
from tests.support.takedown_world import TakedownWorld, takedown_world
from tests.unit.takedown.test_workflow import make_due

URL = "http://photos.example.test/gallery/a.png"
PROXY = "filter.isp.example.test"


@pytest.fixture
def tw(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[TakedownWorld]:
    with takedown_world(sessions, tmp_path, secret_key=SECRET) as w:
        yield w


@pytest.fixture
def hub(tw: TakedownWorld, engine: Engine, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(tw.settings, engine=engine, sessions=sessions)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def isp_key(tw: TakedownWorld) -> str:
    """An API key of an internet provider (an industry member) that blocks with the list."""
    with tw.sessions.begin() as session:
        isp = factories.organisation(session, OrgKind.industry, "GB", slug="gb-isp")
        return factories.api_key(session, isp, Role.reviewer)[1]


def _sync(hub: TestClient, key: str, store: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sync_cli, "make_client", lambda server, key: _bridge(hub, key))
    return main(["sync", "--server", SERVER, "--key", key, "--store", str(store / "banks")])


def _rpz(store: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    code = main(
        ["blocklist", "export", "--format", "rpz", "--proxy", PROXY,
         "--store", str(store / "blocklists")]
    )  # fmt: skip
    assert code == 0
    return capsys.readouterr().out


def _confirm_live_page(tw: TakedownWorld) -> str:
    """A page reported, routed, assessed baseline by the NL hotline and noticed."""
    tw.sites.pages[("photos.example.test", "/gallery/a.png")] = 200
    with transaction(tw.sessions) as session:
        receipt = intake.submit_reports(session, intake.PUBLIC, [ReportIn(urls=[URL])])[0]
    [reference] = [i.item for i in receipt.items]
    tw.worker().run_until_idle()
    analyst = tw.principal("nl-analyst")
    with transaction(tw.sessions) as session:
        assessment.claim_item(session, analyst, reference, tw.settings)
        assessment.assess_item(
            session,
            analyst,
            reference,
            AssessmentIn(classification=Classification.baseline),
            tw.settings,
        )
    tw.worker().run_until_idle()  # the notice goes out; the list is refreshed
    return reference


def test_a_reported_live_page_is_blocked_until_it_is_taken_down(
    hub: TestClient,
    tw: TakedownWorld,
    isp_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _confirm_live_page(tw)
    isp = tmp_path / "isp"
    assert _sync(hub, isp_key, isp, monkeypatch) == 0
    assert "urls list: snapshot applied" in capsys.readouterr().out
    zone = _rpz(isp, capsys)
    assert f"; {URL}\n" in zone
    assert f"photos.example.test CNAME {PROXY}.\n" in zone
    listed_at = LocalListStore.open(isp / "blocklists").checkpoint("urls")

    # The provider takes the page down; the worker's re-check finds it gone.
    tw.sites.pages[("photos.example.test", "/gallery/a.png")] = 404
    make_due(tw, ActionKind.recheck)
    tw.worker().run_until_idle()
    assert _sync(hub, isp_key, isp, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "urls list: delta applied, 1 changed, 1 removed, now 0 entries" in out
    assert LocalListStore.open(isp / "blocklists").checkpoint("urls") == listed_at + 1
    zone = _rpz(isp, capsys)
    assert "photos.example.test" not in zone and "$TTL" in zone
    # Nothing changed since: the next sync fetches nothing.
    assert _sync(hub, isp_key, isp, monkeypatch) == 0
    assert "urls list: up to date" in capsys.readouterr().out


def test_a_member_without_the_lists_gets_none_and_drops_what_it_held(
    hub: TestClient,
    tw: TakedownWorld,
    isp_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _confirm_live_page(tw)
    isp = tmp_path / "isp"
    assert _sync(hub, isp_key, isp, monkeypatch) == 0
    assert set(LocalListStore.open(isp / "blocklists").lists) == {"urls", "keywords"}
    with tw.sessions.begin() as session:  # its key now a viewer's: no lists
        viewer = factories.api_key(session, tw.orgs["us-platform"], Role.viewer)[1]
        reviewer = factories.api_key(session, tw.orgs["us-platform"], Role.reviewer)[1]
    other = tmp_path / "platform"
    assert _sync(hub, reviewer, other, monkeypatch) == 0
    assert _sync(hub, viewer, other, monkeypatch) == 0
    assert LocalListStore.open(other / "blocklists").lists == {}
    assert (
        hub.get(
            "/api/v1/lists/urls/snapshot", headers={"Authorization": f"Bearer {viewer}"}
        ).status_code
        == 403
    )


def _challenge(hub: TestClient) -> dict[str, str]:
    body = hub.get("/api/v1/public/challenge").json()
    return {"challenge": body["challenge"], "nonce": solve(body["challenge"], body["bits"])}


def test_an_appeal_is_refused_for_a_url_not_on_the_list_and_delists_when_upheld(
    hub: TestClient,
    tw: TakedownWorld,
    isp_key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _confirm_live_page(tw)
    appeal = {
        "contact": "owner@photos.example.test",
        "reason": "Our own holiday photos, not abuse.",
    }
    refused = hub.post(
        "/api/v1/public/appeals",
        json=appeal | {"url": "http://photos.example.test/other.png"} | _challenge(hub),
    )
    assert refused.status_code == 404, refused.text
    assert "is not on the URL list" in refused.json()["error"]["message"]
    with tw.sessions() as session:
        assert session.execute(select(func.count(Appeal.id))).scalar_one() == 0
        refusals = session.execute(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.event_type == EventType.APPEAL_REFUSED.value
            )
        ).scalar_one()
        assert refusals == 1

    made = hub.post("/api/v1/public/appeals", json=appeal | {"url": URL} | _challenge(hub))
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    with tw.sessions.begin() as session:
        analyst = factories.api_key(session, tw.orgs["nl-hotline"], Role.analyst)[1]
    headers = {"Authorization": f"Bearer {analyst}"}
    waiting = hub.get("/api/v1/appeals?status=pending", headers=headers).json()
    assert [a["reference"] for a in waiting["appeals"]] == [reference]
    isp_headers = {"Authorization": f"Bearer {isp_key}"}
    assert hub.get("/api/v1/appeals", headers=isp_headers).status_code == 403
    decided = hub.post(
        f"/api/v1/appeals/{reference}/decision",
        headers=headers,
        json={"decision": "upheld", "outcome": "Assessed again: not abuse material."},
    )
    assert decided.status_code == 200 and decided.json()["still_listed"] is False
    again = hub.post(
        f"/api/v1/appeals/{reference}/decision",
        headers=headers,
        json={"decision": "rejected", "outcome": "x"},
    )
    assert again.status_code == 409
    listed = hub.get("/api/v1/lists/urls?delisted=true", headers=isp_headers).json()
    assert [(e["url"], e["delist_reason"]) for e in listed["entries"]] == [(URL, "appeal")]


def _form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, "the page has no form token"
    return match.group(1)


def test_the_pages_appeal_decide_keep_keywords_and_record_self_tests(
    hub: TestClient, tw: TakedownWorld
) -> None:
    _confirm_live_page(tw)
    page = hub.get("/appeal")
    assert page.status_code == 200 and "What happens next" in page.text
    challenge = re.search(r'name="challenge" value="([^"]+)"', page.text)
    assert challenge
    form = {
        "csrf_token": _form_token(page.text),
        "contact": "owner@photos.example.test",
        "reason": "Our own holiday photos, not abuse.",
        "challenge": challenge.group(1),
        "nonce": solve(challenge.group(1), tw.settings.proof_of_work_bits),
    }
    refused = hub.post("/appeal", data=form | {"url": "http://photos.example.test/nope.png"})
    assert refused.status_code == 404 and "is not on the URL list" in refused.text
    assert "owner@photos.example.test" in refused.text  # what was typed is kept
    page = hub.get("/appeal")
    challenge = re.search(r'name="challenge" value="([^"]+)"', page.text)
    assert challenge
    form |= {
        "csrf_token": _form_token(page.text),
        "challenge": challenge.group(1),
        "nonce": solve(challenge.group(1), tw.settings.proof_of_work_bits),
    }
    made = hub.post("/appeal", data=form | {"url": URL})
    assert made.status_code == 200 and "Appeal received" in made.text
    reference = re.search(r'data-testid="appeal-reference">([^<]+)<', made.text)
    assert reference

    token = log_in(hub, "nl-analyst")
    listed = hub.get("/blocklists/urls")
    assert listed.status_code == 200 and URL in listed.text
    waiting = hub.get("/appeals")
    assert reference.group(1) in waiting.text
    empty = hub.post(
        f"/appeals/{reference.group(1)}/decision",
        data={"csrf_token": token, "decision": "upheld", "outcome": ""},
    )
    assert empty.status_code == 400 and "Reasons" in empty.text
    decided = hub.post(
        f"/appeals/{reference.group(1)}/decision",
        data={"csrf_token": token, "decision": "upheld", "outcome": "A product photo."},
    )
    assert decided.status_code == 303
    assert URL not in hub.get("/blocklists/urls").text

    added = hub.post(
        "/blocklists/keywords",
        data={"csrf_token": token, "term": "Placeholder-Term-9", "category": "coded"},
    )
    assert added.status_code == 303
    assert "placeholder-term-9" in hub.get("/blocklists/keywords").text
    again = hub.post(
        "/blocklists/keywords",
        data={"csrf_token": token, "term": "placeholder-term-9", "category": "coded"},
    )
    assert again.status_code == 409 and "already on the keyword list" in again.text
    removed = hub.post(
        "/blocklists/keywords/remove", data={"csrf_token": token, "term": "placeholder-term-9"}
    )
    assert removed.status_code == 303
    assert hub.get("/self-tests").status_code == 403  # an analyst records no self-test

    hub.cookies.clear()
    token = log_in(hub, "us-reviewer")
    today = date.today().isoformat()
    recorded = hub.post(
        "/self-tests", data={"csrf_token": token, "tested_on": today, "result": "passed"}
    )
    assert recorded.status_code == 303
    assert "Passed" in hub.get("/self-tests").text
    bad = hub.post(
        "/self-tests", data={"csrf_token": token, "tested_on": "31/12/2026", "result": "passed"}
    )
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
