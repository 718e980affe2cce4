"""Media a member holds, hashed in memory for its banks: never written anywhere.

Matching a file and adding a file to a bank both start here. The bytes stay in the request
that brought them; what leaves this module is hashes only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TypeVar

from alliance.banks.schemas import Classification, EntryIn, Note, SignalIn
from alliance.errors import InvalidInput
from alliance.hashing import crypto, variants, video
from alliance.hashing.errors import InvalidMedia

#: The file digests a bank may hold besides PDQ, in the order they are offered.
DIGESTS = ("md5", "sha1", "sha256")

_Hashed = TypeVar("_Hashed")

#: How video containers begin, as (offset, bytes): MP4, MOV and 3GP (an ``ftyp`` box),
#: Matroska and WebM (EBML), AVI (RIFF), FLV and MPEG program streams. Only these are
#: handed to the video decoder: a document or an archive is not.
_VIDEO_SIGNATURES = ((4, b"ftyp"), (0, b"\x1aE\xdf\xa3"), (8, b"AVI "), (0, b"FLV"),
                     (0, b"\x00\x00\x01\xba"))  # fmt: skip


def signals_of_media(data: bytes, name: str = "upload") -> list[SignalIn]:
    """What a file is matched by: PDQ when it is an image, with the forms a query is
    searched by (without its frame, straightened, its middle strip, flipped and turned:
    :func:`alliance.hashing.variants.query_hashes`); vPDQ with its forms when it is a
    video; and its digests always."""
    if not data:
        raise InvalidInput(f"{name}: the file is empty")
    digests = crypto.digest_file(data, DIGESTS)
    found = [SignalIn(signal_type=k, signal=v) for k, v in sorted(digests.items())]
    # Not an image Pillow reads: the cryptographic hashes still match.
    with contextlib.suppress(InvalidMedia):
        forms = variants.query_hashes(data)
        original = forms.pop("original")
        found.insert(
            0,
            SignalIn(
                signal_type="pdq",
                signal=original.hex,
                forms={k: v.hex for k, v in forms.items()} or None,
            ),
        )
        return found
    if (moving := _video_signal(data)) is not None:
        found.insert(0, moving)
    return found


def _video_signal(data: bytes) -> SignalIn | None:
    """vPDQ of a video with the forms a query video is searched by
    (:func:`alliance.hashing.video.query_videos`), or None when ``data`` is no video this
    machine can decode."""
    forms = _video_hashes(data, video.query_videos)
    if forms is None:
        return None
    original = forms.pop("original")
    return SignalIn(
        signal_type="vpdq",
        signal=original.to_text(),
        forms={k: v.to_text() for k, v in forms.items()} or None,
    )


def _video_hashes(data: bytes, hashing: Callable[[Path], _Hashed]) -> _Hashed | None:
    """``hashing`` of the video ``data`` holds, or None when it is no video this machine
    can decode. The decoders read a file: it is an anonymous file in memory (``memfd``),
    never on a disk, gone when closed."""
    if not any(data[at : at + len(magic)] == magic for at, magic in _VIDEO_SIGNATURES):
        return None
    if not hasattr(os, "memfd_create"):  # not Linux: no file that stays in memory
        return None
    descriptor = os.memfd_create("alliance-upload", os.MFD_CLOEXEC)
    try:
        with os.fdopen(descriptor, "wb", closefd=False) as out:
            out.write(data)
        # FFmpeg runs as another process: it opens the file by this process's table.
        return hashing(Path(f"/proc/{os.getpid()}/fd/{descriptor}"))
    except (InvalidMedia, ImportError):
        return None
    finally:
        os.close(descriptor)


def entries_of_media(
    files: Sequence[tuple[str, bytes]],
    signal_types: Collection[str],
    *,
    classification: Classification | None = None,
    note: Note | None = None,
) -> list[EntryIn]:
    """Bank entries for files: a picture's PDQ with every robust-banking variant (flips,
    rotations, frames, crops, tilts, thumbnails, the middle strip, halves and quarters),
    so that an altered copy still matches, or a video's vPDQ (PDQ ticked), and the
    digests asked for. A file that is neither gets its digests only; asked for PDQ
    alone, it is refused by name."""
    chosen = [s for s in ("pdq", *DIGESTS) if s in signal_types]
    unknown = sorted(set(signal_types) - set(chosen))
    if unknown:
        raise InvalidInput(f"unknown hash types: {', '.join(unknown)}", field="signal_types")
    if not chosen:
        raise InvalidInput("tick PDQ or at least one digest to add", field="signal_types")
    if not files:
        raise InvalidInput("choose a file to add", field="files")
    kept = classification or Classification()
    entries: list[EntryIn] = []
    for name, data in files:
        label = name or "the file"
        if not data:
            raise InvalidInput(f"{label}: the file is empty", field="files")
        if "pdq" in chosen:
            entries.extend(_pdq_entry(label, data, chosen == ["pdq"], kept, note))
        digests = tuple(d for d in chosen if d != "pdq")
        for kind, value in sorted(crypto.digest_file(data, digests).items()):
            entries.append(EntryIn(signal_type=kind, signal=value, classification=kept, note=note))
    return entries


def _pdq_entry(
    label: str, data: bytes, alone: bool, classification: Classification, note: Note | None
) -> list[EntryIn]:
    """The picture's PDQ entry with its variants, or a video's vPDQ entry (a frame a
    second, as vPDQ lists hold them); none for a file that is neither (refused when PDQ
    is all that was asked)."""
    try:
        forms = variants.hash_variants(data)
    except InvalidMedia:
        moving = _video_hashes(data, video.hash_video)
        if moving is not None:
            return [
                EntryIn(
                    signal_type="vpdq",
                    signal=moving.to_text(),
                    classification=classification,
                    note=note,
                )
            ]
        if alone:
            raise InvalidInput(
                f"{label}: not a picture PDQ can hash nor a video vPDQ can; add its MD5 or "
                "SHA-256 instead",
                field="files",
            ) from None
        return []
    original = forms.pop("original")
    if original.low_quality:
        # A flat or nearly blank picture's PDQ is noise: it would match unrelated pictures.
        raise InvalidInput(
            f"{label}: too little detail for a reliable PDQ (quality {original.quality} of "
            "100); untick PDQ to add its digests only",
            field="files",
        )
    return [
        EntryIn(
            signal_type="pdq",
            signal=original.hex,
            variants={n: h.hex for n, h in forms.items() if h.hex != original.hex},
            classification=classification,
            note=note,
        )
    ]
