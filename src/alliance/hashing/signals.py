"""The signal-type registry: the one place signal types are listed.

Each :class:`~alliance.hashing.signal_type.SignalType` is a module of
:mod:`alliance.hashing.signal_types`; registering it here is all it takes for
``alliance hash --signals``, ``index build --signal``, ``match``, ``scan``, the bank
formats' validation and the conformance kit in ``tests/unit/hashing/test_signals.py`` to
know it. The record :func:`~alliance.hashing.record.hash_media` produces is in
:mod:`alliance.hashing.record`.
"""

from __future__ import annotations

from alliance.hashing.errors import UnknownSignal
from alliance.hashing.signal_type import VIDEO_SUFFIXES, IndexKind, SignalType
from alliance.hashing.signal_types import crypto, pdq, vpdq

#: Every signal type by name, in the order records list them.
REGISTRY: dict[str, SignalType] = {
    s.name: s for s in (pdq.SIGNAL_TYPE, vpdq.SIGNAL_TYPE, crypto.MD5, crypto.SHA1, crypto.SHA256)
}

DEFAULT_SIGNALS = ("pdq", "md5", "sha256")

__all__ = [
    "DEFAULT_SIGNALS",
    "REGISTRY",
    "VIDEO_SUFFIXES",
    "IndexKind",
    "SignalType",
    "get",
    "parse_signals",
]


def get(name: str) -> SignalType:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise UnknownSignal(f"unknown signal type {name!r} (known: {known})") from None


def parse_signals(text: str) -> tuple[str, ...]:
    """``"pdq,md5"`` -> ``("pdq", "md5")``, each checked against the registry."""
    names = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if not names:
        raise UnknownSignal("no signal types given")
    for name in names:
        get(name)
    return names
