"""A search's scratch arrays kept in the heap, not mapped afresh each time.

A search gathers its candidates' rows into temporary arrays of a few megabytes (one per
step, freed at the end). glibc's malloc serves every block over its mmap threshold
(128 KiB at first) with a fresh ``mmap`` and unmaps it when freed, so each search paid a
page fault for every page of its temporaries until glibc had raised the threshold by
itself, which it does only after enough such blocks come and go, and not in every
process: a server's first searches, a short command's all. At 1,000,000 hashes a query
cost 0.40 ms so and 0.18 ms with the temporaries in the heap
(:func:`keep_in_heap`, run once by the first search of a process).

The thresholds are glibc's own tunables (``mallopt``): blocks up to 32 MiB come from the
heap, and up to 64 MiB of freed heap stays with the process rather than being returned
and faulted in again. Elsewhere than glibc nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest on 64-bit
TRIM_THRESHOLD = 64 * 1024 * 1024


@functools.cache
def keep_in_heap() -> bool:
    """Set the thresholds once for this process; True if glibc took them. (Two threads
    racing here both set the same values.)"""
    return _set_thresholds()


def _set_thresholds() -> bool:
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False  # not glibc: its own allocator decides
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
