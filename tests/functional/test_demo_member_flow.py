"""Issue 20's "Done when", end to end, with the demo platform nl-photoshare in member mode.

The hub is the app in-process on the takedown world (tests.support.takedown_world: NL and
GB members, an .mmdb that places 203.0.113.0/25 in the Netherlands, the reported sites on
127.0.0.1), holding the demo baseline bank's entry of the picture the demo member's
try-upload is an edit of. The member is built by the demo's own code
(:func:`alliance.demo.member.build`: its own SQLite database, its logins, its upload
service's key, its remove rule, its storage) and runs as `alliance serve` runs it: the app
in member mode with the settings :func:`alliance.demo.member.settings_values` gives, its
storage and removal hook and the CyberTipline and DSA stand-ins on 127.0.0.1
(:func:`alliance.demo.member.outside_world`), its syncs and reports going to the hub
in-process.

The story: nl-photoshare's upload service matches its uploads through the member API; one,
a banked picture with a border and mirrored, matches; its case opens with the remove rule
fired (the platform's hook recorded the removal) and shows in the review queue, blurred;
the reviewer confirms it and, from the case's page, files it with NCMEC's stand-in (the
file from the platform's storage), sends its statement of reasons to the DSA stand-in and
its industry report to the hub, which routes it to the NL police (the uploader's address
is Dutch); the NL investigator accepts it and records an outcome, which the platform reads
on the case's page before closing the case. Then an ISP syncs the URL list: its RPZ
export lists a reported live page until the page is taken down and the re-check sees it
gone.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.banks import services as banks
from alliance.banks.schemas import BankIn
from alliance.db import create_db_engine, make_session_factory, migrate
from alliance.demo import member as member_demo
from alliance.demo.world import DEFAULT_SEED, banked_entries
from alliance.industry import client as industry_client
from alliance.industry.client import IndustryReports
from alliance.member.deployment import MemberDeployment
from alliance.review import previews
from alliance.settings import load_settings
from alliance.takedown.models import ActionKind
from alliance.web import create_app
from tests import factories
from tests.functional.conftest import SECRET, csrf_from_page, log_in
from tests.functional.test_blocklists import URL, _confirm_live_page, _rpz, _sync
from tests.support.member import HUB
from tests.support.member import bridge as _bridge
from tests.support.server import free_port, live_serve
from tests.support.takedown_world import TakedownWorld, takedown_world
from tests.unit.takedown.test_workflow import make_due

SEED = DEFAULT_SEED
OPERATOR = Principal.operator("tester")
UPLOADER_IP = "203.0.113.21"  # a documentation address the .mmdb places in NL


@dataclass
class Demo:
    tw: TakedownWorld
    hub: TestClient
    member: TestClient
    member_sessions: sessionmaker[Session]
    outside: member_demo.OutsideWorld
    built: member_demo.DemoMember
    hub_key: str  # nl-photoshare's key at the hub (its member server's)
    investigator: dict[str, str]


@pytest.fixture
def demo(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[Demo]:
    with takedown_world(sessions, tmp_path / "hub", secret_key=SECRET) as tw:
        with sessions.begin() as session:
            factories.organisation(session, OrgKind.industry, "NL", slug=member_demo.PLATFORM)
            analyst = tw.principal("nl-analyst")
            banks.create_bank(
                session,
                analyst,
                BankIn(name="baseline-demo", scope="baseline", subscriber_kinds=[OrgKind.industry]),
            )
            banks.add_entries(
                session,
                analyst,
                "baseline-demo",
                list(banked_entries(SEED, member_demo.TRY_PICTURE)),
            )
            banks.create_bank(
                session,
                tw.principal("nl-investigator"),
                BankIn(
                    name="national-nl-demo",
                    scope="national:NL",
                    subscriber_kinds=[OrgKind.industry],
                    subscriber_countries=["NL"],
                ),
            )
            member_demo.add_hub_key(session, OPERATOR, SEED)
            _, investigator = factories.api_key(session, tw.orgs["nl-police"], Role.investigator)
        built = member_demo.build(OPERATOR, tw.settings, SEED)
        hub_app = create_app(tw.settings, engine=engine, sessions=sessions)
        with (
            TestClient(hub_app, base_url="http://testserver", follow_redirects=False) as hub,
            member_demo.outside_world(built.folder, SEED) as outside,
        ):
            hub_key = (built.folder / "hub-api-key").read_text().strip()
            settings = load_settings(
                **member_demo.settings_values(built.folder, SEED, HUB, 8001, outside)
            )
            member_engine = create_db_engine(settings.effective_database_url)
            member_sessions = make_session_factory(member_engine)
            deployment = MemberDeployment.from_settings(
                settings, member_sessions, connect=lambda: _bridge(hub, hub_key)
            )
            deployment.schedule.run_once()  # the first sync, as the server does at start
            member_app = create_app(
                settings, engine=member_engine, sessions=member_sessions, member=deployment
            )
            try:
                with TestClient(
                    member_app, base_url="http://member.test", follow_redirects=False
                ) as member:
                    yield Demo(
                        tw,
                        hub,
                        member,
                        member_sessions,
                        outside,
                        built,
                        hub_key,
                        {"Authorization": f"Bearer {investigator}"},
                    )
            finally:
                member_engine.dispose()


def _upload(demo: Demo, name: str, reference: str) -> dict[str, Any]:
    """nl-photoshare's upload service asks its member server about a file of its storage."""
    response = demo.member.post(
        "/api/v1/member/match/url",
        headers={"Authorization": f"Bearer {member_demo.upload_key(SEED)}"},
        json={"url": f"{demo.outside.platform.url}/uploads/{name}", "reference": reference},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _password(username: str) -> str:
    return next(login.password for login in member_demo.logins(SEED) if login.username == username)


def test_an_upload_matched_at_the_member_reaches_the_police_and_the_platform_reads_the_outcome(
    demo: Demo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # nl-photoshare's services upload pictures; the holiday snaps match nothing, the banked
    # picture with a border, mirrored, matches the baseline bank.
    for n, name in enumerate(member_demo.holiday_pictures(SEED)):
        missed = _upload(demo, name, f"post-{n + 1:04d}")
        assert (missed["matched"], missed["case_id"]) == (False, None)
    answer = _upload(demo, member_demo.TRY_UPLOAD, "post-1001")
    assert answer["matched"] and answer["case_id"] is not None
    [match] = [m for r in answer["results"] for m in r["matches"]]
    assert (match["origin"], match["bank"]) == ("synced", "baseline-demo")
    assert (match["query_form"], match["variant"]) == ("unletterbox", "flip_horizontal")
    assert match["distance"] <= member_demo.RULE_DISTANCE

    # The remove rule fired when the case opened: the platform's hook recorded the removal.
    [removal] = demo.outside.platform.removals()
    assert (removal["content_id"], removal["bank"]) == ("post-1001", "baseline-demo")
    case = removal["case"]

    # The reviewer finds it in the member's review queue, its preview blurred.
    log_in(demo.member, member_demo.REVIEWER, _password(member_demo.REVIEWER))
    queue = demo.member.get("/review")
    assert queue.status_code == 200 and case in queue.text and "post-1001" in queue.text
    page = demo.member.get(f"/review/cases/{case}")
    assert page.status_code == 200
    assert f"/review/cases/{case}/preview" in page.text and "Removed" in page.text
    preview = demo.member.get(f"/review/cases/{case}/preview")
    assert preview.status_code == 200 and preview.headers["cache-control"] == "no-store"
    assert preview.content != previews.placeholder()  # the file, read from the storage
    with Image.open(io.BytesIO(preview.content)) as drawn:
        assert drawn.mode == "L" and max(drawn.size) == previews.PREVIEW_SIDE

    # The reviewer confirms it.
    csrf = csrf_from_page(demo.member, f"/review/cases/{case}")
    decided = demo.member.post(
        f"/review/cases/{case}/decision",
        data={"csrf_token": csrf, "decision": "confirm", "reason": "The listed picture."},
    )
    assert decided.status_code == 303, decided.text
    assert "Confirmed" in demo.member.get(f"/review/cases/{case}").text

    # The case's reports, from its page. The platform's CyberTipline report reaches
    # NCMEC's stand-in with the file from nl-photoshare's own storage (never the hub's).
    path = f"/review/cases/{case}"
    uploader = {
        "account": "photoshare-user-4711",
        "ip": f"{UPLOADER_IP}@{removal['removed_at']}@upload",
        "country": "",
        "classification": "A1",
    }
    filed = demo.member.post(f"{path}/cybertipline", data={**uploader, "csrf_token": csrf})
    assert filed.status_code == 303, filed.text
    [ncmec] = demo.outside.cybertipline.finished_reports()
    [file] = ncmec.files.values()
    assert file.name == member_demo.TRY_UPLOAD
    assert (
        file.md5
        == hashlib.md5(demo.built.try_upload.read_bytes(), usedforsecurity=False).hexdigest()
    )
    assert b"photoshare-user-4711" in ncmec.document and UPLOADER_IP.encode() in ncmec.document
    # The removal's statement of reasons reaches the DSA Transparency Database's stand-in:
    # its puid the case's reference, removed by the rule before anyone looked.
    stated = demo.member.post(f"{path}/dsa", data={"csrf_token": csrf})
    assert stated.status_code == 303, stated.text
    statement = demo.outside.dsa.stored[case]
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]

    # The industry report goes to the hub, which routes it to the police of the uploader's
    # country: its address is Dutch. (The member's page reaches the hub in-process here.)
    monkeypatch.setattr(
        industry_client,
        "connect",
        lambda server, key, timeout=30.0: IndustryReports(_bridge(demo.hub, key)),
    )
    police = demo.member.post(
        f"{path}/police",
        data={**uploader, "note": "Demo: matched at upload, removed by rule, confirmed.",
              "csrf_token": csrf},
    )  # fmt: skip
    assert police.status_code == 303, police.text
    shown = demo.member.get(path).text
    assert "sent to the police of NL" in shown
    hub_reports = IndustryReports(_bridge(demo.hub, demo.hub_key), sleep=lambda _s: None)
    sent = hub_reports.status(case)
    assert (sent.case_reference, sent.country, sent.status.value) == (case, "NL", "routed")

    # The NL investigator finds it in the inbox, accepts it and records an outcome.
    inbox = demo.hub.get("/api/v1/industry-inbox", headers=demo.investigator)
    assert inbox.status_code == 200, inbox.text
    [listed] = [r for r in inbox.json() if r["reference"] == sent.reference]
    assert listed["priority"] == "known_material"  # by the bank entry its match names
    accepted = demo.hub.post(
        f"/api/v1/industry-inbox/{sent.reference}/accept", headers=demo.investigator
    )
    assert accepted.status_code == 200, accepted.text
    outcome = demo.hub.post(
        f"/api/v1/industry-inbox/{sent.reference}/outcome",
        headers=demo.investigator,
        json={"outcome": "investigation_opened", "note": "Opened by the NL police."},
    )
    assert outcome.status_code == 200, outcome.text

    # The platform reads the outcome on the case's page (the hub's answer kept on the case).
    checked = demo.member.post(f"{path}/police", data={"csrf_token": csrf})
    assert checked.status_code == 303, checked.text
    shown = demo.member.get(path).text
    assert "accepted by the police of NL; outcome: investigation opened" in shown
    assert "Opened by the NL police." in shown
    later = hub_reports.status(case)
    assert later.outcome is not None and later.outcome.value == "investigation_opened"
    closed = demo.member.post(f"{path}/close", data={"csrf_token": csrf})
    assert closed.status_code == 303, closed.text

    # An ISP syncs the URL list: its RPZ zone lists a reported live page, until the page
    # is taken down and the worker's re-check sees it gone.
    with demo.tw.sessions.begin() as session:
        isp = factories.organisation(session, OrgKind.industry, "NL", slug="nl-isp")
        isp_key = factories.api_key(session, isp, Role.reviewer)[1]
    _confirm_live_page(demo.tw)
    store = tmp_path / "isp"
    assert _sync(demo.hub, isp_key, store, monkeypatch) == 0
    assert f"; {URL}\n" in _rpz(store, capsys)
    demo.tw.sites.pages[("photos.example.test", "/gallery/a.png")] = 404
    make_due(demo.tw, ActionKind.recheck)
    demo.tw.worker().run_until_idle()
    assert _sync(demo.hub, isp_key, store, monkeypatch) == 0
    zone = _rpz(store, capsys)
    assert URL not in zone and "photos.example.test" not in zone


def _wait_for(url: str, headers: dict[str, str] | None = None, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = httpx.get(url, headers=headers, timeout=2)
            if answer.status_code == 200:
                return answer.json()
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer"
        time.sleep(0.25)


def test_alliance_serve_runs_the_demo_member_beside_the_hub_and_stops_it(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """In demo mode `alliance serve` starts the member's server (a second process, with
    the member's settings only) and its storage, once the hub answers; stopping the hub
    stops the member."""
    data = tmp_path / "var"
    engine = create_db_engine(fresh_db_url)
    migrate.upgrade(engine)
    with make_session_factory(engine).begin() as session:
        factories.organisation(session, OrgKind.industry, "NL", slug=member_demo.PLATFORM)
        member_demo.add_hub_key(session, OPERATOR, SEED)
    engine.dispose()
    built = member_demo.build(
        OPERATOR, load_settings(data_dir=data, database_url=fresh_db_url), SEED
    )
    member_port, storage_port = free_port(), free_port()
    env = {
        **os.environ,
        "ALLIANCE_MODE": "demo",
        "ALLIANCE_DATABASE_URL": fresh_db_url,
        "ALLIANCE_DATA_DIR": str(data),
        "ALLIANCE_DEMO_MEMBER_PORT": str(member_port),
        "ALLIANCE_DEMO_MEMBER_STORAGE_PORT": str(storage_port),
    }
    member = f"http://127.0.0.1:{member_port}"
    with live_serve(env, tmp_path / "serve.log") as hub:
        _wait_for(f"{member}/readyz")
        key = {"Authorization": f"Bearer {member_demo.upload_key(SEED)}"}
        status = _wait_for(f"{member}/api/v1/member/status", key)
        assert status["hub"] == hub
        deadline = time.monotonic() + 30
        while status["syncs"] + status["failed_syncs"] == 0 and time.monotonic() < deadline:
            time.sleep(0.25)
            status = _wait_for(f"{member}/api/v1/member/status", key)
        assert (status["syncs"], status["last_error"]) == (1, None)
        picture = httpx.get(f"http://127.0.0.1:{storage_port}/uploads/{member_demo.TRY_UPLOAD}")
        assert picture.content == built.try_upload.read_bytes()
        written = (built.folder / ".env").read_text()
        assert f"ALLIANCE_MEMBER_HUB_URL={hub}\n" in written
        assert f"ALLIANCE_DATA_DIR={built.folder.resolve()}\n" in written
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{member}/readyz", timeout=2)
