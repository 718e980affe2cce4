"""A live ``alliance serve`` on 127.0.0.1 with the demo world, and headless Chromium.

Chromium is Debian's (``make test`` installs the ``chromium`` package when missing),
driven by Playwright's Python package; Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alliance.demo.world import DEFAULT_SEED, demo_password

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(fresh_db_url: str, tmp_path: Path) -> Iterator[str]:
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": fresh_db_url,
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
        "ALLIANCE_MODE": "demo",
        # The demo's mailbox and web host on free ports: never clash with a running demo.
        "ALLIANCE_SMTP_PORT": str(_free_port()),
        "ALLIANCE_DEMO_SITES_PORT": str(_free_port()),
    }
    subprocess.run(
        [sys.executable, "-m", "alliance", "demo"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "alliance", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start: {(tmp_path / 'serve.log').read_text()}")
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


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
