"""Victim identification in the demo, in a real browser, as an investigator would try it.

The NL investigator uploads a seizure's hash set, starts a series from its new files,
uploads a second seizure and sees which files are known, which are near-duplicates of the
series and which are new, records a victim of the series and marks it identified, and
finds the identification in this year's count on the KPI page. The hash sets are synthetic
(digests of short strings and made-up PDQ hashes): no picture is involved.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests import factories
from tests.browser.conftest import log_in, nav_to

pytestmark = pytest.mark.browser

SERIES_NAME = "Browser Kestrel"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - a synthetic file hash


def _jsonl(items: list[dict[str, str]]) -> bytes:
    return "".join(
        json.dumps({"path": f"f{n}.png", **i}) + "\n" for n, i in enumerate(items)
    ).encode()


def _upload(page: Any, base: str, data: bytes, case_reference: str) -> None:
    nav_to(page, "Seizures")
    page.wait_for_url(f"{base}/seizures")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "seizure.jsonl", "mimeType": "application/x-ndjson", "buffer": data}],
    )
    page.fill("input[name=case_reference]", case_reference)
    page.click("[data-testid=submit-seizure] button[type=submit]")
    page.wait_for_url(f"{base}/seizures/SZ-*")


def _totals(page: Any) -> dict[str, int]:
    return {
        name: int(page.locator(f"[data-testid=total-{name}]").inner_text())
        for name in ("items", "known", "near", "new")
    }


def _this_year(page: Any, base: str) -> int:
    nav_to(page, "Victim KPI")
    page.wait_for_url(f"{base}/victims/metrics")
    return int(page.locator("[data-testid=kpi-this-year]").inner_text())


def test_triage_series_identification_and_kpi(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    log_in(page, base, "nl-investigator")
    before = _this_year(page, base)

    # 1. A first seizure: three files nobody knows.
    first = [{"md5": _md5(f"browser-{n}"), "pdq": factories.pdq_hex(7000 + n)} for n in range(3)]
    _upload(page, base, _jsonl(first), "NL-BROWSER-1")
    assert _totals(page) == {"items": 3, "known": 0, "near": 0, "new": 3}
    assert page.locator("[data-testid=triage-proportion]").count() == 1

    # 2. Start a series from the new files.
    page.fill("[data-testid=start-series] input[name=name]", SERIES_NAME)
    page.click("[data-testid=start-series] button[type=submit]")
    page.wait_for_url(f"{base}/series/S-*")
    assert page.locator("[data-testid=series-media]").inner_text() == "3"
    series_url = page.url.split("?")[0]

    # 3. A second seizure: one file of the series, one edit of another, one new file.
    second = [
        {"md5": first[0]["md5"]},
        {"pdq": factories.flip_bits(first[1]["pdq"], 9)},
        {"md5": _md5("browser-unrelated"), "pdq": factories.pdq_hex(7999)},
    ]
    _upload(page, base, _jsonl(second), "NL-BROWSER-2")
    assert _totals(page) == {"items": 3, "known": 1, "near": 1, "new": 1}
    touched = page.locator("[data-testid=touched-series]").inner_text()
    assert SERIES_NAME in touched
    page.click("nav[aria-label='Filter by verdict'] >> text=Near-duplicate (1)")
    page.wait_for_url("**verdict=near**")
    assert "possible new material" in page.locator("[data-testid=triage-items]").inner_text()

    # 4. Record a victim of the series and mark it identified (today, by NL).
    page.goto(series_url)
    page.select_option("[data-testid=add-victim] select[name=age_group]", "pre_pubescent")
    page.click("[data-testid=add-victim] button[type=submit]")
    page.wait_for_selector("[data-testid=victim-status]")
    assert page.locator("[data-testid=victim-status]").inner_text() == "Unidentified"
    page.click("[data-testid=victims] form[data-testid^=identify-] button[type=submit]")
    page.wait_for_selector("[data-testid=notice]")
    assert "marked identified" in page.locator("[data-testid=notice]").inner_text()
    assert page.locator("[data-testid=victim-status]").inner_text() == "Identified"
    assert page.locator("[data-testid=series-victims]").inner_text() == "1 identified of 1"

    # 5. The KPI page counts it in this year.
    assert _this_year(page, base) == before + 1
    assert page.locator("[data-testid=victims-chart]").count() == 1
    target = page.locator("[data-testid=kpi-target]").inner_text()
    assert target.startswith("target +10 %") and ("met" in target or "no year before" in target)
    assert not errors, errors  # no CSP violations or script errors
