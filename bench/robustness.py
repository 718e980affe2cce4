"""Robustness of matching to ordinary edits drawn at random, and false matches between
unrelated pictures (issue 18).

All pictures are benign: photographs that packages ship and pictures generated from a seed
(:mod:`bench.pictures`); nothing is downloaded. Everything random is drawn from the run's
seed, so a seed gives the same figures again.

**Bank.** Every picture (the originals and the unrelated set) is one bank entry: the
distinct hashes of :func:`alliance.hashing.variants.hash_variants` of its PNG file, in one
:class:`~alliance.matching.pdq_index.PdqIndex`.

**Edits.** Each original goes through random edits of eight families (:mod:`bench.edits`:
frame, tilt, crop, overlay, photometric, rescale, dihedral, and combinations of two), every
parameter drawn over its whole range. An edited file is searched as a member's query is:
by every hash of :func:`alliance.hashing.variants.query_hashes`, at distance <= 31. It is
*found* when any of them is within 31 of any variant of its own entry. The anchor is
plain PDQ as python-threatexchange computes it (``PdqSignal.hash_from_bytes``): the edited
file's hash against the original's, an empty hash (quality < 50) being a miss.

**False matches.** Every query (each edited file, and each bank entry's own file
unedited) against every entry of a different source, with all its variants: a pair is a
false match when any query hash is within 31 of any variant. Pictures cut from one
photograph share its source. Then a larger bank: the variants of every
:attr:`Size.bank_every`-th edited file besides the entries', against the same queries,
with the tail of the distances between unrelated hashes (the margin below 31).

**Speed.** ``query_hashes`` against ``PdqSignal.hash_from_bytes`` on 1024x768 JPEGs.

``python -m bench --only robustness [--seed 1,2] [--quick]``: every seed is run in turn
(by default two, for the record) and each figure is given per seed; ``--quick`` is a
small run for development (:data:`QUICK`, about a minute), not for the record. The work
is spread over one process per CPU; a seed gives the same figures whatever their number.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from PIL import Image

from alliance.hashing import pdq, variants
from alliance.matching.pdq_index import PdqIndex
from bench import edits, pictures
from bench.timing import per_call

#: Seeds the section runs with by default: two, for the record.
DEFAULT_SEEDS = (1, 2)
RADIUS = pdq.MATCH_THRESHOLD
#: Unrelated distances are counted up to (not including) this: the tail below it.
TAIL = 80
TAIL_MARKS = (31, 40, 50, 63, 79)


@dataclass(frozen=True)
class Size:
    #: Random edits of each original in each family (and as many combinations).
    per_family: int
    #: Generated originals besides the photographs (``scene`` and ``natural`` in turn).
    generated_originals: int
    #: Generated pictures in the unrelated set only (``scene``, ``natural``, ``document``).
    generated_unrelated: int
    #: Random crops of each photograph in the bank (the photograph's source).
    tiles: int
    #: Every n-th edited file is banked too (all its variants) for the larger bank.
    bank_every: int
    #: Patches of ``skimage.data.lfw_subset`` (of 200) in the unrelated set.
    faces: int
    #: Photographs the hashing speed is measured on, and rounds.
    speed_photos: int
    speed_rounds: int


FULL = Size(
    per_family=6,
    generated_originals=32,
    generated_unrelated=180,
    tiles=2,
    bank_every=4,
    faces=200,
    speed_photos=8,
    speed_rounds=5,
)
QUICK = Size(
    per_family=1,
    generated_originals=4,
    generated_unrelated=24,
    tiles=1,
    bank_every=4,
    faces=20,
    speed_photos=6,
    speed_rounds=1,
)

#: Target groups: (label, family, recall at distance <= 31 it must reach).
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("frame", "frame, every side 1-30 %, any colour (letterbox/pillarbox included)", 0.98),
    ("tilt <= 5", "tilt, 0.5-5 degrees", 0.98),
    ("tilt 5-7", "tilt, 5-7 degrees", 0.90),
    ("crop", "crop, up to 10 %", 0.98),
    ("overlay", "overlay, up to 10 % of the pixels changed", 0.95),
    ("photometric", "photometric", 0.99),
    ("rescale", "rescale x0.2-2, aspect up to +-10 %", 0.99),
    ("dihedral", "dihedral (7 flips and rotations)", 0.98),
    ("combination", "combination of two (each within its range)", 0.95),
)


# --- hashing, in worker processes ----------------------------------------------------------

#: The pictures by name, set before the worker processes are forked (they inherit it).
_PICTURES: dict[str, Image.Image] = {}


@dataclass
class Hashed:
    """What one file gives: its query hashes (``original`` first), its distinct banked
    variants (when banked), the anchor's hash ("" when quality < 50) and PDQ quality."""

    query: list[tuple[str, bytes]]
    variants: list[tuple[str, bytes]]
    anchor: str
    quality: int


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _anchor(data: bytes) -> str:
    from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: PLC0415

    return str(PdqSignal.hash_from_bytes(data))


def _hash(data: bytes, bank: bool) -> Hashed:
    query = [(k, h.digest) for k, h in variants.query_hashes(data).items()]
    banked: list[tuple[str, bytes]] = []
    quality = -1
    if bank:
        forms = variants.hash_variants(data)
        quality = forms["original"].quality or 0
        banked = [(k, h.digest) for k, h in variants.distinct(forms.items())]
    return Hashed(query, banked, _anchor(data), quality)


def _hash_entry(name: str) -> Hashed:
    return _hash(_png(_PICTURES[name]), bank=True)


def _hash_edit(job: tuple[str, edits.Edit, bool]) -> tuple[list[edits.Facts], Hashed]:
    original, edit, bank = job
    data, facts = edits.apply(edit, _PICTURES[original])
    return facts, _hash(data, bank)


# --- one run -------------------------------------------------------------------------------


@dataclass
class Tally:
    edits: int = 0
    anchor: int = 0
    first: int = 0  # alliance, the query's original hash only
    found: int = 0  # alliance, all its query hashes

    def add(self, anchor: bool, first: bool, found: bool) -> None:
        self.edits += 1
        self.anchor += anchor
        self.first += first
        self.found += found


@dataclass
class Tail:
    """Unrelated (query hash, banked hash) pairs: how many, and how many at each distance
    below :data:`TAIL`; (query, entry) pairs and those with any pair within 31."""

    queries: int = 0
    query_hashes: int = 0
    entries: int = 0
    bank_hashes: int = 0
    hash_pairs: int = 0
    histogram: np.ndarray = field(default_factory=lambda: np.zeros(TAIL, np.int64))
    entry_pairs: int = 0
    false_entries: int = 0
    #: False (query, entry) pairs by (query's source, entry's source).
    by_source: Counter[tuple[int, int]] = field(default_factory=Counter)
    #: The least distance of each (query's source, entry's source) within 40.
    nearest: dict[tuple[int, int], int] = field(default_factory=dict)

    def within(self, distance: int) -> int:
        return int(self.histogram[: distance + 1].sum())

    def minimum(self) -> str:
        hits = np.flatnonzero(self.histogram)
        return str(int(hits[0])) if len(hits) else f">= {TAIL}"


@dataclass
class Run:
    seed: int
    size: Size
    workers: int
    seconds: dict[str, float]
    photos: list[str]
    low_quality: list[str]
    entries: int
    sources: int
    origins: Counter[str]
    banked_hashes: int
    originals: int
    generated_originals: int
    edits: int
    queries: int
    query_hashes: int
    groups: dict[str, Tally]
    #: The originals' own files, unedited (a check: all found).
    unedited: Tally
    bands: dict[tuple[str, str, str], Tally]
    apart: dict[str, Tally]
    # false matches against the bank of entries
    false_calls: int
    #: Source names by their codes in :class:`Tail`.
    source_names: list[str]
    ours: Tail
    anchor: Tail
    # the larger bank: entries and every n-th edited file
    large_files: int
    large_hashes: int
    large: Tail
    large_anchor: Tail


def _group(edit: edits.Edit, facts: list[edits.Facts]) -> str | None:
    """The target group an edit counts in, or None (beyond the family's target range)."""
    if not all(edits.in_range(s, f) for s, f in zip(edit.steps, facts, strict=True)):
        return None
    if edit.family == "tilt":
        return "tilt <= 5" if abs(edit.steps[0].params["angle"]) <= 5 else "tilt 5-7"
    return edit.family


def _bands(edit: edits.Edit, facts: list[edits.Facts]) -> list[tuple[str, str, str]]:
    saved = "PNG" if edit.format == "PNG" else "JPEG q60-95"
    if edit.family == edits.COMBINATION:
        pair = " + ".join(sorted(s.family for s in edit.steps))
        inside = all(edits.in_range(s, f) for s, f in zip(edit.steps, facts, strict=True))
        return [
            (edit.family, "families", pair),
            (edit.family, "each within its range", "yes" if inside else "no"),
            (edit.family, "saved as", saved),
        ]
    step, measured = edit.steps[0], facts[0]
    return [
        *((edit.family, dimension, band) for dimension, band in edits.bands(step, measured)),
        (edit.family, "saved as", saved),
    ]


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


def _plain(hashed: Hashed) -> list[bytes]:
    return [bytes.fromhex(hashed.anchor)] if hashed.anchor else []


def _stack(items: Sequence[tuple[int, int, Sequence[bytes]]]) -> Rows:
    """(hashes as an (n, 32) uint8 array, the source code of each, the number of the file
    each is of) from (source code, file number, hashes) per file."""
    digests = [d for _, _, ds in items for d in ds]
    counts = [len(ds) for _, _, ds in items]
    return (
        np.frombuffer(b"".join(digests), np.uint8).reshape(-1, 32),
        np.repeat(np.array([s for s, _, _ in items], np.int64), counts),
        np.repeat(np.array([n for _, n, _ in items], np.int64), counts),
    )


def _tail(
    query_rows: Rows,
    bank_rows: Rows,
) -> Tail:
    """Every (query hash, banked hash) pair of different sources: distances below
    :data:`TAIL` by brute force (faiss), and the (query, entry) pairs within 31."""
    import faiss  # noqa: PLC0415 — bench-only dependency

    queries, query_source, query_call = query_rows
    bank, bank_source, bank_entry = bank_rows
    out = Tail()
    if not len(queries) or not len(bank):
        return out
    out.queries, out.query_hashes = len(np.unique(query_call)), len(queries)
    out.entries, out.bank_hashes = len(np.unique(bank_entry)), len(bank)
    same = np.bincount(bank_source, minlength=int(max(query_source.max(), bank_source.max())) + 1)
    out.hash_pairs = int((len(bank) - same[query_source]).sum())
    calls = np.unique(query_call)
    call_source = np.zeros(int(calls.max()) + 1, np.int64)
    call_source[query_call] = query_source
    entry_source = np.zeros(int(bank_entry.max()) + 1, np.int64)
    entry_source[bank_entry] = bank_source
    entries_of = np.bincount(entry_source[np.unique(bank_entry)], minlength=len(same))
    out.entry_pairs = int((len(np.unique(bank_entry)) - entries_of[call_source[calls]]).sum())
    index = faiss.IndexBinaryFlat(256)
    index.add(np.ascontiguousarray(bank))
    close: set[tuple[int, int]] = set()
    for begin in range(0, len(queries), 1024):
        part = np.ascontiguousarray(queries[begin : begin + 1024])
        limits, found, rows = index.range_search(part, TAIL)  # distances < TAIL
        distances = found.astype(np.int64)
        of = begin + np.repeat(np.arange(len(part)), np.diff(limits).astype(np.int64))
        keep = bank_source[rows] != query_source[of]
        out.histogram += np.bincount(distances[keep], minlength=TAIL)[:TAIL]
        tight = keep & (distances <= 40)
        for q, row, d in zip(
            of[tight].tolist(), rows[tight].tolist(), distances[tight].tolist(), strict=True
        ):
            pair = (int(query_source[q]), int(bank_source[row]))
            out.nearest[pair] = min(d, out.nearest.get(pair, d))
        near = keep & (distances <= RADIUS)
        for q, row in zip(of[near].tolist(), rows[near].tolist(), strict=True):
            pair = (int(query_call[q]), int(bank_entry[row]))
            if pair not in close:
                out.by_source[int(query_source[q]), int(bank_source[row])] += 1
            close.add(pair)
    out.false_entries = len(close)
    return out


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the worker processes)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def measure(seed: int, size: Size, workers: int) -> Run:
    """One run of the whole suite with ``seed``."""
    clock, cpu = time.perf_counter(), _cpu()
    seconds: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    photos, others = pictures.photographs()
    kinds = ("scene", "natural")
    generated = [
        pictures.Picture(f"{kind}-{s}", f"{kind}-{s}", kind, pictures.GENERATORS[kind](s))
        for i, s in enumerate(rng.integers(2**31, size=size.generated_originals).tolist())
        for kind in [kinds[i % 2]]
    ]
    originals = photos + generated
    faces = {f"lfw-{i}" for i in rng.choice(200, size.faces, replace=False).tolist()}
    unrelated = [p for p in others if not p.name.startswith("lfw-") or p.name in faces]
    for photo in photos:
        unrelated += pictures.tiles(photo, size.tiles, rng)
    every = tuple(pictures.GENERATORS)
    unrelated += [
        pictures.Picture(f"{kind}-{s}", f"{kind}-{s}", kind, pictures.GENERATORS[kind](s))
        for i, s in enumerate(rng.integers(2**31, size=size.generated_unrelated).tolist())
        for kind in [every[i % 3]]
    ]
    entries = originals + unrelated
    assert len({e.name for e in entries}) == len(entries)
    source_of = {e.name: e.source for e in entries}
    _PICTURES.clear()
    _PICTURES.update({e.name: e.image for e in entries})

    # The edits, drawn in a fixed order from the seed before anything is hashed.
    jobs: list[tuple[str, edits.Edit]] = [
        (original.name, edits.draw(family, rng, original.image.size))
        for original in originals
        for family in (*edits.FAMILIES, edits.COMBINATION)
        for _ in range(size.per_family)
    ]
    seconds["pictures"] = time.perf_counter() - clock

    clock = time.perf_counter()
    with _pool(workers) as pool:
        hashed_entries = list(pool.map(_hash_entry, [e.name for e in entries], chunksize=4))
        seconds["bank"] = time.perf_counter() - clock
        clock = time.perf_counter()
        done = list(
            pool.map(
                _hash_edit,
                [(name, edit, i % size.bank_every == 0) for i, (name, edit) in enumerate(jobs)],
                chunksize=8,
            )
        )
    seconds["edits"] = time.perf_counter() - clock
    clock = time.perf_counter()
    by_name = dict(zip((e.name for e in entries), hashed_entries, strict=True))
    low = [o.name for o in originals if by_name[o.name].quality < pdq.LOW_QUALITY]

    # The bank of entries, searched by every query file: edited files, then entries.
    digests, ids, kinds_of = [], [], []
    for entry in entries:
        for kind, digest in by_name[entry.name].variants:
            digests.append(digest)
            ids.append(entry.name)
            kinds_of.append(kind)
    index = PdqIndex.build(digests, ids, variants=kinds_of)
    calls: list[tuple[str, str, Hashed]] = [  # (name, source, hashes)
        *((f"{name} edit {i}", source_of[name], h) for i, ((name, _), (_, h)) in
          enumerate(zip(jobs, done, strict=True))),
        *((e.name, e.source, by_name[e.name]) for e in entries),
    ]  # fmt: skip
    flat = [pdq.PdqHash(digest) for _, _, h in calls for _, digest in h.query]
    found = index.search_many(flat, RADIUS)
    matched: list[tuple[set[str], set[str]]] = []  # (ids by the first hash, by any)
    at = 0
    for _, _, h in calls:
        first = {m.id for m in found[at]}
        every_id = {m.id for ms in found[at : at + len(h.query)] for m in ms}
        matched.append((first, every_id))
        at += len(h.query)

    groups = {key: Tally() for key, _, _ in TARGETS}
    bands: dict[tuple[str, str, str], Tally] = {}
    apart: dict[str, Tally] = {}
    for (name, edit), (facts, h), (first, every_id) in zip(
        jobs, done, matched[: len(jobs)], strict=True
    ):
        original = by_name[name].anchor
        anchor_hit = bool(h.anchor and original) and (
            pdq.distance_hex(h.anchor, original) <= RADIUS
        )
        result = (anchor_hit, name in first, name in every_id)
        if name in low:
            apart.setdefault(edit.family, Tally()).add(*result)
            continue
        group = _group(edit, facts)
        if group is not None:
            groups[group].add(*result)
        for key in _bands(edit, facts):
            bands.setdefault(key, Tally()).add(*result)

    unedited = Tally()
    own = {o.name for o in originals}
    for entry, (first, every_id) in zip(entries, matched[len(jobs) :], strict=True):
        if entry.name in own and entry.name not in low:
            unedited.add(
                bool(by_name[entry.name].anchor), entry.name in first, entry.name in every_id
            )
    false_calls = 0
    for (_, source, _), (_, every_id) in zip(calls, matched, strict=True):
        false_calls += sum(1 for i in every_id if source_of[i] != source)
    seconds["search"] = time.perf_counter() - clock

    # Hash pairs and the tail of unrelated distances, against the bank and a larger one.
    clock = time.perf_counter()
    code = {s: i for i, s in enumerate(sorted(set(source_of.values())))}
    extra = [(i, h) for i, (_, h) in enumerate(done) if h.variants]
    queries = [(code[s], n, [d for _, d in h.query]) for n, (_, s, h) in enumerate(calls)]
    bank = [(code[e.source], n, [d for _, d in by_name[e.name].variants])
            for n, e in enumerate(entries)]  # fmt: skip
    larger = bank + [
        (code[source_of[jobs[i][0]]], len(entries) + n, [d for _, d in h.variants])
        for n, (i, h) in enumerate(extra)
    ]
    plain_queries = [(code[s], n, _plain(h)) for n, (_, s, h) in enumerate(calls)]
    plain_bank = [(code[e.source], n, _plain(by_name[e.name])) for n, e in enumerate(entries)]
    plain_larger = plain_bank + [
        (code[source_of[jobs[i][0]]], len(entries) + n, _plain(h)) for n, (i, h) in enumerate(extra)
    ]
    ours = _tail(_stack(queries), _stack(bank))
    anchor = _tail(_stack(plain_queries), _stack(plain_bank))
    large = _tail(_stack(queries), _stack(larger))
    large_anchor = _tail(_stack(plain_queries), _stack(plain_larger))
    seconds["pairs"] = time.perf_counter() - clock
    seconds["CPU"] = _cpu() - cpu
    _PICTURES.clear()
    return Run(
        seed=seed,
        size=size,
        workers=workers,
        seconds=seconds,
        photos=[p.name for p in photos],
        low_quality=low,
        entries=len(entries),
        sources=len(code),
        origins=Counter(e.origin for e in entries),
        banked_hashes=len(digests),
        originals=len(originals),
        generated_originals=len(generated),
        edits=len(jobs),
        queries=len(calls),
        query_hashes=len(flat),
        groups=groups,
        unedited=unedited,
        bands=bands,
        apart=apart,
        false_calls=false_calls,
        source_names=list(code),
        ours=ours,
        anchor=anchor,
        large_files=len(extra),
        large_hashes=large.bank_hashes,
        large=large,
        large_anchor=large_anchor,
    )


# --- hashing speed -------------------------------------------------------------------------


def _speed_round(files: list[bytes]) -> tuple[float, float]:
    """Seconds per file of python-threatexchange's ``PdqSignal.hash_from_bytes`` and of
    ``query_hashes``, in this process (one round of :func:`hashing_speed`)."""
    from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: PLC0415

    def each(fn: Callable[[bytes], object]) -> float:
        return statistics.mean(per_call(partial(fn, f), 3) for f in files)

    return each(PdqSignal.hash_from_bytes), each(variants.query_hashes)


def hashing_speed(photos: int = 24, rounds: int = 5) -> list[str]:
    """``query_hashes`` (normalisation on) against python-threatexchange's
    ``PdqSignal.hash_from_bytes`` on 1024x768 JPEGs (quality 90) of the photographs, one
    process at a time; the two timed in turns, ``rounds`` times, each round in a fresh
    process. (The anchor's speed differs between processes, 38 or 52 files a second on
    one machine, by where its buffers land in memory: one process would give one of two
    ratios. The ratio of each round is fair even when the machine's speed drifts.)"""
    files = []
    for photo in pictures.photographs()[0][:photos]:
        out = io.BytesIO()
        photo.image.resize((1024, 768), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
        files.append(out.getvalue())

    ours, theirs = [], []
    spawn = multiprocessing.get_context("spawn")
    for _ in range(rounds):
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            anchor, alliance = pool.submit(_speed_round, files).result()
        theirs.append(anchor)
        ours.append(alliance)
    ratios = sorted(t / o for t, o in zip(theirs, ours, strict=True))
    ratio = statistics.median(ratios)
    flag = "" if ratio >= 3 else " **(missed)**"
    return [
        "| 1024x768 JPEG, one process | python-threatexchange `PdqSignal.hash_from_bytes` "
        "| alliance `query_hashes` (every query hash) | speed-up | target |",
        "|---|---|---|---|---|",
        f"| {len(files)} photographs, median of {rounds} round{'s' if rounds > 1 else ''}, "
        f"each in a fresh process "
        f"| {1 / statistics.median(theirs):.0f}/s | {1 / statistics.median(ours):.0f}/s "
        f"| {ratio:.2f}x ({ratios[0]:.2f}x to {ratios[-1]:.2f}x){flag} | >= 3x |",
    ]


# --- the report ----------------------------------------------------------------------------


def _share(hits: int, total: int) -> str:
    return f"{hits / total:.3f}" if total else "-"


def _cells(tallies: Sequence[Tally | None], attribute: str) -> str:
    return " / ".join(_share(getattr(t, attribute), t.edits) if t else "-" for t in tallies)


def _row(label: str, tallies: Sequence[Tally | None], target: float | None) -> str:
    missed = target is not None and any(
        t and t.edits and t.found / t.edits < target for t in tallies
    )
    counts = " / ".join(str(t.edits) if t else "0" for t in tallies)
    goal = f"{target}" if target is not None else "-"
    return (
        f"| {label} | {counts} | {_cells(tallies, 'anchor')} | {_cells(tallies, 'first')} "
        f"| {_cells(tallies, 'found')}{' **(missed)**' if missed else ''} | {goal} |"
    )


def _family_target(family: str) -> float | None:
    return {
        "frame": 0.98, "crop": 0.98, "overlay": 0.95, "photometric": 0.99, "rescale": 0.99,
        "dihedral": 0.98, "combination": 0.95,
    }.get(family)  # fmt: skip


def report(runs: Sequence[Run], speed: list[str], command: str) -> list[str]:
    first = runs[0]
    seeds = " / ".join(str(r.seed) for r in runs)
    origins = ", ".join(f"{n} {o}" for o, n in sorted(first.origins.items()))
    out = [
        f"Seeds {seeds} (each figure below is given for each seed, in that order), "
        f"`{command}`. Random edits, every parameter drawn over its family's whole range "
        f"(`bench/edits.py`); recall at distance <= 31, a query found when any of its "
        f"hashes is within 31 of any variant of its own entry.",
        "",
        f"Originals: {first.originals} ({len(first.photos)} photographs that packages ship: "
        f"{', '.join(first.photos)}; {first.generated_originals} generated scenes, new for "
        f"each seed), {first.size.per_family} random edits of each in each of the 7 "
        f"families and as many combinations of two: {' / '.join(str(r.edits) for r in runs)} "
        f"edited files. Bank: {first.entries} entries from {first.sources} sources "
        f"({origins}; tiles share their photograph's source), "
        f"{' / '.join(f'{r.banked_hashes:,}' for r in runs)} hashes with their variants.",
        "",
        "| family (range) | edits | python-threatexchange PdqSignal (plain PDQ) "
        "| alliance, the query's original hash only | alliance, every `query_hashes` hash "
        "| target |",
        "|---|---|---|---|---|---|",
    ]
    out.append(_row("none (the original's own file)", [r.unedited for r in runs], 1.0))
    for key, label, goal in TARGETS:
        out.append(_row(label, [r.groups[key] for r in runs], goal))
    low = sorted({name for r in runs for name in r.low_quality})
    out += [
        "",
        "Beyond a family's target range (frames wider than 30 %, overlays changing more "
        "than 10 % of the pixels, combinations with either) and originals of PDQ quality "
        f"below 50 ({', '.join(low) or 'none'}) are left out of these rows; the first are "
        "in the bands below, the second measured apart: "
        + "; ".join(
            f"{family} {_cells([r.apart.get(family) for r in runs], 'anchor')} plain, "
            f"{_cells([r.apart.get(family) for r in runs], 'found')} alliance"
            for family in (*edits.FAMILIES, edits.COMBINATION)
            if any(family in r.apart for r in runs)
        )
        + ("." if low else ""),
        "",
        "Recall per band of each drawn parameter (an edit counts in one band of each "
        "dimension; **(missed)** where a band within the target range falls below its "
        "family's target):",
        "",
        "| family: dimension: band | edits | plain PDQ | alliance, original hash "
        "| alliance | target |",
        "|---|---|---|---|---|---|",
    ]
    keys = sorted({k for r in runs for k in r.bands}, key=lambda k: (
        (*edits.FAMILIES, edits.COMBINATION).index(k[0]), k[1], k[2]))  # fmt: skip
    for family, dimension, band in keys:
        tallies = [r.bands.get((family, dimension, band)) for r in runs]
        target: float | None = _family_target(family)
        if family == "tilt":
            target = (
                0.98 if band in ("0.5-2 deg", "2-5 deg") else 0.90 if band == "5-7 deg" else None
            )
        outside = "> 30 %" in band or "> 10 %" in band or band == "no"
        out.append(_row(f"{family}: {dimension}: {band}", tallies, None if outside else target))

    out += [
        "",
        "False matches: every query (each edited file and each entry's own file, unedited) "
        "against every bank entry of a different source, with all its variants:",
        "",
        "| bank | seed | queries (hashes) | banked entries (hashes) | (query, entry) pairs "
        "| (query hash, banked hash) pairs | false matches (query, entry) | hash pairs <= 31 "
        "| <= 40 | <= 50 | <= 63 | <= 79 | nearest unrelated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        for label, tail, false in (
            ("entries, alliance", r.ours, r.false_calls),
            ("entries, plain PDQ", r.anchor, r.anchor.false_entries),
            (f"entries + {r.large_files:,} edited files, alliance", r.large,
             r.large.false_entries),
            (f"entries + {r.large_files:,} edited files, plain PDQ", r.large_anchor,
             r.large_anchor.false_entries),
        ):  # fmt: skip
            flag = "" if false == 0 else " **(missed)**"
            out.append(
                f"| {label} | {r.seed} | {tail.queries:,} ({tail.query_hashes:,}) "
                f"| {tail.entries:,} ({tail.bank_hashes:,}) | {tail.entry_pairs:,} "
                f"| {tail.hash_pairs:,} | {false}{flag} "
                f"| {' | '.join(str(tail.within(m)) for m in TAIL_MARKS)} | {tail.minimum()} |"
            )
    examples = [
        f"seed {r.seed}, {label}: "
        + ", ".join(
            f"{r.source_names[a]} ~ {r.source_names[b]} {n}"
            for (a, b), n in t.by_source.most_common(8)
        )
        for r in runs
        for label, t in (
            ("alliance", r.ours),
            ("plain PDQ", r.anchor),
            ("alliance, larger bank", r.large),
            ("plain PDQ, larger bank", r.large_anchor),
        )
        if t.by_source
    ]
    out += [
        "",
        "The alliance rows pair each query's `query_hashes` with the variants of "
        "`hash_variants` (false matches against the entries found by `PdqIndex.search_many`,"
        " the distance counts by brute force); the plain PDQ rows pair python-threatexchange "
        "hashes (empty ones, quality < 50, left out). The larger bank adds the variants of "
        f"every {first.size.bank_every}th edited file: banking is the costly step (the "
        f"{first.entries} entries took {first.seconds['bank']:.0f} s on {first.workers} "
        "processes), so a bank of millions of variants would not fit the run's time. Target: "
        "0 false matches among at least 1,000,000 (query, entry) pairs"
        + (
            "; **this run has fewer pairs than the target asks**."
            if min(r.ours.entry_pairs for r in runs) < 1_000_000
            else "."
        ),
    ]
    nearest = [
        f"seed {r.seed}: "
        + ", ".join(
            f"{r.source_names[a]} ~ {r.source_names[b]} ({d})"
            for (a, b), d in sorted(r.large.nearest.items(), key=lambda item: item[1])[:6]
        )
        for r in runs
        if r.large.nearest
    ]
    if nearest:
        out += [
            "",
            "The nearest unrelated sources (query's ~ entry's, least distance, alliance, "
            "larger bank): " + "; ".join(nearest) + ".",
        ]
    mismatch = [r.seed for r in runs if r.false_calls != r.ours.false_entries]
    if mismatch:
        out += [
            "",
            f"**Check failed** (seeds {mismatch}): `PdqIndex.search_many` and the brute force "
            "count different false matches against the entries.",
        ]
    if examples:
        out += [
            "",
            "False matches by (query's source ~ entry's source), the most frequent: "
            + "; ".join(examples)
            + ".",
        ]
    out += ["", *speed, ""]
    timing = "; ".join(
        f"seed {r.seed}: " + ", ".join(f"{k} {v:.0f} s" for k, v in r.seconds.items()) for r in runs
    )
    out.append(
        f"(Seconds taken, on {first.workers} worker processes: {timing}; CPU counts the "
        "workers' too.)"
    )
    return out


def robustness(
    seeds: Sequence[int] = DEFAULT_SEEDS, quick: bool = False, workers: int | None = None
) -> list[str]:
    """The section: the suite under each seed, then the hashing speed."""
    size = QUICK if quick else FULL
    workers = workers or os.cpu_count() or 1
    runs = [measure(seed, size, workers) for seed in seeds]
    speed = hashing_speed(size.speed_photos, size.speed_rounds)
    command = f"python -m bench --only robustness --seed {','.join(map(str, seeds))}" + (
        " --quick" if quick else ""
    )
    return report(runs, speed, command)
