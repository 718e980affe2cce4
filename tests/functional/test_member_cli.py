"""``alliance serve --member`` refuses an incomplete member profile; ``alliance member``
checks the profile and keeps the member's local banks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alliance.signing import Signer
from tests.factories import pdq_hex
from tests.support.cli import Run


def test_serve_member_refuses_an_incomplete_profile(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    refused = run("serve", "--member")
    assert refused.code == 7
    message = " ".join(refused.err.split())
    for gap in (
        "ALLIANCE_MEMBER_HUB_URL is not set",
        "ALLIANCE_MEMBER_HUB_PUBLIC_KEY_FILE is not set",
        "ALLIANCE_MEMBER_API_KEY_FILE is not set",
    ):
        assert gap in message
    key_file = tmp_path / "key"
    key_file.write_text("not a key")
    monkeypatch.setenv("ALLIANCE_MEMBER_HUB_URL", "ftp://hub.example.test")
    monkeypatch.setenv("ALLIANCE_MEMBER_HUB_PUBLIC_KEY_FILE", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("ALLIANCE_MEMBER_API_KEY_FILE", str(key_file))
    monkeypatch.setenv("ALLIANCE_MEMBER_STORAGE_URLS", '["http://127.0.0.1:9000/a/../b"]')
    from alliance.settings import get_settings

    get_settings.cache_clear()
    refused = run("serve", "--member")
    message = " ".join(refused.err.split())
    assert refused.code == 7
    for gap in (
        "must be an http(s) URL",
        "missing.pem cannot be read",
        "does not hold an API key",
        "ALLIANCE_MEMBER_STORAGE_URLS: the URL's path has dot segments",
    ):
        assert gap in message
    assert run("member", "check").code == 7


def test_member_check_describes_a_complete_profile(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pem = tmp_path / "hub.pem"
    pem.write_text(Signer.generate().public_pem())
    key = tmp_path / "key"
    key.write_text("alk_0123abcd_" + "x" * 32 + "\n")
    monkeypatch.setenv("ALLIANCE_MEMBER_HUB_URL", "https://hub.example.test/")
    monkeypatch.setenv("ALLIANCE_MEMBER_HUB_PUBLIC_KEY_FILE", str(pem))
    monkeypatch.setenv("ALLIANCE_MEMBER_API_KEY_FILE", str(key))
    monkeypatch.setenv("ALLIANCE_MEMBER_BANKS", '["baseline", "policy-us"]')
    monkeypatch.setenv("ALLIANCE_MEMBER_SYNC_MINUTES", "30")
    from alliance.settings import get_settings

    get_settings.cache_clear()
    checked = run("member", "check")
    assert checked.code == 0, checked.err
    line = " ".join(checked.out.split())
    assert "member of https://hub.example.test" in line
    assert "syncing baseline, policy-us every 30 min ± 20%" in line
    assert "alk_" not in checked.out


def test_local_banks_from_the_command_line(run: Run) -> None:
    run("jurisdictions", "add", "US", "United States")
    run("orgs", "add", "platform", "--name", "Platform", "--kind", "industry", "--country", "US")
    created = run("member", "bank", "create", "known-harmless", "--owner", "platform", "--negative")
    assert created.code == 0, created.err
    assert "negative (suppression)" in created.out
    again = run("member", "bank", "create", "known-harmless", "--owner", "platform")
    assert again.code == 5
    bad = run("member", "bank", "add", "known-harmless", "zz")
    assert bad.code == 2 and "entry 1" in bad.err
    added = run("member", "bank", "add", "known-harmless", pdq_hex(1), pdq_hex(2))
    assert added.code == 0 and "2 added" in added.out, added.err
    listed = json.loads(run("member", "bank", "list", "--format", "json").out)
    assert listed == [
        {
            "name": "known-harmless",
            "description": "",
            "negative": True,
            "pdq_threshold": 31,
            "entries": 2,
        }
    ]
    missing = run("member", "bank", "remove", "known-harmless", "999999")
    assert missing.code == 4
    entry_id = added.out.split("entry ")[1].split(":")[0]
    removed = run("member", "bank", "remove", "known-harmless", entry_id)
    assert removed.code == 0 and "1 removed" in removed.out
