"""Engine benchmarks against the anchors, side by side, same data, one run.

``python -m bench [--hashes N]`` prints and writes ``docs/benchmarks.md``. Anchors:
Meta's ``pdqhash`` (reference), python-threatexchange (``PdqSignal``, ``PDQIndex``) and
faiss brute force. All media are benign: Meta's PDQ test photos (tests/data) and
scikit-image's sample images, resized. One thread for numpy/BLAS and faiss.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from PIL import Image

from alliance.hashing import pdq
from alliance.matching.pdq_index import PdqIndex, as_words

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "pdq-reference"


def _per_call(fn: Callable[[], object], repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


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


def _hash_many(paths: list[Path]) -> int:
    return sum(1 for p in paths if pdq.hash_file(p))


def hashing_speed(folder: Path) -> list[str]:
    from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: PLC0415

    out = ["| size | python-threatexchange PdqSignal | alliance fast | speed-up "
           "| fast vs reference: max distance |",
           "|---|---|---|---|---|"]  # fmt: skip
    photos = _photos(folder)
    for label, paths in photos.items():
        repeat = 2 if label == "12MP" else 8
        theirs = statistics.mean(
            _per_call(lambda p=p: PdqSignal.hash_from_file(p), repeat) for p in paths
        )
        ours = statistics.mean(_per_call(lambda p=p: pdq.hash_file(p), repeat) for p in paths)
        worst = max(
            pdq.hash_file(p).distance(pdq.hash_file(p, pipeline="reference")) for p in paths
        )
        out.append(
            f"| {label} | {1 / theirs:.0f}/s | {1 / ours:.0f}/s | {theirs / ours:.1f}x | {worst} |"
        )
    many = photos["1024x768"] * 40
    one = time.perf_counter()
    _hash_many(many)
    one = time.perf_counter() - one
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_hash_many, [many[:2], many[2:4]]))  # warm the workers
        two = time.perf_counter()
        list(pool.map(_hash_many, [many[i::2] for i in range(2)]))
        two = time.perf_counter() - two
    out.append("")
    out.append(f"Two worker processes hash 1024x768 JPEGs {one / two:.2f}x as fast as one.")
    return out


def _clustered(rng: np.random.Generator, count: int) -> np.ndarray:
    seeds = rng.integers(0, 256, (count // 10, 32), dtype=np.uint8)
    data = np.repeat(seeds, 10, axis=0)
    noise = rng.random((len(data), 256)) < 0.05  # families of near-duplicates (~13 bits)
    return np.packbits(np.unpackbits(data, axis=1) ^ noise, axis=1)


def index_speed(count: int) -> list[str]:
    import faiss  # noqa: PLC0415
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex  # noqa: PLC0415

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    out = ["| data | N | measure | alliance PdqIndex | threatexchange PDQIndex "
           "| faiss brute force |",
           "|---|---|---|---|---|---|"]  # fmt: skip
    for kind in ("uniform", "clustered"):
        data = (
            rng.integers(0, 256, (count, 32), dtype=np.uint8)
            if kind == "uniform"
            else _clustered(rng, count)
        )
        flips = rng.random((200, 256)) < 0.06
        queries = np.packbits(
            np.unpackbits(data[rng.integers(0, count, 200)], axis=1) ^ flips, axis=1
        )
        start = time.perf_counter()
        ours = PdqIndex.build(data)
        build = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            ours.save(Path(tmp) / "i.pdqidx")
            size = (Path(tmp) / "i.pdqidx").stat().st_size
            start = time.perf_counter()
            ours = PdqIndex.open(Path(tmp) / "i.pdqidx")
            opened = time.perf_counter() - start
            words = as_words(queries)
            single = statistics.median(
                _per_call(lambda i=i, ix=ours, w=words: ix.raw_search(w[i : i + 1], 31), 1)
                for i in range(200)
            )
            batch = _per_call(lambda ix=ours, w=words: ix.raw_search(w, 31), 3) / len(queries)
        hexes = [bytes(row).hex() for row in data]
        start = time.perf_counter()
        te = PDQIndex.build([(h, i) for i, h in enumerate(hexes)])
        te_build = time.perf_counter() - start
        qhex = [bytes(q).hex() for q in queries]
        te_single = statistics.median(
            _per_call(lambda q=q, ix=te: ix.query(q), 1) for q in qhex[:50]
        )
        flat = faiss.IndexBinaryFlat(256)
        flat.add(data)
        brute = statistics.median(
            _per_call(lambda i=i, ix=flat, qs=queries: ix.range_search(qs[i : i + 1], 32), 1)
            for i in range(20)
        )
        out += [
            f"| {kind} | {count:,} | build | {build:.1f} s | {te_build:.1f} s | - |",
            f"| {kind} | {count:,} | open | {opened * 1000:.1f} ms | - | - |",
            f"| {kind} | {count:,} | single query p50 | {single * 1000:.3f} ms "
            f"| {te_single * 1000:.2f} ms | "
            f"{brute * 1000:.2f} ms |",
            f"| {kind} | {count:,} | batch | {1 / batch:,.0f} q/s | - | - |",
            f"| {kind} | {count:,} | index file bytes/hash | {size / count:.0f} | - | 32 |",
        ]
        del te, flat, ours
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hashes", type=int, default=1_000_000, help="index size (10M: 10000000)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sections = [
            (
                "Correctness against Meta's published hashes (tests/data/pdq-reference)",
                correctness(),
            ),
            ("Hashing speed, decode + PDQ, one process", hashing_speed(Path(tmp))),
            ("Exact index, radius 31, one thread", index_speed(args.hashes)),
        ]
    text = [
        "# Benchmarks",
        "",
        "Written by `python -m bench`; every figure measured in one run on this machine.",
        "",
    ]
    for title, lines in sections:
        text += [f"## {title}", "", *lines, ""]
    args.out.write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
