"""A subscriber's synced copy of the lists for blocking: a folder, beside its banks.

Layout (``<data_dir>/blocklists`` by default)::

    state.json       {"format": "alliance.local-blocklists", "version": 1,
                      "lists": {name: {"checkpoint", "entries", "synced_at"}}}
    <list>.jsonl     the entries on the list, one ``alliance.blocklist`` entry record a
                     line, sorted by URL or term

The lists are small (the IWF's URL list holds some thousands of pages a day), so each
sync rewrites a list's file whole, atomically, and then the state: after a crash the
checkpoint is the old one and the same delta is applied again, which is harmless (a
delta carries each changed entry's whole state). The platform's key and the member are
pinned in the bank store, whose signed manifest the lists are synced against. The store
never goes back: a document that would take a list below its checkpoint is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from alliance.banks.local_store import SyncRefused, atomic_write, read_state
from alliance.blocklists.distribution import KEY_FIELDS, ListDocument
from alliance.blocklists.models import ListName
from alliance.db.base import utcnow
from alliance.errors import NotFound

STATE_FORMAT = "alliance.local-blocklists"
STATE_VERSION = 1


@dataclass(frozen=True)
class ListApplied:
    name: str
    kind: str
    changed: int
    removed: int
    entries: int
    checkpoint: int


@dataclass
class LocalListStore:
    root: Path
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> LocalListStore:
        store = cls(root)
        store.state = read_state(root / "state.json", STATE_FORMAT, STATE_VERSION, "lists")
        return store

    @property
    def lists(self) -> dict[str, dict[str, Any]]:
        held: dict[str, dict[str, Any]] = self.state["lists"]
        return held

    def checkpoint(self, name: str) -> int:
        return int(self.lists.get(name, {}).get("checkpoint", 0))

    def _path(self, name: str) -> Path:
        return self.root / f"{ListName(name).value}.jsonl"

    def entries(self, name: str) -> list[dict[str, Any]]:
        """The entries on the list, as synced; NotFound when the list was never synced."""
        if name not in self.lists:
            raise NotFound(
                f"no {name} list in {self.root}: run `alliance sync` first (a member whose "
                "API key may receive the lists)"
            )
        path = self._path(name)
        if not path.exists():
            return []
        return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]

    def apply(self, document: ListDocument) -> ListApplied:
        """Apply a verified snapshot or delta; refused, with nothing changed, when it would
        take the list back or skip changes."""
        name, checkpoint = document.name, self.checkpoint(document.name)
        held = name in self.lists
        if document.until < checkpoint:
            raise SyncRefused(
                f"{name}: the {document.kind} reaches {document.until}, below the local copy "
                f"at {checkpoint}; nothing changed"
            )
        if document.kind == "delta":
            if not held or document.since != checkpoint:
                raise SyncRefused(
                    f"{name}: a delta since {document.since} does not start at the local "
                    f"checkpoint {checkpoint if held else '(none)'}; nothing changed"
                )
            current = {e[KEY_FIELDS[ListName(name)]]: e for e in self.entries(name)}
        else:
            current = {}
        key = KEY_FIELDS[ListName(name)]
        removed = 0
        for entry in document.entries:
            if entry["removed"]:
                removed += current.pop(entry[key], None) is not None
            else:
                current[entry[key]] = entry
        lines = [orjson.dumps(current[k]) + b"\n" for k in sorted(current)]
        atomic_write(self._path(name), b"".join(lines))
        self.lists[name] = {
            "checkpoint": document.until,
            "entries": len(current),
            "synced_at": utcnow().isoformat(),
        }
        self._save_state()
        return ListApplied(
            name=name,
            kind=document.kind,
            changed=len(document.entries),
            removed=removed,
            entries=len(current),
            checkpoint=document.until,
        )

    def drop(self, name: str) -> None:
        self.lists.pop(name, None)
        self._save_state()
        self._path(name).unlink(missing_ok=True)

    def _save_state(self) -> None:
        atomic_write(
            self.root / "state.json", json.dumps(self.state, indent=2, sort_keys=True).encode()
        )
