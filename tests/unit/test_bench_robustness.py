"""The false-match count of the robustness benchmark (bench/robustness.py) counts what it
says: pairs of different sources only, at their true distance."""

from __future__ import annotations

import numpy as np
import pytest
from bench import robustness

pytest.importorskip("faiss")  # the bench extra


def _flipped(digest: bytes, bits: int) -> bytes:
    value = bytearray(digest)
    for bit in range(bits):
        value[bit // 8] ^= 1 << (bit % 8)
    return bytes(value)


def test_unrelated_pairs_are_counted_by_distance_and_same_sources_skipped():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
    far = (~np.frombuffer(base, np.uint8)).tobytes()  # 256 bits away from everything near base
    # Bank: entry 0 (source 0) holds base and a far hash, entry 1 (source 1) one hash 20
    # bits from base, entry 2 (source 0) one 5 bits from base.
    bank = robustness._stack(
        [(0, 0, [base, far]), (1, 1, [_flipped(base, 20)]), (0, 2, [_flipped(base, 5)])]
    )
    # Queries: call 0 (source 0) by base and a hash 45 bits away; call 1 (source 1) by base.
    queries = robustness._stack([(0, 0, [base, _flipped(base, 45)]), (1, 1, [base])])
    tail = robustness._tail(queries, bank)
    assert tail.hash_pairs == 2 * 1 + 1 * 3  # each query hash x banked hashes of other sources
    assert tail.entry_pairs == 1 + 2
    # Call 0 ~ entry 1 at 20 (and 25); call 1 ~ entry 0 at 0, ~ entry 2 at 5.
    assert tail.within(31) == 4 and tail.false_entries == 3
    assert tail.within(79) == 4 and tail.minimum() == "0"
    assert tail.by_source == {(0, 1): 1, (1, 0): 2}
