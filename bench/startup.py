"""How long ``alliance`` takes to start: whole processes, as a user runs them.

``alliance --help`` and ``alliance hash`` of one photograph, beside python-threatexchange's
``threatexchange hash photo`` of the same file, each run ``rounds`` times in turns (a fresh
interpreter each time, the files in the page cache after a first run that is not
counted); the median of each. ``python -m bench --only startup``.
"""

from __future__ import annotations

import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench import pictures

#: The issue's figures: ``alliance --help`` and ``alliance hash`` of one file.
HELP_TARGET = 0.3
HASH_TARGET = 0.5


def _seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def _executable(name: str) -> str:
    """The console script ``name`` of this interpreter's environment."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (pip install -e '.[bench]')")
    return found


def startup_benchmark(rounds: int = 11) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.jpg"
        out = io.BytesIO()
        image = pictures.photographs()[0][0].image.resize((1024, 768), Image.Resampling.BICUBIC)
        image.save(out, "JPEG", quality=90)
        photo.write_bytes(out.getvalue())
        alliance, anchor = _executable("alliance"), _executable("threatexchange")
        runs = {
            "help": [alliance, "--help"],
            "hash": [alliance, "hash", str(photo)],
            "anchor": [anchor, "hash", "photo", str(photo)],
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for argv in runs.values():
            _seconds(argv)  # warm the page cache
        for _ in range(rounds):
            for name, argv in runs.items():
                times[name].append(_seconds(argv))
    median = {name: statistics.median(values) for name, values in times.items()}

    def row(label: str, name: str, target: float | None) -> str:
        flag = "" if target is None or median[name] <= target else " **(missed)**"
        goal = f"<= {target} s" if target is not None else "-"
        ratio = median[name] / median["anchor"]
        return (
            f"| {label} | {median[name]:.3f} s{flag} ({min(times[name]):.3f} to "
            f"{max(times[name]):.3f}) | {ratio:.2f}x | {goal} |"
        )

    return [
        f"Whole processes, median of {rounds} runs each, in turns (a 1024x768 JPEG).",
        "",
        "| command | seconds: median (fastest to slowest) "
        "| time / `threatexchange hash photo`'s | target |",
        "|---|---|---|---|",
        row("`alliance --help`", "help", HELP_TARGET),
        row("`alliance hash photo.jpg`", "hash", HASH_TARGET),
        row("python-threatexchange `threatexchange hash photo photo.jpg`", "anchor", None),
    ]
