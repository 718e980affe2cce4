"""In a real browser: a platform's reviewer confirms a case and files its reports from the
case page — NCMEC's CyberTipline and the DSA Transparency Database (their stand-ins on
127.0.0.1, started by the test) and the police of the uploader's country through the
alliance (the server is the hub) — with a bad line of addresses said beside its field and
a stand-in failing mid-way said on the page, then closes the case (issue 20).

The server is `alliance serve` on a database of the test's own: one platform, its
reviewer, the Dutch police, one open case whose file is a generated picture under the
platform's media root."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alliance.accounts.permissions import OrgKind, Role
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from alliance.demo.cybertipline import StandInCyberTipline
from alliance.demo.dsa_database import StandInTransparencyDatabase
from alliance.industry.models import IndustryReport
from alliance.review import cases
from alliance.review.models import Case, CaseStatus
from alliance.review.schemas import CaseMatch, ContentRef
from alliance.settings import load_settings
from tests import factories
from tests.support.server import free_port, live_serve
from tests.unit.review.conftest import picture

pytestmark = pytest.mark.browser

TOKEN = "browser-dsa-token-not-a-secret"
ADDRESSES = "203.0.113.5@2026-12-07T10:41:09Z@upload\n192.0.2.7@2026-12-06T08:00:00+01:00@login"


@dataclass
class Server:
    base: str
    db_url: str
    reference: str
    ncmec: StandInCyberTipline
    tdb: StandInTransparencyDatabase


@pytest.fixture
def reports_server(databases: Any, tmp_path: Path) -> Iterator[Server]:
    url = databases.new_url()
    engine = create_db_engine(url)
    upgrade(engine)
    media = tmp_path / "media"
    picture(media / "uploads" / "u1.png", seed=5)
    settings = load_settings(data_dir=tmp_path / "var", review_media_root=media)
    with make_session_factory(engine).begin() as session:
        org = factories.organisation(session, OrgKind.industry, "US", slug="photos-platform")
        factories.user(session, org, Role.reviewer, username="cr-reviewer")
        factories.organisation(session, OrgKind.law_enforcement, "NL", slug="nl-police")
        uploader = factories.principal(factories.user(session, org, Role.reviewer))
        case = cases.open_case(
            session,
            uploader,
            ContentRef(content_id="upload-1", media_path="uploads/u1.png"),
            [CaseMatch(bank="baseline-nl", entry_id=7, category="A1", distance=5)],
            settings=settings,
        )
        reference = case.reference
    engine.dispose()
    token = tmp_path / "dsa-token"
    token.write_text(TOKEN)
    with StandInCyberTipline() as ncmec, StandInTransparencyDatabase(TOKEN) as tdb:
        env = {
            **os.environ,
            "ALLIANCE_DATABASE_URL": url,
            "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
            "ALLIANCE_MODE": "development",
            "ALLIANCE_REVIEW_MEDIA_ROOT": str(media),
            "ALLIANCE_SERVE_WORKER": "false",
            "ALLIANCE_SMTP_PORT": str(free_port()),
            "ALLIANCE_CYBERTIPLINE_URL": ncmec.base_url,
            "ALLIANCE_CYBERTIPLINE_USERNAME": ncmec.username,
            "ALLIANCE_CYBERTIPLINE_PASSWORD": ncmec.password,
            "ALLIANCE_CYBERTIPLINE_REPORTER_FIRST_NAME": "Ada",
            "ALLIANCE_CYBERTIPLINE_REPORTER_LAST_NAME": "Reviewer",
            "ALLIANCE_CYBERTIPLINE_REPORTER_EMAIL": "safety@example.test",
            "ALLIANCE_DSA_URL": tdb.url,
            "ALLIANCE_DSA_TOKEN_FILE": str(token),
            "ALLIANCE_DSA_COMPLAINT": "https://photos.example.test/appeals",
        }
        with live_serve(env, tmp_path / "serve.log", start_seconds=30) as base:
            yield Server(base, url, reference, ncmec, tdb)


def _stage(page: Any, kind: str) -> str:
    found = page.locator(f"[data-testid=report-{kind}] [data-testid=report-state]")
    return str(found.get_attribute("data-stage"))


def _click(page: Any, button: Any) -> None:
    """Click a form's button and wait for the page the server answers (a report may take
    seconds: its stand-in's retries), not for the first navigation event."""
    from playwright.sync_api import Error as PlaywrightError

    old = page.locator("main").element_handle()
    button.click()
    # The page the server answers has replaced this one: its main is gone (or detached).
    with contextlib.suppress(PlaywrightError):
        old.wait_for_element_state("hidden", timeout=60_000)
    page.wait_for_load_state()


def _submit(page: Any, form: str) -> None:
    _click(page, page.locator(f"[data-testid={form}] button[type=submit]").first)


def test_confirm_a_case_and_file_its_reports_from_the_case_page(
    reports_server: Server, browser_page: Any
) -> None:
    server, page = reports_server, browser_page
    base, reference = server.base, server.reference
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "cr-reviewer")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    page.goto(f"{base}/review/cases/{reference}")
    assert page.locator("[data-testid=case-reports]").count() == 0  # not confirmed yet

    page.select_option("[data-testid=decide] select[name=decision]", "confirm")
    page.fill("[data-testid=decide] textarea[name=reason]", "the listed picture")
    _submit(page, "decide")
    assert page.locator("[data-testid=case-status]").inner_text() == "Confirmed"
    assert {_stage(page, k) for k in ("cybertipline", "dsa", "police")} == {"not_started"}

    # A line of addresses without its time: said beside the field, what was typed kept.
    form = page.locator("[data-testid=file-cybertipline]")
    form.locator("[name=account]").fill("user-1234")
    form.locator("[name=ip]").fill("203.0.113.5")
    form.locator("[name=country]").fill("NL")
    _submit(page, "file-cybertipline")
    error = page.locator("[data-testid=report-cybertipline] [data-testid=field-error]")
    assert "give IP@TIME" in error.inner_text()
    form = page.locator("[data-testid=file-cybertipline]")
    assert form.locator("[name=account]").input_value() == "user-1234"
    assert server.ncmec.calls == []

    # NCMEC's stand-in fails the upload on every try: the page says where it stopped.
    for _ in range(4):
        server.ncmec.fail("upload", "http_5xx")
    form.locator("[name=ip]").fill(ADDRESSES)
    _submit(page, "file-cybertipline")
    assert _stage(page, "cybertipline") == "stopped"
    state = page.locator("[data-testid=report-cybertipline] [data-testid=report-state]")
    assert "upload u1.png" in state.inner_text()
    _click(page, page.get_by_role("button", name="Close case"))
    assert (
        "stays open while a report has not finished"
        in page.locator("[data-testid=close-case] [data-testid=form-errors]").inner_text()
    )

    # Resumed: the same report, filed once.
    _click(page, page.get_by_role("button", name="Resume filing with the CyberTipline"))
    page.locator("[data-testid=notice]").wait_for()
    assert _stage(page, "cybertipline") == "done"
    [report] = server.ncmec.finished_reports()
    assert len(server.ncmec.reports) == 1 and report.report_id in page.inner_text("main")

    page.select_option("[data-testid=submit-dsa] select[name=account_action]", "suspended")
    _submit(page, "submit-dsa")
    assert _stage(page, "dsa") == "done" and list(server.tdb.stored) == [reference]

    # The police's form comes filled with the uploader the CyberTipline report named.
    police = page.locator("[data-testid=send-police]")
    assert police.locator("[name=account]").input_value() == "user-1234"
    police.locator("[name=note]").fill("Found at upload; account suspended.")
    _submit(page, "send-police")
    assert _stage(page, "police") == "done"
    assert "sent to the police of NL" in page.locator("[data-testid=report-police]").inner_text()

    _click(page, page.get_by_role("button", name="Close case"))
    page.locator("[data-testid=case-closed]").wait_for()
    assert page.locator("[data-testid=file-cybertipline], [data-testid=close-case]").count() == 0

    # On a phone the page fits its width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    engine = create_db_engine(server.db_url)
    try:
        with make_session_factory(engine)() as session:
            case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
            assert case.status is CaseStatus.closed
            sent = session.execute(select(IndustryReport)).scalar_one()
            assert (sent.case_reference, sent.country_code) == (reference, "NL")
    finally:
        engine.dispose()
