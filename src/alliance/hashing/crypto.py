"""Cryptographic file hashes (MD5, SHA-1, SHA-256), streamed so any file size works.

They match only byte-identical files; hash lists carry them because they are cheap and
exact. MD5 and SHA-1 are kept for the lists that still use them, not for security.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

from alliance.hashing.errors import InvalidHash, InvalidMedia
from alliance.hashing.media import MediaSource, describe

#: Algorithm name -> length of its hex digest.
HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}

_CHUNK = 1 << 20


def digest_file(source: MediaSource, algorithms: tuple[str, ...]) -> dict[str, str]:
    """Hex digests of ``source`` for each algorithm, reading the bytes once."""
    return digest_streams(
        source, {name: hashlib.new(name, usedforsecurity=False) for name in algorithms}
    )


class Hasher(Protocol):
    """What :mod:`hashlib` objects offer: any byte-stream digest fits."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def digest_streams(source: MediaSource, hashers: Mapping[str, Hasher]) -> dict[str, str]:
    """Feed the bytes of ``source`` to every hasher in one read; their hex digests by name."""
    if isinstance(source, bytes):
        for hasher in hashers.values():
            hasher.update(source)
        return {name: hasher.hexdigest() for name, hasher in hashers.items()}
    try:
        if isinstance(source, Path | str):
            with open(source, "rb") as stream:
                _feed(stream, hashers.values())
        else:
            _feed(source, hashers.values())
    except OSError as exc:
        raise InvalidMedia(f"{describe(source)}: cannot read file ({exc.strerror or exc})") from exc
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def _feed(stream: BinaryIO, hashers: Iterable[Hasher]) -> None:
    targets = list(hashers)
    while chunk := stream.read(_CHUNK):
        for hasher in targets:
            hasher.update(chunk)


def validate_hex(algorithm: str, value: str) -> str:
    """Return ``value`` as lowercase hex of the right length, or raise InvalidHash."""
    text = value.strip().lower()
    expected = HEX_LENGTHS[algorithm]
    # strip() of the alphabet runs in C: ten times faster than a test per character.
    if len(text) != expected or text.strip("0123456789abcdef"):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise InvalidHash(
            f"invalid {algorithm.upper()} hash {shown!r}: {expected} hex digits expected"
        )
    return text
