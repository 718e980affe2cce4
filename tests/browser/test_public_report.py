"""In a real browser: the public report form solves its proof of work and sends the report."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def light_proof_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live server reads its settings from the environment; keep the work small."""
    monkeypatch.setenv("ALLIANCE_PROOF_OF_WORK_BITS", "8")


def test_public_report_from_the_login_page(live_server: str, browser_page: Any) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server}/login")
    page.click("text=public report form")
    page.wait_for_url(f"{live_server}/report")
    assert page.locator("input[name=nonce]").input_value() == ""
    page.fill("input[name=url]", "https://photos.example.test/browser/1.jpg")
    page.fill("textarea[name=description]", "found while browsing a forum")
    page.wait_for_selector("form#public-report[data-ready=true]")  # report.js attached
    page.click("button[type=submit]")
    page.wait_for_selector(
        "[data-testid=report-reference], [data-testid=report-error]", timeout=30_000
    )
    body = page.locator("main").inner_text()
    reference = page.locator("[data-testid=report-reference]")
    assert reference.count() == 1, body
    assert re.fullmatch(r"R-[0-9A-Z]{8}", reference.inner_text())
    assert "Thank you" in body and "I-" not in body
    assert not errors, errors  # no CSP violations or script errors
