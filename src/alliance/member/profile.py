"""The member profile: what `alliance serve --member` needs, read from the settings.

A member cannot run on half a profile: without the hub's address, its public key or the
member's API key, the banks would never sync (or would sync unverified), and the server
would answer "no match" for ever. :func:`profile_from_settings` names everything missing
or unreadable at once, so the operator fixes the profile in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alliance.accounts.services import API_KEY_RE
from alliance.errors import ConfigurationError, InvalidInput
from alliance.hosting.storage import parse_prefix
from alliance.settings import Settings
from alliance.signing import key_id, load_public_key


@dataclass(frozen=True)
class MemberProfile:
    hub_url: str
    hub_public_key_pem: str
    hub_key_id: str
    api_key: str
    organisation: str | None
    banks: tuple[str, ...] | None  # None: every bank the hub grants
    store_dir: Path
    sync_seconds: float
    sync_jitter: float
    storage_urls: tuple[str, ...]
    storage_networks: tuple[str, ...]

    def describe(self) -> str:
        """One line for the operator (never the API key)."""
        banks = ", ".join(self.banks) if self.banks else "every bank the hub grants"
        return (
            f"member of {self.hub_url} (hub key {self.hub_key_id}), syncing {banks} every "
            f"{self.sync_seconds / 60:g} min ± {self.sync_jitter:.0%} into {self.store_dir}"
        )


def _read(path: Path | None, setting: str, what: str, problems: list[str]) -> str | None:
    if path is None:
        problems.append(f"{setting} is not set ({what})")
        return None
    try:
        return path.read_text().strip()
    except OSError as exc:
        problems.append(f"{setting}: {path} cannot be read ({exc.strerror})")
        return None


def profile_from_settings(settings: Settings) -> MemberProfile:
    """The member profile; ConfigurationError naming every missing or bad part."""
    problems: list[str] = []
    hub = settings.member_hub_url.strip().rstrip("/")
    if not hub:
        problems.append("ALLIANCE_MEMBER_HUB_URL is not set (the hub's address)")
    elif not hub.startswith(("https://", "http://")):
        problems.append(f"ALLIANCE_MEMBER_HUB_URL must be an http(s) URL, not {hub!r}")
    pem = _read(
        settings.member_hub_public_key_file,
        "ALLIANCE_MEMBER_HUB_PUBLIC_KEY_FILE",
        "PEM of the hub's signing key",
        problems,
    )
    fingerprint = ""
    if pem is not None:
        try:
            fingerprint = key_id(load_public_key(pem))
        except InvalidInput as exc:
            problems.append(
                f"ALLIANCE_MEMBER_HUB_PUBLIC_KEY_FILE: {settings.member_hub_public_key_file} "
                f"is {exc.message}"
            )
    api_key = _read(
        settings.member_api_key_file,
        "ALLIANCE_MEMBER_API_KEY_FILE",
        "a file holding the member's API key at the hub",
        problems,
    )
    if api_key is not None and not API_KEY_RE.match(api_key):
        problems.append(
            f"ALLIANCE_MEMBER_API_KEY_FILE: {settings.member_api_key_file} does not hold "
            "an API key (alk_...)"
        )
    for prefix in settings.member_storage_urls:
        try:
            parse_prefix(prefix)
        except InvalidInput as exc:
            problems.append(f"ALLIANCE_MEMBER_STORAGE_URLS: {exc.message}")
    if problems:
        raise ConfigurationError(
            "the member profile is incomplete: " + "; ".join(problems) + " (docs/platforms.md, "
            '"Member mode")'
        )
    if pem is None or api_key is None:  # already a problem above; for the type checker
        raise ConfigurationError("the member profile is incomplete")
    return MemberProfile(
        hub_url=hub,
        hub_public_key_pem=pem,
        hub_key_id=fingerprint,
        api_key=api_key,
        organisation=settings.member_organisation.strip() or None,
        banks=tuple(dict.fromkeys(settings.member_banks)) or None,
        store_dir=settings.resolved_member_store_dir(),
        sync_seconds=settings.member_sync_minutes * 60,
        sync_jitter=settings.member_sync_jitter,
        storage_urls=tuple(settings.member_storage_urls),
        storage_networks=tuple(settings.member_storage_networks),
    )
