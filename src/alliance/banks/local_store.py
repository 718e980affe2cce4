"""A member's synced copy of the banks it subscribes to: a folder, not a database.

Layout (``<data_dir>/banks`` by default)::

    state.json              {"format": "alliance.local-banks", "version": 1, "server",
                             "key_id", "public_key_pem", "member", "manifest_issued_at",
                             "banks": {name: {"checkpoint", "scope", "suppression",
                             "pdq_threshold", "entries", "log_lines", "synced_at"}}}
    <bank>.entries.jsonl    a log of ``alliance.bank`` entry records: the snapshot, then each
                            delta's lines appended (a later line for an id replaces the
                            earlier, ``"removed": true`` drops it); compacted now and then
    <bank>.pdqidx           the exact PDQ index over them (ids are entry ids)

Snapshots and the index are replaced atomically (write, fsync, rename); deltas are
appended to the log and fsynced; the state (with the checkpoint) is written last. After a
crash the checkpoint is the old one, so the same delta is applied again, which is
harmless: a delta carries each changed entry's whole state.

The store never goes back: a document that would take a bank below its checkpoint is
refused (:class:`SyncRefused`), whoever signed it. ``member`` and ``manifest_issued_at``
are the organisation the store syncs for and the issue time of the newest signed manifest
accepted (:mod:`alliance.banks.manifest`); older manifests are refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from alliance.banks.distribution import BankDocument
from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput
from alliance.hashing import video
from alliance.matching.pdq_index import PdqIndex
from alliance.matching.video import VpdqIndex

STATE_FORMAT = "alliance.local-banks"
STATE_VERSION = 1


class SyncRefused(Conflict):
    """What the platform sent would take the local copy back, or drop a bank without a
    signed statement: nothing was changed."""

    code = "sync_refused"


def _atomic_write(path: Path, data: bytes) -> None:
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


@dataclass
class LocalMatch:
    bank: str
    entry: dict[str, Any]
    distance: int
    variant: str = "original"


@dataclass
class ApplyResult:
    bank: str
    kind: str
    changed: int
    removed: int
    entries: int
    checkpoint: int


@dataclass
class LocalBankStore:
    root: Path
    state: dict[str, Any] = field(default_factory=dict)
    _entries: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _indexes: dict[str, PdqIndex] = field(default_factory=dict)
    _exact: dict[str, dict[tuple[str, str], list[int]]] = field(default_factory=dict)
    _videos: dict[str, VpdqIndex] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> LocalBankStore:
        store = cls(root)
        path = root / "state.json"
        if path.exists():
            try:
                state = json.loads(path.read_text())
            except ValueError as exc:
                raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
            if state.get("format") != STATE_FORMAT or state.get("version") != STATE_VERSION:
                raise InvalidInput(f"{path} is not an {STATE_FORMAT} v{STATE_VERSION} file")
            store.state = state
        else:
            store.state = {"format": STATE_FORMAT, "version": STATE_VERSION, "banks": {}}
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
        _atomic_write(
            self.root / "state.json", json.dumps(self.state, indent=2, sort_keys=True).encode()
        )

    def _entries_path(self, bank: str) -> Path:
        return self.root / f"{bank}.entries.jsonl"

    def _index_path(self, bank: str) -> Path:
        return self.root / f"{bank}.pdqidx"

    # --- reading ---------------------------------------------------------------------

    def entries(self, bank: str) -> dict[int, dict[str, Any]]:
        """The live entries, folded from the bank's log (a later line replaces an earlier
        one with the same id; a removal drops it)."""
        if bank not in self._entries:
            path = self._entries_path(bank)
            records: dict[int, dict[str, Any]] = {}
            if path.exists():
                with path.open("rb") as handle:
                    for line in handle:
                        if not line.endswith(b"\n"):
                            break  # a torn last line from a crash: not applied yet
                        record = orjson.loads(line)
                        if record["removed"]:
                            records.pop(int(record["id"]), None)
                        else:
                            records[int(record["id"])] = record
            self._entries[bank] = records
        return self._entries[bank]

    def pdq_index(self, bank: str) -> PdqIndex:
        if bank not in self._indexes:
            path = self._index_path(bank)
            self._indexes[bank] = PdqIndex.open(path) if path.exists() else PdqIndex.empty()
        return self._indexes[bank]

    # --- applying --------------------------------------------------------------------

    def apply(self, document: BankDocument) -> ApplyResult:
        """Apply a verified snapshot or delta (see :mod:`alliance.banks.distribution`).

        A snapshot rewrites the bank's files; a delta appends its lines to the entries log
        and updates the index in place (tombstones and additions), so its cost grows with
        the delta, not with the bank. The log is compacted when it holds twice the live
        entries."""
        name = document.bank
        if name in self.banks and document.until < self.checkpoint(name):
            raise SyncRefused(
                f"{name}: the platform sent a {document.kind} at sequence {document.until}, "
                f"older than the local copy at {self.checkpoint(name)}; nothing changed"
            )
        if document.kind == "snapshot":
            current: dict[int, dict[str, Any]] = {}
        else:
            if document.since != self.checkpoint(name):
                raise InvalidInput(
                    f"delta for {name} starts at {document.since}, "
                    f"local copy is at {self.checkpoint(name)}"
                )
            current = self.entries(name)
        removed = 0
        changed: list[tuple[int, dict[str, Any]]] = []
        for record in document.entries:
            entry_id = int(record["id"])
            previous = current.pop(entry_id, None)
            if record["removed"]:
                removed += previous is not None
            else:
                current[entry_id] = record
                changed.append((entry_id, record))
        lines = self.banks.get(name, {}).get("log_lines", 0) + len(document.entries)
        if document.kind == "snapshot" or lines > 2 * max(len(current), 1000):
            self._write_log(name, current.values())
            lines = len(current)
            values, ids, names = _pdq_rows(current.items())
            index = PdqIndex.build(values, ids, banks=name, variants=names)
        else:
            self._append_log(name, document.entries)
            index = self.pdq_index(name)
            index.remove([str(int(r["id"])) for r in document.entries])
            values, ids, names = _pdq_rows(changed)
            if values:
                index.add(values, ids, banks=name, variants=names)
        index.save(self._index_path(name))
        self._entries[name], self._indexes[name] = current, index
        self._exact.pop(name, None)
        self._videos.pop(name, None)
        meta = document.header["bank"]
        self.banks[name] = {
            "checkpoint": document.until,
            "scope": meta["scope"],
            "suppression": bool(meta["suppression"]),
            "pdq_threshold": meta["pdq_threshold"],
            "entries": len(current),
            "log_lines": lines,
            "synced_at": utcnow().isoformat(),
        }
        self._save_state()
        return ApplyResult(
            name,
            document.kind,
            len(document.entries) - removed,
            removed,
            len(current),
            document.until,
        )

    def _write_log(self, bank: str, records: Iterable[dict[str, Any]]) -> None:
        body = b"".join(_record_line(r) for r in records)
        _atomic_write(self._entries_path(bank), body)

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
                        str(entry_id): video.VpdqHash.from_text(record["signal"])
                        for entry_id, record in entries.items()
                        if record["signal_type"] == "vpdq"
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
            for entry_id, record in entries.items():
                if record["signal_type"] != "pdq":
                    exact.setdefault((record["signal_type"], record["signal"]), []).append(entry_id)
            self._exact[bank] = exact
        ids = self._exact[bank].get((signal_type, value), [])
        return [LocalMatch(bank, entries[i], 0) for i in ids]
