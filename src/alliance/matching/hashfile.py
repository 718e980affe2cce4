"""Reading hash files: the input of ``alliance index build`` and ``alliance match``.

Two line formats, mixable, blank lines and ``#`` comments ignored:

* plain text: ``HEX`` (the id is the line number) or ``ID<TAB>HEX``;
* JSON lines as ``alliance hash`` writes them: ``{"path": ..., "pdq": ...}``, with the
  optional ``pdq_variants`` map stored as variants of the same entry, and the optional
  ``pdq_frames`` list (an animation's later frames) as its ``frame`` variants. Records that carry
  an ``error`` (a file that could not be hashed) have no hash and are skipped.

A bad line stops the read with an error naming the file and line: an index is built from
all of a file or none of it. :func:`read_crypto_hashfile` reads the same formats for one
cryptographic algorithm (the JSON field named after it, ``md5``, ``sha1`` or ``sha256``);
:func:`read_vpdq_hashfile` the ``vpdq`` field of JSON lines (videos; pictures' lines are
passed over).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alliance.hashing.crypto import validate_hex as validate_crypto_hex
from alliance.hashing.errors import InvalidHash, InvalidMedia
from alliance.hashing.pdq import validate_hex
from alliance.hashing.video import VpdqHash


@dataclass(frozen=True, slots=True)
class HashRecord:
    id: str
    pdq: str
    quality: int | None = None
    variants: dict[str, str] = field(default_factory=dict)
    frames: tuple[str, ...] = ()


_T = TypeVar("_T")


def _read_lines(path: Path, parse: Callable[[str, int], _T | None]) -> Iterator[_T]:
    """``parse`` each line of a text hash file; errors name the file and line."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 — closed by the with below
    except OSError as exc:
        raise InvalidMedia(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                item = parse(line, number)
                if item is not None:
                    yield item
        except InvalidHash as exc:
            raise InvalidHash(f"{path}:{number}: {exc.message}") from exc
        except UnicodeDecodeError as exc:
            raise InvalidHash(f"{path}: not a text hash file ({exc.reason})") from exc


def read_hashfile(path: Path) -> Iterator[HashRecord]:
    return _read_lines(path, parse_line)


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidHash(f"invalid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise InvalidHash("a JSON line must be an object")
    return data


def parse_line(line: str, number: int) -> HashRecord | None:
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("{"):
        data = _json_object(text)
        if "pdq" not in data:
            if "error" in data:
                return None
            raise InvalidHash('a JSON line needs a "pdq" field')
        variants = data.get("pdq_variants") or {}
        if not isinstance(variants, dict):
            raise InvalidHash('"pdq_variants" must be an object')
        frames = data.get("pdq_frames") or []
        if not isinstance(frames, list):
            raise InvalidHash('"pdq_frames" must be a list')
        quality = data.get("pdq_quality")
        return HashRecord(
            str(data.get("id") or data.get("path") or number),
            validate_hex(str(data["pdq"])),
            quality if isinstance(quality, int) else None,
            {str(k): validate_hex(str(v)) for k, v in variants.items()},
            tuple(validate_hex(str(f)) for f in frames),
        )
    if "\t" in text:
        identifier, _, value = text.rpartition("\t")
        return HashRecord(identifier.strip(), validate_hex(value))
    return HashRecord(str(number), validate_hex(text))


def looks_like_hashfile(path: Path) -> bool:
    """True if ``path`` is a text file whose first record parses as a hash line."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
        lines = head.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    for number, line in enumerate(lines[:-1] if len(head) == 8192 else lines, start=1):
        try:
            if parse_line(line, number) is not None:
                return True
        except InvalidHash:
            return False
        if line.strip() and not line.strip().startswith("#"):
            return False
    return False


def read_crypto_hashfile(path: Path, algorithm: str) -> Iterator[tuple[str, str]]:
    """(id, hex) pairs of an MD5/SHA-1/SHA-256 hash file, in the formats above: JSON lines
    with an ``algorithm`` field (``alliance hash --signals sha256``), ``HEX`` or
    ``ID<TAB>HEX`` lines. A bad line stops the read with its file and line number."""
    return _read_lines(path, lambda line, number: parse_crypto_line(line, number, algorithm))


def parse_crypto_line(line: str, number: int, algorithm: str) -> tuple[str, str] | None:
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("{"):
        data = _json_object(text)
        if algorithm not in data:
            if "error" in data:
                return None
            raise InvalidHash(f'a JSON line needs a "{algorithm}" field')
        identifier = str(data.get("id") or data.get("path") or number)
        return identifier, validate_crypto_hex(algorithm, str(data[algorithm]))
    if "\t" in text:
        identifier, _, value = text.rpartition("\t")
        return identifier.strip(), validate_crypto_hex(algorithm, value)
    return str(number), validate_crypto_hex(algorithm, text)


def read_vpdq_hashfile(path: Path) -> Iterator[tuple[str, VpdqHash]]:
    """(id, vPDQ) of each video in ``alliance hash --signals vpdq`` JSON lines."""
    return _read_lines(path, parse_vpdq_line)


def parse_vpdq_line(line: str, number: int) -> tuple[str, VpdqHash] | None:
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if not text.startswith("{"):
        raise InvalidHash('vPDQ hashes are read from JSON lines with a "vpdq" field')
    data = _json_object(text)
    if "vpdq" not in data:
        return None  # a picture or another file, or one that could not be hashed
    identifier = str(data.get("id") or data.get("path") or number)
    return identifier, VpdqHash.from_text(str(data["vpdq"]))
