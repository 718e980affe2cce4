"""The demo platform in member mode: its side built once per seed, its settings as
`alliance serve` hands them over, its storage and removal hook on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from alliance.accounts.models import ApiKey, User
from alliance.accounts.policy import Principal
from alliance.db import create_db_engine, make_session_factory
from alliance.demo import member as member_demo
from alliance.errors import ConfigurationError
from alliance.review.models import ActionRule, RuleAction
from alliance.settings import Settings, load_settings

SEED = 5
OPERATOR = Principal.operator("tester")


def test_the_members_side_is_built_once_per_seed(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    built = member_demo.build(OPERATOR, settings, SEED)
    folder = tmp_path / "member"
    assert built.built_now and built.folder == folder
    assert member_demo.built_seed(tmp_path) == SEED
    assert (folder / "hub-api-key").read_text().strip() == member_demo.hub_api_key(SEED)
    assert (folder / "hub-key.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert built.try_upload.read_bytes() == member_demo.try_picture(SEED)
    assert sorted(p.name for p in (folder / "uploads").iterdir()) == sorted(
        [*member_demo.holiday_pictures(SEED), member_demo.TRY_UPLOAD]
    )
    engine = create_db_engine(member_demo.database_url(folder))
    try:
        with make_session_factory(engine)() as session:
            assert sorted(session.execute(select(User.username)).scalars()) == [
                member_demo.ADMIN,
                member_demo.REVIEWER,
            ]
            assert session.execute(select(func.count()).select_from(ApiKey)).scalar_one() == 1
            rule = session.execute(select(ActionRule)).scalar_one()
            assert (rule.bank, rule.max_distance, rule.action) == (
                member_demo.RULE_BANK,
                member_demo.RULE_DISTANCE,
                RuleAction.remove,
            )
    finally:
        engine.dispose()

    again = member_demo.build(OPERATOR, settings, SEED)
    assert not again.built_now and again.logins == built.logins
    # Half-built (no marker) or built with another seed: built again from nothing.
    (folder / member_demo.MARKER).unlink()
    (folder / "left-over").write_text("x")
    assert member_demo.build(OPERATOR, settings, SEED).built_now
    assert not (folder / "left-over").exists()
    other = member_demo.build(OPERATOR, settings, SEED + 1)
    assert other.built_now and member_demo.built_seed(tmp_path) == SEED + 1
    assert other.upload_key != built.upload_key


def _values(tmp_path: Path, world: member_demo.OutsideWorld) -> dict[str, object]:
    return member_demo.settings_values(
        tmp_path / "member", SEED, "http://127.0.0.1:8000", 8001, world
    )


def test_the_members_settings_read_back_from_its_environment_and_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "member"
    (folder / "uploads").mkdir(parents=True)
    with member_demo.outside_world(folder, SEED) as world:
        values = _values(tmp_path, world)
    expected = load_settings(**values)
    env = member_demo.environment(values)
    assert all(name.startswith("ALLIANCE_") for name in env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings() == expected
    for name in env:
        monkeypatch.delenv(name)
    written = member_demo.write_env_file(folder, env)
    assert Settings(_env_file=written) == expected
    assert expected.member_storage_urls == [f"{world.platform.url}/uploads/"]
    assert expected.review_media_url_prefixes == expected.member_storage_urls
    assert expected.effective_database_url == member_demo.database_url(folder)


def test_the_platforms_storage_and_removal_hook(tmp_path: Path) -> None:
    folder = tmp_path / "member"
    (folder / "uploads").mkdir(parents=True)
    (folder / "uploads" / "a.jpg").write_bytes(b"benign bytes")
    (folder / "hub-api-key").write_text("secret")
    with member_demo.DemoPlatform(folder) as platform:
        base = platform.url
        assert httpx.get(f"{base}/uploads/a.jpg").content == b"benign bytes"
        assert httpx.get(f"{base}/uploads/missing.jpg").status_code == 404
        outside = httpx.get(f"{base}/uploads/%2e%2e/hub-api-key")
        assert outside.status_code == 404 and b"secret" not in outside.content
        assert httpx.post(f"{base}/hooks/remove", content=b"not json").status_code == 400
        removal = {"case": "RC-1", "content_id": "post-1", "bank": "b", "entry_id": 1}
        done = httpx.post(f"{base}/hooks/remove", json=removal)
        assert done.status_code == 200 and done.json() == {"removed": "post-1"}
        [recorded] = httpx.get(f"{base}/hooks/removed").json()
        assert {k: recorded[k] for k in removal} == removal and "removed_at" in recorded
    lines = (folder / member_demo.REMOVED).read_text().splitlines()
    assert [json.loads(line)["content_id"] for line in lines] == ["post-1"]


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = int(taken.getsockname()[1])
        settings = load_settings(data_dir=tmp_path, demo_member_port=port)
        with pytest.raises(ConfigurationError, match=f"port {port} .*ALLIANCE_DEMO_MEMBER"):
            member_demo.check_ports(settings)
