"""API keys accepted lately: trusted for a second, then read again; never the token kept."""

from __future__ import annotations

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.web.recent_keys import TRUSTED_SECONDS, RecentKeys

KEY = Principal(
    kind="api_key",
    name="alk_0000aaaa",
    role=Role.viewer,
    organisation_id=1,
    organisation_kind=OrgKind.industry,
    country_code="NL",
    api_key_id=7,
)


def test_a_key_is_trusted_for_a_second_from_when_it_was_read() -> None:
    now = [100.0]
    keys = RecentKeys(clock=lambda: now[0])
    assert keys.get("alk_0000aaaa_secret") is None
    keys.put("alk_0000aaaa_secret", KEY)
    now[0] += TRUSTED_SECONDS / 2
    assert keys.get("alk_0000aaaa_secret") == KEY  # a hit does not extend the second
    assert keys.get("alk_0000aaaa_other") is None
    now[0] += TRUSTED_SECONDS / 2
    assert keys.get("alk_0000aaaa_secret") is None


def test_the_tokens_are_not_kept_and_the_store_is_bounded() -> None:
    keys = RecentKeys(limit=3)
    for n in range(5):
        keys.put(f"alk_0000aaaa_secret{n}", KEY)
    assert len(keys._accepted) <= 3
    assert all(isinstance(k, bytes) and b"secret" not in k for k in keys._accepted)
    keys.clear()
    assert keys.get("alk_0000aaaa_secret4") is None
