"""In a real browser: log in, see the role's navigation, use a form, log out."""

from __future__ import annotations

from typing import Any

import pytest

from alliance.accounts.permissions import Role
from tests.browser.conftest import demo_login, nav_to
from tests.support.menus import MENUS

pytestmark = pytest.mark.browser


def _log_in(page: Any, base: str, username: str) -> None:
    user, password = demo_login(username)
    page.goto(f"{base}/dashboard")
    assert "/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")


def _nav(page: Any) -> dict[str, list[str]]:
    """The main navigation as {menu: [links]}, "" for the links outside a menu."""
    found: dict[str, list[str]] = page.evaluate(
        """() => {
        const menus = {};
        for (const entry of document.querySelectorAll("nav.mainnav > ul > li")) {
          const summary = entry.querySelector("summary");
          const name = summary ? summary.firstChild.textContent.trim() : "";
          const links = [...entry.querySelectorAll("a")].map(
            (a) => a.firstChild.textContent.trim());
          menus[name] = (menus[name] || []).concat(links);
        }
        return menus;
      }"""
    )
    return found


def test_roles_see_their_navigation_and_log_out(live_server: str, browser_page: Any) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    _log_in(page, live_server, "nl-analyst")
    assert page.locator("[data-testid=whoami]").inner_text() == "nl-analyst"
    assert page.locator("[data-testid=org-name]").inner_text() == "Demo Hotline Netherlands"
    assert _nav(page) == MENUS[Role.analyst]
    page.click("text=Log out")
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/dashboard")
    assert "/login" in page.url

    _log_in(page, live_server, "secretariat")
    assert _nav(page) == MENUS[Role.secretariat_admin]
    nav_to(page, "Audit log")
    page.wait_for_url(f"{live_server}/audit")
    page.click("text=Verify chain")
    page.wait_for_selector("[data-testid=verify-result]")
    assert "Chain intact" in page.locator("[data-testid=verify-result]").inner_text()
    assert not errors, errors  # no CSP violations or script errors


def test_wrong_password_shows_an_error(live_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "nl-analyst")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.locator("[role=alert]").inner_text()


def test_org_admin_creates_an_api_key(live_server: str, browser_page: Any) -> None:
    page = browser_page
    _log_in(page, live_server, "nl-hotline-admin")
    nav_to(page, "API keys")
    page.wait_for_url(f"{live_server}/keys")
    page.fill("input[name=name]", "upload scanner")
    page.click("text=Create key")
    token = page.locator("[data-testid=new-key]").inner_text()
    assert token.startswith("alk_")
    import httpx

    me = httpx.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["organisation_kind"] == "hotline"
    assert me.json()["role"] == "viewer"  # the least privileged role unless one is chosen


def test_analyst_browses_banks_and_looks_up_a_hash(live_server: str, browser_page: Any) -> None:
    import httpx

    page = browser_page
    _log_in(page, live_server, "nl-analyst")
    nav_to(page, "Banks")
    page.wait_for_url(f"{live_server}/banks")
    page.click("text=baseline-demo")
    page.wait_for_url(f"{live_server}/banks/baseline-demo")
    assert page.locator("[data-testid=bank-entries]").inner_text() == "80"
    # Take one banked PDQ from the API (as the demo platform would after a sync).
    from alliance.demo.world import demo_key

    key = demo_key(2026, "nl-photoshare-sync")
    entries = httpx.get(
        f"{live_server}/api/v1/banks/baseline-demo/entries?limit=1",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    nav_to(page, "Match")
    page.wait_for_url(f"{live_server}/match")  # the bank page has a hashes field too
    page.fill("textarea[name=hashes]", entries[0]["signal"])
    page.get_by_role("button", name="Look up").click()
    table = page.locator("[data-testid=match-results]")
    table.wait_for()
    assert "baseline-demo" in table.inner_text()


def test_a_form_that_fails_says_so_on_the_page(live_server: str, browser_page: Any) -> None:
    """An error answer to a boosted form is shown, not dropped (issue 15: forms failed
    silently, and an analyst could believe a bad request had worked)."""
    page = browser_page
    _log_in(page, live_server, "nl-analyst")
    nav_to(page, "Match")
    page.wait_for_url(f"{live_server}/match")
    page.fill("textarea[name=hashes]", "not-a-hash")
    with page.expect_response(lambda r: r.url.endswith("/match")) as answer:
        page.click("text=Look up")
    assert answer.value.status == 400
    shown = page.locator("main", has_text="not-a-hash")
    shown.wait_for(timeout=5000)  # the error page, swapped in
    assert "not-a-hash" in shown.inner_text()


def test_disabling_a_user_asks_first(live_server: str, browser_page: Any) -> None:
    """Irreversible or disruptive forms ask before they are sent (issue 15): declined, the
    user stays active; accepted, the user is disabled."""
    page = browser_page
    _log_in(page, live_server, "nl-hotline-admin")
    nav_to(page, "Users")
    page.wait_for_url(f"{live_server}/users")
    form = page.locator("[data-testid=toggle-nl-analyst-3]")
    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    form.locator("button").click()
    page.wait_for_timeout(500)  # a declined form sends nothing; give a request time to show
    assert questions == [
        "Disable nl-analyst-3? They are logged out and cannot log in until enabled again."
    ]
    assert form.locator("button").inner_text() == "Disable"
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_response(lambda r: r.url.endswith("/users/nl-analyst-3/disable")):
        form.locator("button").click()
    enabled = page.locator("[data-testid=toggle-nl-analyst-3] button", has_text="Enable")
    enabled.wait_for(timeout=5000)
    assert len(questions) == 2


def test_add_user_says_which_roles_fit_then_confirms(live_server: str, browser_page: Any) -> None:
    """A refused "Add user" shows why beside the role, keeps what was typed, and a good one
    is confirmed on the next page (issue 15: the misfit role failed silently)."""
    page = browser_page
    _log_in(page, live_server, "secretariat")
    nav_to(page, "Users")
    page.wait_for_url(f"{live_server}/users")
    form = page.locator("[data-testid=add-user]")
    industry = form.locator("#f-organisation option", has_text="(Industry)").first
    slug = industry.get_attribute("value")
    form.locator("input[name=username]").fill("browser-jdoe")
    form.locator("input[name=display_name]").fill("Jane Doe")
    form.locator("#f-organisation").select_option(slug)
    form.locator("#f-role").select_option("analyst")
    with page.expect_response(lambda r: r.url.endswith("/users")) as answer:
        form.locator("button[type=submit]").click()
    assert answer.value.status == 400
    error = page.locator("[data-testid=add-user] [data-testid=field-error]")
    error.wait_for(timeout=5000)
    assert "an industry organisation's roles are" in error.inner_text()
    assert page.locator("[data-testid=add-user] input[name=username]").input_value() == (
        "browser-jdoe"
    )
    page.locator("[data-testid=add-user] #f-role").select_option("viewer")
    page.locator("[data-testid=add-user] input[name=password]").fill("a-long-enough-password")
    page.locator("[data-testid=add-user] button[type=submit]").click()
    notice = page.locator("[data-testid=notice]")
    notice.wait_for(timeout=5000)
    assert notice.inner_text() == "User browser-jdoe added"
