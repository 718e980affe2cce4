"""Issue 16 as a new user tries it, in real Chromium on the demo (SQLite and PostgreSQL):

the NL government's editor drafts NL's commitments for this year under the four policy
targets and submits them; the secretariat publishes them; an anonymous visitor reads them
from NL's profile, the published legal matrix with its gap report, and the library
filtered by "self-generated imagery"; the GB editor marks an NL campaign as adopted; NL's
capability self-assessment is NL's alone, and the secretariat sees only the anonymised
distribution.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.conftest import log_in, nav_to

pytestmark = pytest.mark.browser

YEAR = datetime.now(UTC).year
CAMPAIGN = "Your picture, your choice"


def _notice(page: Any) -> str:
    return str(page.get_by_test_id("notice").inner_text())


def test_countries_walkthrough(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server

    # The NL editor writes this year's commitments under the four targets and submits them.
    log_in(page, base, "nl-editor")
    nav_to(page, "Commitments")
    page.get_by_test_id("own-commitments").click()
    page.wait_for_url(re.compile(rf".*/commitments/NL/{YEAR}$"))
    for target in (1, 2, 3, 4):
        page.get_by_test_id(f"edit-{target}").click()
        form = page.get_by_test_id("commitment-form")
        form.locator("[name=committed]").fill(
            f"- Walkthrough action for target {target} [[ga2012.goal.{target}]] "
            "<script>alert(1)</script> [x](javascript:alert(1))"
        )
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "saved as version" in _notice(page)
        with page.expect_navigation():
            page.get_by_test_id(f"submit-{target}").locator("button").click()
        assert "submitted" in _notice(page)
    assert page.locator("main script").count() == 0

    # NL's self-assessment: start this year from last year's, move one capability up.
    nav_to(page, "Self-assessment")
    page.wait_for_url(re.compile(r".*/capabilities$"))
    assert f"Capability self-assessment of Netherlands, {YEAR}" in page.title()
    with page.expect_navigation():
        page.get_by_test_id("start-from").locator("button").click()
    assert "capabilities copied" in _notice(page)
    form = page.get_by_test_id("assessment-form")
    form.locator('[name="links.mnr2015.cap.12"]').fill("javascript:alert(1)")
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()
    assert "is not a web address" in page.get_by_test_id("form-errors").inner_text()
    form = page.get_by_test_id("assessment-form")
    assert form.locator('[name="links.mnr2015.cap.12"]').input_value() == "javascript:alert(1)"
    form.locator('[name="links.mnr2015.cap.12"]').fill("https://nl-government.example.test/hotline")
    form.locator('[name="phase.mnr2015.cap.12"]').select_option("4")
    form.locator('[name="evidence.mnr2015.cap.12"]').fill("Walkthrough: reports answered in a day.")
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()
    assert "1 capability changed" in _notice(page)
    assert page.locator('[name="phase.mnr2015.cap.12"]').input_value() == "4"
    own_url = page.url

    # The secretariat publishes NL's commitments; it cannot open NL's self-assessment and
    # sees only the alliance-wide distribution, with no country named.
    log_in(page, base, "secretariat")
    nav_to(page, "To publish")
    rows = page.locator("[data-testid=submitted] tbody tr", has_text="Netherlands")
    assert rows.count() == 4
    rows.first.locator("a").click()
    for target in (1, 2, 3, 4):
        with page.expect_navigation():
            page.get_by_test_id(f"publish-{target}").locator("button").click()
        assert "published" in _notice(page)
    response = page.goto(f"{base}/capabilities/NL/{YEAR}")
    assert response is not None and response.status == 403
    assert "its own government's editors only" in page.locator("main").inner_text()
    nav_to(page, "Capabilities across the alliance")
    table = page.get_by_test_id("distribution")
    assert table.locator("tbody tr").count() > 21
    assert "Netherlands" not in table.inner_text()
    assert page.locator("[title='fewer than 5']").count() > 0  # small counts hidden
    assert page.get_by_test_id("own-assessment").count() == 0

    # An anonymous visitor: NL's profile, its published commitments, the legal matrix
    # with its gap report, and the library filtered by self-generated imagery.
    log_in(page, base, None)
    page.goto(f"{base}/countries")
    page.get_by_test_id("countries").locator("a", has_text="Netherlands").first.click()
    page.wait_for_url(re.compile(r".*/countries/NL$"))
    assert "is private to it" in page.get_by_test_id("profile-capabilities").inner_text()
    page.get_by_test_id("profile-commitments").locator("a", has_text=str(YEAR)).click()
    for target in (1, 2, 3, 4):
        card = page.get_by_test_id(f"target-{target}")
        assert f"Walkthrough action for target {target}" in card.inner_text()
        assert "Published" in card.inner_text()
    # Markdown is rendered inert: HTML shown as text, no script, no javascript: link.
    assert "<script>alert(1)</script>" in page.locator("main").inner_text()
    assert page.locator("main script").count() == 0
    assert page.locator("main a[href^='javascript']").count() == 0
    page.goto(f"{base}/legal")
    assert page.locator("[data-testid=legal-matrix] tbody tr").count() == 48
    assert "sufficient" in page.locator("[data-testid=gap-summary]").inner_text().lower()
    page.goto(f"{base}/library")
    filters = page.get_by_test_id("library-filters")
    filters.locator("[name=tag]").select_option(label="Self-generated imagery")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*[?&]tag=self_generated.*"))
    assert page.locator("[data-testid=library-table] tbody a", has_text=CAMPAIGN).count() == 1

    # The GB editor marks NL's campaign as adopted.
    log_in(page, base, "gb-editor")
    nav_to(page, "Library")
    page.locator("[data-testid=library-table] tbody a", has_text=CAMPAIGN).click()
    adopt = page.get_by_test_id("adopt-form")
    adopt.locator("[name=notes]").fill("Walkthrough: run in UK schools from January.")
    with page.expect_navigation():
        adopt.locator("button[type=submit]").click()
    assert "adopted" in _notice(page).lower()
    assert "Walkthrough: run in UK schools" in page.get_by_test_id("adoptions").inner_text()
    # GB's editor does not open NL's self-assessment either.
    response = page.goto(own_url)
    assert response is not None and response.status == 403

    # NL's editor still sees its own, and the distribution with its own phases beside it.
    log_in(page, base, "nl-editor")
    page.goto(own_url)
    assert page.locator('[name="phase.mnr2015.cap.12"]').input_value() == "4"
    nav_to(page, "Capabilities across the alliance")
    assert "Netherlands" in page.get_by_test_id("own-assessment").inner_text()
