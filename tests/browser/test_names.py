"""In a real browser: pages name countries and organisations, never their ISO codes or
slugs (issue 15, "Words, not codes")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

ISO_CODE = re.compile(r"^[A-Z]{2}$")

#: The texts of a table's cells under the header ``header`` (the first such table).
COLUMN_JS = """([selector, header]) => {
  const table = document.querySelector(selector);
  if (!table) return null;
  const heads = [...table.querySelectorAll("thead tr:first-child th")]
    .map(th => th.innerText.trim());
  const at = heads.findIndex(h => h.replace(/[↑↓▲▼]/g, "").trim() === header);
  if (at < 0) return null;
  return [...table.querySelectorAll("tbody tr")]
    .filter(tr => tr.children.length === heads.length)
    .map(tr => tr.children[at].innerText.trim());
}"""


def _column(page: Any, selector: str, header: str) -> list[str]:
    found = page.evaluate(COLUMN_JS, [selector, header])
    assert found is not None, f"no column {header!r} in {selector} on {page.url}"
    return list(found)


def test_countries_and_owners_are_named(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server
    log_in(page, base, "secretariat")

    page.goto(f"{base}/items")
    countries = _column(page, "table.table", "Country")
    assert countries, "the demo world has items"
    assert not [c for c in countries if ISO_CODE.match(c)], countries
    options = page.locator("form[data-testid=item-filters] select[name=country] option")
    texts = [t.strip() for t in options.all_inner_texts()]
    assert len(texts) > 1 and not [t for t in texts if ISO_CODE.match(t)], texts

    page.goto(f"{base}/providers")
    seats = _column(page, "table.table", "Country")
    assert seats and not [c for c in seats if ISO_CODE.match(c)], seats
    options = page.locator("form[data-testid=provider-filters] select[name=country] option")
    texts = [t.strip() for t in options.all_inner_texts()]
    assert len(texts) > 1 and not [t for t in texts if ISO_CODE.match(t)], texts

    page.goto(f"{base}/metrics/takedown?group_by=country")
    groups = [g for g in _column(page, "table", "Hosting country") if g != "All"]
    assert not [g for g in groups if ISO_CODE.match(g)], groups

    page.goto(f"{base}/banks")
    owners = _column(page, "table", "Owner")
    assert owners and not [o for o in owners if re.fullmatch(r"[a-z0-9-]+", o)], owners
    page.locator("table tbody a").first.click()
    page.wait_for_selector("[data-testid=bank-owner]")
    owner = page.locator("[data-testid=bank-owner]").inner_text().strip()
    assert owner and not re.fullmatch(r"[a-z0-9-]+", owner), owner
    assert page.locator("dt", has_text=re.compile(r"^baseline$")).count() == 0
    page.locator("[data-testid=history-link]").click()
    page.wait_for_selector("[data-testid=history]")
    assert page.locator("[data-testid=history-row]").count() >= 1
