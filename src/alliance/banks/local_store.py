"""A member's synced copy of the banks it subscribes to: a folder, not a database.

Layout (``<data_dir>/banks`` by default)::

    state.json              {"format": "alliance.local-banks", "version": 1, "server",
                             "key_id", "public_key_pem", "member", "manifest_issued_at",
                             "banks": {name: {"checkpoint", "scope", "suppression",
                             "pdq_threshold", "entries", "log_lines", "synced_at"}}}
    <bank>.snapshot         the base: an ``alliance.bank-snapshot`` (:mod:`alliance.banks.
                            snapshots`), the signed document of the last snapshot as it
                            came (a JSON-lines snapshot, or a compaction, is written in
                            the same form, unsigned)
    <bank>.entries.jsonl    a log of ``alliance.bank`` entry records after the base: each
                            delta's lines appended (a later line for an id replaces the
                            earlier and the base's row, ``"removed": true`` drops it); a
                            line of a change the base already holds (``seq`` not after
                            its ``until``) is skipped
    <bank>.pdqidx           the exact PDQ index over them (ids are entry ids)

The base, the log and the index are replaced atomically (write, fsync, rename); deltas are
appended to the log and fsynced; the state (with the checkpoint) is written last. After a
crash the checkpoint is the old one, so the same delta is applied again, which is
harmless: a delta carries each changed entry's whole state. A new base written before a
crash leaves an older log beside it, whose lines it already holds: they are skipped.

The entries are not all made into records when a bank is opened: the base is read in
place (ids, digests, columns), a record is made when asked for (a match, a report), and
only the log's lines are held as dictionaries (:class:`BankEntries`). A store written by
an earlier release (a log holding the whole bank, no base) reads the same way.

The store never goes back: a document that would take a bank below its checkpoint is
refused (:class:`SyncRefused`), whoever signed it. ``member`` and ``manifest_issued_at``
are the organisation the store syncs for and the issue time of the newest signed manifest
accepted (:mod:`alliance.banks.manifest`); older manifests are refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from alliance.banks.distribution import BankDocument
from alliance.banks.snapshots import Columns, Snapshot, encode
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput
from alliance.hashing import video
from alliance.matching.pdq_index import PdqIndex
from alliance.matching.video import VpdqIndex

STATE_FORMAT = "alliance.local-banks"
STATE_VERSION = 1
#: A bank's log is folded into a new base once it holds more lines than the bank has
#: entries, and at least this many.
COMPACT_AFTER = 1000


class SyncRefused(Conflict):
    """What the platform sent would take the local copy back, or drop a bank without a
    signed statement: nothing was changed."""

    code = "sync_refused"


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole (write, fsync, rename): never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _record_line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def _pdq_rows(
    records: Iterable[tuple[int, dict[str, Any]]],
) -> tuple[list[str], list[str], list[str]]:
    """Hashes, ids and variant names of the PDQ entries among ``records``, variants included."""
    values: list[str] = []
    ids: list[str] = []
    names: list[str] = []
    for entry_id, record in records:
        if record["signal_type"] != "pdq":
            continue
        for name, value in (("original", record["signal"]), *record.get("variants", {}).items()):
            values.append(value)
            ids.append(str(entry_id))
            names.append(name)
    return values, ids, names


class BankEntries(Mapping[int, dict[str, Any]]):
    """A bank's live entries by id: the base snapshot's rows, read on demand, under the
    records changed since (``changed``) and the base's entries removed since."""

    def __init__(self, base: Snapshot | None = None) -> None:
        self.base = base
        self.changed: dict[int, dict[str, Any]] = {}
        self.removed: set[int] = set()  # base ids removed since the base

    def _base_row(self, entry_id: int) -> int | None:
        if self.base is None or entry_id in self.removed:
            return None
        return self.base.row_of(entry_id)

    def __getitem__(self, entry_id: int) -> dict[str, Any]:
        if (record := self.changed.get(entry_id)) is not None:
            return record
        row = self._base_row(entry_id)
        if row is None:
            raise KeyError(entry_id)
        return self.base.record(row) if self.base is not None else {}

    def __contains__(self, entry_id: object) -> bool:
        if not isinstance(entry_id, int):
            return False
        return entry_id in self.changed or self._base_row(entry_id) is not None

    def _hidden(self) -> set[int]:
        """Base ids whose row is not the entry any more (changed or removed)."""
        if self.base is None:
            return set()
        candidates = self.removed | self.changed.keys()
        return {i for i in candidates if self.base.row_of(i) is not None}

    def __len__(self) -> int:
        base = len(self.base) if self.base is not None else 0
        return base - len(self._hidden()) + len(self.changed)

    def __iter__(self) -> Iterator[int]:
        hidden = self._hidden()
        if self.base is not None:
            yield from (i for i in self.base.ids.tolist() if i not in hidden)
        yield from self.changed

    def fold(self, record: dict[str, Any]) -> bool:
        """Apply one entry record; whether the entry was live before."""
        entry_id = int(record["id"])
        was = entry_id in self
        self.changed.pop(entry_id, None)
        if record["removed"]:
            if self._base_row(entry_id) is not None:
                self.removed.add(entry_id)
        else:
            self.removed.discard(entry_id)
            self.changed[entry_id] = record
        return was

    def other_signals(self) -> Iterator[tuple[int, str, str]]:
        """(entry id, signal type, signal) of every live entry that is not PDQ."""
        hidden = self._hidden()
        if self.base is not None:
            yield from (s for s in self.base.other_signals() if s[0] not in hidden)
        for entry_id, record in self.changed.items():
            if record["signal_type"] != "pdq":
                yield entry_id, record["signal_type"], record["signal"]


@dataclass
class LocalMatch:
    bank: str
    entry: dict[str, Any]
    distance: int
    variant: str = "original"

    def to_dict(self) -> dict[str, Any]:
        """The match as ``alliance scan`` and ``alliance matcher`` write it."""
        entry = self.entry
        return {
            "bank": self.bank,
            "entry_id": entry["id"],
            "signal_type": entry["signal_type"],
            "distance": self.distance,
            "variant": self.variant,
            "classification": entry["classification"],
            "verified": entry["verified"],
            "votes": entry["votes"],
            "confirmed": entry["confirmed"],
            "disputed": entry["disputed"],
            "flagged": entry["flagged"],
            "contributor": entry["contributor"],
        }


@dataclass
class ApplyResult:
    bank: str
    kind: str
    changed: int
    removed: int
    entries: int
    checkpoint: int


def read_state(path: Path, format_name: str, version: int, held: str) -> dict[str, Any]:
    """A local copy's ``state.json``, checked to be ``format_name`` v``version``; a new
    one, holding nothing under ``held``, when there is none yet."""
    if not path.exists():
        return {"format": format_name, "version": version, held: {}}
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except ValueError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    if state.get("format") != format_name or state.get("version") != version:
        raise InvalidInput(f"{path} is not an {format_name} v{version} file")
    return state


@dataclass
class LocalBankStore:
    root: Path
    state: dict[str, Any] = field(default_factory=dict)
    _entries: dict[str, BankEntries] = field(default_factory=dict)
    _indexes: dict[str, PdqIndex] = field(default_factory=dict)
    _exact: dict[str, dict[tuple[str, str], list[int]]] = field(default_factory=dict)
    _videos: dict[str, VpdqIndex] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> LocalBankStore:
        store = cls(root)
        store.state = read_state(root / "state.json", STATE_FORMAT, STATE_VERSION, "banks")
        return store

    # --- state -----------------------------------------------------------------------

    @property
    def banks(self) -> dict[str, dict[str, Any]]:
        banks: dict[str, dict[str, Any]] = self.state["banks"]
        return banks

    def checkpoint(self, bank: str) -> int:
        return int(self.banks.get(bank, {}).get("checkpoint", 0))

    def accept_manifest(
        self, server: str, key_id: str, public_key_pem: str, member: str, issued_at: str
    ) -> None:
        """Pin the platform's key and the member, and remember the newest manifest."""
        self.state.update(
            server=server,
            key_id=key_id,
            public_key_pem=public_key_pem,
            member=member,
            manifest_issued_at=issued_at,
        )
        self._save_state()

    def _save_state(self) -> None:
        atomic_write(
            self.root / "state.json", json.dumps(self.state, indent=2, sort_keys=True).encode()
        )

    def _entries_path(self, bank: str) -> Path:
        return self.root / f"{bank}.entries.jsonl"

    def _base_path(self, bank: str) -> Path:
        return self.root / f"{bank}.snapshot"

    def _index_path(self, bank: str) -> Path:
        return self.root / f"{bank}.pdqidx"

    # --- reading ---------------------------------------------------------------------

    def entries(self, bank: str) -> BankEntries:
        """The live entries: the base's rows under the log's (a later line replaces an
        earlier one with the same id; a removal drops it)."""
        if bank not in self._entries:
            base_path = self._base_path(bank)
            entries = BankEntries(Snapshot.open(base_path) if base_path.exists() else None)
            until = entries.base.until if entries.base is not None else 0
            path = self._entries_path(bank)
            if path.exists():
                with path.open("rb") as handle:
                    for line in handle:
                        if not line.endswith(b"\n"):
                            break  # a torn last line from a crash: not applied yet
                        record = orjson.loads(line)
                        if int(record["seq"]) > until:  # else the base holds it
                            entries.fold(record)
            self._entries[bank] = entries
        return self._entries[bank]

    def pdq_index(self, bank: str) -> PdqIndex:
        if bank not in self._indexes:
            path = self._index_path(bank)
            self._indexes[bank] = PdqIndex.open(path) if path.exists() else PdqIndex.empty()
        return self._indexes[bank]

    # --- applying --------------------------------------------------------------------

    def apply(self, document: BankDocument | Snapshot) -> ApplyResult:
        """Apply a verified snapshot or delta (see :mod:`alliance.banks.distribution`).

        A snapshot becomes the bank's base (a binary one as it came, a JSON-lines one
        encoded so) with an empty log, and the index is built from its digests; a delta
        appends its lines to the log and updates the index in place (tombstones and
        additions), so its cost grows with the delta, not with the bank. When the log
        holds more lines than the bank has entries, the live entries are written as a new
        base and the log emptied."""
        name = document.bank
        if name in self.banks and document.until < self.checkpoint(name):
            raise SyncRefused(
                f"{name}: the platform sent a {document.kind} at sequence {document.until}, "
                f"older than the local copy at {self.checkpoint(name)}; nothing changed"
            )
        meta = document.header["bank"]
        lines = 0
        if isinstance(document, Snapshot):
            result = self._new_base(name, document, document.body(), document.kind)
        elif document.kind == "snapshot":
            live = [r for r in document.entries if not r["removed"]]
            result = self._new_base(name, *self._encoded(document.header, live), "snapshot")
        else:
            result, lines = self._apply_delta(name, document)
        self.banks[name] = {
            "checkpoint": document.until,
            "scope": meta["scope"],
            "suppression": bool(meta["suppression"]),
            "pdq_threshold": meta["pdq_threshold"],
            "entries": result.entries,
            "log_lines": lines,
            "synced_at": utcnow().isoformat(),
        }
        self._save_state()
        return result

    @staticmethod
    def _encoded(header: dict[str, Any], records: list[dict[str, Any]]) -> tuple[Snapshot, bytes]:
        """Records as an (unsigned) base file, and the base read from it."""
        keep = ("bank", "since", "until", "generated_at", "key_id")
        data = encode({k: header[k] for k in keep if k in header}, Columns.from_records(records))
        return Snapshot(data, len(data)), data

    def _new_base(self, name: str, base: Snapshot, data: bytes, kind: str) -> ApplyResult:
        atomic_write(self._base_path(name), data)
        atomic_write(self._entries_path(name), b"")
        digests, ids, names = base.pdq_rows()
        index = PdqIndex.build(digests, ids, banks=name, variants=names)
        index.save(self._index_path(name))
        self._entries[name], self._indexes[name] = BankEntries(base), index
        self._exact.pop(name, None)
        self._videos.pop(name, None)
        return ApplyResult(name, kind, len(base), 0, len(base), base.until)

    def _apply_delta(self, name: str, document: BankDocument) -> tuple[ApplyResult, int]:
        """The delta applied, and the log's lines after it."""
        if document.since != self.checkpoint(name):
            raise InvalidInput(
                f"delta for {name} starts at {document.since}, "
                f"local copy is at {self.checkpoint(name)}"
            )
        current = self.entries(name)
        removed = 0
        changed: list[tuple[int, dict[str, Any]]] = []
        for record in document.entries:
            was = current.fold(record)
            if record["removed"]:
                removed += was
            else:
                changed.append((int(record["id"]), record))
        lines = self.banks.get(name, {}).get("log_lines", 0) + len(document.entries)
        if lines > max(len(current), COMPACT_AFTER):
            header = {**document.header, "since": 0}
            base, data = self._encoded(header, [current[i] for i in current])
            self._new_base(name, base, data, "delta")
            return ApplyResult(name, "delta", len(changed), removed, len(base), document.until), 0
        self._append_log(name, document.entries)
        index = self.pdq_index(name)
        index.remove([str(int(r["id"])) for r in document.entries])
        values, ids, names = _pdq_rows(changed)
        if values:
            index.add(values, ids, banks=name, variants=names)
        index.save(self._index_path(name))
        self._indexes[name] = index
        self._exact.pop(name, None)
        self._videos.pop(name, None)
        return ApplyResult(
            name, "delta", len(document.entries) - removed, removed, len(current), document.until
        ), lines

    def _append_log(self, bank: str, records: Iterable[dict[str, Any]]) -> None:
        path = self._entries_path(bank)
        with path.open("ab") as handle:
            if handle.tell() and not path.read_bytes().endswith(b"\n"):
                handle.truncate(path.read_bytes().rfind(b"\n") + 1)  # a torn line
            handle.write(b"".join(_record_line(r) for r in records))
            handle.flush()
            os.fsync(handle.fileno())

    def drop(self, bank: str) -> None:
        """Forget a bank the member may no longer receive."""
        self._entries_path(bank).unlink(missing_ok=True)
        self._base_path(bank).unlink(missing_ok=True)
        self._index_path(bank).unlink(missing_ok=True)
        self._entries.pop(bank, None)
        self._indexes.pop(bank, None)
        self._exact.pop(bank, None)
        self._videos.pop(bank, None)
        self.banks.pop(bank, None)
        self._save_state()

    # --- matching --------------------------------------------------------------------

    def find(
        self,
        signal_type: str,
        value: str,
        banks: Iterable[str] | None = None,
        *,
        form: str = "original",
    ) -> tuple[list[LocalMatch], list[str]]:
        """Matches of one (normalised) signal in the local banks, and the suppression banks
        that silenced them (in which case no matches are returned). ``form`` says which
        form of the query it is (a video's further forms are counted by the second)."""
        names = list(banks) if banks is not None else list(self.banks)
        found: list[LocalMatch] = []
        silenced: list[str] = []
        for name in names:
            meta = self.banks[name]
            hits = self._find_in(name, signal_type, value, int(meta["pdq_threshold"]), form)
            if hits and meta["suppression"]:
                silenced.append(name)
            elif not meta["suppression"]:
                found.extend(hits)
        if silenced:
            return [], silenced
        found.sort(key=lambda m: (m.distance, m.bank, m.entry["id"]))
        return found, []

    def find_forms(
        self, signal_type: str, forms: Mapping[str, str], banks: Iterable[str]
    ) -> dict[str, list[LocalMatch]]:
        """Each form's matches in ``banks`` (suppression banks too: the caller tells them
        apart), unsorted: :meth:`find` for every form of one query, a PDQ query's forms
        searched in one vectorised call a bank rather than one call a form."""
        out: dict[str, list[LocalMatch]] = {form: [] for form in forms}
        for name in banks:
            threshold = int(self.banks[name]["pdq_threshold"])
            if signal_type != "pdq":
                for form, value in forms.items():
                    out[form] += self._find_in(name, signal_type, value, threshold, form)
                continue
            entries = self.entries(name)
            found = self.pdq_index(name).search_many(list(forms.values()), threshold)
            for form, hits in zip(forms, found, strict=True):
                out[form] += [
                    LocalMatch(name, entries[int(h.id)], h.distance, h.variant)
                    for h in hits
                    if int(h.id) in entries
                ]
        return out

    def _find_in(
        self, bank: str, signal_type: str, value: str, threshold: int, form: str = "original"
    ) -> list[LocalMatch]:
        entries = self.entries(bank)
        if signal_type == "pdq":
            hits = self.pdq_index(bank).search(value, threshold)
            return [
                LocalMatch(bank, entries[int(h.id)], h.distance, h.variant)
                for h in hits
                if int(h.id) in entries
            ]
        if signal_type == "vpdq":
            # Every usable frame of the bank's videos in one index (built on first use):
            # a search per query frame, not a comparison with every video.
            if bank not in self._videos:
                self._videos[bank] = VpdqIndex.build(
                    {
                        str(entry_id): video.VpdqHash.from_text(signal)
                        for entry_id, kind, signal in entries.other_signals()
                        if kind == "vpdq"
                    }
                )
            matches = self._videos[bank].search(
                video.VpdqHash.from_text(value), window=video.window_of(form)
            )
            return [
                LocalMatch(bank, entries[int(m.id)], round(100 - m.query_match_percent))
                for m in matches
            ]
        if bank not in self._exact:
            exact: dict[tuple[str, str], list[int]] = {}
            for entry_id, kind, signal in entries.other_signals():
                exact.setdefault((kind, signal), []).append(entry_id)
            self._exact[bank] = exact
        ids = self._exact[bank].get((signal_type, value), [])
        return [LocalMatch(bank, entries[i], 0) for i in ids]
