"""A server or mirror that tampers with what a member syncs: every case is refused, the
local copy stays as it was and the command exits non-zero; a genuine withdrawal drops."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from alliance.accounts.permissions import Role
from alliance.banks import manifest
from alliance.banks.distribution import parse_any
from alliance.banks.local_store import LocalBankStore, SyncRefused
from alliance.banks.models import Bank
from alliance.banks.signing import SignatureInvalid, Signer
from alliance.banks.sync import MANIFEST_PATH, sync
from alliance.cli import sync as sync_cli
from alliance.cli.main import main
from alliance.settings import get_settings
from tests.factories import pdq_hex
from tests.functional.conftest import World
from tests.functional.test_sync import SERVER, _add, _bridge

BANK = "held-bank"


@dataclass
class History:
    """Genuine answers the hub gave earlier, by path: what a mirror could replay."""

    answers: dict[str, list[bytes]] = field(default_factory=dict)

    def keep(self, request: httpx.Request, body: bytes) -> bytes:
        self.answers.setdefault(request.url.path, []).append(body)
        return body


def _hub_signer(client: TestClient) -> Signer:
    signer: Signer = client.app.state.alliance.signer  # type: ignore[attr-defined]
    return signer


def _resigned(client: TestClient, genuine: bytes, **changes: object) -> bytes:
    """A manifest signed with the hub's own key but saying something else: what a hub
    restored from an older copy (or a faulty one) would send."""
    body = orjson.loads(genuine.split(b"\n")[0])
    body.update(changes)
    return manifest.sign(body, _hub_signer(client))


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.fixture
def held(client: TestClient, world: World, tmp_path: Path) -> tuple[LocalBankStore, History]:
    """A member holding BANK at sequence 2 (snapshot at 1, delta to 2); the hub is at 3."""
    analyst = {"Authorization": f"Bearer {world.keys[Role.analyst]}"}
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": BANK, "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    store = LocalBankStore.open(tmp_path / "banks")
    history = History()
    for seed in (1, 2):
        _add(client, analyst, BANK, seed)
        with _bridge(client, world.keys[Role.reviewer], history.keep) as http:
            sync(http, store, server=SERVER)
    _add(client, analyst, BANK, 3)
    assert store.checkpoint(BANK) == 2
    return store, history


def _tampering(client: TestClient, history: History, case: str) -> dict[str, bytes]:
    """What the tampering server answers instead, by path, for each case."""
    old_manifest, new_manifest = history.answers[MANIFEST_PATH]
    delta = f"/api/v1/banks/{BANK}/delta"
    if case == "empty-list":
        return {MANIFEST_PATH: b"[]", "/api/v1/banks": b"[]"}
    if case == "altered":  # the genuine signature kept over a list without the bank
        line, signature = new_manifest.split(b"\n")[:2]
        body = orjson.loads(line)
        body["banks"] = []
        return {MANIFEST_PATH: orjson.dumps(body) + b"\n" + signature + b"\n"}
    if case == "forged":
        body = orjson.loads(new_manifest.split(b"\n")[0])
        body.update(banks=[], removed=[BANK])
        return {MANIFEST_PATH: manifest.sign(body, Signer.generate())}
    if case == "bank-document":  # a genuinely signed delta passed off as the manifest
        return {MANIFEST_PATH: history.answers[f"/api/v1/banks/{BANK}/delta"][0]}
    if case == "binary-snapshot":  # the signed binary snapshot passed off as the manifest
        return {MANIFEST_PATH: history.answers[f"/api/v1/banks/{BANK}/snapshot"][0]}
    if case == "silent-drop":
        return {MANIFEST_PATH: _resigned(client, new_manifest, banks=[], removed=[])}
    if case == "rollback-manifest":
        return {
            MANIFEST_PATH: _resigned(client, new_manifest, banks=[{"name": BANK, "sequence": 1}])
        }
    if case == "replayed":
        return {MANIFEST_PATH: old_manifest}
    if case == "old-snapshot":  # the delta asked for, answered by the first snapshot
        return {delta: history.answers[f"/api/v1/banks/{BANK}/snapshot"][0]}
    assert case == "stale-delta"  # the delta from 1 to 2 again, not from 2 to 3
    return {delta: history.answers[delta][0]}


REFUSALS = {
    "empty-list": (SignatureInvalid, "signature", 2),
    "altered": (SignatureInvalid, "signature does not verify", 2),
    "forged": (SignatureInvalid, "signature does not verify", 2),
    "bank-document": (SignatureInvalid, "signature does not verify", 2),
    "binary-snapshot": (SignatureInvalid, "truncated", 2),
    "silent-drop": (SyncRefused, "neither lists nor withdraws banks you hold: held-bank", 5),
    "rollback-manifest": (SyncRefused, "held-bank at 1 \\(local copy at 2\\)", 5),
    "replayed": (SyncRefused, "an old manifest replayed", 5),
    "old-snapshot": (SignatureInvalid, "asked for the delta of bank 'held-bank', got the snap", 2),
    "stale-delta": (SyncRefused, "lists it at sequence 3, the platform sent a delta at 2", 5),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_tampering_is_refused_and_nothing_changes(
    client: TestClient,
    world: World,
    held: tuple[LocalBankStore, History],
    case: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, history = held
    before = _files(store.root)
    answers = _tampering(client, history, case)

    def tamper(request: httpx.Request, body: bytes) -> bytes:
        return answers.get(request.url.path, body)

    error, message, exit_code = REFUSALS[case]
    with (
        _bridge(client, world.keys[Role.reviewer], tamper) as http,
        pytest.raises(error, match=message),
    ):
        sync(http, store, server=SERVER)
    after = _files(store.root)
    if case in ("old-snapshot", "stale-delta"):
        # The genuine manifest was accepted (its time is kept against replays); the bank
        # was not touched.
        state = orjson.loads(after.pop("state.json"))
        assert state["banks"] == orjson.loads(before.pop("state.json"))["banks"]
    assert after == before
    reopened = LocalBankStore.open(store.root)
    assert reopened.checkpoint(BANK) == 2
    assert reopened.find("pdq", pdq_hex(2))[0] and not reopened.find("pdq", pdq_hex(3))[0]

    # The command says why and exits non-zero.
    monkeypatch.setattr(sync_cli, "make_client", lambda server, key: _bridge(client, key, tamper))
    capsys.readouterr()
    code = main(
        ["sync", "--server", SERVER, "--key", world.keys[Role.reviewer], "--store", str(store.root)]
    )
    assert code == exit_code
    assert "error:" in capsys.readouterr().err
    assert LocalBankStore.open(store.root).checkpoint(BANK) == 2


def test_a_manifest_for_another_member_is_refused(
    client: TestClient, world: World, held: tuple[LocalBankStore, History]
) -> None:
    store, _ = held
    before = _files(store.root)
    with _bridge(client, world.keys[Role.analyst]) as http:  # another organisation's key
        theirs = http.get(MANIFEST_PATH).content

    def tamper(request: httpx.Request, body: bytes) -> bytes:
        return theirs if request.url.path == MANIFEST_PATH else body

    with (
        _bridge(client, world.keys[Role.reviewer], tamper) as http,
        pytest.raises(SyncRefused, match=r"issued to alk_\w+ of 'w-hotline', not to this key"),
    ):
        sync(http, store, server=SERVER)
    assert _files(store.root) == before
    # Another key of the member's own organisation gets its own manifest, and the store
    # stays pinned to the organisation.
    assert store.state["member"] == "w-industry"
    with (
        _bridge(client, world.keys[Role.reviewer]) as http,
        pytest.raises(SyncRefused, match="for member 'w-industry'; this store syncs for 'x-y'"),
    ):
        sync(http, store, server=SERVER, member="x-y")


def test_the_unsigned_bank_list_is_not_used(
    client: TestClient, world: World, held: tuple[LocalBankStore, History]
) -> None:
    """The reported attack: the bank list answered with [] and old sequences. Sync no
    longer reads it; the signed manifest brings the bank to 3."""
    store, _ = held

    def tamper(request: httpx.Request, body: bytes) -> bytes:
        return b"[]" if request.url.path == "/api/v1/banks" else body

    with _bridge(client, world.keys[Role.reviewer], tamper) as http:
        report = sync(http, store, server=SERVER)
    assert report.dropped == [] and [r.checkpoint for r in report.applied] == [3]
    assert store.find("pdq", pdq_hex(3))[0]


def test_a_withdrawn_bank_is_dropped_on_the_signed_statement(
    client: TestClient,
    world: World,
    held: tuple[LocalBankStore, History],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, _ = held
    sessions = client.app.state.alliance.sessions  # type: ignore[attr-defined]
    with sessions.begin() as session:
        session.execute(update(Bank).where(Bank.name == BANK).values(subscriber_kinds=[]))
    with _bridge(client, world.keys[Role.reviewer]) as http:
        statement = manifest.parse(
            http.get(MANIFEST_PATH, params={"held": [BANK, "never-existed"]}).content,
            _hub_signer(client).public_key,
        )
    # Every held name it may not receive is withdrawn, existing or not: nothing is revealed.
    assert statement.removed == {BANK, "never-existed"} and statement.banks == {}
    monkeypatch.setattr(sync_cli, "make_client", lambda server, key: _bridge(client, key))
    capsys.readouterr()
    code = main(
        ["sync", "--server", SERVER, "--key", world.keys[Role.reviewer], "--store", str(store.root)]
    )
    assert code == 0
    assert (
        f"{BANK}: withdrawn by the platform's signed manifest, dropped" in capsys.readouterr().out
    )
    reopened = LocalBankStore.open(store.root)
    assert BANK not in reopened.banks and not (store.root / f"{BANK}.entries.jsonl").exists()


def test_the_store_itself_never_goes_back(
    client: TestClient, held: tuple[LocalBankStore, History]
) -> None:
    """Whatever the caller checked, a genuinely signed older snapshot does not replace a
    newer local copy."""
    store, history = held
    before = _files(store.root)
    old = parse_any(
        history.answers[f"/api/v1/banks/{BANK}/snapshot"][0], _hub_signer(client).public_key
    )
    with pytest.raises(SyncRefused, match="snapshot at sequence 1, older than the local copy at 2"):
        store.apply(old)
    assert _files(store.root) == before


def test_a_replayed_withdrawal_does_not_drop_a_bank_granted_again(
    client: TestClient, world: World, held: tuple[LocalBankStore, History]
) -> None:
    """Withdrawn, then granted again: the old signed withdrawal, replayed, is refused."""
    store, _ = held
    sessions = client.app.state.alliance.sessions  # type: ignore[attr-defined]
    history = History()
    for kinds in ([], ["industry"]):
        with sessions.begin() as session:
            session.execute(update(Bank).where(Bank.name == BANK).values(subscriber_kinds=kinds))
        with _bridge(client, world.keys[Role.reviewer], history.keep) as http:
            sync(http, store, server=SERVER)
    withdrawal, _ = history.answers[MANIFEST_PATH]
    assert b'"removed":["held-bank"]' in withdrawal and store.checkpoint(BANK) == 3
    before = _files(store.root)

    def replay(request: httpx.Request, body: bytes) -> bytes:
        return withdrawal if request.url.path == MANIFEST_PATH else body

    with (
        _bridge(client, world.keys[Role.reviewer], replay) as http,
        pytest.raises(SyncRefused, match="an old manifest replayed"),
    ):
        sync(http, store, server=SERVER)
    assert _files(store.root) == before and store.find("pdq", pdq_hex(3))[0]


def test_a_frozen_manifest_is_refused_once_it_is_old(
    client: TestClient,
    world: World,
    held: tuple[LocalBankStore, History],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A mirror that keeps answering the newest manifest it saw is no replay of an older
    one, but it holds the member at its copy: past the age limit, it is refused."""
    store, history = held
    newest = history.answers[MANIFEST_PATH][-1]
    before = _files(store.root)

    def freeze(request: httpx.Request, body: bytes) -> bytes:
        return newest if request.url.path == MANIFEST_PATH else body

    with _bridge(client, world.keys[Role.reviewer], freeze) as http:
        report = sync(http, store, server=SERVER)  # within the limit: up to date, as it says
        assert report.unchanged == [BANK]
        with pytest.raises(SyncRefused, match=r"hours ago .* holding back updates"):
            sync(http, store, server=SERVER, max_manifest_age=timedelta(0))
    assert _files(store.root) == before

    monkeypatch.setenv("ALLIANCE_SYNC_MAX_MANIFEST_AGE_HOURS", "0.00001")
    monkeypatch.setattr(sync_cli, "make_client", lambda server, key: _bridge(client, key, freeze))
    capsys.readouterr()
    get_settings.cache_clear()  # read the limit afresh, and forget it after
    try:
        key = world.keys[Role.reviewer]
        code = main(["sync", "--server", SERVER, "--key", key, "--store", str(store.root)])
    finally:
        get_settings.cache_clear()
    assert code == 5
    assert "holding back updates" in capsys.readouterr().err
    with _bridge(client, world.keys[Role.reviewer]) as http:  # the hub itself: a fresh one
        assert sync(http, store, server=SERVER).applied
