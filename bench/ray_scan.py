"""Bulk scans on Ray against the single-machine scanner, on the same files and cores.

Generated 640x480 JPEGs (benign pictures, ``alliance.demo.media``), a bank of random PDQ
hashes with some of the pictures planted in it, and three ways to scan the same folder:
``alliance scan``'s scanner with one process and with one per core (hashing on workers,
matching in the parent), and the bulk scan on a Ray cluster of a head and a worker node
with one CPU each, started by `ray start` on this machine (``tests/support/bulk_scan.py``),
all on 127.0.0.1. Files are read from the local disk for all three (an S3 server on the
same 2 cores would take CPU from whichever ran beside it). The Ray figure is from the
first task sent to the last result written, the cluster already up; its start is shown
apart. Runs alternate, the median of ``rounds``. ``python -m bench --only ray_scan``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from tests.support.bulk_scan import bank_store, ray_cluster, ray_env

from alliance.demo import media
from alliance.hashing import pdq
from alliance.hashing.files import walk
from alliance.scanner.bulk import BulkSummary, pending_objects, scan_pending
from alliance.scanner.checkpoint import ResultsFile
from alliance.scanner.objects import LocalSource
from alliance.scanner.services import scan

#: The issue's figure: Ray within 25 % of the scanner on the same cores.
TARGET_RATIO = 0.75
#: 1,000,000,000 images a day, as images a second.
DAILY_IMAGES = 1_000_000_000
#: A node for the sizing: 16 cores, of which the driver, Ray's own processes and the
#: operating system take about one.
NODE_CORES = 16


def ray_scan_benchmark(images: int = 600, bank_hashes: int = 100_000, rounds: int = 3) -> list[str]:
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "uploads"
        folder.mkdir()
        for seed in range(images):
            (folder / f"picture-{seed:05d}.jpg").write_bytes(media.jpeg(media.picture(seed), 85))
        planted = [("pdq", pdq.hash_image(media.picture(s)).hex) for s in range(0, images, 10)]
        noise = [
            ("pdq", row.tobytes().hex())
            for row in rng.integers(0, 256, (bank_hashes - len(planted), 32), dtype=np.uint8)
        ]
        store = bank_store(Path(tmp) / "store", {"bench": [*planted, *noise]})
        files = walk([folder])

        found: set[int] = set()  # pictures matched: the same by every scanner

        def scanner(jobs: int) -> float:
            started = time.perf_counter()
            found.add(sum(bool(r.matches) for r in scan(files, store, jobs=jobs)))
            return images / (time.perf_counter() - started)

        os.environ.update(ray_env())  # before Ray is imported: a driver on 127.0.0.1
        from alliance.scanner.ray_scan import RayExecutor  # noqa: PLC0415

        rates: dict[str, list[float]] = {"1": [], "2": [], "ray": []}
        started = time.perf_counter()
        with ray_cluster() as cluster, RayExecutor(cluster.address) as executor:
            start_seconds = time.perf_counter() - started

            def on_ray(round_number: int) -> float:
                results = ResultsFile.open(Path(tmp) / f"ray-{round_number}.jsonl")
                source = LocalSource((str(folder),))
                summary = BulkSummary()
                pending = pending_objects(source, results, summary)
                began = time.perf_counter()
                scan_pending(source, pending, store, results, executor, summary=summary)
                assert summary.scanned == images and not summary.skipped
                found.add(summary.matched)
                return images / (time.perf_counter() - began)

            on_ray(-1)  # workers started and the banks opened on both nodes: not counted
            for number in range(rounds):
                rates["1"].append(scanner(1))
                rates["2"].append(scanner(2))
                rates["ray"].append(on_ray(number))
    assert len(found) == 1, f"the scanners matched different numbers of pictures: {found}"
    median = {name: statistics.median(values) for name, values in rates.items()}
    ratio = median["ray"] / median["2"]
    per_core = median["ray"] / 2
    per_second = DAILY_IMAGES / 86_400
    cores = per_second / per_core
    nodes = cores / (NODE_CORES - 1)
    flag = "" if ratio >= TARGET_RATIO else " **(missed)**"

    def cell(name: str) -> str:
        values = rates[name]
        return f"{median[name]:.0f} ({min(values):.0f} to {max(values):.0f})"

    return [
        f"{images} generated 640x480 JPEGs against a bank of {bank_hashes:,} PDQ hashes "
        f"({len(planted)} of the pictures planted, {found.pop()} matched by each scanner), "
        f"hashed with the query forms `alliance scan` searches; median of {rounds} runs each, "
        f"in turns, on this machine's "
        f"{os.cpu_count()} CPUs.",
        "",
        "| scanner | images/s: median (slowest to fastest) | / `--jobs 2` |",
        "|---|---|---|",
        f"| `alliance scan --jobs 1` (one process) | {cell('1')} "
        f"| {median['1'] / median['2']:.2f} |",
        f"| `alliance scan --jobs 2` (one process a core) | {cell('2')} | 1.00 |",
        f"| `alliance scan --ray` (head + worker node, 1 CPU each) | {cell('ray')} "
        f"| **{ratio:.2f}**{flag} (target >= {TARGET_RATIO}) |",
        "",
        f"Starting the two-node cluster and connecting: {start_seconds:.1f} s (not counted above).",
        "",
        f"Sizing for {DAILY_IMAGES:,} images a day ({per_second:,.0f} a second, evenly "
        f"spread): at {per_core:.0f} images/s per core on Ray, {cores:,.0f} cores of this "
        f"machine's kind, so {nodes:.0f} nodes of {NODE_CORES} cores with one core a node "
        "left to Ray and the driver; twice that for a peak of twice the mean.",
    ]
