"""The takedown metrics table in a real browser: it fits a 1,366 px laptop screen without
clipping or scrolling, and on a 390 px phone each row reads as a card of labelled figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _widths(page: Any) -> dict[str, float]:
    """The document's width and the metrics table's, against the main column's."""
    document = page.evaluate("() => document.documentElement.scrollWidth")
    table = page.locator("[data-testid=metrics]")
    box = table.evaluate(
        "t => ({right: t.getBoundingClientRect().right, scroll: t.scrollWidth,"
        " client: t.clientWidth})"
    )
    main = page.locator("main").evaluate(
        "m => m.getBoundingClientRect().right - parseFloat(getComputedStyle(m).paddingRight)"
    )
    return {"document": document, "main": main, **box}


def test_metrics_table_fits_a_laptop_and_a_phone(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, base, "secretariat")
    for group_by in ("country", "provider", "month"):
        page.goto(f"{base}/metrics/takedown?group_by={group_by}")
        page.locator("[data-testid=metrics] tr.total").wait_for()
        widths = _widths(page)
        assert widths["document"] <= 1366, (group_by, widths)
        # Not clipped: the whole table lies within the main column, nothing to scroll.
        assert widths["right"] <= widths["main"] + 1, (group_by, widths)
        assert widths["scroll"] <= widths["client"] + 1, (group_by, widths)
        headers = page.locator("[data-testid=metrics] thead").inner_text()
        assert "Received → removed" in headers and "Removed within" in headers

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/metrics/takedown?group_by=provider")
    total = page.locator("[data-testid=metrics] tr.total")
    total.wait_for()
    widths = _widths(page)
    assert widths["document"] <= 390, widths
    assert widths["right"] <= 390 and widths["scroll"] <= widths["client"] + 1, widths
    # Each figure is labelled beside it, since the header row is out of sight.
    assert total.locator("td[data-label='Items']").is_visible()
    label = total.locator("td[data-label='Items']").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Items"'
    # The header rows are kept for screen readers only, in a box of one pixel.
    thead = page.locator("[data-testid=metrics] thead").bounding_box()
    assert thead is not None and thead["height"] <= 1 and thead["width"] <= 1, thead
