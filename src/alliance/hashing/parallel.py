"""Hashing many files on worker processes, so that N processes are N times as fast.

What decides it (measured in ``docs/benchmarks.md``, ``docs/hashing.md``):

* **One BLAS thread per process.** PDQ's filter is two small matrix products, which numpy
  hands to OpenBLAS; OpenBLAS starts one thread per core for each product and makes
  them spin-wait for each other. One process then competes with itself, and two
  processes run four busy threads on two cores: the previous ``--jobs 2`` ran at 0.88x
  one job. :func:`limit_blas_threads` sets one thread (through ``threadpoolctl`` when it
  is installed, else the ``*_NUM_THREADS`` variables, which bind numpy imported later)
  in the parent and in every worker, which also makes one job faster.
* **The parent does no decoding**: a task is a path (a few bytes to pickle), a result a
  small record; tasks go in chunks so that per-task overhead stays small.
* Workers are forked on Linux (no re-import of numpy and Pillow) when ``threadpoolctl``
  limited the parent; without it they start from a fresh process that reads the
  variables.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")

_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def limit_blas_threads() -> bool:
    """Use one BLAS/OpenMP thread in this process (and in processes it starts).

    Returns True when the running BLAS was limited (``threadpoolctl`` available), False
    when only the environment was set.
    """
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return False
    threadpoolctl.threadpool_limits(1)
    return True


def chunk_size(count: int, jobs: int) -> int:
    """Tasks per message: ~32 chunks per worker, at most 16 tasks. Small enough that the
    workers finish together (a worker left alone with the last chunk of 8 chunks each
    cost two jobs a tenth of their speed-up on 400 pictures), large enough that a
    message per chunk costs nothing next to decoding its pictures."""
    return max(1, min(16, count // (jobs * 32)))


def _context(*, limited: bool) -> multiprocessing.context.BaseContext:
    """Fork on Linux (fast) when the parent's BLAS is limited; otherwise start workers
    that import numpy afresh, so that the ``*_NUM_THREADS`` variables bind them."""
    linux = sys.platform.startswith("linux")
    return multiprocessing.get_context(("fork" if limited else "forkserver") if linux else None)


def map_in_processes(work: Callable[[_T], _R], items: Iterable[_T], jobs: int) -> Iterator[_R]:
    """``map(work, items)`` in order, on ``jobs`` worker processes (in this process for
    one job), with one BLAS thread each. ``work`` must be a module-level function."""
    limited = limit_blas_threads()
    listed = list(items)
    if jobs <= 1 or len(listed) < 2:
        yield from map(work, listed)
        return
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=_context(limited=limited), initializer=limit_blas_threads
    ) as pool:
        yield from pool.map(work, listed, chunksize=chunk_size(len(listed), jobs))
