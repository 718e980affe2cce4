"""Engine benchmarks against the anchors, side by side, same data, one run.

``python -m bench [--hashes N]`` prints and writes ``docs/benchmarks.md``. Anchors:
Meta's ``pdqhash`` (reference), python-threatexchange (``PdqSignal``, ``PDQIndex``) and
faiss brute force. All media are benign: Meta's PDQ test photos (tests/data) and
scikit-image's sample images, resized. One thread for numpy/BLAS and faiss.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from PIL import Image

from alliance.hashing import parallel, pdq
from alliance.matching.pdq_index import PdqIndex, as_words
from bench import (
    banks,
    library,
    member_upload,
    platform_index,
    progress_report,
    review_queue,
    service,
    takedown,
    victims,
)
from bench.ray_scan import ray_scan_benchmark
from bench.robustness import DEFAULT_SEEDS, robustness
from bench.startup import startup_benchmark
from bench.timing import per_call as _per_call
from bench.video_lookup import video_lookup_benchmark
from bench.video_robustness import video_robustness

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "pdq-reference"


def correctness() -> list[str]:
    with open(REFERENCE / "expected.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    out = ["| set | rows | fast: max distance | reference (pdqhash): max distance | limit |",
           "|---|---|---|---|---|"]  # fmt: skip
    for source, limit in (("cpp", 10), ("python", 16)):
        chosen = [r for r in rows if r["source"] == source]
        fast = [
            pdq.hash_file(REFERENCE / r["file"]).distance(pdq.PdqHash.from_hex(r["pdq"]))
            for r in chosen
        ]
        ref = [
            pdq.hash_file(REFERENCE / r["file"], pipeline="reference").distance(
                pdq.PdqHash.from_hex(r["pdq"])
            )
            for r in chosen
        ]
        out.append(f"| {source} | {len(chosen)} | {max(fast)} | {max(ref)} | {limit} |")
    return out


def _photos(folder: Path) -> dict[str, list[Path]]:
    from skimage import data  # noqa: PLC0415 — bench-only dependency

    sources = [
        data.astronaut(),
        data.coffee(),
        data.chelsea(),
        data.rocket(),
        data.hubble_deep_field(),
    ]
    sizes = {"1024x768": (1024, 768), "1920x1080": (1920, 1080), "12MP": (4000, 3000)}
    out: dict[str, list[Path]] = {}
    for label, (w, h) in sizes.items():
        out[label] = []
        for i, pixels in enumerate(sources):
            path = folder / f"{label}-{i}.jpg"
            Image.fromarray(pixels).convert("RGB").resize((w, h), Image.Resampling.BICUBIC).save(
                path, quality=90
            )
            out[label].append(path)
    return out


def _hash_path(path: Path) -> str:
    return pdq.hash_file(path).hex


def _spin(count: int) -> int:
    total = 0
    for i in range(count):
        total += i * i
    return total


def _parallel_speedup(paths: list[Path], rounds: int = 5) -> list[str]:
    """``alliance hash --jobs 2`` against one job: the CLI's own pool
    (:func:`alliance.hashing.parallel.map_in_processes`), pool start-up included.

    One job and two jobs are timed in turns, ``rounds`` times, each round beside a
    calibration (the same pure-Python loop on one and on two processes): on a shared
    virtual machine what the second CPU gives drifts from second to second, so a ratio is
    only fair between measurements taken together."""

    def timed(jobs: int) -> float:
        start = time.perf_counter()
        list(parallel.map_in_processes(_hash_path, paths, jobs))
        return time.perf_counter() - start

    spin = [10_000_000] * 4

    def calibration(pool: ProcessPoolExecutor) -> float:
        start = time.perf_counter()
        list(map(_spin, spin))
        alone = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(_spin, spin))
        return alone / (time.perf_counter() - start)

    timed(1)
    ones, twos, machine = [], [], []
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [1, 1]))
        for _ in range(rounds):
            ones.append(timed(1))
            twos.append(timed(2))
            machine.append(calibration(pool))
    ratios = sorted(one / two for one, two in zip(ones, twos, strict=True))
    one, two = statistics.median(ones), statistics.median(twos)
    load = os.getloadavg()[0]
    return [
        f"`--jobs 2` (two worker processes, one BLAS thread each) hashes {len(paths)} "
        f"1024x768 JPEGs {statistics.median(ratios):.2f}x as fast as one job (median of "
        f"{rounds} rounds, each timing one job then two: {ratios[0]:.2f}x to "
        f"{ratios[-1]:.2f}x; {len(paths) / one:.0f}/s -> {len(paths) / two:.0f}/s, pool start "
        f"included). Calibration, in each round: a pure-Python loop runs "
        f"{statistics.median(machine):.2f}x as fast on two processes ({min(machine):.2f}x to "
        f"{max(machine):.2f}x; 1-minute load average {load:.1f} on {os.cpu_count()} CPUs): "
        "below 2 means the machine did not give the second CPU in full (other work, or a "
        "shared virtual machine).",
    ]


def hashing_speed(folder: Path) -> list[str]:
    from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: PLC0415

    out = ["| size | python-threatexchange PdqSignal | alliance fast | speed-up "
           "| fast vs reference: max distance |",
           "|---|---|---|---|---|"]  # fmt: skip
    photos = _photos(folder)
    for label, paths in photos.items():
        repeat = 2 if label == "12MP" else 8
        theirs = statistics.mean(
            _per_call(partial(PdqSignal.hash_from_file, p), repeat) for p in paths
        )
        ours = statistics.mean(_per_call(partial(pdq.hash_file, p), repeat) for p in paths)
        worst = max(
            pdq.hash_file(p).distance(pdq.hash_file(p, pipeline="reference")) for p in paths
        )
        out.append(
            f"| {label} | {1 / theirs:.0f}/s | {1 / ours:.0f}/s | {theirs / ours:.1f}x | {worst} |"
        )
    out.append("")
    out += _parallel_speedup(photos["1024x768"] * 160)
    return out


def _clustered(
    rng: np.random.Generator, count: int, family: int = 10, flip: float = 0.05
) -> np.ndarray:
    """Families of ``family`` near-duplicates: a random seed hash with a share ``flip`` of
    its bits flipped per member (5 %: ~13 bits from the seed, ~25 between members), as real
    lists hold recompressed and resized copies of one picture. Made in chunks (bounded
    memory)."""
    seeds = rng.integers(0, 256, (-(-count // family), 32), dtype=np.uint8)
    out = np.repeat(seeds, family, axis=0)[:count]
    for begin in range(0, count, 250_000):
        part = out[begin : begin + 250_000]
        noise = np.packbits(rng.random((len(part), 256), dtype=np.float32) < flip, axis=1)
        part ^= noise
    return out


def _resident_bytes(index: PdqIndex) -> int:
    """Bytes of the arrays a search touches (digests, tables, per-row codes)."""
    tables = index._tables  # the benchmark looks inside on purpose
    arrays = (index._digests, index._banks, index._variants, index._tombstones)
    return int(sum(a.nbytes for a in arrays) + tables.offsets.nbytes + tables.rows.nbytes)


def _fig(value: float, spec: str, unit: str) -> str:
    """A figure, or "-" for an anchor not run on this data."""
    return "-" if math.isnan(value) else f"{value:{spec}}{unit}"


def index_speed(count: int) -> list[str]:
    import faiss  # noqa: PLC0415
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: PLC0415

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    out: list[str] = []
    kinds: list[tuple[str, Callable[[], np.ndarray], bool]] = [
        ("uniform", lambda: rng.integers(0, 256, (count, 32), dtype=np.uint8), True),
        ("clustered", lambda: _clustered(rng, count), True),
        ("families of 100, ~5 bits", lambda: _clustered(rng, count, 100, 0.02), False),
    ]
    for kind, make, anchors in kinds:
        data = make()
        flips = np.packbits(rng.random((200, 256)) < 0.06, axis=1)  # ~15 bits per query
        queries = data[rng.integers(0, count, 200)] ^ flips
        start, cpu = time.perf_counter(), time.process_time()
        ours = PdqIndex.build(data)
        build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
        resident = _resident_bytes(ours)
        words = as_words(queries)
        candidates = len(ours._tables.candidates(words, 31)[1]) / len(queries)
        query_of, rows, _ = ours.raw_search(words, 31)
        matches = len(np.unique(query_of * count + rows)) / len(queries)
        with tempfile.TemporaryDirectory() as tmp:
            ours.save(Path(tmp) / "i.pdqidx")
            del ours
            size = (Path(tmp) / "i.pdqidx").stat().st_size
            start = time.perf_counter()
            ours = PdqIndex.open(Path(tmp) / "i.pdqidx")
            opened = time.perf_counter() - start
            ours.raw_search(words, 31)  # page the mapped file in, as a running service has it
            single = statistics.median(
                _per_call(partial(ours.raw_search, words[i : i + 1], 31), 1) for i in range(200)
            )
            batch = _per_call(partial(ours.raw_search, words, 31), 3) / len(queries)
            del ours
        te_build = te_single = brute = float("nan")
        if anchors:
            hexes = [bytes(row).hex() for row in data]
            start = time.perf_counter()
            te = PDQIndex.build([(h, i) for i, h in enumerate(hexes)])
            te_build = time.perf_counter() - start
            del hexes
            qhex = [bytes(q).hex() for q in queries]
            te_single = statistics.median(_per_call(partial(te.query, q), 1) for q in qhex[:50])
            del te
            flat = faiss.IndexBinaryFlat(256)
            flat.add(data)
            brute = statistics.median(
                _per_call(partial(flat.range_search, queries[i : i + 1], 32), 1) for i in range(20)
            )
            del flat
        del data
        out += [
            f"| {kind} | {count:,} | build, one thread | {build:.2f} s ({build_cpu:.2f} s CPU) "
            f"| {_fig(te_build, '.1f', ' s')} | - |",
            f"| {kind} | {count:,} | open | {opened * 1000:.1f} ms | - | - |",
            f"| {kind} | {count:,} | single query p50 | {single * 1000:.3f} ms "
            f"| {_fig(te_single * 1000, '.2f', ' ms')} | {_fig(brute * 1000, '.2f', ' ms')} |",
            f"| {kind} | {count:,} | batch of 200 | {1 / batch:,.0f} q/s | - | - |",
            f"| {kind} | {count:,} | candidates checked / matches, per query "
            f"| {candidates:,.0f} / {matches:.1f} | - | {count:,} / - |",
            f"| {kind} | {count:,} | bytes/hash in memory (file) "
            f"| {resident / count:.0f} ({size / count:.0f}) | - | 32 |",
        ]
    return out


INDEX_NOTES = [
    "Queries are stored hashes with ~6 % of their bits flipped (~15 bits). `clustered`: "
    "families of 10 near-duplicates, ~13 bits from a seed; `families of 100, ~5 bits`: "
    "tight families of 100 (anchors not run on it, to keep the run short). What a query "
    "costs is its probes (fixed by the layout), the candidates checked (rows sharing a "
    "probed bucket, repeats included) and the matches returned: clustering costs more "
    "through the last two, in proportion to how large and tight the families are (see "
    "`docs/matching.md`). Timings of a few hundred microseconds move by tens of percent "
    "with other load on this 2-CPU machine; the candidate and match counts do not.",
]


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from None
    if not sizes or min(sizes) < 1000:
        raise argparse.ArgumentTypeError("index sizes must be at least 1000")
    return sizes


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of seeds: {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError("seeds are integers >= 0")
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--hashes",
        type=_sizes,
        default=[1_000_000, 10_000_000],
        help="index sizes, comma-separated (default 1000000,10000000)",
    )
    parser.add_argument(
        "--seed",
        type=_seeds,
        default=list(DEFAULT_SEEDS),
        help="robustness and video: the seeds their random pictures and edits are drawn from, "
        f"comma-separated, each run in turn (default {','.join(map(str, DEFAULT_SEEDS))})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="robustness and video: a small run for development (a few minutes), not for "
        "the record",
    )
    parser.add_argument(
        "--bank-hashes", type=int, default=1_000_000, help="size of the bank synced and matched"
    )
    parser.add_argument(
        "--platform-hashes",
        type=int,
        default=platform_index.DEFAULT_HASHES,
        help="size of the PostgreSQL bank behind the platform and service sections "
        "(default 10000000)",
    )
    parser.add_argument(
        "--ray-scan-images",
        type=int,
        default=600,
        help="pictures scanned by each scanner in the ray_scan section (default 600)",
    )
    parser.add_argument(
        "--takedown-reports",
        type=int,
        default=takedown.DEFAULT_REPORTS,
        help="reports ingested through the batch API on PostgreSQL (a tenth on SQLite)",
    )
    parser.add_argument(
        "--takedown-notices",
        type=int,
        default=takedown.DEFAULT_NOTICES,
        help="notices the worker sends to a local SMTP server, with one and with two workers",
    )
    parser.add_argument(
        "--victims-records",
        type=int,
        default=victims.DEFAULT_RECORDS,
        help="media records loaded for seizure triage on PostgreSQL (default 10000000)",
    )
    parser.add_argument(
        "--victims-seizure",
        type=int,
        default=victims.DEFAULT_SEIZURE,
        help="items of each seizure triaged against them (default 1000000)",
    )
    parser.add_argument(
        "--library-entries",
        type=int,
        default=library.DEFAULT_ENTRIES,
        help="library entries searched on SQLite and PostgreSQL (default 100000)",
    )
    parser.add_argument(
        "--progress-items",
        type=int,
        default=progress_report.DEFAULT_ITEMS,
        help="takedown items behind the progress report on PostgreSQL (default 1000000; "
        "media records and victims scale with it)",
    )
    parser.add_argument(
        "--review-cases",
        type=int,
        default=review_queue.DEFAULT_CASES,
        help="open cases behind the review queue's page, on SQLite and PostgreSQL (default 100000)",
    )
    parser.add_argument(
        "--member-images",
        type=int,
        default=member_upload.DEFAULT_IMAGES,
        help="1024x768 JPEGs uploaded to the member server and hashed alone in the member "
        f"section (default {member_upload.DEFAULT_IMAGES})",
    )
    parser.add_argument(
        "--only",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        default=[],
        help="measure only these sections (comma-separated: correctness, hashing, "
        "robustness, video, index, sync, platform, service, match, vpdq, startup, ray_scan, "
        "takedown, victims, library, progress, review, member) and replace them in --out, "
        "keeping the others",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    started = time.perf_counter()
    index_table = [
        "| data | N | measure | alliance PdqIndex | threatexchange PDQIndex "
        "| faiss brute force |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        # (key for --only, title, how to measure it): measured in this order.
        plan: list[tuple[str, str, Callable[[], list[str]]]] = [
            (
                "correctness",
                "Correctness against Meta's published hashes (tests/data/pdq-reference)",
                correctness,
            ),
            (
                "hashing",
                "Hashing speed, decode + PDQ, one process",
                lambda: hashing_speed(Path(tmp)),
            ),
            (
                "robustness",
                "Robustness to ordinary edits (`bench/robustness.py`)",
                lambda: robustness(args.seed, quick=args.quick),
            ),
            (
                "video",
                "Robustness of video matching to ordinary edits (`bench/video_robustness.py`)",
                lambda: video_robustness(args.seed, quick=args.quick),
            ),
            (
                "index",
                "Exact index, radius 31, one thread",
                lambda: [
                    *index_table,
                    *(row for size in args.hashes for row in index_speed(size)),
                    "",
                    *INDEX_NOTES,
                ],
            ),
            (
                "sync",
                "Bank sync: signed snapshot and delta vs HMA's rebuild and reload",
                lambda: banks.sync_benchmark(args.bank_hashes, 10_000),
            ),
            (
                "platform",
                "The platform's PDQ index at 10,000,000 hashes (PostgreSQL): deltas, restart",
                lambda: platform_index.platform_index_benchmark(args.platform_hashes),
            ),
            (
                "service",
                "Match service at 10,000,000 hashes (PostgreSQL, 2 workers) beside a "
                "constant-answer route, with wrk",
                lambda: service.service_benchmark(args.platform_hashes),
            ),
            (
                "match",
                "Match service: POST /api/v1/match under load",
                lambda: banks.match_benchmark(args.bank_hashes),
            ),
            (
                "vpdq",
                "vPDQ lookup on the platform: a bank of 100,000 videos",
                video_lookup_benchmark,
            ),
            (
                "startup",
                "Command-line start-up: `alliance --help` and `alliance hash` of one file",
                startup_benchmark,
            ),
            (
                "ray_scan",
                "Bulk scans on Ray: images/s beside the scanner on the same 2 cores, and sizing",
                lambda: ray_scan_benchmark(args.ray_scan_images),
            ),
            (
                "takedown",
                "Notice and takedown: ingest, notices, claims (PostgreSQL)",
                lambda: takedown.takedown_benchmark(args.takedown_reports, args.takedown_notices),
            ),
            (
                "victims",
                "Seizure triage (PostgreSQL)",
                lambda: victims.victims_benchmark(args.victims_records, args.victims_seizure),
            ),
            (
                "library",
                "Library search: full text beside a LIKE scan (SQLite and PostgreSQL)",
                lambda: library.library_benchmark(args.library_entries),
            ),
            (
                "review",
                "Review queue: the queue page with 100,000 open cases (SQLite and PostgreSQL)",
                lambda: review_queue.review_queue_benchmark(args.review_cases),
            ),
            (
                "member",
                "Member mode: upload-time hash and match of 1024x768 JPEGs, 2 clients, beside "
                "hashing alone on 2 cores",
                lambda: member_upload.member_upload_benchmark(args.member_images),
            ),
            (
                "progress",
                "Alliance progress report at scale (PostgreSQL)",
                lambda: progress_report.progress_benchmark(
                    args.progress_items,
                    round(
                        progress_report.DEFAULT_RECORDS
                        * args.progress_items
                        / progress_report.DEFAULT_ITEMS
                    ),
                    max(
                        1000,
                        round(
                            progress_report.DEFAULT_VICTIMS
                            * args.progress_items
                            / progress_report.DEFAULT_ITEMS
                        ),
                    ),
                ),
            ),
        ]
        unknown = set(args.only) - {key for key, _, _ in plan}
        if unknown:
            parser.error(f"no section {', '.join(sorted(unknown))}")
        sections = [
            (title, measure()) for key, title, measure in plan if not args.only or key in args.only
        ]
    minutes = (time.perf_counter() - started) / 60
    machine = (
        f"({os.cpu_count()} CPUs; the run took {minutes:.1f} min, 1-minute load average "
        f"{os.getloadavg()[0]:.1f} at the end: other work on the machine slows the figures "
        "down)"
    )
    if args.only and args.out.exists():
        text = _replace_sections(args.out.read_text(), sections, machine)
    else:
        text = "\n".join(
            [
                "# Benchmarks",
                "",
                f"Written by `python -m bench`; every figure measured in one run on this "
                f"machine {machine}.",
                "",
                *(line for title, lines in sections for line in (f"## {title}", "", *lines, "")),
            ]
        )
    args.out.write_text(text)
    print(text)


def _replace_sections(document: str, sections: list[tuple[str, list[str]]], machine: str) -> str:
    """``document`` with the named sections measured anew (appended when new), and a note
    under each that it was measured apart from the rest."""
    note = f"_Measured on its own with `python -m bench --only` {machine}._"
    for title, lines in sections:
        body = "\n".join([f"## {title}", "", note, "", *lines, "", ""])
        head = f"## {title}\n"
        start = document.find(head)
        if start < 0:
            document = document.rstrip("\n") + "\n\n" + body
            continue
        end = document.find("\n## ", start + len(head))
        document = document[:start] + body + (document[end + 1 :] if end >= 0 else "")
    return document


if __name__ == "__main__":
    main()
