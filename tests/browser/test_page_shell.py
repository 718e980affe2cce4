"""The page shell in a real browser: staff pages on a phone (390 px), the menus by keyboard,
the skip link, and the navigation without script."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in, nav_to

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _header_height(page: Any) -> float:
    height: float = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
    return height


def _overflow(page: Any) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    width: int = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def test_staff_pages_fit_a_phone(live_server: str, browser_page: Any) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "secretariat")
    for path in ("/dashboard", "/items", "/audit", "/metrics/takedown", "/users"):
        page.goto(f"{live_server}{path}")
        assert page.locator("h1").count() == 1
        # The header is a bar with the name and a Menu button, not half the screen.
        assert _header_height(page) <= 0.25 * PHONE["height"], path
        assert page.locator("nav.mainnav").is_hidden(), path
        assert _overflow(page) <= 0, f"{path} scrolls sideways by {_overflow(page)} px"

    # Wide tables scroll inside their container, not the page.
    page.goto(f"{live_server}/audit")
    table = page.locator("main table").first
    assert table.evaluate("t => t.scrollWidth") > PHONE["width"] - 40
    assert _overflow(page) <= 0

    # The Menu button opens the navigation; a menu opens the links of its task.
    button = page.locator("[data-testid=menu-button]")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert page.locator("nav.mainnav").is_visible()
    assert page.locator("[data-testid=whoami]").is_visible()
    nav_to(page, "Items")
    page.wait_for_url(f"{live_server}/items")
    # The new page starts folded again, and marks where the user is.
    assert page.locator("nav.mainnav").is_hidden()
    takedown = page.locator("nav.mainnav summary", has_text="Takedown")
    assert takedown.get_attribute("aria-current") == "true"
    items = page.locator("nav.mainnav a[href='/items']")
    assert items.get_attribute("aria-current") == "page"
    # Forms take the full width of the screen.
    field = page.locator("main form input:visible, main form select:visible").first
    box = field.bounding_box()
    assert box is not None and box["width"] >= PHONE["width"] * 0.7
    assert not errors, errors  # no CSP violations or script errors


def test_menus_and_skip_link_by_keyboard(live_server: str, browser_page: Any) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "nl-analyst")

    # The first Tab reaches the skip link, shown while it has the focus.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.url.endswith("#main")

    # Tab to the Takedown menu, open it with Enter, close it with Escape.
    page.goto(f"{live_server}/dashboard")
    takedown = page.locator("nav.mainnav summary", has_text="Takedown")
    for _ in range(10):
        page.keyboard.press("Tab")
        if takedown.evaluate("s => s === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Takedown menu")
    page.keyboard.press("Enter")
    menu = takedown.locator("xpath=..")
    assert menu.get_attribute("open") is not None
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/queue"
    page.keyboard.press("Escape")
    assert menu.get_attribute("open") is None
    assert takedown.evaluate("s => s === document.activeElement")

    # One menu at a time; a click elsewhere closes it.
    takedown.click()
    page.locator("nav.mainnav summary", has_text="Banks").click()
    assert page.locator("nav.mainnav details[open]").count() == 1
    page.locator("h1").click()
    assert page.locator("nav.mainnav details[open]").count() == 0

    # Enter on a link follows it.
    takedown.click()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/queue")
    assert not errors, errors


def test_navigation_without_script(live_server: str, browser_page: Any) -> None:
    """Without script the navigation stays open on a phone, and its menus still work."""
    browser = browser_page.context.browser
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        log_in(page, live_server, "nl-analyst")
        assert page.locator("nav.mainnav").is_visible()
        assert page.locator("[data-testid=menu-button]").is_hidden()
        page.locator("nav.mainnav summary", has_text="Takedown").click()
        page.locator("nav.mainnav a[href='/items']").click()
        page.wait_for_url(f"{live_server}/items")
        assert _overflow(page) <= 0
    finally:
        context.close()
