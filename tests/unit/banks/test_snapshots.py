"""The signed binary snapshot: the same records as the JSON-lines one, refused whole when cut
or altered, and a member's store built on it answering as one built from JSON lines."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.banks import distribution, snapshots
from alliance.banks import local_store as local
from alliance.banks import services as banks
from alliance.banks.local_store import LocalBankStore
from alliance.banks.schemas import Classification, EntryIn
from alliance.banks.signing import SignatureInvalid, Signer
from alliance.errors import InvalidInput
from alliance.hashing import video
from alliance.hashing.pdq import PdqHash
from tests import factories
from tests.factories import flip_bits, pdq_hex

BANK = "snap"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _clip(seed: int) -> str:
    digests = [bytes.fromhex(pdq_hex(seed * 10 + n)) for n in range(3)]
    return video.VpdqHash(
        tuple(video.VideoFrame(PdqHash(d, 90), n, float(n)) for n, d in enumerate(digests))
    ).to_text()


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def analyst(session: Session) -> Principal:
    """A bank of every kind of entry: PDQ with and without variants and categories, an
    MD5, a vPDQ video, a verified entry, and a removed one."""
    hotline = factories.organisation(session, OrgKind.hotline, "NL")
    analyst = factories.principal(factories.user(session, hotline, Role.analyst))
    factories.bank(session, hotline, name=BANK)
    added = banks.add_entries(
        session,
        analyst,
        BANK,
        [
            EntryIn(
                signal_type="pdq",
                signal=pdq_hex(1),
                classification=Classification(baseline=True, iwf="A", ncmec="A1", vics=1),
                variants={"rotate90": pdq_hex(101), "rotate180": pdq_hex(102)},
            ),
            EntryIn(signal_type="pdq", signal=pdq_hex(2)),
            EntryIn(signal_type="md5", signal=_md5("a"), classification=Classification(vics=0)),
            EntryIn(signal_type="vpdq", signal=_clip(3)),
            EntryIn(signal_type="pdq", signal=pdq_hex(4), classification=Classification(iwf="C")),
        ],
    )
    banks.remove_entries(session, analyst, BANK, [added.entries[4].id])
    return analyst


def _binary(session: Session, analyst: Principal, signer: Signer) -> bytes:
    distribution.clear_snapshot_cache()
    return distribution.binary_snapshot(session, analyst, BANK, signer)


def _jsonl(session: Session, analyst: Principal, signer: Signer) -> distribution.BankDocument:
    data = distribution.snapshot(session, analyst, BANK, signer)
    return distribution.parse_document(data, signer.public_key)


def test_same_records_as_the_json_lines_snapshot(
    session: Session, analyst: Principal, signer: Signer
) -> None:
    # The first entry changed last: the database's order is not the ids' order.
    klass = Classification(baseline=True, iwf="B", ncmec="A2", vics=2)
    banks.add_entries(
        session,
        analyst,
        BANK,
        [EntryIn(signal_type="pdq", signal=pdq_hex(1), classification=klass)],
    )
    snap = snapshots.verified(_binary(session, analyst, signer), signer.public_key)
    jsonl = _jsonl(session, analyst, signer)
    assert snap.record(0)["classification"] == klass.model_dump()
    assert (snap.kind, snap.bank, snap.since, snap.until) == ("snapshot", BANK, 0, jsonl.until)
    assert {k: v for k, v in snap.header.items() if k in jsonl.header} == {
        **jsonl.header,
        "format": snapshots.FORMAT,
        "version": snapshots.VERSION,
        "generated_at": snap.header["generated_at"],
    }
    assert sorted(snap.records(), key=lambda r: r["id"]) == sorted(
        jsonl.entries, key=lambda r: r["id"]
    )
    assert len(snap) == 4
    # Records made from the columns on a member (a JSON-lines snapshot kept as a base)
    # read back the same.
    header = {"bank": jsonl.header["bank"], "since": 0, "until": 3}
    local_copy = snapshots.encode(header, snapshots.Columns.from_records(jsonl.entries))
    assert list(snapshots.Snapshot(local_copy, len(local_copy)).records()) == list(snap.records())


def test_an_empty_bank(session: Session, signer: Signer, tmp_path: Path) -> None:
    factories.bank(session, name=BANK)
    snap = snapshots.verified(_binary(session, factories.OPERATOR, signer), signer.public_key)
    assert len(snap) == 0 and list(snap.records()) == []
    store = LocalBankStore.open(tmp_path)
    assert store.apply(snap).entries == 0
    assert store.find("pdq", pdq_hex(1)) == ([], []) and len(store.entries(BANK)) == 0


def test_the_platform_keeps_one_signed_document_per_bank_state(
    session: Session, analyst: Principal, signer: Signer
) -> None:
    first = _binary(session, analyst, signer)
    assert distribution.binary_snapshot(session, analyst, BANK, signer) is first
    assert distribution.binary_snapshot(session, analyst, BANK, Signer.generate()) != first
    banks.add_entries(session, analyst, BANK, [EntryIn(signal_type="pdq", signal=pdq_hex(5))])
    after = distribution.binary_snapshot(session, analyst, BANK, signer)
    assert after is not first
    assert len(snapshots.verified(after, signer.public_key)) == 5


def _resign(body: bytes, signer: Signer) -> bytes:
    signature = signer.sign(snapshots._DOMAIN + hashlib.sha256(body).digest())
    return body + base64.b64decode(signature) + snapshots.END


TAMPERING = {
    "truncated-half": (SignatureInvalid, "truncated"),
    "truncated-signature": (SignatureInvalid, "truncated"),
    "cut-inside": (SignatureInvalid, "does not verify"),
    "flipped-digest": (SignatureInvalid, "does not verify"),
    "flipped-header": (SignatureInvalid, "does not verify"),
    "flipped-signature": (SignatureInvalid, "does not verify"),
    "other-key": (SignatureInvalid, "does not verify"),
    "newer-version": (InvalidInput, "version 2 is not supported"),
    "json-lines-signature": (SignatureInvalid, "does not verify"),
    "not-a-snapshot": (InvalidInput, "not an alliance.bank-snapshot"),
}


def _tampered(data: bytes, signer: Signer, case: str) -> tuple[bytes, Any]:
    key = signer.public_key
    snap = snapshots.verified(data, key)
    digest_at = snap.header["sections"]["pdq"][0]
    if case == "truncated-half":
        return data[: len(data) // 2], key
    if case == "truncated-signature":
        return data[:-10], key
    if case == "cut-inside":  # a section cut out, the signature kept
        return data[:digest_at] + data[digest_at + 32 :], key
    if case == "flipped-digest":
        return data[:digest_at] + bytes([data[digest_at] ^ 1]) + data[digest_at + 1 :], key
    if case == "flipped-header":
        at = data.index(b'"suppression": false')
        return data[:at] + b'"suppression": true ' + data[at + 20 :], key
    if case == "flipped-signature":
        at = len(data) - 20
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :], key
    if case == "other-key":
        return data, Signer.generate().public_key
    if case == "newer-version":  # genuinely signed, but a version this release cannot read
        newer = data[:8] + (2).to_bytes(4, "little") + data[12 : -len(snapshots.END) - 64]
        return _resign(newer, signer), key
    if case == "json-lines-signature":  # signed for the JSON-lines domain
        body = data[: -len(snapshots.END) - 64]
        signature = signer.sign(b"alliance.bank.v1\n" + hashlib.sha256(body).digest())
        return body + base64.b64decode(signature) + snapshots.END, key
    assert case == "not-a-snapshot"
    return b"NOTASNAP" + data[8:], key


@pytest.mark.parametrize("case", TAMPERING)
def test_a_cut_or_altered_snapshot_is_refused_and_nothing_is_applied(
    session: Session, analyst: Principal, signer: Signer, tmp_path: Path, case: str
) -> None:
    data = _binary(session, analyst, signer)
    store = LocalBankStore.open(tmp_path)
    store.apply(_jsonl(session, analyst, signer))  # the copy held
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    tampered, key = _tampered(data, signer, case)
    error, message = TAMPERING[case]
    with pytest.raises(error, match=message):
        snapshots.verified(tampered, key)
    if case != "not-a-snapshot":  # read as a JSON-lines document instead: refused too
        with pytest.raises(error, match=message):
            distribution.parse_any(tampered, key)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_malformed_but_signed_snapshot_is_refused(signer: Signer) -> None:
    """A platform bug, not an attack: sections that do not fit the header are refused."""
    columns = snapshots.Columns.from_records([])
    bank = {"name": BANK, "scope": "baseline", "suppression": False, "pdq_threshold": 31}
    body = snapshots.encode({"bank": bank, "since": 0, "until": 0}, columns)
    assert len(snapshots.verified(_resign(body, signer), signer.public_key)) == 0
    for good, bad in (
        (b'"entries": 0', b'"entries": 9'),
        (b'"name": "snap"', b'"name": 123456'),
        (b'"until": 0,', b'"until":"",'),
    ):
        with pytest.raises(InvalidInput, match=r"malformed alliance\.bank-snapshot"):
            snapshots.verified(_resign(body.replace(good, bad), signer), signer.public_key)


def _delta(session: Session, analyst: Principal, since: int, signer: Signer) -> Any:
    data = distribution.delta(session, analyst, BANK, since, signer)
    return distribution.parse_document(data, signer.public_key)


def _answers(store: LocalBankStore) -> list[Any]:
    queries = [
        ("pdq", flip_bits(pdq_hex(1), 5)),
        ("pdq", pdq_hex(101)),  # the rotate90 variant
        ("pdq", pdq_hex(2)),
        ("pdq", pdq_hex(4)),
        ("pdq", pdq_hex(6)),
        ("md5", _md5("a")),
        ("md5", _md5("b")),
        ("vpdq", _clip(3)),
    ]
    return [
        sorted((m.entry["id"], m.distance, m.variant, m.entry["votes"]) for m in found)
        for found in (store.find(kind, value)[0] for kind, value in queries)
    ]


def test_a_member_applies_the_snapshot_then_deltas_as_from_json_lines(
    session: Session, analyst: Principal, signer: Signer, tmp_path: Path
) -> None:
    binary = LocalBankStore.open(tmp_path / "binary")
    jsonl = LocalBankStore.open(tmp_path / "jsonl")
    result = binary.apply(snapshots.verified(_binary(session, analyst, signer), signer.public_key))
    jsonl.apply(_jsonl(session, analyst, signer))
    assert (result.kind, result.entries, result.checkpoint) == ("snapshot", 4, 2)
    assert (tmp_path / "binary" / f"{BANK}.snapshot").exists()
    assert _answers(binary) == _answers(jsonl)
    assert _answers(binary)[0] and _answers(binary)[1] and _answers(binary)[7]

    # A delta that removes a base entry, changes another and adds two.
    entries = binary.entries(BANK)
    ids = {r["signal"]: i for i, r in entries.items()}
    banks.remove_entries(session, analyst, BANK, [ids[pdq_hex(2)]])
    hotline = session.get(Organisation, analyst.organisation_id)
    assert hotline is not None
    second = factories.principal(factories.user(session, hotline, Role.analyst))
    banks.vote(session, second, BANK, ids[pdq_hex(1)])
    banks.add_entries(
        session,
        analyst,
        BANK,
        [
            EntryIn(signal_type="pdq", signal=pdq_hex(6)),
            EntryIn(signal_type="md5", signal=_md5("b")),
        ],
    )
    for store in (binary, jsonl):
        applied = store.apply(_delta(session, analyst, 2, signer))
        assert (applied.removed, applied.entries) == (1, 5)
    answers = _answers(binary)
    assert answers == _answers(jsonl)
    assert answers[2] == [] and answers[4] and answers[6]  # removed, added
    assert answers[0][0][3] == 2  # the vote arrived
    reopened = LocalBankStore.open(tmp_path / "binary")
    assert _answers(reopened) == answers
    assert dict(reopened.entries(BANK)) == dict(jsonl.entries(BANK))
    assert len(reopened.entries(BANK)) == 5 and ids[pdq_hex(2)] not in reopened.entries(BANK)


def test_the_log_is_folded_into_a_new_base(
    session: Session,
    analyst: Principal,
    signer: Signer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = LocalBankStore.open(tmp_path)
    store.apply(snapshots.verified(_binary(session, analyst, signer), signer.public_key))
    before = dict(store.entries(BANK))
    kept = next(i for i, r in before.items() if r["signal"] == pdq_hex(1))
    banks.remove_entries(session, analyst, BANK, [i for i in before if i != kept])
    monkeypatch.setattr(local, "COMPACT_AFTER", 0)
    store.apply(_delta(session, analyst, 2, signer))  # 3 lines, more than the 1 entry left
    assert (tmp_path / f"{BANK}.entries.jsonl").read_bytes() == b""
    reopened = LocalBankStore.open(tmp_path)
    assert reopened.state["banks"][BANK]["log_lines"] == 0
    assert dict(reopened.entries(BANK)) == {kept: before[kept]}
    assert reopened.find("pdq", pdq_hex(2)) == ([], []) and reopened.find("md5", _md5("a"))[0] == []
    assert reopened.find("pdq", pdq_hex(101))[0][0].variant == "rotate90"


def test_a_log_older_than_the_base_is_skipped(
    session: Session, analyst: Principal, signer: Signer, tmp_path: Path
) -> None:
    """A crash between writing a new base and emptying the log leaves the old log beside
    the new base: its lines are changes the base already holds."""
    store = LocalBankStore.open(tmp_path)
    store.apply(_jsonl(session, analyst, signer))
    banks.add_entries(session, analyst, BANK, [EntryIn(signal_type="pdq", signal=pdq_hex(6))])
    store.apply(_delta(session, analyst, 2, signer))
    old_log = (tmp_path / f"{BANK}.entries.jsonl").read_bytes()
    entry_id = next(i for i, r in store.entries(BANK).items() if r["signal"] == pdq_hex(6))
    banks.remove_entries(session, analyst, BANK, [entry_id])
    store.apply(snapshots.verified(_binary(session, analyst, signer), signer.public_key))
    (tmp_path / f"{BANK}.entries.jsonl").write_bytes(old_log)  # as if the crash came
    reopened = LocalBankStore.open(tmp_path)
    assert entry_id not in reopened.entries(BANK) and len(reopened.entries(BANK)) == 4


def test_a_store_of_an_earlier_release_is_read(
    session: Session, analyst: Principal, signer: Signer, tmp_path: Path
) -> None:
    """A log holding the whole bank and no base, as earlier releases wrote it."""
    document = _jsonl(session, analyst, signer)
    fresh = LocalBankStore.open(tmp_path / "fresh")
    fresh.apply(document)
    old = tmp_path / "old"
    old.mkdir()
    (old / "state.json").write_bytes((tmp_path / "fresh" / "state.json").read_bytes())
    (old / f"{BANK}.entries.jsonl").write_bytes(
        b"".join(local._record_line(r) for r in document.entries)
    )
    (old / f"{BANK}.pdqidx").write_bytes((tmp_path / "fresh" / f"{BANK}.pdqidx").read_bytes())
    reopened = LocalBankStore.open(old)
    assert dict(reopened.entries(BANK)) == dict(fresh.entries(BANK))
    assert _answers(reopened) == _answers(fresh)
