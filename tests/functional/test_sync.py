"""A member syncs banks from the platform, matches locally, and refuses tampered data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from alliance.accounts.permissions import Role
from alliance.banks import snapshots
from alliance.banks.hub_client import post_json
from alliance.banks.local_store import LocalBankStore
from alliance.banks.signing import SignatureInvalid, Signer
from alliance.banks.sync import sync
from alliance.errors import InvalidInput, NotAuthenticated
from tests.factories import flip_bits, pdq_hex
from tests.functional.conftest import World

SERVER = "http://alliance.example.test"
Tamper = Callable[[httpx.Request, bytes], bytes]


def _bridge(client: TestClient, token: str, tamper: Tamper | None = None) -> httpx.Client:
    """An httpx client whose requests are served in-process by the app."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer = client.request(
            request.method,
            str(request.url.copy_with(scheme=None, host=None)),
            headers=dict(request.headers),
            content=request.read(),
        )
        body = answer.content
        if tamper is not None:
            body = tamper(request, body)
        return httpx.Response(
            answer.status_code,
            content=body,
            headers={"content-type": answer.headers["content-type"]},
        )

    return httpx.Client(
        base_url=SERVER,
        transport=httpx.MockTransport(handler),
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
def analyst(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[Role.analyst]}"}


def _add(client: TestClient, headers: dict[str, str], bank: str, *seeds: int) -> list[int]:
    response = client.post(
        f"/api/v1/banks/{bank}/entries",
        headers=headers,
        json={"entries": [{"signal_type": "pdq", "signal": pdq_hex(s)} for s in seeds]},
    )
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["entries"]]


def test_sync_snapshot_delta_and_removal(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path
) -> None:
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "baseline-sync", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    ids = _add(client, analyst, "baseline-sync", 1, 2, 3)
    store = LocalBankStore.open(tmp_path / "banks")
    with _bridge(client, world.keys[Role.reviewer]) as http:
        first = sync(http, store, server=SERVER)
    assert [(r.kind, r.entries, r.checkpoint) for r in first.applied] == [("snapshot", 3, 1)]
    found, _ = store.find("pdq", flip_bits(pdq_hex(2), 9))
    assert [(m.bank, m.distance) for m in found] == [("baseline-sync", 9)]

    _add(client, analyst, "baseline-sync", 4)
    client.post(
        "/api/v1/banks/baseline-sync/entries/remove", headers=analyst, json={"ids": [ids[0]]}
    )
    reopened = LocalBankStore.open(tmp_path / "banks")  # a later run resumes from disk
    with _bridge(client, world.keys[Role.reviewer]) as http:
        second = sync(http, reopened, server=SERVER)
    assert [(r.kind, r.changed, r.removed, r.entries) for r in second.applied] == [
        ("delta", 1, 1, 3)
    ]
    assert reopened.find("pdq", pdq_hex(4))[0]
    assert reopened.find("pdq", pdq_hex(1)) == ([], [])  # removal stops matching at once
    with _bridge(client, world.keys[Role.reviewer]) as http:
        third = sync(http, reopened, server=SERVER)
    assert third.applied == [] and third.unchanged == ["baseline-sync"]


@pytest.mark.parametrize("how", ["flip-byte", "truncate", "drop-line"])
def test_tampered_delta_is_refused_and_nothing_changes(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path, how: str
) -> None:
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "tamper", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    _add(client, analyst, "tamper", 10)
    store = LocalBankStore.open(tmp_path / "banks")
    with _bridge(client, world.keys[Role.reviewer]) as http:
        sync(http, store, server=SERVER)
    before = (tmp_path / "banks" / "tamper.entries.jsonl").read_bytes()
    _add(client, analyst, "tamper", 11)

    def tamper(request: httpx.Request, body: bytes) -> bytes:
        if "/delta" not in request.url.path:
            return body
        if how == "flip-byte":
            return body.replace(pdq_hex(11).encode(), pdq_hex(12).encode())
        if how == "truncate":
            return body[:-40]
        lines = body.split(b"\n")
        return b"\n".join([lines[0], *lines[2:]])

    with (
        _bridge(client, world.keys[Role.reviewer], tamper) as http,
        pytest.raises(SignatureInvalid),
    ):
        sync(http, store, server=SERVER)
    reopened = LocalBankStore.open(tmp_path / "banks")
    assert reopened.checkpoint("tamper") == 1
    assert (tmp_path / "banks" / "tamper.entries.jsonl").read_bytes() == before
    assert reopened.find("pdq", pdq_hex(11)) == ([], [])


def test_a_different_signing_key_is_refused(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    store = LocalBankStore.open(tmp_path / "banks")
    stranger = Signer.generate().public_pem()
    with (
        _bridge(client, world.keys[Role.reviewer]) as http,
        pytest.raises(SignatureInvalid, match="no longer signs"),
    ):
        sync(http, store, server=SERVER, public_key_pem=stranger)


def test_bad_key_and_lost_access(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path
) -> None:
    store = LocalBankStore.open(tmp_path / "banks")
    with _bridge(client, "alk_00000000_" + "x" * 43) as http, pytest.raises(NotAuthenticated):
        sync(http, store, server=SERVER)
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "closing", "scope": "policy", "subscriber_kinds": ["industry"]},
    )
    with _bridge(client, world.keys[Role.reviewer]) as http:
        sync(http, store, server=SERVER)
    assert "closing" in store.banks
    # The reviewer's organisation can no longer receive the bank: it is dropped locally.
    from sqlalchemy import update

    from alliance.banks.models import Bank

    app_sessions = client.app.state.alliance.sessions  # type: ignore[attr-defined]
    with app_sessions.begin() as session:
        session.execute(update(Bank).where(Bank.name == "closing").values(subscriber_kinds=[]))
    with _bridge(client, world.keys[Role.reviewer]) as http:
        report = sync(http, store, server=SERVER)
    assert report.dropped == ["closing"] and "closing" not in store.banks


def test_local_log_survives_a_torn_write_and_compacts(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path
) -> None:
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "logbank", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    _add(client, analyst, "logbank", 1)
    root = tmp_path / "banks"
    store = LocalBankStore.open(root)
    with _bridge(client, world.keys[Role.reviewer]) as http:
        sync(http, store, server=SERVER)
    log = root / "logbank.entries.jsonl"
    with log.open("ab") as handle:
        handle.write(b'{"id": 99, "sig')  # a crash in the middle of appending
    assert set(LocalBankStore.open(root).entries("logbank")) == set(store.entries("logbank"))
    for seed in range(2, 8):  # deltas append; the torn line is cut off first
        _add(client, analyst, "logbank", seed)
        with _bridge(client, world.keys[Role.reviewer]) as http:
            sync(http, store, server=SERVER)
    reopened = LocalBankStore.open(root)
    assert len(reopened.entries("logbank")) == 7
    assert all(reopened.find("pdq", pdq_hex(s))[0] for s in range(1, 8))


def test_member_disputes_a_local_match(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path
) -> None:
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": "disputes", "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    entry_id = _add(client, analyst, "disputes", 30)[0]
    store = LocalBankStore.open(tmp_path / "banks")
    with _bridge(client, world.keys[Role.reviewer]) as http:
        sync(http, store, server=SERVER)
        match = store.find("pdq", flip_bits(pdq_hex(30), 4))[0][0]
        result = post_json(
            http,
            f"/api/v1/banks/disputes/entries/{match.entry['id']}/feedback",
            {"verdict": "disputed", "note": "a logo", "distance": 4},
        )
    assert match.entry["id"] == entry_id
    assert result["disputed"] == 1 and result["verdict"] == "disputed"
    events = client.get(
        "/api/v1/audit/events?event_type=match:feedback",
        headers={"Authorization": f"Bearer {world.keys[Role.org_admin]}"},
    ).json()
    assert events and events[0]["details"]["note"] == "a logo"  # the contributor is told


def _binary_bank(client: TestClient, analyst: dict[str, str], name: str) -> None:
    client.post(
        "/api/v1/banks",
        headers=analyst,
        json={"name": name, "scope": "baseline", "subscriber_kinds": ["industry"]},
    )
    _add(client, analyst, name, 40, 41, 42)


def test_first_sync_takes_the_binary_snapshot(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path
) -> None:
    _binary_bank(client, analyst, "binary")
    reviewer = {"Authorization": f"Bearer {world.keys[Role.reviewer]}"}
    answer = client.get("/api/v1/banks/binary/snapshot?format=binary", headers=reviewer)
    assert answer.status_code == 200 and answer.headers["content-type"] == snapshots.MEDIA_TYPE
    assert answer.content.startswith(snapshots.MAGIC)
    assert (
        client.get("/api/v1/banks/binary/snapshot?format=xml", headers=reviewer).status_code == 422
    )
    asked: list[str] = []

    def note(request: httpx.Request, body: bytes) -> bytes:
        asked.append(str(request.url.copy_with(scheme=None, host=None)))
        return body

    store = LocalBankStore.open(tmp_path / "banks")
    with _bridge(client, world.keys[Role.reviewer], note) as http:
        sync(http, store, server=SERVER)
    assert "/api/v1/banks/binary/snapshot?format=binary" in asked
    assert (tmp_path / "banks" / "binary.snapshot").read_bytes().startswith(snapshots.MAGIC)
    assert [m.distance for m in store.find("pdq", flip_bits(pdq_hex(41), 3))[0]] == [3]


def test_a_platform_that_answers_json_lines_snapshots_is_still_synced(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path
) -> None:
    """A platform of an earlier release ignores ``format=binary``."""
    _binary_bank(client, analyst, "older")
    reviewer = {"Authorization": f"Bearer {world.keys[Role.reviewer]}"}

    def older(request: httpx.Request, body: bytes) -> bytes:
        if request.url.path.endswith("/snapshot"):
            return client.get(request.url.path, headers=reviewer).content
        return body

    store = LocalBankStore.open(tmp_path / "banks")
    with _bridge(client, world.keys[Role.reviewer], older) as http:
        report = sync(http, store, server=SERVER)
    assert [(r.kind, r.entries) for r in report.applied] == [("snapshot", 3)]
    _add(client, analyst, "older", 43)
    with _bridge(client, world.keys[Role.reviewer], older) as http:
        sync(http, store, server=SERVER)
    assert all(store.find("pdq", pdq_hex(s))[0] for s in (40, 41, 42, 43))


@pytest.mark.parametrize("how", ["truncate", "flip-byte", "newer-version", "other-key"])
def test_a_cut_or_altered_binary_snapshot_is_refused_and_nothing_is_applied(
    client: TestClient, world: World, analyst: dict[str, str], tmp_path: Path, how: str
) -> None:
    _binary_bank(client, analyst, "binary-tamper")

    def tamper(request: httpx.Request, body: bytes) -> bytes:
        if not request.url.path.endswith("/snapshot"):
            return body
        if how == "truncate":
            return body[: len(body) * 2 // 3]
        if how == "flip-byte":
            at = body.index(bytes.fromhex(pdq_hex(41)))
            return body[:at] + bytes([body[at] ^ 0x10]) + body[at + 1 :]
        if how == "newer-version":
            return body[:8] + (2).to_bytes(4, "little") + body[12:]
        stranger = Signer.generate()
        snap = snapshots.Snapshot(body, len(body) - 72)
        columns = snapshots.Columns.from_records(list(snap.records()))
        return snapshots.encode(snap.header, columns, stranger)

    root = tmp_path / "banks"
    error = InvalidInput if how == "newer-version" else SignatureInvalid
    with _bridge(client, world.keys[Role.reviewer], tamper) as http, pytest.raises(error):
        sync(http, LocalBankStore.open(root), server=SERVER)
    assert sorted(p.name for p in root.iterdir()) == ["state.json"]  # the manifest only
    assert "binary-tamper" not in LocalBankStore.open(root).banks
