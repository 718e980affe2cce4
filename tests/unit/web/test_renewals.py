"""The match lane's cached rows are read again in the background before they lapse: one
read at a time, from half their time on, never kept across a change made here."""

from __future__ import annotations

from typing import Any

import pytest

from alliance.accounts.policy import Principal
from alliance.banks.models import Bank
from alliance.web.recent_banks import RecentBanks
from alliance.web.recent_keys import TRUSTED_SECONDS, RecentKeys
from alliance.web.recent_watches import RecentWatches
from alliance.web.renewals import Renewals
from tests.unit.web.test_recent_keys import KEY

TOKEN = "alk_0000aaaa_secret"
SESSION: Any = object()  # the caches hand it to the reads, which are stubbed here


def test_a_read_is_claimed_once_from_half_its_time_until_it_lapses() -> None:
    now = [10.0]
    renewals: Renewals[str] = Renewals(1.0, lambda: now[0])
    assert renewals.claim("k", read_at=10.0) is None  # just read
    now[0] = 10.49
    assert renewals.claim("k", read_at=10.0) is None
    now[0] = 10.5
    claim = renewals.claim("k", read_at=10.0)
    assert claim is not None
    assert renewals.claim("k", read_at=10.0) is None  # being read
    assert renewals.claim("other", read_at=10.0) is not None  # one claim per value
    assert renewals.settle("k", claim)
    assert renewals.claim("k", read_at=10.0) is not None  # settled: may be claimed again
    now[0] = 11.0
    assert renewals.claim("k2", read_at=10.0) is None  # lapsed: the request reads it


def test_a_claim_whose_read_never_ended_lapses() -> None:
    now = [0.6]
    renewals: Renewals[None] = Renewals(1.0, lambda: now[0])
    assert renewals.claim(None, read_at=0.0) is not None
    now[0] = 1.5
    assert renewals.claim(None, read_at=0.9) is None  # claimed until 1.6
    now[0] = 1.6
    assert renewals.claim(None, read_at=0.9) is not None


def test_a_read_under_way_when_the_cache_is_cleared_is_not_kept() -> None:
    renewals: Renewals[None] = Renewals(1.0, lambda: 0.5)
    claim = renewals.claim(None, read_at=0.0)
    assert claim is not None
    renewals.clear()
    assert not renewals.settle(None, claim)


def test_a_key_is_read_again_in_the_background_and_its_second_starts_again() -> None:
    now = [100.0]
    keys = RecentKeys(clock=lambda: now[0])
    keys.put(TOKEN, KEY)
    assert keys.renewal_due(TOKEN) is None
    assert keys.renewal_due("alk_0000aaaa_unknown") is None  # not accepted: the route reads
    now[0] += TRUSTED_SECONDS * 0.6
    claim = keys.renewal_due(TOKEN)
    assert claim is not None
    assert keys.renewal_due(TOKEN) is None
    assert keys.get(TOKEN) == KEY  # used while it is read
    read_at = now[0]

    def read() -> Principal:
        now[0] += 0.05  # the read takes time: the second counts from before it
        return KEY

    keys.renew(TOKEN, claim, read)
    now[0] = read_at + TRUSTED_SECONDS - 0.01
    assert keys.get(TOKEN) == KEY
    now[0] = read_at + TRUSTED_SECONDS
    assert keys.get(TOKEN) is None


def _claimed(at: float) -> tuple[RecentKeys, int, list[float]]:
    """Keys holding KEY, read at 0.0, and the claim on its next read made at ``at``."""
    now = [0.0]
    keys = RecentKeys(clock=lambda: now[0])
    keys.put(TOKEN, KEY)
    now[0] = at
    claim = keys.renewal_due(TOKEN)
    assert claim is not None
    return keys, claim, now


def test_a_key_refused_when_read_again_is_forgotten() -> None:
    keys, claim, _ = _claimed(0.7)
    keys.renew(TOKEN, claim, lambda: "revoked")  # authenticate_api_key's KeyRejection
    assert keys.get(TOKEN) is None  # the route reads it, refuses it and audits it


def test_a_key_read_again_before_a_revocation_here_is_not_kept() -> None:
    """The read began before this process revoked the key and cleared the keys: what it
    found (the key still valid) must not be put back."""
    keys, claim, _ = _claimed(0.7)

    def read() -> Principal:
        keys.clear()  # the revocation commits while the read is under way
        return KEY

    keys.renew(TOKEN, claim, read)
    assert keys.get(TOKEN) is None


def test_a_failed_read_leaves_the_key_to_lapse_and_may_be_claimed_again() -> None:
    keys, claim, now = _claimed(0.6)

    def fails() -> Principal:
        raise ConnectionError("the database went away")

    with pytest.raises(ConnectionError):
        keys.renew(TOKEN, claim, fails)
    assert keys.get(TOKEN) == KEY  # still within its second
    assert keys.renewal_due(TOKEN) is not None
    now[0] = 1.0
    assert keys.get(TOKEN) is None


def _bank(name: str) -> Bank:
    return Bank(id=1, name=name, scope="baseline", revision=1)


def test_the_banks_rows_are_read_again_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    rows = [[_bank("first")]]
    monkeypatch.setattr("alliance.banks.services.all_banks", lambda session: rows[0])
    kept = RecentBanks(clock=lambda: now[0])
    assert kept.renewal_due() is None  # never read: the route reads them
    assert [b.name for b in kept.all(SESSION)] == ["first"]
    now[0] = 0.3
    claim = kept.renewal_due()
    assert claim is not None and kept.renewal_due() is None
    rows[0] = [_bank("second")]
    kept.renew(SESSION, claim)
    now[0] = 0.75  # past the first read's half second, within the second's
    fresh = kept.fresh()
    assert fresh is not None and [b.name for b in fresh] == ["second"]

    claim = kept.renewal_due()
    assert claim is not None
    kept.clear()  # a bank changed here while they were read
    kept.renew(SESSION, claim)
    assert kept.fresh() is None


def test_the_watched_hashes_are_checked_again_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]
    sequence, hashes = [1], [frozenset({"a" * 64})]
    read: list[str] = []

    def watch_sequence(session: object) -> int:
        read.append("sequence")
        return sequence[0]

    def watched_hashes(session: object) -> frozenset[str]:
        read.append("hashes")
        return hashes[0]

    monkeypatch.setattr("alliance.cooperation.services.watch_sequence", watch_sequence)
    monkeypatch.setattr("alliance.cooperation.services.watched_hashes", watched_hashes)
    watches = RecentWatches(clock=lambda: now[0])
    assert watches.all(SESSION) == hashes[0]
    now[0] = 0.3
    claim = watches.renewal_due()
    assert claim is not None
    read.clear()
    watches.renew(SESSION, claim)
    assert read == ["sequence"]  # unchanged: the hashes are not read again
    sequence[0], hashes[0] = 2, frozenset({"b" * 64})
    now[0] = 0.6
    claim = watches.renewal_due()
    assert claim is not None
    watches.renew(SESSION, claim)
    assert read == ["sequence", "sequence", "hashes"]
    assert watches.fresh() == hashes[0]
