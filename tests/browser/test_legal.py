"""In a real browser, on the demo: an anonymous visitor reads the published legal matrix
and its gap report, labelled as demo data; the secretariat publishes NL's waiting review
from its menu, and the public then sees it (issue 16, part 4)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import demo_login, nav_to

pytestmark = pytest.mark.browser


def test_public_matrix_and_publishing(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server
    page.goto(f"{base}/legal")
    assert page.locator("[data-testid=legal-matrix] tbody tr").count() == 48
    assert "demo data, not a legal assessment" in page.locator("main").inner_text()
    summary = page.locator("[data-testid=gap-summary]").inner_text()
    assert re.search(r"\d+ of 48 reviewed member countries have sufficient law", summary)
    # Sorting by the OOSI total, highest first.
    page.locator("[data-testid=legal-matrix] thead a", has_text="OOSI 4.4").click()
    page.wait_for_url(re.compile(r".*sort=score$"))
    page.locator("[data-testid=legal-matrix] thead a", has_text="OOSI 4.4").click()
    page.wait_for_url(re.compile(r".*sort=-score$"))
    totals = [
        int(t.split("/")[0])
        for t in page.locator(
            "[data-testid=legal-matrix] tbody tr td:nth-child(5)"
        ).all_inner_texts()
    ]
    assert totals == sorted(totals, reverse=True)
    page.locator("[data-testid=legal-matrix] tbody a", has_text="Netherlands").click()
    page.wait_for_url(re.compile(r".*/legal/countries/NL$"))
    assert page.locator("[data-testid=review]").count() == 2
    assert page.locator("[data-testid=demo-label]").first.is_visible()

    user, password = demo_login("secretariat")
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    nav_to(page, "Legal reviews")
    page.locator("[data-testid=legal-history] tr[data-published=no] a").first.click()
    page.wait_for_url(re.compile(r".*/legal/reviews/\d+$"))
    page.locator("[data-testid=publish-form] button").click()
    assert "published" in page.locator("[data-testid=notice]").inner_text()

    page.context.clear_cookies()
    page.goto(f"{base}/legal/countries/NL")
    assert page.locator("[data-testid=review]").count() == 3
