"""The search's temporaries kept in the heap (alliance.matching.scratch_memory)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_the_first_search_of_a_process_sets_glibc_s_thresholds() -> None:
    """Run in a process of its own: the setting is the process's, once."""
    code = (
        "import numpy as np\n"
        "from alliance.matching import scratch_memory\n"
        "from alliance.matching.pdq_index import PdqIndex\n"
        "assert scratch_memory.keep_in_heap.cache_info().currsize == 0\n"
        "rng = np.random.default_rng(3)\n"
        "index = PdqIndex.build(rng.integers(0, 256, (1000, 32), dtype=np.uint8))\n"
        "index.search_many(rng.integers(0, 256, (3, 32), dtype=np.uint8), 31)\n"
        "assert scratch_memory.keep_in_heap.cache_info().currsize == 1\n"
        "assert scratch_memory.keep_in_heap() is True\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
