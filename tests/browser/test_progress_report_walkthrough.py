"""Issue 17 as a new user tries it, in real Chromium on the demo (SQLite and PostgreSQL):

the secretariat opens the alliance-wide progress report for last year and sees every
operational goal with figures and a trend; NL's report shows NL's own words beside its
computed figures; the PDF is a real document; the secretariat publishes NL's report, the
signed file verifies with the platform's public key (and a changed copy does not); an
anonymous visitor finds the published report from NL's profile and sees small cells
hidden, and cannot open a draft.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from alliance.errors import AllianceError
from alliance.reports import publication
from alliance.signing import load_public_key
from tests.browser.conftest import log_in, nav_to

pytestmark = pytest.mark.browser

LAST_YEAR = datetime.now(UTC).year - 1
GOALS = [f"ga2012.goal.{n}" for n in range(1, 8)]


def _build(page: Any, report: str, year: int) -> None:
    form = page.get_by_test_id("report-choice")
    form.locator("[name=country]").select_option(report)
    form.locator("[name=year]").fill(str(year))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _values(table: Any) -> list[str]:
    return [str(v) for v in table.get_by_test_id("value").all_inner_texts()]


def test_progress_report_walkthrough(live_server: str, browser_page: Any) -> None:
    page, base = browser_page, live_server

    # The secretariat: the alliance-wide report for last year, every goal with figures.
    log_in(page, base, "secretariat")
    nav_to(page, "Progress report")
    page.wait_for_url(re.compile(r".*/reports/progress"))
    _build(page, "", LAST_YEAR)
    assert page.title().startswith(f"The alliance's progress report {LAST_YEAR}")
    for goal in GOALS:
        table = page.get_by_test_id(f"goal-{goal}")
        values = _values(table)
        figures = [v for v in values if re.search(r"\d", v) and "fewer than" not in v]
        assert figures, (goal, values)
        # A trend over the years: a chart with a point per year that has a figure.
        assert table.locator("svg circle, svg polyline, svg rect").count() > 0, goal
    assert "no data" not in page.get_by_test_id("indicator-takedown.median_hours").inner_text()

    # NL's report: its words for each target beside its figures.
    _build(page, "NL", LAST_YEAR)
    assert page.title().startswith(f"Netherlands: progress report {LAST_YEAR}")
    narrative = page.get_by_test_id("narrative-1").inner_text()
    assert "Demo data: synthetic text" in narrative
    assert page.get_by_test_id("goal-ga2012.goal.1").is_visible()

    # The PDF is a document of several pages.
    pdf = page.request.get(f"{base}/reports/progress.pdf?year={LAST_YEAR}&country=NL")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    document_pdf = PdfReader(io.BytesIO(pdf.body()))
    assert len(document_pdf.pages) >= 3
    first_page = document_pdf.pages[0].extract_text()
    assert f"Netherlands: progress report {LAST_YEAR}" in first_page
    assert "Demo data: synthetic text" in "".join(p.extract_text() for p in document_pdf.pages)

    # Publish NL's report: the published page, frozen and signed.
    with page.expect_navigation():
        page.get_by_test_id("publish-form").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/reports/published/NL/{LAST_YEAR}$"))
    assert "Published and signed" in page.get_by_test_id("notice").inner_text()
    signed = page.request.get(f"{base}/reports/published/NL/{LAST_YEAR}.jsonl").body()
    keys = page.request.get(f"{base}/api/v1/keys").json()["keys"]
    key = load_public_key(keys[0]["public_key_pem"])
    verified = publication.verify(signed, key)
    assert verified.document["title"].startswith("Netherlands")
    first, rest = signed.split(b"\n", 1)
    document = json.loads(first)
    document["values"][0]["value"] = 999_999
    tampered = json.dumps(document, separators=(",", ":")).encode() + b"\n" + rest
    with pytest.raises(AllianceError):
        publication.verify(tampered, key)

    # An anonymous visitor: from NL's profile to the published report, small cells hidden.
    log_in(page, base, None)
    page.goto(f"{base}/countries/NL")
    reports = page.get_by_test_id("profile-reports")
    with page.expect_navigation():
        reports.get_by_role("link", name=str(LAST_YEAR)).click()
    assert page.get_by_test_id("published-basis").is_visible()
    shown = page.locator("main").inner_text()
    assert "fewer than 5" in shown
    # NL's published words for the year are part of the public report.
    assert "Demo data: synthetic text" in page.get_by_test_id("narrative-1").inner_text()
    # The public list names it too; a draft stays the government's and the secretariat's.
    page.goto(f"{base}/reports/published")
    assert page.get_by_test_id("published-reports").get_by_text("Netherlands").count() >= 1
    draft = page.request.get(f"{base}/reports/progress?country=NL&year={LAST_YEAR}")
    assert "/login?next=" in draft.url
    # Another country's government: NL's draft does not exist for it, and the page says so.
    log_in(page, base, "gb-editor")
    response = page.goto(f"{base}/reports/progress?country=NL&year={LAST_YEAR}")
    assert response is not None and response.status == 404
    assert "No such report" in page.get_by_test_id("form-errors").inner_text()
