"""The item page in a real browser (issue 15): the takedown state updates itself (htmx
polls its fragment; no inline script), and the case links to the report page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_WORKER_POLL_SECONDS", "0.5")


def test_notice_state_updates_without_a_reload(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "nl-investigator")
    # The demo's item waiting for the Dutch police's window.
    page.goto(f"{base}/items?q=/window/")
    page.locator("[data-testid=items] tbody a").first.click()
    page.wait_for_selector("[data-testid=takedown-state]")
    item_url = page.url
    assert page.locator("[data-testid=takedown-stage]").inner_text() == "Notice pending"
    page.evaluate("window.__notReloaded = true")

    # The case: the report that formed it, linked to its page.
    report = page.locator("[data-testid=item-report] h3 a").first
    reference = report.inner_text()
    assert reference.startswith("R-")

    # In another tab the police clear it; the worker sends the notice.
    other = page.context.new_page()
    other.goto(item_url)
    other.click("[data-testid=clear-for-notice]")
    other.wait_for_selector("[data-testid=notice]")
    assert "cleared for notice" in other.locator("[data-testid=notice]").inner_text()

    # The first tab shows it within a poll or two, without a reload.
    from playwright.sync_api import expect

    expect(page.locator("[data-testid=takedown-stage]")).to_have_text("Notified", timeout=45_000)
    assert page.evaluate("window.__notReloaded === true")
    assert "Sent" in page.locator("[data-testid=notices]").inner_text()

    report.click()
    page.wait_for_selector("[data-testid=report-case]")
    assert page.url.endswith(f"/reports/{reference}")
    assert "Demo report" in page.locator("[data-testid=report-description]").inner_text()
    assert not errors, errors
