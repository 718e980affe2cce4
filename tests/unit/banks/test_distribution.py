"""Signed snapshots and deltas: round trip, and any tampering or truncation is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.banks import distribution
from alliance.banks import services as banks
from alliance.banks.schemas import EntryIn
from alliance.banks.signing import SignatureInvalid, Signer, load_public_key
from alliance.errors import ConfigurationError, InvalidInput
from tests import factories
from tests.factories import pdq_hex


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def filled(session: Session) -> tuple[object, object]:
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name="dist")
    added = banks.add_entries(
        session, analyst, "dist", [EntryIn(signal_type="pdq", signal=pdq_hex(i)) for i in range(5)]
    )
    banks.remove_entries(session, analyst, "dist", [added.entries[0].id])
    return analyst, added


def test_snapshot_and_delta_round_trip(session: Session, signer: Signer, filled: tuple) -> None:
    analyst, _ = filled
    snap = distribution.parse_document(
        distribution.snapshot(session, analyst, "dist", signer), signer.public_key
    )
    assert snap.kind == "snapshot" and snap.until == 2 and len(snap.entries) == 4
    assert not any(e["removed"] for e in snap.entries)
    delta = distribution.parse_document(
        distribution.delta(session, analyst, "dist", 1, signer), signer.public_key
    )
    assert delta.since == 1 and [e["removed"] for e in delta.entries] == [True]
    empty = distribution.parse_document(
        distribution.delta(session, analyst, "dist", 2, signer), signer.public_key
    )
    assert empty.entries == []
    with pytest.raises(InvalidInput, match="ahead of bank"):
        distribution.delta(session, analyst, "dist", 99, signer)


@pytest.mark.parametrize(
    "tamper", ["flip-signal", "drop-entry", "truncate", "reorder", "no-signature", "other-key"]
)
def test_tampered_documents_are_refused(
    session: Session, signer: Signer, filled: tuple, tamper: str
) -> None:
    analyst, _ = filled
    data = distribution.snapshot(session, analyst, "dist", signer)
    lines = data.split(b"\n")
    key = signer.public_key
    if tamper == "flip-signal":
        record = json.loads(lines[1])
        record["signal"] = pdq_hex(999)
        lines[1] = json.dumps(record, separators=(",", ":")).encode()
        data = b"\n".join(lines)
    elif tamper == "drop-entry":
        data = b"\n".join(lines[:1] + lines[2:])
    elif tamper == "truncate":
        data = data[: len(data) // 2]
    elif tamper == "reorder":
        data = b"\n".join([lines[0], lines[2], lines[1], *lines[3:]])
    elif tamper == "no-signature":
        data = b"\n".join(lines[:-2]) + b"\n"
    else:
        key = Signer.generate().public_key
    with pytest.raises((SignatureInvalid, InvalidInput)):
        distribution.parse_document(data, key)


def test_signing_key_file_is_created_once(tmp_path: Path) -> None:
    path = tmp_path / "k" / "signing_key.pem"
    first = Signer.from_file(path, create=True)
    assert Signer.from_file(path, create=False).key_id == first.key_id
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_public_key(first.public_pem()) is not None
    with pytest.raises(ConfigurationError):
        Signer.from_file(tmp_path / "missing.pem", create=False)
    (tmp_path / "bad.pem").write_text("nonsense")
    with pytest.raises(ConfigurationError):
        Signer.from_file(tmp_path / "bad.pem", create=False)
