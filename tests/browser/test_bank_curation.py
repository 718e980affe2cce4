"""In a real browser: a platform reviewer copies a full hash from a bank, matches a picture
by uploading it, and confirms the match (issue 15, part 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import log_in, nav_to

pytestmark = pytest.mark.browser


def test_copy_a_full_hash(live_server: str, browser_page: Any) -> None:
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "nl-reviewer")
    page.goto(f"{live_server}/banks/baseline-demo?type=pdq&sort=id")
    row = page.locator("[data-testid=entry-row]").first
    full = row.locator("[data-testid=full-hash]").inner_text().strip()
    assert len(full) == 64
    button = row.locator("button.copy")
    button.click()
    page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == full

    # Without the clipboard API (an older browser, a page not served securely): the hash
    # is selected, for the user to copy.
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.reload()
    row = page.locator("[data-testid=entry-row]").first
    row.locator("button.copy").click()
    assert page.evaluate("window.getSelection().toString()").strip() == full
    assert row.locator("button.copy").inner_text() in ("Copied", "Selected: press Ctrl+C")
    assert errors == []


def test_match_a_picture_by_upload_and_confirm(
    live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    from alliance.demo import media
    from alliance.demo.world import BANKED, DEFAULT_SEED

    picture = tmp_path / "photo.jpg"
    picture.write_bytes(media.jpeg(media.picture(DEFAULT_SEED * 100 + BANKED[0])))
    page = browser_page
    log_in(page, live_server, "nl-reviewer")
    nav_to(page, "Match")
    page.wait_for_url(f"{live_server}/match")
    page.set_input_files("input[name=file]", str(picture))
    page.click("text=Match this file")
    table = page.locator("[data-testid=match-results]")
    table.wait_for()
    assert "Results for photo.jpg" in page.locator("main").inner_text()
    row = page.locator("[data-testid=match-row]", has_text="baseline-demo").first
    row.locator("button", has_text="Confirm").click()
    done = row.locator("[data-testid=feedback-done]")
    done.wait_for()
    assert "confirmed: entry" in done.inner_text()
