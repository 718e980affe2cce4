"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Seconds per call of ``fn``, over ``repeat`` calls after one to warm up."""
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat
