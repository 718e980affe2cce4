"""The signed binary snapshot: a bank's live entries as columns, for a member's first sync.

A JSON-lines snapshot (:mod:`alliance.banks.distribution`) of a million entries is a
million JSON objects to write, parse and fold; this is the same content as a few arrays
that numpy reads in place. Format ``alliance.bank-snapshot`` version 1 is the engine's
container (:mod:`alliance.matching.fileformat`: a JSON header, then little-endian arrays
each starting at a multiple of 64 bytes) followed by a signature::

    offset 0     8 bytes   magic b"ALBSNAP\\0"
    offset 8     u32 LE    version (1)
    offset 12    u32 LE    length H of the JSON header
    offset 16    H bytes   {"format": "alliance.bank-snapshot", "version": 1,
                            "kind": "snapshot", "bank": {"name", "scope", "owner",
                            "suppression", "pdq_threshold"}, "since": 0, "until": M,
                            "entries": N, "generated_at": "...", "key_id": "...",
                            "tables": {...}, "sections": {...}}
    ...          sections (below)
    end - 72     64 bytes  Ed25519 signature over b"alliance.bank-snapshot.v1\\n" +
                           SHA-256(every byte before the signature)
    end - 8      8 bytes   b"ALBSEND\\0"

Sections, one row per live entry, rows in ascending entry id:

=================  ===========  ====================================================
``id``             i64 N        entry id (strictly increasing)
``seq``            i64 N        the entry's last change (``changed_seq``)
``signal_type``    u8 N         code into ``tables.signal_types``
``pdq``            u8 P×32      the digests of the PDQ rows, in row order
``text_offsets``   u64 T+1      the other rows' signals, in row order: UTF-8 in
``text``           u8           ``text[text_offsets[i]:text_offsets[i+1]]``
``flags``          u8 N         bit 0 baseline, bit 1 verified, bit 2 flagged
``iwf``, ``ncmec`` u8 N         codes into ``tables.iwf``, ``tables.ncmec`` (null: none)
``vics``           i8 N         VICS category, -1 for none
``votes``,         i32 N        verification votes, confirmed and disputed matches
``confirmed``,
``disputed``
``contributor``    u32 N        code into ``tables.contributors`` (organisation slugs)
``added_at``       i64 N        microseconds since 1970-01-01 00:00 UTC
``variant_row``    u32 V        the row of each PDQ variant, ascending
``variant_name``   u8 V         code into ``tables.variants``
``variant_pdq``    u8 V×32      its digest
=================  ===========  ====================================================

A record read from a row (:meth:`Snapshot.record`) is the entry line of the JSON-lines
format, the same dictionary. A member checks the magic and the version first (a newer
version is refused by name), then the signature over the whole document, and only then
reads the header and the sections; a cut or altered document raises and nothing of it is
returned. The member keeps the verified document as its bank's base file and opens it
later without the signature check (:meth:`Snapshot.open`), as it reads its other files.
"""

from __future__ import annotations

import base64
import hashlib
import mmap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from numpy.typing import NDArray

from alliance.banks.signing import BankHeader, SignatureInvalid, Signer, check_format, verify
from alliance.errors import InvalidInput
from alliance.hashing.pdq import HASH_BYTES
from alliance.matching import fileformat
from alliance.matching.errors import InvalidIndex

FORMAT = "alliance.bank-snapshot"
VERSION = 1
MAGIC = b"ALBSNAP\0"
END = b"ALBSEND\0"
MEDIA_TYPE = "application/vnd.alliance.bank-snapshot"
_DOMAIN = b"alliance.bank-snapshot.v1\n"
_SIGNATURE = 64
_TRAILER = _SIGNATURE + len(END)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PDQ = "pdq"

BASELINE, VERIFIED, FLAGGED = 1, 2, 4


def micros(when: datetime) -> int:
    """Microseconds since 1970 of an aware datetime: how ``added_at`` is stored."""
    return (when - _EPOCH) // timedelta(microseconds=1)


@dataclass
class Columns:
    """A bank's live entries as the format's columns (rows in ascending id). ``pdq`` holds
    the PDQ rows' digests and ``texts`` the other rows' signals, each in row order."""

    ids: NDArray[np.int64]
    seqs: NDArray[np.int64]
    signal_types: NDArray[np.integer[Any]]
    signal_type_names: list[str]
    pdq: NDArray[np.uint8]
    texts: list[str]
    flags: NDArray[np.uint8]
    iwf: NDArray[np.integer[Any]]
    iwf_names: list[str | None]
    ncmec: NDArray[np.integer[Any]]
    ncmec_names: list[str | None]
    vics: NDArray[np.integer[Any]]
    votes: NDArray[np.integer[Any]]
    confirmed: NDArray[np.integer[Any]]
    disputed: NDArray[np.integer[Any]]
    contributors: NDArray[np.integer[Any]]
    contributor_names: list[str]
    added_at: NDArray[np.int64]
    variant_rows: NDArray[np.integer[Any]] = field(default_factory=lambda: np.zeros(0, np.int64))
    variant_names: NDArray[np.integer[Any]] = field(default_factory=lambda: np.zeros(0, np.int64))
    variant_name_table: list[str] = field(default_factory=list)
    variant_pdq: NDArray[np.uint8] = field(
        default_factory=lambda: np.zeros((0, HASH_BYTES), np.uint8)
    )

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]]) -> Columns:
        """The columns of ``alliance.bank`` entry records (live ones; any order)."""
        ordered = sorted(records, key=lambda r: int(r["id"]))
        tables: dict[str, dict[Any, int]] = {
            k: {} for k in ("type", "iwf", "ncmec", "contributor", "variant")
        }

        def code(table: str, value: Any) -> int:
            return tables[table].setdefault(value, len(tables[table]))

        pdq: list[bytes] = []
        texts: list[str] = []
        variant_rows: list[int] = []
        variant_names: list[int] = []
        variant_pdq: list[bytes] = []
        for row, record in enumerate(ordered):
            if record["signal_type"] == _PDQ:
                pdq.append(bytes.fromhex(record["signal"]))
            else:
                texts.append(record["signal"])
            for name, value in sorted(record.get("variants", {}).items()):
                variant_rows.append(row)
                variant_names.append(code("variant", name))
                variant_pdq.append(bytes.fromhex(value))
        klass = [r["classification"] for r in ordered]

        def ints(values: Sequence[Any], dtype: Any = np.int64) -> NDArray[Any]:
            return np.array(values, dtype=dtype).reshape(len(values))

        return cls(
            ids=ints([int(r["id"]) for r in ordered]),
            seqs=ints([int(r["seq"]) for r in ordered]),
            signal_types=ints([code("type", r["signal_type"]) for r in ordered]),
            signal_type_names=list(tables["type"]),
            pdq=digests(b"".join(pdq)),
            texts=texts,
            flags=ints(
                [
                    BASELINE * bool(c["baseline"])
                    + VERIFIED * bool(r["verified"])
                    + FLAGGED * bool(r["flagged"])
                    for r, c in zip(ordered, klass, strict=True)
                ],
                np.uint8,
            ),
            iwf=ints([code("iwf", c["iwf"]) for c in klass]),
            iwf_names=list(tables["iwf"]),
            ncmec=ints([code("ncmec", c["ncmec"]) for c in klass]),
            ncmec_names=list(tables["ncmec"]),
            vics=ints([-1 if c["vics"] is None else int(c["vics"]) for c in klass]),
            votes=ints([int(r["votes"]) for r in ordered]),
            confirmed=ints([int(r["confirmed"]) for r in ordered]),
            disputed=ints([int(r["disputed"]) for r in ordered]),
            contributors=ints([code("contributor", r["contributor"]) for r in ordered]),
            contributor_names=list(tables["contributor"]),
            added_at=ints([micros(datetime.fromisoformat(r["added_at"])) for r in ordered]),
            variant_rows=ints(variant_rows),
            variant_names=ints(variant_names),
            variant_name_table=list(tables["variant"]),
            variant_pdq=digests(b"".join(variant_pdq)),
        )


def digests(raw: bytes) -> NDArray[np.uint8]:
    if len(raw) % HASH_BYTES:
        raise InvalidInput("a PDQ digest must have 32 bytes")
    return np.frombuffer(raw, np.uint8).reshape(-1, HASH_BYTES)


def _sections(columns: Columns) -> tuple[dict[str, NDArray[Any]], dict[str, list[Any]]]:
    c = columns
    encoded = [t.encode() for t in c.texts]
    offsets = np.zeros(len(encoded) + 1, np.uint64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    arrays: dict[str, NDArray[Any]] = {
        "id": c.ids.astype(np.int64, copy=False),
        "seq": c.seqs.astype(np.int64, copy=False),
        "signal_type": c.signal_types.astype(np.uint8),
        "pdq": c.pdq.reshape(-1, HASH_BYTES),
        "text_offsets": offsets,
        "text": np.frombuffer(b"".join(encoded), np.uint8),
        "flags": c.flags.astype(np.uint8, copy=False),
        "iwf": c.iwf.astype(np.uint8),
        "ncmec": c.ncmec.astype(np.uint8),
        "vics": c.vics.astype(np.int8),
        "votes": c.votes.astype(np.int32),
        "confirmed": c.confirmed.astype(np.int32),
        "disputed": c.disputed.astype(np.int32),
        "contributor": c.contributors.astype(np.uint32),
        "added_at": c.added_at.astype(np.int64, copy=False),
        "variant_row": c.variant_rows.astype(np.uint32),
        "variant_name": c.variant_names.astype(np.uint8),
        "variant_pdq": c.variant_pdq.reshape(-1, HASH_BYTES),
    }
    tables: dict[str, list[Any]] = {
        "signal_types": c.signal_type_names,
        "iwf": c.iwf_names,
        "ncmec": c.ncmec_names,
        "contributors": c.contributor_names,
        "variants": c.variant_name_table,
    }
    if any(len(t) > 255 for k, t in tables.items() if k != "contributors"):
        raise InvalidInput("a snapshot table holds at most 255 names")
    return arrays, tables


def encode(header: dict[str, Any], columns: Columns, signer: Signer | None = None) -> bytes:
    """The document: ``header`` (format, version and counts are set here), the columns and,
    given a ``signer``, the signature. Unsigned, it is a member's local base file."""
    arrays, tables = _sections(columns)
    full = {
        **header,
        "format": FORMAT,
        "version": VERSION,
        "kind": "snapshot",
        "entries": len(columns),
        "tables": tables,
    }
    body = fileformat.pack(MAGIC, VERSION, full, arrays)
    if signer is None:
        return body
    signature = base64.b64decode(signer.sign(_DOMAIN + hashlib.sha256(body).digest()))
    return body + signature + END


def is_snapshot(data: bytes) -> bool:
    """Whether ``data`` claims to be a binary snapshot (by its magic; nothing verified)."""
    return data[: len(MAGIC)] == MAGIC


def _check_version(data: bytes | mmap.mmap) -> None:
    if len(data) < 16 or data[: len(MAGIC)] != MAGIC:
        raise InvalidInput(f"not an {FORMAT} document")
    version = int.from_bytes(data[8:12], "little")
    if version != VERSION:
        raise InvalidInput(
            f"{FORMAT} version {version} is not supported (this Alliance reads version "
            f"{VERSION}): upgrade Alliance, or ask for the JSON-lines snapshot"
        )


def verified(data: bytes, public_key: Ed25519PublicKey) -> Snapshot:
    """Check the magic, the version and the signature, then read: any alteration or
    truncation raises, and nothing of an unverified document is returned."""
    _check_version(data)
    if len(data) < 16 + _TRAILER or data[-len(END) :] != END:
        raise SignatureInvalid(f"{FORMAT} document truncated: no signature at its end")
    body = memoryview(data)[:-_TRAILER]
    signature = base64.b64encode(data[-_TRAILER : -len(END)]).decode()
    verify(public_key, _DOMAIN + hashlib.sha256(body).digest(), signature)
    return Snapshot(data, len(data) - _TRAILER)


@dataclass
class Snapshot(BankHeader):
    """A binary snapshot, read in place: its header, and its rows on demand."""

    data: bytes | mmap.mmap
    size: int
    header: dict[str, Any] = field(init=False)
    arrays: dict[str, NDArray[Any]] = field(init=False)

    def __post_init__(self) -> None:
        _check_version(self.data)
        buffer = self.data if self.size == len(self.data) else memoryview(self.data)[: self.size]
        try:
            self.header, self.arrays = fileformat.unpack(buffer, MAGIC, (VERSION,), FORMAT)
        except InvalidIndex as exc:
            raise InvalidInput(f"malformed {FORMAT} document: {exc.message}") from None
        check_format(self.header, FORMAT, VERSION)
        self._check()

    @classmethod
    def open(cls, path: Path) -> Snapshot:
        """A snapshot file kept by a member (verified when it was received): mapped."""
        try:
            with open(path, "rb") as handle:
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{path}: cannot read the bank's snapshot ({exc})") from None
        size = len(data) - _TRAILER if data[-len(END) :] == END else len(data)
        return cls(data, size)

    def _check(self) -> None:
        """Every section present with its type and a length that fits the header."""
        a, t, header = self.arrays, self.tables, self.header
        try:
            bank = header["bank"]
            named = (bank["name"], bank["scope"], bank["suppression"], bank["pdq_threshold"])
            counts = (header["since"], header["until"], header["entries"])
            if [type(v) for v in (*named, *counts)] != [str, str, bool, *[int] * 4]:
                raise InvalidInput("the header's bank or sequences are not what they should be")
            n = int(header["entries"])
            rows = {
                "id": np.int64, "seq": np.int64, "signal_type": np.uint8, "flags": np.uint8,
                "iwf": np.uint8, "ncmec": np.uint8, "vics": np.int8, "votes": np.int32,
                "confirmed": np.int32, "disputed": np.int32, "contributor": np.uint32,
                "added_at": np.int64,
            }  # fmt: skip
            for name, dtype in rows.items():
                if a[name].dtype != dtype or a[name].shape != (n,):
                    raise InvalidInput(f"section {name} does not hold {n} {np.dtype(dtype)}")
            v = len(a["variant_row"])
            for name, dtype, shape in (
                ("pdq", np.uint8, (self.pdq_count, HASH_BYTES)),
                ("text_offsets", np.uint64, (n - self.pdq_count + 1,)),
                ("variant_name", np.uint8, (v,)),
                ("variant_pdq", np.uint8, (v, HASH_BYTES)),
            ):
                if a[name].dtype != dtype or a[name].shape != shape:
                    raise InvalidInput(f"section {name} does not match the rows")
            offsets = a["text_offsets"]
            if (
                int(offsets[0]) != 0
                or int(offsets[-1]) != len(a["text"])
                or bool((np.diff(offsets.astype(np.int64)) < 0).any())
            ):
                raise InvalidInput("section text_offsets is out of order")
            if n and bool((np.diff(a["id"]) <= 0).any()):
                raise InvalidInput("entry ids are not in ascending order")
            if v and (
                bool((np.diff(a["variant_row"].astype(np.int64)) < 0).any())
                or int(a["variant_row"][-1]) >= n
            ):
                raise InvalidInput("section variant_row is out of order")
            for section, table in (
                ("signal_type", "signal_types"), ("iwf", "iwf"), ("ncmec", "ncmec"),
                ("contributor", "contributors"), ("variant_name", "variants"),
            ):  # fmt: skip
                if len(a[section]) and int(a[section].max()) >= len(t[table]):
                    raise InvalidInput(f"section {section} has a code outside its table")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"malformed {FORMAT} document: {type(exc).__name__} {exc}") from None
        except InvalidInput as exc:
            raise InvalidInput(f"malformed {FORMAT} document: {exc.message}") from None

    # --- the header -----------------------------------------------------------------

    @property
    def kind(self) -> str:
        return "snapshot"

    @property
    def tables(self) -> dict[str, list[Any]]:
        tables: dict[str, list[Any]] = self.header["tables"]
        return tables

    def __len__(self) -> int:
        return int(self.header["entries"])

    def body(self) -> bytes:
        """The whole document, signature included when it has one: what a member keeps."""
        return bytes(self.data)

    # --- rows -------------------------------------------------------------------------

    @property
    def ids(self) -> NDArray[np.int64]:
        ids: NDArray[np.int64] = self.arrays["id"]
        return ids

    @cached_property
    def _pdq_code(self) -> int:
        names = self.tables["signal_types"]
        return names.index(_PDQ) if _PDQ in names else -1

    @cached_property
    def is_pdq(self) -> NDArray[np.bool_]:
        is_pdq: NDArray[np.bool_] = self.arrays["signal_type"] == self._pdq_code
        return is_pdq

    @property
    def pdq_count(self) -> int:
        return int(np.count_nonzero(self.is_pdq))

    @cached_property
    def _pdq_before(self) -> NDArray[np.int64]:
        """For each row, how many PDQ rows come before it."""
        before: NDArray[np.int64] = np.cumsum(self.is_pdq, dtype=np.int64) - self.is_pdq
        return before

    def row_of(self, entry_id: int) -> int | None:
        ids = self.ids
        row = int(np.searchsorted(ids, entry_id))
        return row if row < len(ids) and int(ids[row]) == entry_id else None

    def signal(self, row: int) -> str:
        if self.is_pdq[row]:
            return bytes(self.arrays["pdq"][self._pdq_before[row]]).hex()
        other = row - int(self._pdq_before[row])
        offsets = self.arrays["text_offsets"]
        return bytes(self.arrays["text"][int(offsets[other]) : int(offsets[other + 1])]).decode()

    def record(self, row: int) -> dict[str, Any]:
        """The ``alliance.bank`` entry record of ``row``."""
        a, t = self.arrays, self.tables
        flags, vics = int(a["flags"][row]), int(a["vics"][row])
        variant_row = a["variant_row"]
        first, last = np.searchsorted(variant_row, [row, row + 1])
        return {
            "id": int(a["id"][row]),
            "seq": int(a["seq"][row]),
            "signal_type": t["signal_types"][int(a["signal_type"][row])],
            "signal": self.signal(row),
            "removed": False,
            "classification": {
                "baseline": bool(flags & BASELINE),
                "iwf": t["iwf"][int(a["iwf"][row])],
                "ncmec": t["ncmec"][int(a["ncmec"][row])],
                "vics": None if vics < 0 else vics,
            },
            "votes": int(a["votes"][row]),
            "verified": bool(flags & VERIFIED),
            "confirmed": int(a["confirmed"][row]),
            "disputed": int(a["disputed"][row]),
            "flagged": bool(flags & FLAGGED),
            "contributor": t["contributors"][int(a["contributor"][row])],
            "added_at": (_EPOCH + timedelta(microseconds=int(a["added_at"][row]))).isoformat(),
            "variants": {
                t["variants"][int(a["variant_name"][v])]: bytes(a["variant_pdq"][v]).hex()
                for v in range(int(first), int(last))
            },
        }

    def records(self) -> Iterator[dict[str, Any]]:
        return (self.record(row) for row in range(len(self)))

    def pdq_rows(self) -> tuple[NDArray[np.uint8], list[str], list[str]]:
        """(digests, entry ids, variant names) of every PDQ row and variant: an index's
        rows, originals first."""
        a = self.arrays
        variant_ids = self.ids[a["variant_row"].astype(np.intp)]
        digests = np.concatenate([a["pdq"], a["variant_pdq"]]) if len(variant_ids) else a["pdq"]
        ids = [str(i) for i in self.ids[self.is_pdq].tolist()]
        ids += [str(i) for i in variant_ids.tolist()]
        names = ["original"] * self.pdq_count
        names += [self.tables["variants"][int(c)] for c in a["variant_name"].tolist()]
        return digests, ids, names

    def other_signals(self) -> Iterator[tuple[int, str, str]]:
        """(entry id, signal type, signal) of every row that is not PDQ."""
        names = self.tables["signal_types"]
        for row in np.flatnonzero(~self.is_pdq).tolist():
            yield int(self.ids[row]), names[int(self.arrays["signal_type"][row])], self.signal(row)
