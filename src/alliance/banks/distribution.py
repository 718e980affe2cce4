"""The signed bank document: a snapshot or a delta, as JSON lines.

Format ``alliance.bank`` version 1 (UTF-8, one JSON object per line, ``\\n`` endings)::

    {"format": "alliance.bank", "version": 1, "kind": "snapshot" | "delta",
     "bank": {"name", "scope", "owner", "suppression", "pdq_threshold"},
     "since": N, "until": M, "entries": K, "generated_at": "...Z", "key_id": "..."}
    {"id": 17, "seq": 5, "signal_type": "pdq", "signal": "...", "removed": false,
     "classification": {"baseline": true, "iwf": "A", "ncmec": null, "vics": null},
     "votes": 3, "verified": true, "confirmed": 0, "disputed": 0, "flagged": false,
     "contributor": "nl-hotline", "added_at": "...",
     "variants": {"flip_x": "...", "rotate_90": "...", ...}}   # PDQ only, may be empty
    ... K entry lines ...
    {"signature": "<base64 Ed25519>", "key_id": "..."}

A snapshot holds the live entries changed up to ``until``; a delta holds every entry
changed after ``since`` up to ``until``, removals included (``"removed": true``). The
signature is Ed25519 over ``b"alliance.bank.v1\\n" + SHA-256(all bytes before the signature
line)``, so the document can be hashed as it streams. A subscriber applies a delta only if
the signature verifies with the platform key it pinned, the entry count matches the header
and ``since`` is its checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.policy import Principal
from alliance.banks.models import Bank, BankEntry, BankSync, EntryVariant
from alliance.banks.services import VERIFIED_AT, get_bank
from alliance.banks.signing import Signer, check_format, sign_lines, verified_lines
from alliance.db.base import utcnow
from alliance.errors import InvalidInput

FORMAT = "alliance.bank"
VERSION = 1
_DOMAIN = b"alliance.bank.v1\n"


def _line(value: dict[str, Any]) -> bytes:
    # orjson: compact UTF-8, and a million-entry snapshot serialises in a second, not ten.
    return orjson.dumps(value) + b"\n"


#: The columns a distributed entry is made of, read without the ORM (a snapshot of a
#: million entries would otherwise spend most of its time building objects).
_COLUMNS = (
    BankEntry.id,
    BankEntry.changed_seq,
    BankEntry.signal_type,
    BankEntry.signal_value,
    BankEntry.removed_at,
    BankEntry.baseline,
    BankEntry.iwf_category,
    BankEntry.ncmec_category,
    BankEntry.vics_category,
    BankEntry.votes,
    BankEntry.confirmed,
    BankEntry.disputed,
    BankEntry.flagged,
    BankEntry.contributor_organisation_id,
    BankEntry.added_at,
)


def _records(session: Session, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
    slugs: dict[int, str] = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    rows = session.execute(
        select(*_COLUMNS).where(*where).order_by(BankEntry.changed_seq, BankEntry.id)
    ).all()
    forms: dict[int, dict[str, str]] = {}
    for entry_id, name, value in session.execute(
        select(EntryVariant.entry_id, EntryVariant.name, EntryVariant.signal_value)
        .join(BankEntry, EntryVariant.entry_id == BankEntry.id)
        .where(*where)
    ).all():
        forms.setdefault(entry_id, {})[name] = value
    return [
        {
            "id": entry_id,
            "seq": seq,
            "signal_type": signal_type,
            "signal": value,
            "removed": removed_at is not None,
            "classification": {"baseline": baseline, "iwf": iwf, "ncmec": ncmec, "vics": vics},
            "votes": votes,
            "verified": votes >= VERIFIED_AT,
            "confirmed": confirmed,
            "disputed": disputed,
            "flagged": flagged,
            "contributor": slugs[contributor],
            "added_at": added_at.isoformat(),
            "variants": forms.get(entry_id, {}),
        }
        for (
            entry_id,
            seq,
            signal_type,
            value,
            removed_at,
            baseline,
            iwf,
            ncmec,
            vics,
            votes,
            confirmed,
            disputed,
            flagged,
            contributor,
            added_at,
        ) in rows
    ]


def build_document(
    bank: Bank, entries: list[dict[str, Any]], *, kind: str, since: int, signer: Signer
) -> bytes:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "bank": {
            "name": bank.name,
            "scope": bank.scope,
            "owner": bank.owner.slug,
            "suppression": bank.suppression,
            "pdq_threshold": bank.pdq_threshold,
        },
        "since": since,
        "until": bank.sequence,
        "entries": len(entries),
        "generated_at": utcnow().isoformat(),
        "key_id": signer.key_id,
    }
    return sign_lines(b"".join([_line(header), *(_line(e) for e in entries)]), _DOMAIN, signer)


@dataclass(frozen=True)
class BankDocument:
    header: dict[str, Any]
    entries: list[dict[str, Any]]

    @property
    def kind(self) -> str:
        return str(self.header["kind"])

    @property
    def bank(self) -> str:
        return str(self.header["bank"]["name"])

    @property
    def since(self) -> int:
        return int(self.header["since"])

    @property
    def until(self) -> int:
        return int(self.header["until"])


def parse_document(data: bytes, public_key: Ed25519PublicKey) -> BankDocument:
    """Verify and parse a document; any alteration or truncation raises, nothing partial."""
    lines = verified_lines(data, _DOMAIN, public_key)
    header = orjson.loads(lines[0])
    check_format(header, FORMAT, VERSION)
    entries = [orjson.loads(line) for line in lines[1:]]
    if len(entries) != header.get("entries"):
        raise InvalidInput("entry count does not match the header")
    return BankDocument(header, entries)


def iter_signals(document: BankDocument) -> Iterable[tuple[str, str, bool]]:
    for entry in document.entries:
        yield entry["signal_type"], entry["signal"], bool(entry["removed"])


def snapshot(session: Session, actor: Principal, bank_name: str, signer: Signer) -> bytes:
    """A signed snapshot of every live entry of a bank the actor may see."""
    bank = get_bank(session, actor, bank_name)
    entries = _records(session, BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))
    _note_sync(session, actor, bank, "snapshot")
    return build_document(bank, entries, kind="snapshot", since=0, signer=signer)


def delta(session: Session, actor: Principal, bank_name: str, since: int, signer: Signer) -> bytes:
    """A signed delta: every entry changed after ``since``, removals included."""
    bank = get_bank(session, actor, bank_name)
    if since > bank.sequence:
        raise InvalidInput(
            f"checkpoint {since} is ahead of bank {bank.name!r} "
            f"(at {bank.sequence}): resync from a snapshot"
        )
    entries = _records(session, BankEntry.bank_id == bank.id, BankEntry.changed_seq > since)
    _note_sync(session, actor, bank, "delta")
    return build_document(bank, entries, kind="delta", since=since, signer=signer)


def _note_sync(session: Session, actor: Principal, bank: Bank, kind: str) -> None:
    """Remember what the member fetched, for the bank's owner and the member to see."""
    if actor.organisation_id is None:
        return
    row = session.execute(
        select(BankSync).where(
            BankSync.bank_id == bank.id, BankSync.organisation_id == actor.organisation_id
        )
    ).scalar_one_or_none()
    now = utcnow()
    if row is None:
        row = BankSync(bank_id=bank.id, organisation_id=actor.organisation_id, first_synced_at=now)
        session.add(row)
    row.checkpoint, row.kind, row.synced_at = bank.sequence, kind, now
