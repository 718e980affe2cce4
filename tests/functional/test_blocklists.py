"""The lists for blocking end to end: a reported live page is listed, an ISP syncs the
list and exports it for its resolver, and the page leaves the list after it is taken down.

The hub is the app in-process on the takedown world (tests.support.takedown_world: the
reported sites are served on 127.0.0.1); the ISP is `alliance sync` through the bridge
of the bank sync tests, into a folder of the test's own.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from tests.functional.conftest import SECRET
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
