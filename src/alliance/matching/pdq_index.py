"""An exact Hamming-radius index for 256-bit PDQ hashes: multi-index hashing (MIH).

**Exact.** Every stored hash within the query radius (0..31) is returned, with its
distance: recall 1.0 against brute force, by construction, not by tuning.

**How.** The 256 bits are cut into ``m`` disjoint substrings (3..8 per 64-bit word, of
``b ≈ log2(N)`` bits, at most 22). If two hashes are within ``r``, write ``r = q·m + a``
(``0 ≤ a < m``): one of the first ``a + 1`` substrings differs in at most ``q`` bits or
one of the others in at most ``q - 1`` (else the total would exceed ``r``; Norouzi,
Punjani & Fleet, *Fast exact search in Hamming space with multi-index hashing*, 2014).
Each substring has a direct-address table (bucket offsets into a list of rows, CSR); a
query probes every bucket within its substring's radius, gathers the rows there and
checks their full 256-bit distance with a vectorised XOR and popcount. At 10M hashes
with ``m = 12`` that is ~2,000 probes and ~8,000 candidates per query: tens of
microseconds of memory traffic instead of the 320 MB a brute-force scan reads.

**Changes without a rebuild.** :meth:`PdqIndex.add` appends rows that are not in the
tables yet; they are searched by brute force until :meth:`PdqIndex.compact` (run
automatically once they exceed an eighth of the indexed rows) folds them in.
:meth:`PdqIndex.remove` sets tombstones. Both survive :meth:`PdqIndex.save`.

**Rows.** Each row has an id (a string; by default its row number), a bank and a
variant (``original``, ``rotate90``... see :mod:`alliance.hashing.variants`). A search
returns one match per (bank, id): its closest variant, and says which variant it was.

**File** (``.pdqidx``, version 1; the container is :mod:`alliance.matching.fileformat`):
header keys ``count``, ``indexed``, ``substrings`` (``[word, shift, width]`` each),
``banks`` and ``variants`` (names, by code), ``ids`` (``"row"`` or ``"explicit"``);
sections ``hashes`` (u8 N×32, the digests), ``bank`` (u16 N), ``variant`` (u8 N),
``tombstone`` (bool N), ``bucket_offsets`` (u32, per substring ``2^width + 1`` entries,
global positions into ``bucket_rows``), ``bucket_rows`` (u32, ``m × indexed``), and for
explicit ids ``id_offsets`` (u64 N+1) and ``id_blob`` (UTF-8).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alliance.hashing.pdq import HASH_BYTES, MATCH_THRESHOLD, PdqHash
from alliance.hashing.variants import VARIANT_NAMES
from alliance.matching import fileformat, scratch_memory
from alliance.matching.errors import InvalidIndex, InvalidRadius

MAGIC = b"ALPDQIX\0"
VERSION = 1
#: Largest radius the index answers exactly (Meta's recommended PDQ threshold).
MAX_RADIUS = MATCH_THRESHOLD
DEFAULT_BANK = "default"
#: Queries searched together by search_many. Measured from 100k to 10M hashes, 16-32 is
#: fastest a query at every size: larger chunks gather more candidates than the CPU's
#: caches hold (256 cost twice as much a query at 10M), smaller ones repeat numpy's
#: per-call overhead.
CHUNK = 16

U64 = NDArray[np.uint64]
_ONE = np.uint64(1)


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    hash: str
    distance: int
    bank: str
    variant: str


def _substring_layout(count: int) -> list[tuple[int, int, int]]:
    """(word, shift, width) of each substring; widths near log2(count), at most 22."""
    bits = min(max(int(np.log2(max(count, 1))), 8), 22)
    per_word = -(-64 // bits)
    widths = [64 // per_word + (1 if i < 64 % per_word else 0) for i in range(per_word)]
    layout = []
    for word in range(4):
        shift = 64
        for width in widths:
            shift -= width
            layout.append((word, shift, width))
    return layout


@functools.lru_cache(maxsize=64)
def _flips(width: int, radius: int) -> U64:
    """Every ``width``-bit mask of at most ``radius`` set bits."""
    masks = [0]
    for r in range(1, radius + 1):
        masks.extend(sum(1 << i for i in c) for c in itertools.combinations(range(width), r))
    return np.array(masks, dtype=np.uint64)


def as_words(digests: NDArray[np.uint8]) -> U64:
    """(N, 32) uint8 digests as (N, 4) uint64, the form distances are computed on."""
    return np.ascontiguousarray(digests).view("<u8").astype(np.uint64, copy=False)


def parse_hashes(values: Iterable[str | bytes | PdqHash]) -> NDArray[np.uint8]:
    """Hex strings, raw digests or PdqHash values as an (N, 32) uint8 array."""
    raw = [
        v.digest
        if isinstance(v, PdqHash)
        else v
        if isinstance(v, bytes)
        else PdqHash.from_hex(v).digest
        for v in values
    ]
    if any(len(d) != HASH_BYTES for d in raw):
        raise InvalidIndex("a PDQ digest must have 32 bytes")
    return np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), HASH_BYTES)


def check_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= MAX_RADIUS:
        raise InvalidRadius(
            f"radius {radius!r} is out of range: an exact PDQ index answers 0..{MAX_RADIUS}"
        )
    return radius


class _Tables:
    """The MIH tables over the first ``indexed`` rows."""

    def __init__(
        self,
        layout: list[tuple[int, int, int]],
        offsets: NDArray[np.uint32],
        rows: NDArray[np.uint32],
    ) -> None:
        self.layout = layout
        self.offsets = offsets
        self.rows = rows
        widths = [w for _, _, w in layout]
        self.bases = np.cumsum([0, *[(1 << w) + 1 for w in widths]])[:-1].astype(np.int64)
        self.words = np.array([w for w, _, _ in layout], dtype=np.intp)
        self.shifts = np.array([s for _, s, _ in layout], dtype=np.uint64)
        self.masks = np.array([(1 << w) - 1 for w in widths], dtype=np.uint64)
        self._plans: dict[int, tuple[NDArray[np.intp], U64, NDArray[np.int64]]] = {}

    @classmethod
    def build(cls, words: U64, *, threads: int = 1) -> _Tables:
        count = len(words)
        if count >= 2**32 // 64:
            raise InvalidIndex(f"{count:,} hashes is more than one index file holds")
        layout = _substring_layout(count)

        widths = [width for _, _, width in layout]
        bases = np.cumsum([0, *[(1 << w) + 1 for w in widths]])
        offsets = np.empty(int(bases[-1]), np.uint32)
        rows = np.empty(len(layout) * count, np.uint32)  # filled in place: no 2nd copy
        columns = [np.ascontiguousarray(words[:, w]) for w in range(words.shape[1])]
        row_numbers = np.arange(count, dtype=np.int32)
        present = np.ones(count, np.bool_)
        # Imported here: opening an index (`alliance match`, the API) does not need it.
        from scipy import sparse  # noqa: PLC0415

        def table(s: int) -> None:
            word, shift, width = layout[s]
            keys = ((columns[word] >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(
                np.int32
            )
            # A bucket table is a sparse matrix in CSR form: bucket key x row number. SciPy
            # builds it by a counting sort in C, stable (rows stay in order in a bucket), in
            # half the time of two radix passes in numpy.
            buckets = sparse.csr_array(
                (present, (keys, row_numbers)), shape=(1 << width, max(count, 1))
            )
            rows[s * count : (s + 1) * count] = buckets.indices
            mine = offsets[bases[s] : bases[s + 1]]
            mine[:] = buckets.indptr
            mine += np.uint32(s * count)

        # SciPy and numpy release the GIL here: threads help, processes are not needed.
        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            list(pool.map(table, range(len(layout))))
        return cls(layout, offsets, rows)

    def plan(self, radius: int) -> tuple[NDArray[np.intp], U64, NDArray[np.int64]]:
        """(substring of each probe, its flip mask, its table base) for ``radius``."""
        if radius not in self._plans:
            m = len(self.layout)
            q, a = divmod(radius, m)
            subs, flips = [], []
            for s, (_, _, width) in enumerate(self.layout):
                r = q if s <= a else q - 1
                if r >= 0:
                    f = _flips(width, r)
                    subs.append(np.full(len(f), s, dtype=np.intp))
                    flips.append(f)
            sub = np.concatenate(subs)
            self._plans[radius] = (sub, np.concatenate(flips), self.bases[sub])
        return self._plans[radius]

    def candidates(self, queries: U64, radius: int) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
        """(query number, row) of every row sharing a probed bucket with a query."""
        sub, flips, bases = self.plan(radius)
        keys = (queries[:, self.words] >> self.shifts) & self.masks  # (Q, m)
        buckets = bases + ((keys[:, sub] ^ flips).astype(np.int64))  # (Q, P)
        starts = self.offsets[buckets].astype(np.int64)
        lengths = self.offsets[buckets + 1].astype(np.int64) - starts
        per_query = lengths.sum(axis=1)
        lengths, starts = lengths.ravel(), starts.ravel()
        total = int(per_query.sum())
        if total == 0:
            return np.zeros(0, np.intp), np.zeros(0, np.int64)
        ends = np.cumsum(lengths)
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        query_of = np.repeat(np.arange(len(queries), dtype=np.intp), per_query)
        return query_of, self.rows[positions].astype(np.int64)


def _distances(
    words: U64, rows: NDArray[np.int64], queries: U64, query_of: NDArray[np.intp]
) -> NDArray[np.int16]:
    """Hamming distance of ``words[rows[i]]`` to ``queries[query_of[i]]``.

    Written for numpy's fast paths: row gathers with ``take`` and a flat XOR (a
    broadcast XOR over 4-wide rows, or ``sum(axis=1)``, costs 2-3x more).
    """
    gathered = np.take(words, rows, axis=0)
    flat = gathered.reshape(-1)
    np.bitwise_xor(flat, np.take(queries, query_of, axis=0).reshape(-1), out=flat)
    counts = np.bitwise_count(gathered)
    total = counts[:, 0].astype(np.int16)
    for column in (1, 2, 3):
        total += counts[:, column]
    return total


class PdqIndex:
    """Exact radius search over PDQ hashes; see the module docstring."""

    def __init__(
        self,
        *,
        digests: NDArray[np.uint8],
        banks: NDArray[np.uint16],
        variants: NDArray[np.uint8],
        tombstones: NDArray[np.bool_],
        tables: _Tables,
        bank_names: list[str],
        variant_names: list[str],
        ids: tuple[NDArray[np.uint64], NDArray[np.uint8]] | None,
    ) -> None:
        self._digests = digests
        self._words = as_words(digests)
        self._banks = banks
        self._variants = variants
        self._tombstones = tombstones
        self._any_removed = bool(tombstones.any())
        self._tables = tables
        self.bank_names = bank_names
        self.variant_names = variant_names
        self._base_ids = ids  # None: a row's id is its number
        self._extra_start = len(digests)
        self._extra_ids: list[str] = []  # ids of rows added since construction
        self._explicit = ids is not None
        self._id_rows: dict[str, list[int]] | None = None

    # --- building ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        hashes: Iterable[str | bytes | PdqHash] | NDArray[np.uint8],
        ids: Sequence[str] | None = None,
        *,
        banks: Sequence[str] | str = DEFAULT_BANK,
        variants: Sequence[str] | str = "original",
        threads: int = 1,
    ) -> PdqIndex:
        """An index over ``hashes`` (hex, digests, or an (N, 32) uint8 array)."""
        index = cls.empty()
        index.add(hashes, ids, banks=banks, variants=variants, compact=False)
        index.compact(threads=threads)
        return index

    @classmethod
    def empty(cls) -> PdqIndex:
        nothing = np.zeros((0, HASH_BYTES), np.uint8)
        return cls(
            digests=nothing,
            banks=np.zeros(0, np.uint16),
            variants=np.zeros(0, np.uint8),
            tombstones=np.zeros(0, np.bool_),
            tables=_Tables.build(as_words(nothing)),
            bank_names=[DEFAULT_BANK],
            variant_names=list(VARIANT_NAMES),
            ids=None,
        )

    def __len__(self) -> int:
        """Live rows (tombstoned rows excluded)."""
        return int(len(self._tombstones) - self._tombstones.sum())

    @property
    def indexed(self) -> int:
        """Rows covered by the MIH tables; later rows are scanned by brute force."""
        return len(self._tables.rows) // max(len(self._tables.layout), 1)

    @staticmethod
    def _codes(
        names: list[str], values: Sequence[str] | str, count: int, limit: int
    ) -> NDArray[np.int64]:
        """Codes of ``values`` (one name for all rows, or one per row) in ``names``."""
        single = [values] if isinstance(values, str) else list(values)
        if len(single) not in (1, count):
            raise InvalidIndex(f"{len(single)} bank/variant names for {count} hashes")
        for name in dict.fromkeys(single):
            if name not in names:
                if len(names) >= limit:
                    raise InvalidIndex(f"an index holds at most {limit} distinct names")
                names.append(name)
        lookup = {name: code for code, name in enumerate(names)}
        codes = np.array([lookup[name] for name in single], dtype=np.int64)
        return np.full(count, codes[0]) if len(single) == 1 else codes

    def add(
        self,
        hashes: Iterable[str | bytes | PdqHash] | NDArray[np.uint8],
        ids: Sequence[str] | None = None,
        *,
        banks: Sequence[str] | str = DEFAULT_BANK,
        variants: Sequence[str] | str = "original",
        compact: bool = True,
    ) -> None:
        """Append rows; searchable at once, folded into the tables by :meth:`compact`."""
        new = (
            np.ascontiguousarray(hashes, dtype=np.uint8).reshape(-1, HASH_BYTES)
            if isinstance(hashes, np.ndarray)
            else parse_hashes(hashes)
        )
        count, start = len(new), len(self._digests)
        if ids is not None and len(ids) != count:
            raise InvalidIndex(f"{len(ids)} ids for {count} hashes")
        bank_codes = self._codes(self.bank_names, banks, count, limit=65535)
        if isinstance(variants, str):
            variants = [variants]
        # An index written before a variant name existed accepts it (appended code).
        unknown = set(variants) - set(self.variant_names) - set(VARIANT_NAMES)
        if unknown:
            raise InvalidIndex(f"unknown variant {sorted(unknown)[0]!r}")
        variant_codes = self._codes(self.variant_names, variants, count, limit=255)
        if ids is not None and not self._explicit:
            self._explicit = True
            self._extra_ids = [str(r) for r in range(self._extra_start, start)]
        if self._explicit:
            self._extra_ids.extend(
                ids if ids is not None else (str(start + i) for i in range(count))
            )
        self._digests = np.concatenate([self._digests, new])
        self._words = as_words(self._digests)
        self._banks = np.concatenate([self._banks, bank_codes.astype(np.uint16)])
        self._variants = np.concatenate([self._variants, variant_codes.astype(np.uint8)])
        self._tombstones = np.concatenate([self._tombstones, np.zeros(count, np.bool_)])
        self._id_rows = None
        if compact and len(self._digests) - self.indexed > max(4096, self.indexed // 8):
            self.compact()

    def compact(self, *, threads: int = 1) -> None:
        """Rebuild the tables over every row (tombstoned rows stay, hidden)."""
        self._tables = _Tables.build(self._words, threads=threads)

    def remove(self, ids: Iterable[str]) -> int:
        """Tombstone every row with one of ``ids``; returns how many rows that was."""
        if self._id_rows is None:
            self._id_rows = {}
            for row, key in enumerate(self.ids()):
                self._id_rows.setdefault(key, []).append(row)
        rows = [r for i in ids for r in self._id_rows.get(i, [])]
        fresh = [r for r in rows if not self._tombstones[r]]
        if fresh:
            tombstones = np.array(self._tombstones)  # copy: the mapped one is read-only
            tombstones[fresh] = True
            self._tombstones = tombstones
            self._any_removed = True
        return len(fresh)

    def ids(self) -> list[str]:
        """Every row's id, in row order: :meth:`id_of` of each row, the stored ones decoded
        in one pass (a call a row costs seconds at a few million rows)."""
        if not self._explicit:
            return [str(row) for row in range(len(self._digests))]
        if self._base_ids is None:
            base = [str(row) for row in range(self._extra_start)]
        else:
            offsets, blob = self._base_ids
            raw, bounds = bytes(blob), offsets.tolist()
            base = [raw[a:b].decode() for a, b in itertools.pairwise(bounds)]
        return base + self._extra_ids

    def id_of(self, row: int) -> str:
        if row >= self._extra_start and self._explicit:
            return self._extra_ids[row - self._extra_start]
        if self._base_ids is None:
            return str(row)
        offsets, blob = self._base_ids
        return bytes(blob[int(offsets[row]) : int(offsets[row + 1])]).decode()

    def hash_of(self, row: int) -> str:
        """Row ``row``'s PDQ hash, as hex."""
        return bytes(self._digests[row]).hex()

    # --- searching --------------------------------------------------------------------

    def search(
        self,
        query: str | bytes | PdqHash,
        radius: int = MATCH_THRESHOLD,
        *,
        banks: Collection[str] | None = None,
    ) -> list[Match]:
        """Every live row within ``radius`` of ``query``, closest first."""
        return self.search_many([query], radius, banks=banks)[0]

    def search_many(
        self,
        queries: Sequence[str | bytes | PdqHash] | NDArray[np.uint8],
        radius: int = MATCH_THRESHOLD,
        *,
        banks: Collection[str] | None = None,
        chunk: int = CHUNK,
    ) -> list[list[Match]]:
        """:meth:`search` for many queries at once (vectorised; faster per query)."""
        check_radius(radius)
        scratch_memory.keep_in_heap()
        digests = (
            np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, HASH_BYTES)
            if isinstance(queries, np.ndarray)
            else parse_hashes(queries)
        )
        out: list[list[Match]] = []
        for begin in range(0, len(digests), chunk):
            part = as_words(digests[begin : begin + chunk])
            query_of, rows, distances = self.raw_search(part, radius)
            out.extend(self._matches(len(part), query_of, rows, distances, banks))
        return out

    def raw_search(
        self, queries: U64, radius: int
    ) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.int64]]:
        """(query number, row, distance) of every live row within ``radius``; unsorted,
        a row may repeat. The fast core for benchmarks and bulk callers."""
        scratch_memory.keep_in_heap()
        query_of, rows = self._tables.candidates(queries, radius)
        indexed = self.indexed
        if len(self._digests) > indexed:  # rows added since the last compaction
            extra = np.arange(indexed, len(self._digests), dtype=np.int64)
            query_of = np.concatenate([query_of, np.repeat(np.arange(len(queries)), len(extra))])
            rows = np.concatenate([rows, np.tile(extra, len(queries))])
        distances = _distances(self._words, rows, queries, query_of)
        keep = distances <= radius
        query_of, rows, distances = query_of[keep], rows[keep], distances[keep]
        if self._any_removed:
            live = ~self._tombstones[rows]
            query_of, rows, distances = query_of[live], rows[live], distances[live]
        return query_of, rows, distances.astype(np.int64)

    def _matches(
        self,
        count: int,
        query_of: NDArray[np.intp],
        rows: NDArray[np.int64],
        distances: NDArray[np.int64],
        banks: Collection[str] | None,
    ) -> list[list[Match]]:
        if banks is not None:
            wanted = [self.bank_names.index(b) for b in banks if b in self.bank_names]
            keep = np.isin(self._banks[rows], wanted)
            query_of, rows, distances = query_of[keep], rows[keep], distances[keep]
        order = np.lexsort((rows, distances, query_of))
        results: list[list[Match]] = [[] for _ in range(count)]
        seen: set[tuple[int, int, str]] = set()
        for q, row, distance in zip(
            query_of[order].tolist(), rows[order].tolist(), distances[order].tolist(), strict=True
        ):
            bank, row_id = int(self._banks[row]), self.id_of(row)
            if (q, bank, row_id) in seen:
                continue  # a farther variant of a row already matched
            seen.add((q, bank, row_id))
            results[q].append(
                Match(
                    row_id,
                    self.hash_of(row),
                    distance,
                    self.bank_names[bank],
                    self.variant_names[int(self._variants[row])],
                )
            )
        return results

    # --- files ------------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Write the index (format in the module docstring), replacing ``path`` atomically."""
        self.write(path, MAGIC, {"kind": "pdq"})

    def write(self, path: Path | str, magic: bytes, extra: dict[str, Any]) -> None:
        """:meth:`save` under another ``magic``, with ``extra`` header keys: for indexes
        built on this one (:class:`~alliance.matching.video.VpdqIndex`)."""
        header: dict[str, Any] = {
            **extra,
            "count": len(self._digests),
            "indexed": self.indexed,
            "substrings": [list(s) for s in self._tables.layout],
            "banks": self.bank_names,
            "variants": self.variant_names,
            "ids": "explicit" if self._explicit else "row",
        }
        arrays: dict[str, NDArray[Any]] = {
            "hashes": self._digests,
            "bank": self._banks,
            "variant": self._variants,
            "tombstone": self._tombstones,
            "bucket_offsets": self._tables.offsets,
            "bucket_rows": self._tables.rows,
        }
        if self._explicit:
            texts = self.ids()
            blob = "".join(texts).encode()
            lengths = np.fromiter(map(len, texts), np.uint64, len(texts))
            if len(blob) != int(lengths.sum()):  # not all ASCII: lengths in bytes
                lengths = np.fromiter((len(t.encode()) for t in texts), np.uint64, len(texts))
            arrays["id_offsets"] = np.concatenate((np.zeros(1, np.uint64), np.cumsum(lengths)))
            arrays["id_blob"] = np.frombuffer(blob, dtype=np.uint8)
        fileformat.write(Path(path), magic, VERSION, header, arrays)

    @classmethod
    def open(cls, path: Path | str) -> PdqIndex:
        """Memory-map an index file: no copy, no rebuild."""
        return cls.read(path, MAGIC)[0]

    @classmethod
    def read(cls, path: Path | str, magic: bytes) -> tuple[PdqIndex, dict[str, Any]]:
        """:meth:`open` a file :meth:`write` wrote; returns the index and the header."""
        header, arrays = fileformat.read(Path(path), magic, (VERSION,))
        try:
            count, layout = int(header["count"]), [tuple(s) for s in header["substrings"]]
            digests = arrays["hashes"].reshape(count, HASH_BYTES)
            if len(arrays["bucket_rows"]) != len(layout) * int(header["indexed"]):
                raise InvalidIndex(f"{path}: bucket tables do not match the header")
            tables = _Tables(layout, arrays["bucket_offsets"], arrays["bucket_rows"])
            ids = None
            if header["ids"] == "explicit":
                ids = (arrays["id_offsets"], arrays["id_blob"])
            index = cls(
                digests=digests,
                banks=arrays["bank"],
                variants=arrays["variant"],
                tombstones=arrays["tombstone"],
                tables=tables,
                bank_names=list(header["banks"]),
                variant_names=list(header["variants"]),
                ids=ids,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidIndex(f"{path}: corrupt index ({exc})") from exc
        return index, header
