"""In a real browser, on the demo: the NL government's editor drafts NL's commitments for
this year under the four policy targets and submits them; the secretariat publishes them;
an anonymous visitor reads them at the public address (issue 16, part 3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.conftest import demo_login, nav_to

pytestmark = pytest.mark.browser

CYCLE = datetime.now(UTC).year


def _log_in(page: Any, base: str, username: str) -> None:
    user, password = demo_login(username)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))


def _log_out(page: Any, base: str) -> None:
    page.context.clear_cookies()


def test_draft_submit_publish_read(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server
    _log_in(page, base, "nl-editor")
    nav_to(page, "Commitments")
    page.wait_for_url(re.compile(r".*/commitments$"))
    page.get_by_test_id("own-commitments").click()
    page.wait_for_url(re.compile(rf".*/commitments/NL/{CYCLE}$"))
    for target in (1, 2, 3, 4):
        page.get_by_test_id(f"edit-{target}").click()
        form = page.get_by_test_id("commitment-form")
        form.locator("[name=progress]").fill(
            f"- Done for target {target} [[indicator:demo.progress]] <script>alert(1)</script>"
        )
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "saved as version" in page.get_by_test_id("notice").inner_text()
        with page.expect_navigation():
            page.get_by_test_id(f"submit-{target}").locator("button").click()
        assert "submitted" in page.get_by_test_id("notice").inner_text()
    assert page.locator("script:has-text('alert(1)')").count() == 0

    _log_out(page, base)
    _log_in(page, base, "secretariat")
    nav_to(page, "To publish")
    page.wait_for_url(re.compile(r".*/commitments/submitted$"))
    rows = page.locator("[data-testid=submitted] tbody tr", has_text="Netherlands")
    assert rows.count() == 4
    rows.first.locator("a").click()
    for target in (1, 2, 3, 4):
        with page.expect_navigation():
            page.get_by_test_id(f"publish-{target}").locator("button").click()
        assert "published" in page.get_by_test_id("notice").inner_text()

    _log_out(page, base)
    page.goto(f"{base}/countries/NL/commitments/{CYCLE}")
    for target in (1, 2, 3, 4):
        card = page.get_by_test_id(f"target-{target}")
        assert f"Done for target {target}" in card.inner_text()
        assert "Published" in card.inner_text()
    assert "<script>alert(1)</script>" in page.locator("main").inner_text()  # shown as text
    assert page.locator("main script").count() == 0
