"""``alliance blocklist`` on the platform (refresh, keywords) and at a subscriber (export
without a synced copy, a self-test sent to the platform)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from alliance.accounts.permissions import Role
from alliance.cli import blocklist as blocklist_cli
from alliance.cli.main import main
from tests.functional.conftest import World
from tests.functional.test_sync import SERVER, _bridge
from tests.support.cli import Run


def test_keywords_and_a_refresh_on_the_platform(run: Run) -> None:
    added = run("blocklist", "keyword", "add", "Placeholder-Term-1", "--category", "coded")
    assert added.code == 0 and "added 'placeholder-term-1' (coded)" in added.out
    again = run("blocklist", "keyword", "add", "placeholder-term-1", "--category", "coded")
    assert again.code == 5 and "already on the keyword list" in again.err
    bad = run("blocklist", "keyword", "add", "x", "--category", "coded", "--language", "??")
    assert bad.code == 2
    assert run("blocklist", "keyword", "remove", "placeholder-term-1").code == 0
    assert run("blocklist", "keyword", "remove", "placeholder-term-1").code == 4
    refreshed = run("blocklist", "refresh")
    assert refreshed.code == 0 and "0 listed, 0 delisted" in refreshed.out


def test_export_needs_a_synced_copy(run: Run) -> None:
    missing = run("blocklist", "export", "--format", "rpz")
    assert missing.code == 4 and "run `alliance sync` first" in missing.err


def test_a_subscriber_records_its_self_test_on_the_platform(
    client: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(blocklist_cli, "make_client", lambda server, key: _bridge(client, key))
    key = world.keys[Role.reviewer]
    capsys.readouterr()
    today = date.today().isoformat()
    args = ["blocklist", "self-test", "--server", SERVER, "--key", key, "--result", "passed"]
    assert main([*args, "--date", today, "--note", "3 of 3 blocked"]) == 0
    assert "recorded: passed (w-industry)" in capsys.readouterr().out
    assert main([*args, "--date", "2026-13-01"]) == 2
    # A role that records no self-test: the platform refuses it (exit 3).
    analyst = ["blocklist", "self-test", "--server", SERVER, "--key", world.keys[Role.analyst]]
    assert main([*analyst, "--result", "passed"]) == 3
