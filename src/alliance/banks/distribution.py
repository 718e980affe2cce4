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
changed after ``since`` up to ``until``, removals included (``"removed": true``). A
snapshot may also come as a signed binary document of the same content
(:mod:`alliance.banks.snapshots`, :func:`binary_snapshot`): what ``alliance sync`` asks
for a first sync; deltas are always JSON lines. The
signature is Ed25519 over ``b"alliance.bank.v1\\n" + SHA-256(all bytes before the signature
line)``, so the document can be hashed as it streams. A subscriber applies a delta only if
the signature verifies with the platform key it pinned, the entry count matches the header
and ``since`` is its checkpoint.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Integer, String, case, cast, func, select
from sqlalchemy.orm import Session

from alliance.accounts.models import Organisation
from alliance.accounts.policy import Principal
from alliance.banks import snapshots
from alliance.banks.models import Bank, BankEntry, BankSync, EntryVariant
from alliance.banks.services import VERIFIED_AT, get_bank
from alliance.banks.signing import (
    BankHeader,
    Signer,
    check_format,
    sign_lines,
    verified_lines,
)
from alliance.banks.snapshots import Columns, Snapshot
from alliance.db.base import utcnow
from alliance.db.epoch import timestamp_text
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


def _bank_meta(bank: Bank) -> dict[str, Any]:
    return {
        "name": bank.name,
        "scope": bank.scope,
        "owner": bank.owner.slug,
        "suppression": bank.suppression,
        "pdq_threshold": bank.pdq_threshold,
    }


def build_document(
    bank: Bank, entries: list[dict[str, Any]], *, kind: str, since: int, signer: Signer
) -> bytes:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "bank": _bank_meta(bank),
        "since": since,
        "until": bank.sequence,
        "entries": len(entries),
        "generated_at": utcnow().isoformat(),
        "key_id": signer.key_id,
    }
    return sign_lines(b"".join([_line(header), *(_line(e) for e in entries)]), _DOMAIN, signer)


# --- the binary snapshot ------------------------------------------------------------------

#: Rows of one aggregate statement, by id span: SQLite refuses a text over 1e9 bytes.
_ID_SPAN = 4_000_000


def _joined(column: Any, separator: str = ",") -> Any:
    return func.aggregate_strings(cast(column, String), separator)


def _numbers(text: str | None, count: int) -> NDArray[np.int64]:
    if not text:
        return np.zeros(0, np.int64)
    numbers = np.fromstring(text, dtype=np.int64, sep=",")
    if len(numbers) != count:
        raise AssertionError("a column of the snapshot does not hold a value per row")
    return numbers


def _coded(text: str | None, count: int, table: dict[str, int]) -> NDArray[np.int64]:
    """Codes of the comma-separated values of ``text`` in ``table`` (extended)."""
    if text is None:
        return np.zeros(0, np.int64)
    first = text[: text.find(",")] if "," in text else text
    if len(text) == count * (len(first) + 1) - 1 and text == ",".join([first] * count):
        return np.full(count, table.setdefault(first, len(table)), np.int64)  # one value
    values = text.split(",")
    if len(values) != count:
        raise AssertionError("a column of the snapshot does not hold a value per row")
    distinct = dict.fromkeys(values)
    for value in distinct:
        table.setdefault(value, len(table))
    if len(distinct) > 16:
        return np.fromiter((table[v] for v in values), np.int64, len(values))
    # Few values (a category, a contributor's batch): compared as an array, not one by one.
    codes = np.empty(len(values), np.int64)
    array = np.array(values)
    for value in distinct:
        codes[array == value] = table[value]
    return codes


def _live_columns(session: Session, bank: Bank) -> Columns:
    """The bank's live entries as columns, read as a few long texts per statement (the
    database concatenates a column's values; numpy parses them) instead of a Python
    object per row and column: ~5x faster at a million entries. The values of one
    statement are aligned (one pass over the rows feeds every aggregate); the rows are
    then put in id order. Signals other than PDQ and variants never change once stored,
    so the statements that read them need not see the same moment as the rows."""
    live = (BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))
    low, high = session.execute(
        select(func.min(BankEntry.id), func.max(BankEntry.id)).where(*live)
    ).one()
    tables: dict[str, dict[str, int]] = {k: {} for k in ("type", "iwf", "ncmec", "added")}
    parts: list[dict[str, NDArray[Any]]] = []
    hexes: list[str] = []
    for start in range(low or 0, (high or -1) + 1, _ID_SPAN):
        row = session.execute(
            select(
                func.count(),
                _joined(BankEntry.id),
                _joined(BankEntry.changed_seq),
                func.aggregate_strings(
                    case((BankEntry.signal_type == "pdq", BankEntry.signal_value), else_=""), ""
                ),
                _joined(BankEntry.signal_type),
                _joined(cast(BankEntry.baseline, Integer)),
                _joined(func.coalesce(BankEntry.iwf_category, "")),
                _joined(func.coalesce(BankEntry.ncmec_category, "")),
                _joined(func.coalesce(BankEntry.vics_category, -1)),
                _joined(BankEntry.votes),
                _joined(BankEntry.confirmed),
                _joined(BankEntry.disputed),
                _joined(cast(BankEntry.flagged, Integer)),
                _joined(BankEntry.contributor_organisation_id),
                _joined(timestamp_text(BankEntry.added_at)),
            ).where(*live, BankEntry.id >= start, BankEntry.id < start + _ID_SPAN)
        ).one()
        n = int(row[0])
        parts.append(
            {
                "ids": _numbers(row[1], n),
                "seqs": _numbers(row[2], n),
                "types": _coded(row[4], n, tables["type"]),
                "baseline": _numbers(row[5], n),
                "iwf": _coded(row[6], n, tables["iwf"]),
                "ncmec": _coded(row[7], n, tables["ncmec"]),
                "vics": _numbers(row[8], n),
                "votes": _numbers(row[9], n),
                "confirmed": _numbers(row[10], n),
                "disputed": _numbers(row[11], n),
                "flagged": _numbers(row[12], n),
                "contributors": _numbers(row[13], n),
                "added": _coded(row[14], n, tables["added"]),
            }
        )
        hexes.append(row[3] or "")
    names = ("ids", "seqs", "types", "baseline", "iwf", "ncmec", "vics", "votes", "confirmed",
             "disputed", "flagged", "contributors", "added")  # fmt: skip
    if len(parts) == 1:  # no copy: a million-row array costs its pages to fill
        columns: dict[str, NDArray[Any]] = parts[0]
    else:
        columns = {
            k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64)
            for k in names
        }
    type_names = list(tables["type"])
    is_pdq = columns["types"] == (type_names.index("pdq") if "pdq" in type_names else -1)
    pdq = snapshots.digests(bytes.fromhex("".join(hexes)))
    if len(pdq) != int(is_pdq.sum()):
        raise AssertionError("the snapshot's PDQ digests do not match its PDQ rows")
    if bool((np.diff(columns["ids"]) < 0).any()):  # rows come in no set order: by id
        order = np.argsort(columns["ids"], kind="stable")
        pdq = pdq[(np.cumsum(is_pdq) - 1)[order][is_pdq[order]]]
        columns = {k: v[order] for k, v in columns.items()}
        is_pdq = is_pdq[order]
    ids = columns["ids"]
    others: dict[int, str] = dict(
        session.execute(
            select(BankEntry.id, BankEntry.signal_value).where(
                BankEntry.bank_id == bank.id, BankEntry.signal_type != "pdq"
            )
        ).all()
    )
    slugs: dict[int, str] = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    contributor_ids, contributors = np.unique(columns["contributors"], return_inverse=True)
    added_at = np.array(
        [
            snapshots.micros(datetime.fromisoformat(text).replace(tzinfo=UTC))
            for text in tables["added"]
        ],
        np.int64,
    )
    return Columns(
        ids=ids,
        seqs=columns["seqs"],
        signal_types=columns["types"],
        signal_type_names=type_names,
        pdq=pdq,
        texts=[others[i] for i in ids[~is_pdq].tolist()],
        flags=(
            columns["baseline"] * snapshots.BASELINE
            + (columns["votes"] >= VERIFIED_AT) * snapshots.VERIFIED
            + columns["flagged"] * snapshots.FLAGGED
        ).astype(np.uint8),
        iwf=columns["iwf"],
        iwf_names=[name or None for name in tables["iwf"]],
        ncmec=columns["ncmec"],
        ncmec_names=[name or None for name in tables["ncmec"]],
        vics=columns["vics"],
        votes=columns["votes"],
        confirmed=columns["confirmed"],
        disputed=columns["disputed"],
        contributors=contributors.reshape(-1),
        contributor_names=[slugs[int(i)] for i in contributor_ids.tolist()],
        added_at=added_at[columns["added"]] if len(added_at) else np.zeros(0, np.int64),
        **_variant_columns(session, bank, ids),
    )


def _variant_columns(session: Session, bank: Bank, ids: NDArray[np.int64]) -> dict[str, Any]:
    """The variants of the entries ``ids`` (ascending), as :class:`Columns` fields."""
    count, entries, names, hexes = session.execute(
        select(
            func.count(),
            _joined(EntryVariant.entry_id),
            _joined(EntryVariant.name),
            func.aggregate_strings(EntryVariant.signal_value, ""),
        )
        .join(BankEntry, EntryVariant.entry_id == BankEntry.id)
        .where(BankEntry.bank_id == bank.id, BankEntry.removed_at.is_(None))
    ).one()
    table: dict[str, int] = {}
    entry_ids = _numbers(entries, int(count))
    codes = _coded(names, int(count), table)
    digests = snapshots.digests(bytes.fromhex(hexes or ""))
    rows = np.searchsorted(ids, entry_ids)
    keep = rows < len(ids)
    keep[keep] = ids[rows[keep]] == entry_ids[keep]  # an entry removed meanwhile: left out
    order = np.lexsort((codes[keep], rows[keep]))
    return {
        "variant_rows": rows[keep][order],
        "variant_names": codes[keep][order],
        "variant_name_table": list(table),
        "variant_pdq": digests[keep][order],
    }


#: Signed binary snapshots kept for the next member's first sync, newest last, at most
#: this many bytes in all; one per bank (a newer one replaces it).
SNAPSHOT_CACHE_BYTES = 256 * 2**20
_snapshot_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_snapshot_lock = threading.Lock()


def clear_snapshot_cache() -> None:
    """Forget every cached snapshot (for tests and benchmarks)."""
    with _snapshot_lock:
        _snapshot_cache.clear()


def binary_snapshot(session: Session, actor: Principal, bank_name: str, signer: Signer) -> bytes:
    """A signed binary snapshot (:mod:`alliance.banks.snapshots`) of every live entry of a
    bank the actor may see: the content of :func:`snapshot`, as columns.

    The signed bytes are kept in memory, keyed by the bank, its sequence (which every
    change of an entry takes) and revision, its distributed settings and the signing key,
    so members' first syncs of an unchanged bank cost one build; a bank's document is
    dropped when a newer one is built, and the oldest when the cache holds more than
    :data:`SNAPSHOT_CACHE_BYTES`. Its ``generated_at`` is when it was built."""
    bank = get_bank(session, actor, bank_name)
    _note_sync(session, actor, bank, "snapshot")
    meta = _bank_meta(bank)
    key = (bank.uid, bank.sequence, bank.revision, signer.key_id, *meta.values())
    with _snapshot_lock:
        if (found := _snapshot_cache.get(key)) is not None:
            _snapshot_cache.move_to_end(key)
            return found
    header = {
        "bank": meta,
        "since": 0,
        "until": bank.sequence,
        "generated_at": utcnow().isoformat(),
        "key_id": signer.key_id,
    }
    data = snapshots.encode(header, _live_columns(session, bank), signer)
    with _snapshot_lock:
        for stale in [k for k in _snapshot_cache if k[0] == bank.uid]:
            del _snapshot_cache[stale]
        if len(data) <= SNAPSHOT_CACHE_BYTES:
            _snapshot_cache[key] = data
        while sum(len(d) for d in _snapshot_cache.values()) > SNAPSHOT_CACHE_BYTES:
            _snapshot_cache.popitem(last=False)
    return data


@dataclass(frozen=True)
class BankDocument(BankHeader):
    header: dict[str, Any]
    entries: list[dict[str, Any]]

    @property
    def kind(self) -> str:
        return str(self.header["kind"])


def parse_document(data: bytes, public_key: Ed25519PublicKey) -> BankDocument:
    """Verify and parse a document; any alteration or truncation raises, nothing partial."""
    lines = verified_lines(data, _DOMAIN, public_key)
    header = orjson.loads(lines[0])
    check_format(header, FORMAT, VERSION)
    entries = [orjson.loads(line) for line in lines[1:]]
    if len(entries) != header.get("entries"):
        raise InvalidInput("entry count does not match the header")
    return BankDocument(header, entries)


def parse_any(data: bytes, public_key: Ed25519PublicKey) -> BankDocument | Snapshot:
    """Verify and read a bank document of either form: a binary snapshot (by its magic)
    or a JSON-lines snapshot or delta."""
    if snapshots.is_snapshot(data):
        return snapshots.verified(data, public_key)
    return parse_document(data, public_key)


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
