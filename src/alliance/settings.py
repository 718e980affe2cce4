"""Deployment settings, read from the environment (prefix ``ALLIANCE_``) or a ``.env`` file.

Every field carries a description: ``alliance settings`` prints them with secrets masked.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from alliance.errors import ConfigurationError


class Mode(StrEnum):
    demo = "demo"
    development = "development"
    production = "production"


SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ALLIANCE_", env_file=".env", extra="ignore", validate_default=True
    )

    mode: Mode = Field(
        Mode.demo,
        description="demo | development | production. Production refuses to start without "
        "an explicit secret key and never generates one.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Folder for the embedded SQLite database, the generated demo secret "
        "and other local state. Created when missing.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the database. Empty: SQLite file <data_dir>/alliance.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that signs CSRF tokens. Required in production; in demo and "
        "development a random one is generated once and kept in <data_dir>/secret_key.",
    )
    signing_key_file: Path | None = Field(
        None,
        description="PEM file with the Ed25519 private key that signs bank snapshots and "
        "deltas. Required in production; in demo and development one is generated once "
        "as <data_dir>/signing_key.pem.",
    )
    host: str = Field("127.0.0.1", description="Address `alliance serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `alliance serve` listens on.")
    session_hours: int = Field(
        8, ge=1, le=24 * 7, description="A web login lasts this many hours of inactivity."
    )
    secure_cookies: bool = Field(
        False,
        description="Mark cookies Secure (HTTPS only). Turn on behind TLS; production "
        "deployments must serve over HTTPS.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body accepted (bytes); larger ones get 413.",
    )
    max_upload_bytes: int = Field(
        50 * 1_048_576,
        ge=1024,
        description="Largest media upload accepted by POST /api/v1/match/file (bytes); it is "
        "hashed in memory and never stored.",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window over which failed logins are counted."
    )
    login_max_failures_per_account: int = Field(
        5, ge=1, description="Failed logins for one account within the window before 429."
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one client address within the window before 429."
    )
    api_key_max_days: int = Field(
        365, ge=1, description="Longest lifetime an API key may be given, in days."
    )

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.mode is Mode.production and not self.secret_key.get_secret_value():
            raise ValueError(
                "ALLIANCE_SECRET_KEY must be set in production mode "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'alliance.db'}"

    def resolved_secret_key(self) -> str:
        """The configured secret key, or (outside production) the one kept in the data dir."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured
        if self.mode is Mode.production:  # pragma: no cover - the validator refuses this
            raise ConfigurationError("ALLIANCE_SECRET_KEY must be set in production mode")
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def resolved_signing_key_file(self) -> Path:
        """The configured signing key file, or (outside production) the data dir's."""
        if self.signing_key_file is not None:
            return self.signing_key_file
        if self.mode is Mode.production:
            raise ConfigurationError(
                "ALLIANCE_SIGNING_KEY_FILE must be set in production mode "
                "(alliance keys signing-key --out FILE makes one)"
            )
        return self.data_dir / "signing_key.pem"

    def masked(self) -> dict[str, Any]:
        """The effective settings as a dict, secrets and database passwords masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else "(generated in data dir)"
            elif name == "database_url":
                value = _mask_url_password(self.effective_database_url)
            elif isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out


def _mask_url_password(url: str) -> str:
    parsed = make_url(url)
    return parsed.render_as_string(hide_password=True)


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation problems into one clear ConfigurationError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
