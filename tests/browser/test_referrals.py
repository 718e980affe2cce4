"""A referral in the demo, in a real browser: the NL police read the package of the
referral waiting for them — counts and full hashes — before deciding; declining asks first,
and a dismissed question leaves the referral undecided."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_read_the_package_then_decline_after_a_question(
    live_server: str, browser_page: Any
) -> None:
    page, base = browser_page, live_server
    log_in(page, base, "nl-investigator")
    page.goto(f"{base}/referrals?direction=incoming&status=pending")
    review = page.locator("[data-testid^=review-RF-]").first
    review.click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/referrals/RF-[0-9A-Z]+$"))
    reference = page.url.rsplit("/", 1)[1]
    package = page.locator("[data-testid=referral-package]").inner_text()
    assert "media records" in package and "in the package" in package
    hashes = page.locator("[data-testid=hash]")
    assert hashes.count() > 0
    assert re.fullmatch(r"[0-9a-f]{32,64}", hashes.first.inner_text())  # in full

    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.fill("[data-testid=decline-form] textarea[name=reason]", "not in our country")
    page.once("dialog", dismiss)
    page.click("[data-testid=decline-form] button[type=submit]")
    assert questions and questions[0].startswith(f"Decline referral {reference}")
    assert page.url.endswith(f"/referrals/{reference}")  # nothing sent
    assert page.locator("[data-testid=accept-form]").count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=decline-form] button[type=submit]")
    page.wait_for_url(f"{base}/referrals")
    notice = page.locator("[data-testid=notice]").inner_text()
    assert f"Referral {reference}" in notice and "declined" in notice
