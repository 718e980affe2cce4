"""MD5, SHA-1 and SHA-256 of a file's bytes: exact matches only. MD5 and SHA-1 are kept
for the hash lists that still use them, not for security."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alliance.hashing import crypto
from alliance.hashing.signal_type import (
    ContentType,
    HashOptions,
    IndexKind,
    SignalHash,
    SignalType,
    exact_distance,
)


def _signal_type(name: str, description: str) -> SignalType:
    def validate(value: str) -> str:
        return crypto.validate_hex(name, value)

    def hash_file(path: Path, options: HashOptions) -> SignalHash:
        return SignalHash(crypto.digest_file(path, (name,))[name])

    def stream() -> crypto.Hasher:
        return hashlib.new(name, usedforsecurity=False)

    return SignalType(
        name=name,
        description=description,
        content_types=frozenset({ContentType.file}),
        match_threshold=0,
        index_kind=IndexKind.exact,
        validate=validate,
        distance=exact_distance(validate),
        hash_file=hash_file,
        stream=stream,
        hex_length=crypto.HEX_LENGTHS[name],
    )


MD5 = _signal_type("md5", "MD5 of the file bytes")
SHA1 = _signal_type("sha1", "SHA-1 of the file bytes")
SHA256 = _signal_type("sha256", "SHA-256 of the file bytes")
