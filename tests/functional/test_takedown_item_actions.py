"""Members' report page, an LEA clearing an item for notice, and a re-check on request."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.permissions import Role
from alliance.db.base import utcnow
from alliance.takedown import assessment
from alliance.takedown.models import ActionKind, Classification, ContentItem, ScheduledAction
from alliance.takedown.schemas import AssessmentIn
from tests import factories
from tests.functional.conftest import World, log_in
from tests.functional.test_takedown_pages import _routed_item


def test_member_reports_as_its_organisation(client: TestClient, world: World) -> None:
    token = log_in(client, world.usernames[Role.analyst])
    assert client.get("/reports/new").status_code == 200
    bad = client.post(
        "/reports/new",
        data={"urls": "http://ok.example.test/a\njavascript:alert(1)", "csrf_token": token},
    )
    assert bad.status_code == 400 and "nothing was saved" in bad.text
    good = client.post(
        "/reports/new",
        data={
            "urls": "http://ok.example.test/a\nhttp://ok.example.test/b",
            "hashes": "sha256:" + "cd" * 32,
            "csrf_token": token,
        },
    )
    assert good.status_code == 200 and good.text.count("new item") == 2


def test_lea_clears_and_analyst_asks_for_a_recheck(
    app: FastAPI, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reference = _routed_item(app, sessions, "http://photos.example.test/held.png")
    settings = app.state.alliance.settings
    with sessions.begin() as session:
        assessment.claim_item(session, factories.OPERATOR, reference, settings)
        assessment.assess_item(
            session,
            factories.OPERATOR,
            reference,
            AssessmentIn(classification=Classification.baseline),
            settings,
        )
    token = log_in(client, world.usernames[Role.investigator])
    page = client.get(f"/items/{reference}")
    assert 'data-testid="clear-for-notice"' in page.text
    cleared = client.post(f"/items/{reference}/clear", data={"csrf_token": token})
    assert cleared.status_code == 303
    with sessions() as session:
        item = session.execute(
            select(ContentItem).where(ContentItem.reference == reference)
        ).scalar_one()
        assert item.lea_window_ends_at is not None and item.lea_window_ends_at <= utcnow()

    client.cookies.clear()
    token = log_in(client, world.usernames[Role.analyst])
    page = client.get(f"/items/{reference}")
    assert 'data-testid="recheck-now"' in page.text
    assert 'data-testid="clear-for-notice"' not in page.text
    asked = client.post(f"/items/{reference}/recheck", data={"csrf_token": token})
    assert asked.status_code == 303
    with sessions() as session:
        keys = session.execute(
            select(ScheduledAction.key).where(ScheduledAction.kind == ActionKind.recheck)
        ).scalars()
        assert any(":asked:" in key for key in keys)
