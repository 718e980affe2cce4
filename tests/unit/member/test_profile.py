"""The member profile from the settings, and when the schedule's first sync comes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from alliance.db.base import utcnow
from alliance.errors import ConfigurationError, InvalidInput
from alliance.member.profile import MemberProfile, profile_from_settings
from alliance.member.schedule import BankSchedule
from alliance.settings import load_settings
from alliance.signing import Signer

KEY = "alk_0123abcd_" + "k" * 32


def profile(tmp_path: Path, **overrides: object) -> MemberProfile:
    pem = tmp_path / "hub.pem"
    pem.write_text(Signer.generate().public_pem())
    key = tmp_path / "key"
    key.write_text(KEY + "\n")
    settings = load_settings(
        data_dir=tmp_path,
        member_hub_url="https://hub.example.test/",
        member_hub_public_key_file=pem,
        member_api_key_file=key,
        **overrides,
    )
    return profile_from_settings(settings)


def test_a_complete_profile(tmp_path: Path) -> None:
    made = profile(tmp_path, member_banks=["a-bank", "a-bank", "b-bank"], member_sync_minutes=5)
    assert made.hub_url == "https://hub.example.test"
    assert made.api_key == KEY and made.banks == ("a-bank", "b-bank")
    assert made.store_dir == tmp_path / "banks" and made.sync_seconds == 300
    assert KEY not in made.describe()
    assert profile(tmp_path).banks is None  # every bank the hub grants


def test_a_bad_storage_network_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="member_storage_networks"):
        profile(tmp_path, member_storage_networks=["not-a-network"])


def test_the_public_key_must_be_an_ed25519_pem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    settings = load_settings(
        data_dir=tmp_path,
        member_hub_url="https://hub.example.test",
        member_hub_public_key_file=bad,
        member_api_key_file=tmp_path / "absent",
    )
    with pytest.raises(ConfigurationError) as refused:
        profile_from_settings(settings)
    assert "bad.pem is not a PEM public key" in refused.value.message
    assert "absent cannot be read" in refused.value.message


def test_the_first_sync_waits_for_the_rest_of_a_turn(tmp_path: Path) -> None:
    made = profile(tmp_path, member_sync_minutes=60, member_sync_jitter=0)
    schedule = BankSchedule(made, sessionmaker(), max_manifest_age=timedelta(hours=24))
    assert schedule.first_wait() == 0  # no copy yet: at once
    state = schedule.replica.store.state
    state["manifest_issued_at"] = (utcnow() - timedelta(minutes=45)).isoformat()
    assert 14 * 60 < schedule.first_wait() <= 15 * 60
    state["manifest_issued_at"] = (utcnow() - timedelta(days=2)).isoformat()
    assert schedule.first_wait() == 0
    (tmp_path / "banks").mkdir()
    (tmp_path / "banks" / "state.json").write_text(json.dumps({"format": "x", "version": 1}))
    with pytest.raises(InvalidInput, match=r"state\.json is not an alliance\.local-banks"):
        BankSchedule(made, sessionmaker(), max_manifest_age=timedelta(hours=24))
