"""The container shared by our index files: a JSON header, then aligned binary sections.

::

    offset 0   8 bytes   magic (one per index kind, e.g. b"ALPDQIX\\0")
    offset 8   u32 LE    format version
    offset 12  u32 LE    length H of the JSON header
    offset 16  H bytes   header, UTF-8 JSON; its "sections" maps a name to
                         [offset, length, dtype, shape] of a raw little-endian array
    ...        sections, each starting at a multiple of 64 bytes

Sections are opened with ``mmap`` and read as numpy arrays without copying, so opening
a 10M-hash index costs the header parse only. Nothing is ever pickled.
"""

from __future__ import annotations

import json
import mmap
import struct
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alliance.matching.errors import InvalidIndex

_PREFIX = struct.Struct("<8sII")
_ALIGN = 64


def pack(
    magic: bytes, version: int, header: dict[str, Any], arrays: dict[str, NDArray[Any]]
) -> bytes:
    """The container as bytes: what :func:`write` writes, for a document sent whole."""
    encoded, layout, end = _layout(header, arrays)
    out = bytearray(end)
    _PREFIX.pack_into(out, 0, magic, version, len(encoded))
    out[_PREFIX.size : _PREFIX.size + len(encoded)] = encoded
    view = np.frombuffer(out, np.uint8)
    for name, array in arrays.items():
        offset, nbytes, dtype, _ = layout[name]
        data = np.ascontiguousarray(array).astype(dtype, copy=False)
        view[offset : offset + nbytes] = data.reshape(-1).view(np.uint8)
    del view  # a bytearray with a view exported cannot be resized, nor copied safely
    return bytes(out)


def _layout(
    header: dict[str, Any], arrays: dict[str, NDArray[Any]]
) -> tuple[bytes, dict[str, list[Any]], int]:
    """(the encoded header, each section's [offset, length, dtype, shape], the end)."""
    layout: dict[str, list[Any]] = {}
    # The header holds the section offsets, which depend on the header's length: lay out
    # with a generous fixed header size first.
    body = json.dumps({**header, "sections": {}}).encode()
    start = _align(_PREFIX.size + len(body) + 64 * (len(arrays) + 1) + 256)
    offset = start
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        layout[name] = [offset, data.nbytes, data.dtype.newbyteorder("<").str, list(data.shape)]
        offset = _align(offset + data.nbytes)
    encoded = json.dumps({**header, "sections": layout}).encode()
    if _PREFIX.size + len(encoded) > start:
        raise AssertionError("index header larger than reserved")  # pragma: no cover
    return encoded, layout, max(offset, start)


def write(
    path: Path, magic: bytes, version: int, header: dict[str, Any], arrays: dict[str, NDArray[Any]]
) -> None:
    """Write atomically: to a temporary file beside ``path``, then rename over it."""
    encoded, layout, end = _layout(header, arrays)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as out:
        out.write(_PREFIX.pack(magic, version, len(encoded)))
        out.write(encoded)
        for name, array in arrays.items():
            out.seek(layout[name][0])
            out.write(np.ascontiguousarray(array).astype(layout[name][2], copy=False).tobytes())
        out.truncate(end)
    temporary.replace(path)


def magic(path: Path) -> bytes:
    """The first 8 bytes of ``path``, which say what kind of index it is."""
    try:
        with open(path, "rb") as handle:
            return handle.read(8)
    except OSError as exc:
        raise InvalidIndex(f"{path}: cannot open index ({exc.strerror or exc})") from exc


def _align(value: int) -> int:
    return -(-value // _ALIGN) * _ALIGN


def read(
    path: Path, magic: bytes, versions: tuple[int, ...]
) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Open ``path`` and return its header and its sections as memory-mapped arrays."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            if size < _PREFIX.size:
                raise InvalidIndex(f"{path}: not an index file (too short)")
            buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise InvalidIndex(f"{path}: cannot open index ({exc.strerror or exc})") from exc
    return unpack(buffer, magic, versions, str(path))


def version_of(buffer: bytes | mmap.mmap | memoryview, magic: bytes, what: str) -> int:
    """The format version of a container of ``magic``, read from its first 16 bytes."""
    if len(buffer) < _PREFIX.size:
        raise InvalidIndex(f"{what}: not an index file (too short)")
    found, version, _ = _PREFIX.unpack_from(buffer, 0)
    if found != magic:
        raise InvalidIndex(f"{what}: not an index of this kind (magic {found!r})")
    return int(version)


def unpack(
    buffer: bytes | mmap.mmap | memoryview, magic: bytes, versions: tuple[int, ...], what: str
) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The header and the sections of a container held in ``buffer`` (arrays are views
    of it, not copies); ``what`` names it in errors. Bytes after the last section (a
    signature) are ignored."""
    version = version_of(buffer, magic, what)
    if version not in versions:
        raise InvalidIndex(f"{what}: index format version {version} is not supported")
    size = len(buffer)
    length = _PREFIX.unpack_from(buffer, 0)[2]
    try:
        if _PREFIX.size + length > size:
            raise InvalidIndex(f"{what}: truncated header")
        header = json.loads(bytes(buffer[_PREFIX.size : _PREFIX.size + length]))
        arrays = {}
        for name, (offset, nbytes, dtype, shape) in header["sections"].items():
            if offset < 0 or offset + nbytes > size:
                raise InvalidIndex(f"{what}: truncated index (section {name})")
            count = int(np.prod(shape)) if shape else 1
            array = np.frombuffer(buffer, dtype=np.dtype(dtype), count=count, offset=offset)
            arrays[name] = array.reshape(shape)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIndex(f"{what}: corrupt index header ({exc})") from exc
    return header, arrays
