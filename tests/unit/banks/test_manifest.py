"""The signed bank manifest: what it says, and which documents are refused before reading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.banks import distribution, manifest
from alliance.banks.local_store import LocalBankStore
from alliance.banks.signing import SignatureInvalid, Signer, sign_lines
from alliance.banks.sync import sync
from alliance.errors import InvalidInput, NotFound
from tests import factories

SERVER = "http://alliance.example.test"


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def member(session: Session) -> Principal:
    """An industry member that may receive two banks and not a third."""
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    platform = factories.organisation(session, OrgKind.industry, "US", slug="photoshare")
    factories.bank(session, hotline, name="granted-a")
    factories.bank(session, hotline, name="granted-b")
    factories.bank(session, hotline, name="hotlines-only", subscriber_kinds=(OrgKind.hotline,))
    return factories.principal(factories.user(session, platform, Role.reviewer))


def _body(data: bytes) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(data.split(b"\n")[0])
    return body


def test_issue_and_parse(session: Session, signer: Signer, member: Principal) -> None:
    data = manifest.issue(session, member, ["granted-a", "hotlines-only", "gone-bank"], signer)
    read = manifest.parse(data, signer.public_key)
    assert read.organisation == "photoshare" and read.api_key is None  # a user, not a key
    assert read.banks == {"granted-a": 0, "granted-b": 0}
    # Held banks it may not receive are withdrawn, whether they exist or not.
    assert read.removed == {"hotlines-only", "gone-bank"}
    assert read.issued_at.tzinfo is not None
    assert _body(data)["key_id"] == signer.key_id


def test_held_names_are_checked(session: Session, signer: Signer, member: Principal) -> None:
    with pytest.raises(InvalidInput, match="is not a bank name"):
        manifest.issue(session, member, ["../state"], signer)
    with pytest.raises(InvalidInput, match="at most 1000"):
        manifest.issue(session, member, [f"bank-{i}" for i in range(1001)], signer)


def test_signature_is_for_manifests_only(
    session: Session, signer: Signer, member: Principal
) -> None:
    data = manifest.issue(session, member, [], signer)
    with pytest.raises(SignatureInvalid):
        manifest.parse(data, Signer.generate().public_key)
    # A bank document signed by the same key is not a manifest, nor the other way round.
    snapshot = distribution.snapshot(session, member, "granted-a", signer)
    with pytest.raises(SignatureInvalid):
        manifest.parse(snapshot, signer.public_key)
    with pytest.raises(SignatureInvalid):
        distribution.parse_document(data, signer.public_key)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "alliance.bank"}, "not an alliance.bank-manifest document"),
        ({"version": 2}, "version 2 is not supported"),
        ({"banks": [{"name": "../../etc", "sequence": 1}]}, "is not a bank name"),
        ({"banks": [{"name": "granted-a", "sequence": -1}]}, "bad sequence"),
        ({"banks": [{"name": "granted-a", "sequence": "7"}]}, "bad sequence"),
        (
            {"banks": [{"name": "granted-a", "sequence": 1}, {"name": "granted-a", "sequence": 2}]},
            "listed twice",
        ),
        ({"removed": ["granted-a"]}, "both granted and removed"),
        ({"issued_at": "2026-12-04T18:00:00"}, "no time zone"),
        ({"issued_at": "yesterday"}, "malformed"),
        ({"member": None}, "malformed"),
        ({"banks": None}, "malformed"),
    ],
)
def test_malformed_manifests_are_refused(
    session: Session, signer: Signer, member: Principal, change: dict[str, Any], message: str
) -> None:
    body = _body(manifest.issue(session, member, [], signer))
    body.update(change)
    with pytest.raises(InvalidInput, match=message):
        manifest.parse(manifest.sign(body, signer), signer.public_key)


def test_a_manifest_is_one_line_and_its_signature(
    session: Session, signer: Signer, member: Principal
) -> None:
    line = orjson.dumps(_body(manifest.issue(session, member, [], signer))) + b"\n"
    two = sign_lines(line + line, b"alliance.bank-manifest.v1\n", signer)
    with pytest.raises(InvalidInput, match="one line and its signature"):
        manifest.parse(two, signer.public_key)


def test_a_platform_without_manifests_is_not_trusted(tmp_path: Path) -> None:
    """An older platform (or a mirror pretending to be one) answers 404 for the manifest:
    the member stops, says why, and never falls back to the unsigned bank list."""
    signer = Signer.generate()
    key = {"key_id": signer.key_id, "algorithm": "Ed25519", "public_key_pem": signer.public_pem()}

    def older_platform(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/keys":
            return httpx.Response(200, json={"keys": [key]})
        if request.url.path == "/api/v1/banks":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "Not Found"}})

    store = LocalBankStore.open(tmp_path / "banks")
    with (
        httpx.Client(base_url=SERVER, transport=httpx.MockTransport(older_platform)) as http,
        pytest.raises(NotFound, match="runs an older Alliance and must be upgraded"),
    ):
        sync(http, store, server=SERVER)
    assert not (tmp_path / "banks").exists()
