"""The review queue through the app: a platform's upload service opens cases by API, a
reviewer works the queue and a case in the pages (blurred preview, audited reveal,
decisions with errors shown on the page, bulk decisions all or nothing), and an
administrator keeps the action rules."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit import EventType
from alliance.audit.models import AuditEvent
from alliance.review.models import Case, CaseStatus
from alliance.settings import load_settings
from alliance.web import create_app
from tests import factories
from tests.functional.conftest import SECRET, csrf_from_page, log_in
from tests.unit.review.conftest import picture


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    picture(root / "uploads" / "u1.png")
    return root


@pytest.fixture
def app(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path, media_root: Path
) -> FastAPI:
    settings = load_settings(
        data_dir=tmp_path, secret_key=SECRET, review_media_root=media_root, review_sla_hours=1
    )
    return create_app(settings, engine=engine, sessions=sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def platform(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions.begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US", slug="photos-platform")
        other = factories.organisation(session, OrgKind.industry, "GB", slug="other-platform")
        factories.user(session, org, Role.reviewer, username="rev-1")
        factories.user(session, org, Role.org_admin, username="admin-1")
        factories.user(session, other, Role.reviewer, username="rev-other")
        _, key = factories.api_key(session, org, Role.reviewer)
    return {"key": key}


def _open(
    client: TestClient, key: str, content_id: str, path: str = "uploads/u1.png"
) -> dict[str, Any]:
    body = {
        "content": {"content_id": content_id, "media_path": path},
        "matches": [
            {"bank": "baseline-nl", "entry_id": 12, "category": "A1", "verification": "verified",
             "distance": 6, "variant": "original", "form": "flip"}
        ],
    }  # fmt: skip
    response = client.post(
        "/api/v1/review/cases", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    return opened


def _count(sessions: sessionmaker[Session], kind: EventType) -> int:
    with sessions() as session:
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.event_type == kind)
        return int(session.execute(stmt).scalar_one())


def test_the_api_opens_lists_decides_and_refuses_bad_input(
    client: TestClient, platform: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    auth = {"Authorization": f"Bearer {platform['key']}"}
    first = _open(client, platform["key"], "upload-1")
    assert first["status"] == "open" and first["matches"][0]["form"] == "flip"
    assert _open(client, platform["key"], "upload-1")["reference"] == first["reference"]
    bad = client.post(
        "/api/v1/review/cases",
        json={"content": {"content_id": "x", "media_path": "../../etc/passwd"},
              "matches": [{"bank": "b", "entry_id": 1, "distance": 1}]},
        headers=auth,
    )  # fmt: skip
    assert bad.status_code == 400 and "media root" in bad.json()["error"]["message"]
    listed = client.get("/api/v1/review/cases", headers=auth).json()
    assert listed["total"] == 1 and listed["cases"][0]["reference"] == first["reference"]
    preview = client.get(f"/api/v1/review/cases/{first['reference']}/preview", headers=auth)
    assert preview.headers["content-type"] == "image/png"
    assert preview.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(preview.content)).mode == "L"
    second = _open(client, platform["key"], "upload-2")
    bulk = client.post(
        "/api/v1/review/decisions",
        json={"decision": "confirm", "cases": [first["reference"], "RC-NOSUCH00"]},
        headers=auth,
    )
    assert bulk.status_code == 400 and "nothing was decided" in bulk.json()["error"]["message"]
    with sessions() as session:
        assert session.execute(select(Case.status)).scalars().all() == [CaseStatus.open] * 2
    bulk = client.post(
        "/api/v1/review/decisions",
        json={"decision": "escalate", "cases": [first["reference"], second["reference"]]},
        headers=auth,
    )
    assert bulk.status_code == 200 and set(bulk.json()["status"].values()) == {"escalated"}
    taken = client.post(f"/api/v1/review/cases/{first['reference']}/take", headers=auth)
    assert taken.status_code == 200 and taken.json()["assignee"].startswith("api_key:")
    one = client.post(
        f"/api/v1/review/cases/{first['reference']}/decision",
        json={"decision": "confirm", "reason": "listed picture"},
        headers=auth,
    )
    assert one.json()["status"] == "confirmed"
    again = client.post(
        f"/api/v1/review/cases/{first['reference']}/decision",
        json={"decision": "confirm"},
        headers=auth,
    )
    assert again.status_code == 409
    assert _count(sessions, EventType.CASE_DECIDED) == 3


def test_the_pages_queue_case_reveal_decide_and_rules(
    client: TestClient, platform: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    case = _open(client, platform["key"], "upload-1")["reference"]
    log_in(client, "rev-1")
    queue = client.get("/review")
    assert queue.status_code == 200 and case in queue.text
    assert 'data-testid="tab-count-undecided">1<' in queue.text
    assert 'href="/review"' in client.get("/dashboard").text  # the navigation's entry
    page = client.get(f"/review/cases/{case}")
    assert page.headers["cache-control"] == "no-store"
    assert f'src="/review/cases/{case}/preview"' in page.text
    assert "baseline-nl" in page.text and "A1" in page.text
    csrf = csrf_from_page(client, f"/review/cases/{case}")
    revealed = client.post(
        f"/review/cases/{case}/reveal", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert revealed.status_code == 200 and 'data-testid="media-revealed"' in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    assert _count(sessions, EventType.CASE_MEDIA_REVEALED) == 1
    # A decision refused shows the error on the page, with what was typed.
    wrong = client.post(
        f"/review/cases/{case}/decision",
        data={"csrf_token": csrf, "decision": "maybe", "reason": "hm"},
    )
    assert (
        wrong.status_code == 400
        and 'data-testid="form-errors"' in wrong.text
        and ">hm<" in wrong.text
    )
    unchosen = client.post(f"/review/cases/{case}/decision", data={"csrf_token": csrf})
    assert unchosen.status_code == 400 and 'data-testid="form-errors"' in unchosen.text
    done = client.post(
        f"/review/cases/{case}/decision", data={"csrf_token": csrf, "decision": "confirm"}
    )
    assert done.status_code == 303
    assert "Confirmed" in client.get(f"/review/cases/{case}").text
    # Bulk: a decided case among the chosen ones refuses all, on the queue page.
    other = _open(client, platform["key"], "upload-2")["reference"]
    refused = client.post(
        "/review/decisions",
        data={"csrf_token": csrf, "cases": [case, other], "decision": "escalate"},
    )
    assert refused.status_code == 400 and "Nothing was decided" in refused.text
    nothing = client.post("/review/decisions", data={"csrf_token": csrf, "decision": "escalate"})
    assert nothing.status_code == 400 and "Choose at least one case" in nothing.text
    ok = client.post(
        "/review/decisions",
        data={
            "csrf_token": csrf,
            "cases": [other],
            "decision": "escalate",
            "back": "/review?bank=x",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/review?bank=x"
    # Rules: the reviewer reads them; the administrator adds one.
    assert client.get("/review/rules").status_code == 200
    assert client.post("/review/rules", data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    csrf = log_in(client, "admin-1")
    csrf = csrf_from_page(client, "/review/rules")
    bad = client.post(
        "/review/rules",
        data={"csrf_token": csrf, "bank": "Bad Name", "max_distance": "x", "action": "remove"},
    )
    assert bad.status_code == 400 and "Bad Name" in bad.text
    added = client.post(
        "/review/rules",
        data={"csrf_token": csrf, "bank": "*", "max_distance": "10", "action": "remove"},
    )
    assert added.status_code == 303
    third = _open(client, platform["key"], "upload-3")
    assert third["effects"][0]["outcome"] == "no_hook"
    rule_id = third["effects"][0]["rule_id"]
    off = client.post(f"/review/rules/{rule_id}/enabled", data={"csrf_token": csrf, "enabled": "0"})
    assert off.status_code == 303
    assert _open(client, platform["key"], "upload-4")["effects"] == []
    # Another platform's reviewer sees none of it.
    client.cookies.clear()
    log_in(client, "rev-other")
    assert client.get(f"/review/cases/{case}").status_code == 404
    assert case not in client.get("/review").text
    assert re.search(r'tab-count-undecided">0<', client.get("/review").text)
