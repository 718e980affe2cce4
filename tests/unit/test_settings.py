"""Settings: production needs a secret; demo keeps a generated one; secrets are masked."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from alliance.errors import ConfigurationError
from alliance.settings import Settings, load_settings


def test_production_without_secret_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ALLIANCE_SECRET_KEY must be set"):
        load_settings(mode="production", data_dir=tmp_path)


def test_demo_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    settings = load_settings(mode="demo", data_dir=tmp_path / "var")
    first = settings.resolved_secret_key()
    assert len(first) >= 40
    assert load_settings(mode="demo", data_dir=tmp_path / "var").resolved_secret_key() == first
    mode = stat.S_IMODE((tmp_path / "var" / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALLIANCE_PORT", "9001")
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.port == 9001
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'alliance.db'}"


def test_masked_hides_secrets_and_passwords(tmp_path: Path) -> None:
    settings = load_settings(
        secret_key="s3cr3t-value",
        data_dir=tmp_path,
        database_url="postgresql+psycopg://alliance:hunter2@db.example.test/alliance",
    )
    masked = settings.masked()
    text = repr(masked)
    assert "s3cr3t-value" not in text and "hunter2" not in text
    assert masked["secret_key"] == "********"
    assert "db.example.test" in masked["database_url"]


def test_every_setting_is_described() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name


def test_invalid_value_is_one_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="port"):
        load_settings(port=70000)


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = load_settings(trusted_proxies=["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"])
    assert settings.trusted_proxies[1] == "10.0.0.0/8"
    assert load_settings().trusted_proxies == []  # nobody's X-Forwarded-For by default
    with pytest.raises(ConfigurationError, match=r"proxy\.example\.test"):
        load_settings(trusted_proxies=["proxy.example.test"])
