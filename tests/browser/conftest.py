"""A live ``alliance serve`` on 127.0.0.1 with the demo world, and headless Chromium.

Chromium is Debian's (``make test`` installs the ``chromium`` package when missing),
driven by Playwright's Python package; Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alliance.demo.world import DEFAULT_SEED, demo_password
from tests.support.server import free_port as _free_port
from tests.support.server import live_serve

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: run `make test` (installs Debian's chromium)")
    return found


@pytest.fixture(scope="session")
def demo_template(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo world, built once per back end and test process: its database and data
    folder, which each live server copies (building it takes half a minute)."""
    folder = tmp_path_factory.mktemp(f"demo-{databases.backend}")
    url = databases.new_url()
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": url,
        "ALLIANCE_DATA_DIR": str(folder / "var"),
        "ALLIANCE_MODE": "demo",
        "ALLIANCE_SMTP_PORT": str(_free_port()),
        "ALLIANCE_DEMO_SITES_PORT": str(_free_port()),
    }
    subprocess.run(
        [sys.executable, "-m", "alliance", "demo"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return url, folder / "var"


@pytest.fixture
def live_server(databases: Any, demo_template: tuple[str, Path], tmp_path: Path) -> Iterator[str]:
    """``alliance serve`` on a copy of the demo world of its own (tests change it)."""
    template_url, template_data = demo_template
    shutil.copytree(template_data, tmp_path / "var")
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": databases.copy_of(template_url),
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
        "ALLIANCE_MODE": "demo",
        # The demo's mailbox and web host on free ports: never clash with a running demo.
        "ALLIANCE_SMTP_PORT": str(_free_port()),
        "ALLIANCE_DEMO_SITES_PORT": str(_free_port()),
        # The hub alone: the demo member's server is not started (its own process).
        "ALLIANCE_DEMO_MEMBER": "false",
    }
    with live_serve(env, tmp_path / "serve.log", start_seconds=30) as url:
        yield url


@pytest.fixture
def browser_page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def demo_login(username: str) -> tuple[str, str]:
    return username, demo_password(DEFAULT_SEED, username)


def log_in(page: Any, base: str, username: str | None) -> None:
    """Log in to the demo as ``username`` (its demo password), after logging out whoever
    was; None leaves the visitor anonymous."""
    page.context.clear_cookies()
    if username is None:
        return
    user, password = demo_login(username)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")


def nav_to(page: Any, label: str) -> None:
    """Follow the main navigation's link ``label``: open the menu (a <details>) that holds
    it first, and on a narrow screen the "Menu" button before that."""
    nav = page.locator("nav.mainnav")
    name = re.compile(rf"^{re.escape(label)}( \d+ waiting)?$")
    link = nav.get_by_role("link", name=name, include_hidden=True)
    if not link.is_visible():
        button = page.locator(".menu-button")
        if button.is_visible() and button.get_attribute("aria-expanded") != "true":
            button.click()
        # The inner locator of ``has`` is looked for within each <details>.
        menu = nav.locator("details", has=page.get_by_role("link", name=name, include_hidden=True))
        if menu.count() and not link.is_visible():
            menu.locator("summary").click()
    # Return on the page the link leads to, not while the old one is still shown.
    with page.expect_navigation():
        link.click()
