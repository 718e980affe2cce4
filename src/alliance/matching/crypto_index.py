"""The exact index: sorted digests, for every signal type of index kind ``exact`` (MD5,
SHA-1, SHA-256: fixed-length hex, matched only when equal).

Lookups are a binary search over the memory-mapped, sorted digest array (``S{L}`` numpy
strings compare bytewise), so a 10M-entry SHA-256 index opens instantly and answers in
microseconds.

**File** (``.cryptoidx``, version 1; container in :mod:`alliance.matching.fileformat`):
header keys ``algorithm`` (the signal type's name) and ``count``; sections ``digests``
(sorted, ``count × L`` bytes), ``id_offsets`` (u64, count+1) and ``id_blob`` (UTF-8 ids,
in digest order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alliance.hashing.errors import UnknownSignal
from alliance.hashing.signal_type import IndexKind, SignalType
from alliance.hashing.signals import get
from alliance.matching import fileformat
from alliance.matching.errors import InvalidIndex

MAGIC = b"ALCRYIX\0"
VERSION = 1


def _exact(name: str) -> tuple[SignalType, int]:
    """The signal type ``name`` and its digest width in bytes, if an exact index holds it."""
    try:
        kind = get(name)
    except UnknownSignal:
        raise InvalidIndex(f"unknown algorithm {name!r}") from None
    if kind.index_kind is not IndexKind.exact or kind.hex_length is None:
        raise InvalidIndex(f"{name} is not matched by an exact index")
    return kind, kind.hex_length // 2


class CryptoIndex:
    def __init__(
        self,
        algorithm: str,
        digests: NDArray[np.bytes_],
        id_offsets: NDArray[np.uint64],
        id_blob: NDArray[np.uint8],
    ) -> None:
        self.algorithm = algorithm
        self._validate = _exact(algorithm)[0].validate
        self._digests = digests
        self._offsets = id_offsets
        self._blob = id_blob

    @classmethod
    def build(cls, algorithm: str, hashes: Sequence[str], ids: Sequence[str]) -> CryptoIndex:
        kind, width = _exact(algorithm)
        if len(hashes) != len(ids):
            raise InvalidIndex(f"{len(ids)} ids for {len(hashes)} hashes")
        raw = np.array([bytes.fromhex(kind.validate(h)) for h in hashes], f"S{width}")
        order = np.argsort(raw, kind="stable")
        encoded = [ids[i].encode() for i in order.tolist()]
        offsets = np.concatenate(([0], np.cumsum([len(e) for e in encoded]))).astype(np.uint64)
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(algorithm, raw[order], offsets, blob)

    def __len__(self) -> int:
        return len(self._digests)

    def lookup(self, value: str) -> list[str]:
        """Ids stored under the hex digest ``value`` (empty list if none)."""
        key = np.array([bytes.fromhex(self._validate(value))], self._digests.dtype)
        low = int(np.searchsorted(self._digests, key[0], side="left"))
        high = int(np.searchsorted(self._digests, key[0], side="right"))
        return [
            bytes(self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])]).decode()
            for i in range(low, high)
        ]

    def save(self, path: Path | str) -> None:
        header = {"kind": "crypto", "algorithm": self.algorithm, "count": len(self)}
        width = _exact(self.algorithm)[1]
        digests = np.frombuffer(self._digests.tobytes(), np.uint8).reshape(-1, width)
        arrays: dict[str, NDArray[Any]] = {
            "digests": digests,
            "id_offsets": self._offsets,
            "id_blob": self._blob,
        }
        fileformat.write(Path(path), MAGIC, VERSION, header, arrays)

    @classmethod
    def open(cls, path: Path | str) -> CryptoIndex:
        header, arrays = fileformat.read(Path(path), MAGIC, (VERSION,))
        try:
            algorithm = str(header["algorithm"])
            width = _exact(algorithm)[1]
            digests = arrays["digests"].reshape(-1).view(f"S{width}")
            return cls(algorithm, digests, arrays["id_offsets"], arrays["id_blob"])
        except (KeyError, ValueError) as exc:
            raise InvalidIndex(f"{path}: corrupt index ({exc})") from exc
