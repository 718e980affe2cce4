"""Signals to matches: exact indexes for PDQ, vPDQ and cryptographic hashes.

Pure library (no database, no web). :class:`~alliance.matching.pdq_index.PdqIndex` is
the exact multi-index-hashing index for PDQ; :mod:`~alliance.matching.crypto_index` and
:mod:`~alliance.matching.video` do the same for MD5/SHA and vPDQ. On-disk formats are
versioned and memory-mapped (:mod:`~alliance.matching.fileformat`). See
``docs/matching.md``.
"""

from alliance.matching.crypto_index import CryptoIndex
from alliance.matching.errors import InvalidIndex, InvalidRadius
from alliance.matching.pdq_index import Match, PdqIndex

__all__ = ["CryptoIndex", "InvalidIndex", "InvalidRadius", "Match", "PdqIndex"]
