"""An industry report in the demo, in a real browser: the NL police open their inbox (the
case with a child possibly at risk first), open the report, accept it and record the
outcome; the reporting platform then reads that outcome through the API with its key."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from alliance.demo.world import DEFAULT_SEED, demo_key
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_open_the_inbox_accept_a_report_and_record_its_outcome(
    live_server: str, browser_page: Any
) -> None:
    page, base = browser_page, live_server
    log_in(page, base, "nl-investigator")
    # The menu counts the reports waiting for a decision.
    count = page.locator("nav.mainnav [data-testid=count-industry_reports]")
    assert (count.first.text_content() or "").startswith("3")
    page.goto(f"{base}/industry-inbox")
    rows = page.locator("[data-testid=industry-inbox] tbody tr")
    assert rows.count() == 3
    assert "Child possibly at risk" in rows.first.inner_text()  # the most urgent first

    rows.first.locator("a").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/industry-inbox/IR-[0-9A-Z]+$"))
    reference = page.url.rsplit("/", 1)[1]
    uploader = page.locator("[data-testid=uploader]").inner_text()
    assert "203.0.113.70" in uploader and "Netherlands" in uploader
    assert page.locator("[data-testid=priority]").inner_text().startswith("Child possibly at risk")

    page.click("[data-testid=accept-form] button[type=submit]")
    page.wait_for_url(f"{base}/industry-inbox/{reference}")
    assert f"Report {reference} accepted" in page.locator("[data-testid=notice]").inner_text()
    assert page.locator("[data-testid=accept-form]").count() == 0

    # An outcome must be chosen: the page says so beside the field and keeps the note.
    outcome = page.locator("[data-testid=outcome-form]")
    outcome.evaluate("form => form.setAttribute('novalidate', '')")
    outcome.locator("textarea[name=note]").fill("Thank you: the account holder was found.")
    outcome.locator("button[type=submit]").click()
    assert "choose an outcome" in page.locator("[data-testid=field-error]").inner_text()
    kept = page.locator("[data-testid=outcome-form] textarea[name=note]").input_value()
    assert kept == "Thank you: the account holder was found."
    page.select_option("[data-testid=outcome-form] select[name=outcome]", "investigation_opened")
    page.click("[data-testid=outcome-form] button[type=submit]")
    page.wait_for_url(f"{base}/industry-inbox/{reference}")
    assert "Outcome recorded" in page.locator("[data-testid=notice]").inner_text()
    assert "Investigation opened" in page.locator("[data-testid=outcome]").inner_text()

    # The platform (the demo's NL PhotoShare key) reads the outcome, and nothing more.
    key = demo_key(DEFAULT_SEED, "nl-photoshare-sync")
    seen = httpx.get(
        f"{base}/api/v1/industry-reports/{reference}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    ).json()
    assert (seen["status"], seen["outcome"], seen["country"]) == (
        "accepted",
        "investigation_opened",
        "NL",
    )
    assert seen["outcome_note"] == "Thank you: the account holder was found."
    assert "account_id" not in seen
