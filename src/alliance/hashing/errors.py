"""Errors the engine raises for bad media and bad hashes.

They subclass :mod:`alliance.errors` so that the web and CLI layers map them to a 400 /
exit code 2 without knowing the engine. Every message names the file or the value::

    InvalidInput
    ├── InvalidMedia        not an image / video we can read, truncated, empty, unreadable
    ├── InvalidHash         a hash string of the wrong length or alphabet
    ├── UnknownSignal       a signal type name that is not registered
    └── PayloadTooLarge
        └── MediaTooLarge   more pixels than the decompression-bomb limit
"""

from __future__ import annotations

from alliance.errors import InvalidInput, PayloadTooLarge


class InvalidMedia(InvalidInput):
    code = "invalid_media"


class MediaTooLarge(PayloadTooLarge):
    code = "media_too_large"


class InvalidHash(InvalidInput):
    code = "invalid_hash"


class UnknownSignal(InvalidInput):
    code = "unknown_signal"
