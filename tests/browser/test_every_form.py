"""Every form of the interface, in a real browser: a bad value shows an error, a good one
a confirmation (issue 15, part 1).

:data:`CASES` holds one case per form. Two checks keep it whole:

- every POST route of the pages (alliance.web.pages.*) has a case or a stated exemption;
- crawling the demo as each role, every form found on a page is one of the cases.

A bad value is submitted with the browser's own checks switched off (``novalidate``):
what an old browser, a script or a tampered page sends must be answered by the server in
words, beside the field, with what the user typed kept. A form of buttons alone (claim,
revoke...) has no value to get wrong; its bad case is the stale page: the same form sent
again from a second tab after the first has done it.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, _chromium, demo_login, log_in
from tests.support.server import free_port, live_serve

pytestmark = pytest.mark.browser

ERROR = "[data-testid=form-errors], [data-testid=field-error], main [role=alert]"
NOTICE = "[data-testid=notice]"


@dataclass(frozen=True)
class File:
    name: str
    content: bytes
    mime: str = "application/octet-stream"


Value = str | File
#: Where a form is: a path, or a function of the page and base URL that opens it.
Where = str | Callable[[Any, str], str]


@dataclass(frozen=True)
class Case:
    id: str
    route: str  # the route's path template, e.g. "/holds/{hold}/renew"
    user: str | None  # demo username; None: not logged in
    where: Where
    form: str  # CSS selector of the form on that page
    bad: dict[str, Value] | None = None
    good: dict[str, Value] | None = None
    #: The bad case of a form of buttons: send it again from a stale second tab.
    stale: bool = False
    #: The bad case of a form of buttons whose value is the record in its address: the
    #: address with a record that does not exist (a tampered or outdated page).
    no_such: bool = False
    #: Wait for this before sending (e.g. the public form's proof of work).
    ready: str | None = None
    #: Why a form has no bad case (stated, never silent).
    no_bad: str | None = None
    method: str = "POST"
    button: str = "button[type=submit]"
    confirmed_by: str = NOTICE
    #: A bad value re-renders the form with the values typed (not an error page).
    keeps_form: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def first_link(list_path: str, link: str, query: str = "", nth: int = 0) -> Where:
    """The page of the first (or ``nth``) ``link`` on ``list_path`` (e.g. an item)."""

    def open_(page: Any, base: str) -> str:
        page.goto(base + list_path)
        href = page.locator(link).nth(nth).get_attribute("href")
        assert href, f"no {link} on {list_path}"
        return str(href) + query

    return open_


def _banked_picture() -> bytes:
    """A picture of the demo whose hashes the demo's banks hold (benign, generated)."""
    from alliance.demo import media
    from alliance.demo.world import BANKED, DEFAULT_SEED

    return media.jpeg(media.picture(DEFAULT_SEED * 100 + BANKED[0]))


def after_matching(page: Any, base: str) -> str:
    """The match page with the results of a demo picture that the demo's banks hold."""
    page.goto(base + "/match")
    form = page.locator("form[action='/match/file']")
    form.locator("[name=file]").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _banked_picture()}
    )
    form.locator("button[type=submit]").click()
    page.locator("form[action$='/feedback']").first.wait_for(state="attached")
    return ""


def appeal_for_a_listed_url(page: Any, base: str) -> str:
    """The public appeal form filled with a URL the demo lists and nobody appealed yet (as
    a provider's block page links to it), found with the demo platform's sync key."""
    from alliance.demo.world import DEFAULT_SEED, demo_key

    key = demo_key(DEFAULT_SEED, "nl-photoshare-sync")
    answer = page.request.get(
        base + "/api/v1/lists/urls?limit=1000", headers={"Authorization": f"Bearer {key}"}
    )
    listed = sorted(e["url"] for e in answer.json()["entries"])
    return "/appeal?" + urlencode({"url": listed[-1]})  # the demo's own appeal is on [0]


#: The demo's data folder (files to upload), set by the demo_server fixture.
DEMO: dict[str, Path] = {}


def _demo_file(value: File) -> File:
    """An empty File named like a demo file is that file's content."""
    if value.content:
        return value
    if value.name not in ("anchors.jsonl", "photo.jpg", "demo-seizure.jsonl"):
        return value
    if value.name == "anchors.jsonl":
        return File(value.name, DEMO["anchors"].read_bytes(), value.mime)
    if value.name == "photo.jpg":
        return File(value.name, _banked_picture(), "image/jpeg")
    return File(value.name, (DEMO["data"] / value.name).read_bytes(), value.mime)


#: Page routes that take a POST and have no form case, with the reason.
#: A complete review for the legal review form (the demo's member countries).
LEGAL_REVIEW: dict[str, Value] = {
    "country": "GB",
    "reviewed_on": "2026-12-01",
    "reviewed_by": "Every-form legal desk",
    **{f"status_{n}": "met" for n in range(5)},
    "score_0": "3",
    "score_1": "4",
    "score_2": "1",
}

EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/logout"): "no input; always succeeds and lands on the login page",
    ("POST", "/review/cases/{case}/cybertipline/withdraw"): "shown only for a CyberTipline "
    "report stopped mid-way, which needs a failing stand-in: tests/browser/test_case_reports.py "
    "and tests/functional/test_case_reports_pages.py withdraw one",
}

NL_PAGE = "http://photos.example-hosting-nl.example.test/try/every-form-{}.jpg"
PDQ = "f" * 64
ITEM = "[data-testid=items] tbody a"
#: The demo's current reporting cycle (NL's commitments for it are a draft).
CYCLE = datetime.now(UTC).year
LIBRARY_ENTRY = "[data-testid=library-table] tbody a"
REVIEW_CASE = "[data-testid=review-cases] tbody a"

CASES: list[Case] = [
    # --- the public and logging in ---------------------------------------------------
    Case(
        "public report",
        "/report",
        None,
        "/report",
        "form#public-report",
        bad={"url": "not an address"},
        good={"url": NL_PAGE.format(1), "description": "a test"},
        ready="form#public-report[data-ready=true]",
        confirmed_by="[data-testid=report-reference]",
    ),
    Case(
        "public appeal",
        "/appeal",
        None,
        appeal_for_a_listed_url,
        "form#public-appeal",
        bad={
            "url": "http://nowhere.example.test/not-listed.jpg",
            "contact": "owner@nowhere.example.test",
            "reason": "This address is not on the list at all.",
        },
        good={"contact": "owner@example.test", "reason": "Every-form appeal: a product photo."},
        ready="form#public-appeal[data-ready=true]",
        confirmed_by="[data-testid=appeal-reference]",
    ),
    Case(
        "log in",
        "/login",
        None,
        "/login",
        "form[action='/login']",
        bad={"username": "nl-analyst", "password": "not the password"},
        good={"username": "nl-police-viewer", "password": demo_login("nl-police-viewer")[1]},
        confirmed_by="[data-testid=whoami]",
    ),
    Case(
        "change password",
        "/account/password",
        "us-chat-reviewer",
        "/account",
        "form[action='/account/password']",
        bad={
            "current_password": demo_login("us-chat-reviewer")[1],
            "new_password": "short",
            "repeat_password": "short",
        },
        good={
            "current_password": demo_login("us-chat-reviewer")[1],
            "new_password": "a-new-password-for-the-test",
            "repeat_password": "a-new-password-for-the-test",
        },
    ),
    # --- administration ---------------------------------------------------------------
    Case(
        "add organisation",
        "/orgs",
        "secretariat",
        "/orgs",
        "form[method=post][action='/orgs']",
        bad={"name": "Example Org", "slug": "Not A Slug!"},
        good={"name": "Example Org", "slug": "example-org-form"},
    ),
    Case(
        "filter organisations",
        "/orgs",
        "secretariat",
        "/orgs",
        "form[method=get][action='/orgs']",
        method="GET",
        bad={"kind": "no-such-kind"},
        good={"kind": "hotline"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "add user",
        "/users",
        "nl-hotline-admin",
        "/users",
        "form[method=post][action='/users']",
        bad={"username": "form-user", "display_name": "Form User", "role": "investigator"},
        good={"username": "form-user", "display_name": "Form User", "role": "viewer"},
    ),
    Case(
        "filter users",
        "/users",
        "secretariat",
        "/users",
        "form[method=get][action='/users']",
        method="GET",
        bad={"role": "no-such-role"},
        good={"role": "analyst"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "change role",
        "/users/{username}/role",
        "nl-hotline-admin",
        "/users",
        "form[action='/users/form-user/role']",
        bad={"role": "investigator"},  # a police role does not fit a hotline
        good={"role": "analyst"},
    ),
    Case(
        "disable user",
        "/users/{username}/{action}",
        "nl-hotline-admin",
        "/users",
        "form[action='/users/form-user/disable']",
        no_such=True,
        good={},
    ),
    Case(
        "create API key",
        "/keys",
        "nl-hotline-admin",
        "/keys",
        "form[method=post][action='/keys']",
        bad={"name": "scanner", "days": "0"},
        good={"name": "scanner", "days": "30"},
    ),
    Case(
        "filter API keys",
        "/keys",
        "nl-hotline-admin",
        "/keys",
        "form[method=get][action='/keys']",
        method="GET",
        bad={"status": "no-such-status"},
        good={"status": "active"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "revoke API key",
        "/keys/{prefix}/revoke",
        "nl-hotline-admin",
        "/keys",
        "form[action$='/revoke']",
        no_such=True,
        good={},
    ),
    Case(
        "filter audit log",
        "/audit",
        "secretariat",
        "/audit",
        "form[method=get][action='/audit']",
        method="GET",
        bad={"from": "2026-12-01", "to": "2026-01-01"},
        good={"event_type": "auth:login.succeeded"},
        confirmed_by="main table",
    ),
    Case(
        "verify audit anchors",
        "/audit/verify",
        "secretariat",
        "/audit",
        "form[action='/audit/verify']",
        confirmed_by="[data-testid=verify-result].notice",
        bad={"file": File("anchors.jsonl", b"not an anchor\n", "application/jsonl")},
        good={"file": File("anchors.jsonl", b"", "application/jsonl")},
    ),
    # --- takedown ---------------------------------------------------------------------
    Case(
        "member report",
        "/reports/new",
        "nl-reviewer",
        "/reports/new",
        "form[action='/reports/new']",
        bad={"urls": "not an address", "hashes": "md5:xyz"},
        good={"urls": NL_PAGE.format(2)},
        confirmed_by="[data-testid=member-receipt]",
    ),
    Case(
        "claim next",
        "/queue/claim",
        "nl-analyst",
        "/queue",
        "form[action='/queue/claim']",
        no_bad="a button alone: an empty queue is said on the queue page (queue-empty)",
        good={},
    ),
    Case(
        "claim item",
        "/items/{reference}/claim",
        "nl-analyst-2",
        first_link("/items?stage=awaiting_assessment", ITEM),
        "form[action$='/claim']",
        no_such=True,
        good={},
    ),
    Case(
        "release claim",
        "/items/{reference}/release",
        "nl-analyst",
        first_link("/queue", "[data-testid=queue] tbody a"),
        "form[action$='/release']",
        no_such=True,
        good={},
        extra={"claim_first": True},
    ),
    Case(
        "assess item",
        "/items/{reference}/assess",
        "nl-analyst-3",
        first_link("/items?stage=awaiting_assessment", ITEM, nth=2),
        "form[action$='/assess']",
        bad={"classification": "baseline", "hashes": "sha256:not-hex"},
        good={"classification": "baseline", "hashes": ""},
        extra={"claim_first": True},
    ),
    Case(
        "route item",
        "/items/{reference}/route",
        "secretariat",
        first_link("/items?stage=unresolved", ITEM),
        "form[action$='/route']",
        bad={"country_code": "XX"},
        good={"country_code": "NL"},
    ),
    Case(
        "place hold on item",
        "/items/{reference}/hold",
        "nl-investigator",
        first_link("/items", ITEM),
        "form[action$='/hold']",
        bad={"reason": "investigation", "days": "0"},
        good={"reason": "investigation", "days": "7"},
    ),
    Case(
        "clear for notice",
        "/items/{reference}/clear",
        "nl-investigator",
        first_link("/items?stage=notice_pending", ITEM),
        "form[action$='/clear']",
        no_such=True,
        good={},
    ),
    Case(
        "re-check now",
        "/items/{reference}/recheck",
        "nl-analyst",
        first_link("/items?stage=notified", ITEM),
        "form[action$='/recheck']",
        no_such=True,
        good={},
    ),
    Case(
        "filter items",
        "/items",
        "nl-analyst",
        "/items",
        "form[method=get][action='/items']",
        method="GET",
        bad={"stage": "no-such-stage"},
        good={"stage": "notified"},
        confirmed_by="[data-testid=items]",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "place hold",
        "/holds",
        "nl-investigator",
        "/holds",
        "form[action='/holds']",
        bad={"target_value": "http://example.test/x", "reason": "r", "days": "0"},
        good={
            "target_value": "http://held.example.test/every-form",
            "reason": "an investigation",
            "days": "7",
        },
    ),
    Case(
        "renew hold",
        "/holds/{hold}/renew",
        "nl-investigator",
        first_link("/holds", "[data-testid=holds] tbody a[href^='/holds/']"),
        "form[action$='/renew']",
        bad={"days": "-3"},
        good={"days": "7"},
    ),
    Case(
        "release hold",
        "/holds/{hold}/release",
        "nl-investigator",
        first_link("/holds", "[data-testid=holds] tbody a[href^='/holds/']"),
        "form[action$='/release']",
        stale=True,
        no_such=True,
        good={},
    ),
    Case(
        "takedown metrics period",
        "/metrics/takedown",
        "nl-analyst",
        "/metrics/takedown",
        "form[action='/metrics/takedown']",
        method="GET",
        bad={"since": "2026-12-01", "until": "2026-01-01"},
        good={"since": "2026-01-01", "until": "2026-12-31"},
        confirmed_by="main table",
    ),
    Case(
        "filter providers",
        "/providers",
        "nl-analyst",
        "/providers",
        "form[action='/providers']",
        method="GET",
        bad={"country": "N1"},
        good={"country": "NL"},
        confirmed_by="main table",
    ),
    # --- banks ------------------------------------------------------------------------
    Case(
        "match hashes",
        "/match",
        "nl-reviewer",
        "/match",
        "form[action='/match']",
        bad={"hashes": "not a hash"},
        good={"hashes": PDQ},
        confirmed_by="[data-testid=match-results], main .notice, main [role=status]",
    ),
    Case(
        "match a file",
        "/match/file",
        "nl-reviewer",
        "/match",
        "form[action='/match/file']",
        bad={"file": File("empty.jpg", b"", "image/jpeg")},
        good={"file": File("photo.jpg", b"", "image/jpeg")},
        confirmed_by="[data-testid=match-results], main .notice, main [role=status]",
    ),
    Case(
        "search bank entries",
        "/banks/{name}",
        "nl-reviewer",
        first_link("/banks", "main table a[href^='/banks/']"),
        "form[data-testid=entry-search]",
        method="GET",
        bad={"status": "no-such-status"},
        good={"q": "a"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "add bank entries from files",
        "/banks/{name}/entries/files",
        "nl-analyst",
        first_link("/banks", "main table a[href^='/banks/']"),
        "form[data-testid=add-files]",
        bad={"files": File("empty.jpg", b"", "image/jpeg")},
        good={"files": File("photo.jpg", b"", "image/jpeg")},
    ),
    Case(
        "add bank entries",
        "/banks/{name}/entries",
        "nl-analyst",
        first_link("/banks", "main table a[href^='/banks/']"),
        "form[action$='/entries']",
        bad={"hashes": "zz-not-hex"},
        good={"hashes": "e" * 63 + "1"},
    ),
    Case(
        "vote on an entry",
        "/banks/{name}/entries/{entry_id}/vote",
        "nl-analyst-2",
        first_link("/banks", "main table a[href^='/banks/']", "?status=awaiting"),
        "form[action$='/vote']",
        stale=True,
        good={},
    ),
    Case(
        "remove an entry",
        "/banks/{name}/entries/{entry_id}/remove",
        "nl-analyst",
        first_link("/banks", "main table a[href^='/banks/']"),
        "form[action$='/remove']",
        no_such=True,
        good={},
    ),
    Case(
        "confirm or dispute a match",
        "/matches/{match_id}/feedback",
        "nl-reviewer",
        after_matching,
        "form[action$='/feedback']",
        no_such=True,
        good={},
        confirmed_by="[data-testid=feedback-done]",
    ),
    # --- victim identification ---------------------------------------------------------
    Case(
        "upload a seizure",
        "/seizures",
        "nl-investigator",
        "/seizures",
        "form[action='/seizures']",
        bad={"file": File("seizure.jsonl", b"{not json\n", "application/jsonl")},
        good={"file": File("demo-seizure.jsonl", b"", "application/jsonl")},
        confirmed_by="main [data-testid=notice], main h1",
    ),
    Case(
        "new series",
        "/series",
        "nl-investigator",
        "/series",
        "form[action='/series'][method=post]",
        bad={"name": "x", "countries": "NL, XQ1"},
        good={"name": "Every Form Osprey", "countries": "NL"},
    ),
    Case(
        "link seizure items to a series",
        "/seizures/{seizure}/link",
        "nl-investigator",
        first_link("/seizures", "[data-testid=seizures] tbody a"),
        "form[action$='/series']",
        button="button[formaction$='/link']",
        bad={"code": "S-NOSUCH", "line": "only:0"},
        good={"line": "only:0"},
    ),
    Case(
        "start a series from a seizure",
        "/seizures/{seizure}/series",
        "nl-investigator",
        first_link("/seizures", "[data-testid=seizures] tbody a"),
        "form[action$='/series']",
        bad={"name": "x"},
        good={"name": "Every Form Kestrel"},
    ),
    Case(
        "filter series",
        "/series",
        "nl-investigator",
        "/series",
        "form[method=get][action='/series']",
        method="GET",
        bad={"status": "no-such-status"},
        good={"q": "heron"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "edit series",
        "/series/{code}/edit",
        "nl-investigator",
        first_link("/series", "[data-testid=series] tbody a"),
        "form[action$='/edit']",
        bad={"countries": "NL, XQ1"},
        good={"countries": "NL, BE"},
    ),
    Case(
        "invite an agency",
        "/series/{code}/agencies",
        "nl-investigator",
        first_link("/series", "[data-testid=series] tbody a"),
        "form[action$='/agencies']",
        bad={"organisation": "no-such-agency"},
        good={},
    ),
    Case(
        "add a victim",
        "/series/{code}/victims",
        "nl-investigator",
        first_link("/series", "[data-testid=series] tbody a"),
        "form[action$='/victims']",
        bad={"age_group": "no-such-group"},
        good={"age_group": "pubescent"},
    ),
    Case(
        "identify a victim",
        "/victims/{victim}/identify",
        "nl-investigator",
        first_link("/series", "[data-testid=series] tbody a"),
        "form[action$='/identify']",
        bad={"identified_on": "2999-01-01"},
        good={},
    ),
    Case(
        "safeguard a victim",
        "/victims/{victim}/safeguard",
        "nl-investigator",
        first_link("/series", "[data-testid=series] tbody a"),
        "form[action$='/safeguard']",
        bad={"safeguarded_on": "2999-01-01"},
        good={},
    ),
    Case(
        "refer a series",
        "/series/{code}/referrals",
        "nl-investigator",
        first_link("/series?q=Kestrel", "[data-testid=series] tbody a"),
        "form[action$='/referrals']",
        bad={"country": ""},
        good={"country": "US", "note": "please look"},
    ),
    Case(
        "merge series",
        "/series/{code}/merge",
        "nl-investigator",
        first_link("/series", "[data-testid=series] tbody a"),
        "form[action$='/merge']",
        bad={"into": "S-NOSUCH"},
        good={},
    ),
    Case(
        "victim KPI country",
        "/victims/metrics",
        "secretariat",
        "/victims/metrics",
        "form[action='/victims/metrics']",
        method="GET",
        bad={"country": "X1"},
        good={"country": "NL"},
        confirmed_by="main table",
    ),
    Case(
        "filter referrals",
        "/referrals",
        "nl-investigator",
        "/referrals",
        "form[method=get][action='/referrals']",
        method="GET",
        bad={"status": "no-such-status"},
        good={"direction": "incoming"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "decline a referral",
        "/referrals/{referral}/decision",
        "nl-investigator",
        first_link("/referrals?direction=incoming", "[data-testid=referrals] tbody a"),
        "form[data-testid=decline-form]",
        bad={"reason": ""},
        good={"reason": "not ours"},
    ),
    # --- industry reports (the demo's: three open for the NL police, one accepted by
    # the GB police, one in the secretariat's triage) -------------------------------------
    Case(
        "decline an industry report",
        "/industry-inbox/{reference}/decline",
        "nl-investigator",
        first_link("/industry-inbox", "[data-testid=industry-inbox] tbody a"),
        "form[data-testid=decline-form]",
        bad={"reason": ""},
        good={"reason": "Every-form: not an offence here."},
    ),
    Case(
        "forward an industry report",
        "/industry-inbox/{reference}/forward",
        "nl-investigator",
        first_link("/industry-inbox", "[data-testid=industry-inbox] tbody a"),
        "form[data-testid=forward-form]",
        bad={"country": ""},
        good={"country": "GB", "note": "Every-form: the uploader lives in the UK."},
    ),
    Case(
        "accept an industry report",
        "/industry-inbox/{reference}/accept",
        "nl-investigator",
        first_link("/industry-inbox", "[data-testid=industry-inbox] tbody a"),
        "form[data-testid=accept-form]",
        stale=True,
        good={},
    ),
    Case(
        "record an industry report's outcome",
        "/industry-inbox/{reference}/outcome",
        "gb-investigator",
        first_link("/industry-inbox?view=accepted", "[data-testid=industry-inbox] tbody a"),
        "form[data-testid=outcome-form]",
        bad={"outcome": ""},
        good={"outcome": "arrest", "note": "Every-form: an arrest."},
    ),
    Case(
        "assign an industry report in triage",
        "/industry-triage/{reference}/assign",
        "secretariat",
        "/industry-triage",
        "form[data-testid=assign-form]",
        bad={"country": "ZZ"},
        good={"country": "NL"},
    ),
    # --- cooperation ------------------------------------------------------------------
    Case(
        "filter alerts",
        "/alerts",
        "gb-investigator",
        "/alerts",
        "form[method=get][action='/alerts']",
        method="GET",
        bad={"status": "no-such-status"},
        good={},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "acknowledge an alert",
        "/alerts/{alert_id}/acknowledge",
        "gb-investigator",
        "/alerts",
        "form[action$='/acknowledge']",
        no_such=True,
        good={},
    ),
    # --- countries: commitments -------------------------------------------------------
    Case(
        "edit commitments",
        "/commitments/{country}/{cycle}/{target}/edit",
        "nl-editor",
        f"/commitments/NL/{CYCLE}/1/edit",
        "form[data-testid=commitment-form]",
        bad={"committed": "- an action [[mnr2015.cap.99]]"},
        good={"committed": "- a new campaign [[ga2012.goal.4]] [[indicator:library.entries]]"},
    ),
    Case(
        "submit commitments",
        "/commitments/{country}/{cycle}/{target}/submit",
        "nl-editor",
        f"/commitments/NL/{CYCLE}",
        "form[data-testid=submit-2]",
        stale=True,
        good={},
    ),
    Case(
        "publish commitments",
        "/commitments/{country}/{cycle}/{target}/publish",
        "secretariat",
        first_link("/commitments/submitted", "[data-testid=submitted] tbody a"),
        "form[action$='/publish']",
        stale=True,
        good={},
    ),
    Case(
        "return commitments",
        "/commitments/{country}/{cycle}/{target}/return",
        "secretariat",
        first_link("/commitments/submitted", "[data-testid=submitted] tbody a"),
        "form[action$='/return']",
        bad={"reason": ""},
        good={"reason": "Please name the agency responsible for each action."},
    ),
    # --- countries: capability self-assessment (NL has 2025; this year is empty) -------
    Case(
        "start a self-assessment from an earlier year",
        "/capabilities/{country}/{year}/start-from",
        "nl-editor",
        f"/capabilities/NL/{CYCLE}",
        "form[data-testid=start-from]",
        bad={"from_year": "2019"},
        good={"from_year": "2025"},
    ),
    Case(
        "choose the distribution's framework and year",
        "/capabilities/distribution",
        "secretariat",
        "/capabilities/distribution",
        "form[method=get][action='/capabilities/distribution']",
        method="GET",
        bad={"framework": "icmec2018"},
        good={"year": "2025"},
        confirmed_by="[data-testid=distribution]",
        keeps_form=False,  # a framework the list does not offer: only a tampered page sends it
    ),
    Case(
        "choose the progress report and its year",
        "/reports/progress",
        "secretariat",
        "/reports/progress",
        "form[data-testid=report-choice]",
        method="GET",
        bad={"year": "last year"},
        good={"country": "NL", "year": "2025"},
        confirmed_by="[data-testid=target-1]",
    ),
    Case(
        "publish the progress report",
        "/reports/progress/publish",
        "secretariat",
        "/reports/progress?year=2025",
        "form[data-testid=publish-form]",
        good={},
        no_bad="a button alone: publishing again makes a newer, equally valid version",
    ),
    Case(
        "save the capability self-assessment",
        "/capabilities/{country}/{year}",
        "nl-editor",
        f"/capabilities/NL/{CYCLE}",
        "form[data-testid=assessment-form]",
        bad={"phase.mnr2015.cap.1": "2", "links.mnr2015.cap.1": "javascript:alert(1)"},
        good={
            "phase.mnr2015.cap.2": "3",
            "evidence.mnr2015.cap.2": "A national research programme since 2021.",
            "links.mnr2015.cap.2": "https://nl-government.example.test/research",
        },
    ),
    # --- countries ----------------------------------------------------------------------
    Case(
        "record a legal review",
        "/legal/reviews/new",
        "secretariat",
        "/legal/reviews/new",
        "form[action='/legal/reviews/new']",
        bad={**LEGAL_REVIEW, "score_1": "9"},
        good=LEGAL_REVIEW,
    ),
    Case(
        "publish a legal review",
        "/legal/reviews/{review_id}/publish",
        "secretariat",
        first_link("/legal/reviews", "[data-testid=legal-history] tr[data-published=no] a"),
        "form[data-testid=publish-form]",
        stale=True,
        good={},
    ),
    # --- the awareness library ----------------------------------------------------------
    Case(
        "search the library",
        "/library",
        None,
        "/library",
        "form[method=get][action='/library']",
        method="GET",
        bad={"tag": "no-such-tag"},
        good={"q": "self-generated", "tag": "self_generated"},
        confirmed_by="main table",
        keeps_form=False,  # a value the list does not offer: only a tampered page sends it
    ),
    Case(
        "new library entry",
        "/library/new",
        "nl-editor",
        "/library/new",
        "form[data-testid=library-form]",
        bad={"title": "Form entry", "links": "javascript:alert(1)"},
        good={"title": "Form entry", "links": "https://form.example.test/"},
    ),
    Case(
        "edit library entry",
        "/library/{entry_id}/edit",
        "nl-editor",
        first_link("/library?q=Form+entry&status=draft", LIBRARY_ENTRY, query="/edit"),
        "form[data-testid=library-form]",
        bad={"languages": "nl, xx"},
        good={"reach": "120 schools"},
    ),
    Case(
        "adopt library entry",
        "/library/{entry_id}/adopt",
        "gb-editor",
        first_link("/library?q=%22Sent+is+not+lost%22", LIBRARY_ENTRY),
        "form[data-testid=adopt-form]",
        bad={"notes": ""},
        good={"notes": "Ran it in UK schools"},
    ),
    Case(
        "publish library entry",
        "/library/{entry_id}/publish",
        "secretariat",
        first_link("/library?q=Form+entry&status=draft", LIBRARY_ENTRY),
        "form[action$='/publish']",
        no_such=True,
        good={},
    ),
    # --- the review queue (the demo platform's cases) -----------------------------------
    Case(
        "filter the review queue",
        "/review",
        "nl-reviewer",
        "/review",
        "form[method=get][action='/review']",
        method="GET",
        no_bad="free text: a bank no case matched lists nothing, which the page says",
        good={"bank": "baseline-demo"},
        confirmed_by="main table",
    ),
    Case(
        "take a review case",
        "/review/cases/{case}/take",
        "nl-reviewer",
        first_link("/review", REVIEW_CASE),
        "form[action$='/take']",
        no_such=True,
        good={},
    ),
    Case(
        "reveal a review case's media",
        "/review/cases/{case}/reveal",
        "nl-reviewer",
        first_link("/review", REVIEW_CASE),
        "form[action$='/reveal']",
        no_such=True,
        good={},
        confirmed_by="[data-testid=media-revealed]",
    ),
    Case(
        "decide a review case",
        "/review/cases/{case}/decision",
        "nl-reviewer",
        first_link("/review", REVIEW_CASE),
        "form[action$='/decision']",
        bad={"decision": "maybe", "reason": "Every-form: not a decision."},
        good={"decision": "escalate", "reason": "Every-form: for a senior look."},
    ),
    Case(
        "decide review cases in bulk",
        "/review/decisions",
        "nl-reviewer",
        "/review",
        "form[action='/review/decisions']",
        bad={"decision": "confirm", "reason": "Every-form: no case chosen."},
        good={"cases": "only:0", "decision": "confirm", "reason": "Every-form: listed."},
    ),
    # --- a confirmed case's reports (NCMEC's and the DSA database's stand-ins on 127.0.0.1,
    # the police through this server, the hub), then closing it -------------------------
    Case(
        "file a case with NCMEC's CyberTipline",
        "/review/cases/{case}/cybertipline",
        "nl-reviewer",
        first_link("/review?status=confirmed", REVIEW_CASE),
        "form[action$='/cybertipline']",
        bad={"account": "every-form-user", "ip": "203.0.113.5"},
        good={
            "account": "every-form-user",
            "ip": "203.0.113.5@2026-12-07T10:41:09Z@upload",
            "country": "NL",
        },
    ),
    Case(
        "submit a case's DSA statement of reasons",
        "/review/cases/{case}/dsa",
        "nl-reviewer",
        first_link("/review?status=confirmed", REVIEW_CASE),
        "form[action$='/dsa']",
        bad={"account_action": "banned"},
        good={"account_action": "suspended"},
    ),
    Case(
        "report a case to the police through the alliance",
        "/review/cases/{case}/police",
        "nl-reviewer",
        first_link("/review?status=confirmed", REVIEW_CASE),
        "form[action$='/police']",
        bad={"account": "every-form-user", "ip": "not-an-address@2026-12-07T10:41:09Z"},
        good={
            "account": "every-form-user",
            "ip": "203.0.113.5@2026-12-07T10:41:09Z@upload",
            "country": "NL",
            "classification": "A1",
        },
    ),
    Case(
        "close a confirmed case",
        "/review/cases/{case}/close",
        "nl-reviewer",
        first_link("/review?status=confirmed", REVIEW_CASE),
        "form[action$='/close']",
        stale=True,
        good={},
    ),
    Case(
        "add an action rule",
        "/review/rules",
        "secretariat",
        "/review/rules",
        "form[action='/review/rules']",
        bad={"bank": "Not A Bank!", "max_distance": "5", "action": "queue"},
        good={"bank": "baseline-demo", "max_distance": "5", "action": "queue"},
    ),
    Case(
        "enable or disable an action rule",
        "/review/rules/{rule_id}/enabled",
        "secretariat",
        "/review/rules",
        "form[action$='/enabled']",
        no_such=True,
        good={},
    ),
    # --- lists for blocking -------------------------------------------------------------
    Case(
        "decide an appeal",
        "/appeals/{reference}/decision",
        "nl-analyst",
        "/appeals",
        "form[action$='/decision']",
        bad={"outcome": ""},
        good={"outcome": "Every-form review: assessed again, a product photo."},
    ),
    Case(
        "filter the URL list",
        "/blocklists/urls",
        "nl-analyst",
        "/blocklists/urls",
        "form[method=get][action='/blocklists/urls']",
        method="GET",
        no_bad="a text to find and a box to tick: no value is wrong (none found is a result)",
        good={"q": "example.test"},
        confirmed_by="[data-testid=url-list]",
    ),
    Case(
        "add a keyword",
        "/blocklists/keywords",
        "nl-analyst",
        "/blocklists/keywords",
        "form[action='/blocklists/keywords']",
        bad={"term": "placeholder-term-1", "category": "csam"},  # already on the list
        good={"term": "every-form-term", "category": "coded", "language": "en"},
    ),
    Case(
        "remove a keyword",
        "/blocklists/keywords/remove",
        "nl-analyst",
        "/blocklists/keywords",
        "form[action='/blocklists/keywords/remove']",
        stale=True,
        good={},
    ),
    Case(
        "record a blocking self-test",
        "/self-tests",
        "us-reviewer",
        "/self-tests",
        "form[action='/self-tests']",
        bad={"tested_on": "31/12/2026"},
        good={"result": "passed", "note": "every-form test"},
    ),
    Case(
        "withdraw library entry",
        "/library/{entry_id}/withdraw",
        "secretariat",
        first_link("/library?q=Form+entry", LIBRARY_ENTRY),
        "form[action$='/withdraw']",
        no_such=True,
        good={},
    ),
]


def _page_routes() -> set[tuple[str, str]]:
    from alliance.web import pages

    found: set[tuple[str, str]] = set()
    for info in pkgutil.iter_modules(pages.__path__):
        module = importlib.import_module(f"alliance.web.pages.{info.name}")
        router = getattr(module, "router", None)
        for route in getattr(router, "routes", []):
            for method in getattr(route, "methods", set()) or set():
                if method == "POST":
                    found.add((method, route.path))
    return found


def _route_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$")


def test_every_page_form_route_has_a_case() -> None:
    covered = {(c.method, c.route) for c in CASES} | set(EXEMPT)
    missing = sorted(_page_routes() - covered)
    assert not missing, f"forms without a case in CASES: {missing}"
    for case in CASES:
        assert case.bad is not None or case.stale or case.no_such or case.no_bad, case.id
        assert case.good is not None or case.extra.get("no_good"), f"{case.id}: no good case"


# --- the live demo ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_server(
    databases: Any, demo_template: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One copy of the demo world and a server for all cases of a back end."""
    from alliance.demo.cybertipline import StandInCyberTipline
    from alliance.demo.dsa_database import StandInTransparencyDatabase

    tmp = tmp_path_factory.mktemp("every-form")
    template_url, template_data = demo_template
    shutil.copytree(template_data, tmp / "var")
    ncmec, tdb = StandInCyberTipline(), StandInTransparencyDatabase("every-form-dsa-token")
    ncmec.start()  # their ports are known once they serve; stopped with the server below
    tdb.start()
    (tmp / "dsa-token").write_text(tdb.token)
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": databases.copy_of(template_url),
        "ALLIANCE_DATA_DIR": str(tmp / "var"),
        "ALLIANCE_MODE": "demo",
        "ALLIANCE_SMTP_PORT": str(free_port()),
        "ALLIANCE_DEMO_SITES_PORT": str(free_port()),
        "ALLIANCE_DEMO_MEMBER": "false",
        "ALLIANCE_PROOF_OF_WORK_BITS": "8",
        # A confirmed case's reports go to stand-ins on 127.0.0.1.
        "ALLIANCE_CYBERTIPLINE_URL": ncmec.base_url,
        "ALLIANCE_CYBERTIPLINE_USERNAME": ncmec.username,
        "ALLIANCE_CYBERTIPLINE_PASSWORD": ncmec.password,
        "ALLIANCE_CYBERTIPLINE_REPORTER_FIRST_NAME": "Every",
        "ALLIANCE_CYBERTIPLINE_REPORTER_LAST_NAME": "Form",
        "ALLIANCE_CYBERTIPLINE_REPORTER_EMAIL": "every-form@example.test",
        "ALLIANCE_DSA_URL": tdb.url,
        "ALLIANCE_DSA_TOKEN_FILE": str(tmp / "dsa-token"),
        "ALLIANCE_DSA_COMPLAINT": "https://photos.example.test/appeals",
    }
    DEMO["data"] = tmp / "var"
    DEMO["anchors"] = tmp / "anchors.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "alliance",
            "audit",
            "anchor",
            "export",
            "--out",
            str(DEMO["anchors"]),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with ncmec, tdb, live_serve(env, tmp / "serve.log", start_seconds=30) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _set(form: Any, name: str, value: Value) -> None:
    control = form.locator(f'[name="{name}"]')
    if isinstance(value, File):
        value = _demo_file(value)
        control.set_input_files(
            {"name": value.name, "mimeType": value.mime, "buffer": value.content}
        )
        return
    kind = control.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind.startswith("select"):
        # A value the list does not offer is what a tampered page sends: add it.
        control.evaluate(
            """(e, v) => { if (![...e.options].some(o => o.value === v)) {
                 const o = document.createElement('option'); o.value = v; o.text = v; e.add(o); }
               e.value = v; }""",
            value,
        )
    elif kind.endswith(":checkbox") and value.startswith("only:"):
        boxes = form.locator(f'[name="{name}"]')
        for n in range(boxes.count()):
            boxes.nth(n).set_checked(n == int(value.removeprefix("only:")))
    elif kind.endswith(":radio") or kind.endswith(":checkbox"):
        form.locator(f'[name="{name}"][value="{value}"]').check()
    elif kind.endswith(":hidden"):
        control.evaluate("(e, v) => { e.value = v; }", value)
    else:
        control.fill(value)


def _submit(
    page: Any, case: Case, values: dict[str, Value] | None, *, no_such: bool = False
) -> None:
    form = page.locator(case.form).first
    form.wait_for(state="attached")
    form.evaluate("f => { f.noValidate = true; }")
    if no_such:
        # The record the form acts on, in its address, replaced by one that does not exist,
        # sent as the browser sends a form (htmx took the address when the page loaded).
        with page.expect_navigation():
            form.evaluate(
                """f => { const copy = f.cloneNode(true);
                          const parts = f.getAttribute('action').split('/');
                          parts[2] = 'NO-SUCH-RECORD';
                          copy.setAttribute('action', parts.join('/'));
                          copy.style.display = 'none';
                          document.body.appendChild(copy); copy.submit(); }"""
            )
        return
    for name, value in (values or {}).items():
        _set(form, name, value)
    if case.ready:
        page.locator(case.ready).first.wait_for(state="attached")
    form.locator(case.button).first.click()


def _visible(page: Any, selector: str, timeout: float = 10_000) -> bool:
    try:
        page.locator(selector).first.wait_for(state="visible", timeout=timeout)
    except Exception:
        return False
    return True


def _text(page: Any) -> str:
    errors = page.locator(ERROR)
    if errors.count():  # the error says more than the page around it
        return "error shown: " + " ".join(errors.first.inner_text().split())[:400]
    return " ".join(page.locator("main").inner_text().split())[:600]


def _open(page: Any, base: str, case: Case) -> str:
    target = case.where(page, base) if callable(case.where) else case.where
    if target:  # "": the function has opened the page itself
        page.goto(target if target.startswith("http") else base + target)
    if case.extra.get("claim_first"):
        claim = page.locator("form[action$='/claim'] button")
        if claim.count():
            claim.first.click()
            page.locator(NOTICE).first.wait_for(state="visible")
    return str(page.url)


def _run_case(browser: Any, base: str, case: Case) -> list[str]:
    problems: list[str] = []
    context = browser.new_context()
    context.set_default_timeout(8_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        if case.user:
            log_in(page, base, case.user)
        if case.no_such:
            _open(page, base, case)
            _submit(page, case, None, no_such=True)
            if not _visible(page, ERROR):
                problems.append(f"{case.id}: a record that does not exist showed no error")
        if case.bad is not None:
            _open(page, base, case)
            _submit(page, case, case.bad)
            if not _visible(page, ERROR):
                problems.append(f"{case.id}: bad value showed no error: {_text(page)}")
            elif case.keeps_form:
                if not page.locator(case.form).count():
                    problems.append(f"{case.id}: the form is gone after an error: {_text(page)}")
                else:
                    for name, value in case.bad.items():
                        if not isinstance(value, str):
                            continue
                        control = page.locator(case.form).first.locator(f'[name="{name}"]')
                        if not control.count():
                            continue
                        kind = control.first.evaluate("e => e.type || ''")
                        typed = ("text", "textarea", "email", "url", "search", "number")
                        if kind in typed and control.first.input_value() != value:
                            problems.append(f"{case.id}: {name!r} lost what was typed")
        if case.good is not None:
            _open(page, base, case)
            stale = None
            if case.stale:
                stale = context.new_page()
                stale.on("dialog", lambda dialog: dialog.accept())
                stale.goto(page.url)
            _submit(page, case, case.good)
            if not _visible(page, case.confirmed_by):
                problems.append(f"{case.id}: good value showed no confirmation: {_text(page)}")
            if stale is not None:
                _submit(stale, case, case.good)
                if not _visible(stale, ERROR):
                    problems.append(f"{case.id}: a stale resubmission showed no error")
    except Exception as exc:  # one broken case must not hide the others
        problems.append(f"{case.id}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    finally:
        context.close()
    return problems


def test_every_form_fails_visibly_and_confirms(demo_server: str, chromium: Any) -> None:
    problems: list[str] = []
    for case in CASES:
        problems += _run_case(chromium, demo_server, case)
    assert not problems, "\n".join(problems)


CRAWL_USERS = (
    "secretariat",
    "nl-analyst",
    "nl-investigator",
    "nl-reviewer",
    "nl-hotline-admin",
    "nl-editor",
)


def test_every_form_on_the_pages_has_a_case(demo_server: str, chromium: Any) -> None:
    """Crawl the navigation and one detail page of each list as each role: every form
    found is one of the cases."""
    covered = [(c.method, _route_pattern(c.route)) for c in CASES] + [
        (m, _route_pattern(r)) for m, r in EXEMPT
    ]
    unknown: set[str] = set()
    for user in CRAWL_USERS:
        context = chromium.new_context()
        page = context.new_page()
        log_in(page, demo_server, user)
        paths = [a.get_attribute("href") for a in page.locator("nav a").all()]
        seen: set[str] = set()
        queue = [p for p in paths if p and p.startswith("/")]
        while queue:
            path = queue.pop(0)
            if path in seen or path.startswith(("/api", "/logout")) or len(seen) > 60:
                continue
            seen.add(path)
            page.goto(demo_server + path)
            for form in page.locator("main form, header form").all():
                method = (form.get_attribute("method") or "get").upper()
                action = (form.get_attribute("action") or path).split("?")[0]
                if not any(m == method and p.match(action) for m, p in covered):
                    unknown.add(f"{method} {action} (on {path} as {user})")
            if path in paths:  # one level down: the first detail link of each list
                detail = page.locator("main table a[href^='/']").first
                if detail.count():
                    href = detail.get_attribute("href")
                    if href:
                        queue.append(href)
        context.close()
    assert not unknown, "forms without a case:\n" + "\n".join(sorted(unknown))
