"""python-threatexchange signal type names and signal strings, mapped to ours.

python-threatexchange names a signal type after its class (``PdqSignal`` -> ``pdq``,
``VideoMD5Signal`` -> ``video_md5``, ``VideoSHA256Signal`` -> ``video_sha256``,
``VPDQSignal`` -> ``vpdq``). Import accepts those names and ours::

    pdq                                   -> pdq
    vpdq                                  -> vpdq
    md5, video_md5, photo_md5             -> md5
    sha1                                  -> sha1
    sha256, video_sha256, photo_sha256    -> sha256

Types python-threatexchange has and a hash bank does not hold (``url``, ``url_md5``,
``raw_text``, ``trend_query``, ``text_tlsh``, ``pdq_ocr``) are skipped and counted; any
other name is an error. Export writes python-threatexchange's names where it has one
(``pdq``, ``vpdq``, ``video_md5``, ``video_sha256``) and ``sha1`` otherwise.

vPDQ: python-threatexchange's signal string is a JSON list of ``"HEX,QUALITY,SECONDS"``
frames; ours is one ``FRAME,HEX,QUALITY,SECONDS`` line per frame. Export writes the JSON
list (frame numbers are not part of it: on import frames are numbered 0, 1, 2...);
import also accepts our four-part frames inside the list, and our text form.
"""

from __future__ import annotations

import json

from alliance.errors import InvalidInput
from alliance.hashing import signals

IMPORT_NAMES: dict[str, str] = {
    "pdq": "pdq",
    "vpdq": "vpdq",
    "md5": "md5",
    "video_md5": "md5",
    "photo_md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "video_sha256": "sha256",
    "photo_sha256": "sha256",
}

EXPORT_NAMES: dict[str, str] = {
    "pdq": "pdq",
    "vpdq": "vpdq",
    "md5": "video_md5",
    "sha1": "sha1",
    "sha256": "video_sha256",
}

#: python-threatexchange signal types a hash bank does not hold: skipped, not an error.
FOREIGN = frozenset({"url", "url_md5", "raw_text", "trend_query", "text_tlsh", "pdq_ocr"})


def our_name(name: str) -> str | None:
    """Our signal type for a python-threatexchange name; None for a :data:`FOREIGN` one."""
    key = name.strip().lower()
    if key in IMPORT_NAMES:
        return IMPORT_NAMES[key]
    if key in FOREIGN:
        return None
    known = ", ".join(sorted(IMPORT_NAMES))
    raise InvalidInput(f"unknown signal type {name!r} (known: {known})")


def their_name(signal_type: str) -> str:
    signals.get(signal_type)  # an unknown type is a programming error upstream; say so
    return EXPORT_NAMES[signal_type]


def import_value(signal_type: str, value: str) -> str:
    """A signal string as written by python-threatexchange, in our text form."""
    if signal_type != "vpdq" or not value.lstrip().startswith("["):
        return value
    try:
        frames = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"invalid vPDQ hash: not a JSON list ({exc.msg})") from None
    if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
        raise InvalidInput("invalid vPDQ hash: expected a JSON list of strings")
    lines = []
    for number, frame in enumerate(frames):
        parts = frame.split(",")
        if len(parts) == 3:
            lines.append(f"{number},{frame}")
        elif len(parts) == 4:
            lines.append(frame)
        else:
            raise InvalidInput(f"invalid vPDQ frame {number + 1}: expected HEX,QUALITY,SECONDS")
    return "\n".join(lines)


def export_value(signal_type: str, value: str) -> str:
    """Our signal text (normalised), as python-threatexchange writes it."""
    if signal_type != "vpdq":
        return value
    frames = []
    for line in signals.get("vpdq").validate(value).splitlines():
        _, hex_, quality, seconds = line.strip().split(",")
        frames.append(f"{hex_},{quality},{seconds}")
    return json.dumps(frames, separators=(",", ":"))
