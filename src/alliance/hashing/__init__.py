"""Media to signals: PDQ, vPDQ, MD5, SHA-1, SHA-256. Pure library (no database, no web).

>>> from alliance.hashing import pdq
>>> pdq.hash_file("photo.jpg").hex  # doctest: +SKIP

Modules: :mod:`~alliance.hashing.media` (decoding rules), :mod:`~alliance.hashing.pdq`,
:mod:`~alliance.hashing.crypto`, :mod:`~alliance.hashing.video` (vPDQ),
:mod:`~alliance.hashing.variants` (robust banking), :mod:`~alliance.hashing.signal_type`
(what a signal type is), :mod:`~alliance.hashing.signal_types` (one module each),
:mod:`~alliance.hashing.signals` (the registry), :mod:`~alliance.hashing.record` (the
record of a hashed file, ``alliance hash``'s JSON line), :mod:`~alliance.hashing.errors`.
See ``docs/hashing.md``.
"""

from typing import TYPE_CHECKING

from alliance.hashing.errors import InvalidHash, InvalidMedia, MediaTooLarge, UnknownSignal

if TYPE_CHECKING:
    from alliance.hashing.pdq import PdqHash


def __getattr__(name: str) -> object:
    # PdqHash is imported when asked for: the package is imported by commands that need
    # no numpy (`alliance --help` sets BLAS's threads through alliance.hashing.parallel).
    if name == "PdqHash":
        from alliance.hashing.pdq import PdqHash  # noqa: PLC0415

        return PdqHash
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["InvalidHash", "InvalidMedia", "MediaTooLarge", "PdqHash", "UnknownSignal"]
