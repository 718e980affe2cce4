"""Commitments end to end: the API and the pages, as the NL editor, another country's
editor, the secretariat, another member and an anonymous visitor."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit.models import AuditEvent
from alliance.countries import register
from alliance.countries.schemas import MemberCountryIn
from tests import factories
from tests.functional.conftest import World, log_in

API = "/api/v1/countries/NL/commitments/2026/1"
HOSTILE = "- <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"


@pytest.fixture
def members(world: World, sessions: sessionmaker[Session]) -> dict[str, str]:
    """NL and GB registered; a GB government with an editor (user and key)."""
    with sessions.begin() as session:
        for code in ("NL", "GB"):
            register.add_country(
                session, factories.OPERATOR, MemberCountryIn(code=code, joined_on=date(2012, 12, 5))
            )
        gb = factories.organisation(session, OrgKind.government, "GB", slug="gb-gov")
        factories.user(session, gb, Role.country_editor, username="gb-editor")
        _, gb_key = factories.api_key(session, gb, Role.country_editor)
    return {"gb_key": gb_key}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_workflow_locking_and_who_reads_what(
    client: TestClient, world: World, members: dict[str, str]
) -> None:
    editor, secretariat = world.keys[Role.country_editor], world.keys[Role.secretariat_admin]
    other = world.keys[Role.analyst]
    body = {"version": 0, "baseline": "- hotline [[mnr2015.cap.12]]", "committed": HOSTILE}
    saved = client.put(API, json=body, headers=bearer(editor))
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "draft" and saved.json()["version"] == 1
    refs = saved.json()["text"]["references"]
    assert refs == [
        {"section": "baseline", "action": 1, "kind": "framework", "ref": "mnr2015.cap.12"}
    ]
    # A stale edit: 409, nothing written.
    stale = client.put(API, json={**body, "baseline": "mine"}, headers=bearer(editor))
    assert stale.status_code == 409
    assert (
        client.get(API, headers=bearer(editor)).json()["text"]["baseline"].startswith("- hotline")
    )
    # Another country's editor: 403; an unknown framework item: 400 naming the field.
    assert (
        client.put(API, json={**body, "version": 1}, headers=bearer(members["gb_key"])).status_code
        == 403
    )
    bad = client.put(
        API,
        json={**body, "version": 1, "committed": "- [[mnr2015.cap.99]]"},
        headers=bearer(editor),
    )
    assert bad.status_code == 400 and "mnr2015.cap.99" in bad.text
    # Not published: other members do not see it.
    assert client.get(API, headers=bearer(other)).status_code == 404
    assert client.get(f"{API}/versions", headers=bearer(secretariat)).status_code == 200
    assert client.post(f"{API}/publish", json={}, headers=bearer(secretariat)).status_code == 409
    assert (
        client.post(f"{API}/submit", json={"version": 1}, headers=bearer(editor)).status_code == 200
    )
    waiting = client.get("/api/v1/commitments/submitted", headers=bearer(secretariat)).json()
    assert [(w["country"], w["target_number"]) for w in waiting] == [("NL", 1)]
    returned = client.post(
        f"{API}/return", json={"reason": "Name the agency"}, headers=bearer(secretariat)
    )
    assert returned.json()["returned_reason"] == "Name the agency"
    client.post(f"{API}/submit", json={}, headers=bearer(editor))
    published = client.post(f"{API}/publish", json={"version": 1}, headers=bearer(secretariat))
    assert published.json()["status"] == "published"
    seen = client.get(API, headers=bearer(other)).json()
    assert seen["text"]["number"] == 1 and seen["returned_reason"] is None
    assert client.get(f"{API}/versions", headers=bearer(other)).status_code == 403
    listed = client.get("/api/v1/countries/NL/commitments", headers=bearer(other)).json()
    assert [c["cycle"] for c in listed] == [2026]


def test_pages_edit_conflict_publish_and_the_public_page(
    client: TestClient, world: World, members: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    csrf = log_in(client, world.usernames[Role.country_editor])
    page = client.get("/commitments/NL/2026")
    assert page.status_code == 200 and "Identify and protect victims" in page.text
    form = client.get("/commitments/NL/2026/1/edit")
    assert form.status_code == 200 and 'name="version" value="0"' in form.text
    done = client.post(
        "/commitments/NL/2026/1/edit",
        data={"csrf_token": csrf, "version": "0", "baseline": HOSTILE, "committed": "- first"},
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "saved as version 1" in shown.text
    assert "<script>alert" not in shown.text and "&lt;script&gt;" in shown.text
    assert 'href="javascript' not in shown.text and "<img" not in shown.text
    # A second save, then a stale one: 409, the text typed kept, the current one shown.
    client.post(
        "/commitments/NL/2026/1/edit",
        data={"csrf_token": csrf, "version": "1", "baseline": "second", "committed": ""},
    )
    stale = client.post(
        "/commitments/NL/2026/1/edit",
        data={"csrf_token": csrf, "version": "1", "baseline": "my lost words", "committed": ""},
    )
    assert stale.status_code == 409
    assert "my lost words" in stale.text and 'data-testid="conflict"' in stale.text
    assert 'name="version" value="2"' in stale.text
    # Bad reference: 400 with the message beside the field, the text kept.
    bad = client.post(
        "/commitments/NL/2026/1/edit",
        data={"csrf_token": csrf, "version": "2", "progress": "- [[ga2012.goal.99]]"},
    )
    assert bad.status_code == 400 and 'id="f-progress-error"' in bad.text
    history = client.get("/commitments/NL/2026/1/history")
    assert history.status_code == 200 and "diff-added" in history.text
    submitted = client.post(
        "/commitments/NL/2026/1/submit", data={"csrf_token": csrf, "version": "2"}
    )
    assert submitted.status_code == 303
    # The secretariat publishes.
    client.cookies.clear()
    csrf = log_in(client, world.usernames[Role.secretariat_admin])
    assert (
        "NL" in client.get("/commitments/submitted").text
        or "Netherlands" in client.get("/commitments/submitted").text
    )
    empty = client.post("/commitments/NL/2026/1/return", data={"csrf_token": csrf, "reason": ""})
    assert empty.status_code == 400 and "say why" in empty.text
    published = client.post(
        "/commitments/NL/2026/1/publish", data={"csrf_token": csrf, "version": "2"}
    )
    assert published.status_code == 303
    assert "published" in client.get(published.headers["location"]).text
    # Anonymous: the public page, no login.
    client.cookies.clear()
    public = client.get("/countries/NL/commitments/2026")
    assert public.status_code == 200 and "second" in public.text
    assert client.get("/countries/NL/commitments").status_code == 200
    assert client.get("/countries/FR/commitments/2026").status_code == 404
    assert client.get("/commitments/NL/2026").status_code == 303  # members' page: log in
    with sessions() as session:
        kinds = (
            session.execute(
                select(AuditEvent.event_type).where(AuditEvent.subject_type == "commitment")
            )
            .scalars()
            .all()
        )
    assert sorted(set(kinds)) == [
        "commitment:published",
        "commitment:saved",
        "commitment:submitted",
    ]


def test_another_countrys_editor_is_refused_on_pages(
    client: TestClient, world: World, members: dict[str, str]
) -> None:
    csrf = log_in(client, "gb-editor")
    assert client.get("/commitments/NL/2026/1/edit").status_code == 403
    refused = client.post(
        "/commitments/NL/2026/1/edit", data={"csrf_token": csrf, "version": "0", "baseline": "x"}
    )
    assert refused.status_code == 403
    assert client.get("/commitments/GB/2026/1/edit").status_code == 200
    index = client.get("/commitments")
    assert index.status_code == 200 and 'data-testid="own-commitments"' in index.text
    assert re.search(r"Countries", client.get("/commitments/GB/2026").text)
