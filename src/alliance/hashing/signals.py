"""The signal-type registry: what a signal is called, what it hashes, how to compare.

A *signal* is a hash of one kind (``pdq``, ``md5``...). Each :class:`SignalType` says
which content it applies to, how to validate its text form and how far apart two values
are; :func:`hash_media` computes any set of them for one file and returns one flat,
JSON-ready record (the ``alliance hash`` output). New signal types register here and get
the conformance tests in ``tests/unit/hashing/test_signals.py`` for free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alliance.hashing import crypto, pdq, variants, video
from alliance.hashing.errors import UnknownSignal
from alliance.hashing.media import DEFAULT_MAX_PIXELS


@dataclass(frozen=True, slots=True)
class SignalType:
    name: str
    content_types: frozenset[str]
    description: str
    #: Largest distance that counts as a match by default (0: exact only).
    match_threshold: int
    validate: Callable[[str], str]
    distance: Callable[[str, str], int]


def _exact(validate: Callable[[str], str]) -> Callable[[str, str], int]:
    return lambda a, b: 0 if validate(a) == validate(b) else 1


def _crypto(name: str, description: str) -> SignalType:
    def validate(value: str) -> str:
        return crypto.validate_hex(name, value)

    return SignalType(name, frozenset({"file"}), description, 0, validate, _exact(validate))


def _vpdq_distance(a: str, b: str) -> int:
    """100 minus the share of ``a``'s frames found in ``b`` (0: every frame matched)."""
    result = video.compare_videos(video.VpdqHash.from_text(a), video.VpdqHash.from_text(b))
    return round(100 - result.query_match_percent)


def _vpdq_validate(value: str) -> str:
    return video.VpdqHash.from_text(value).to_text()


REGISTRY: dict[str, SignalType] = {
    s.name: s
    for s in (
        SignalType(
            "pdq",
            frozenset({"photo"}),
            "Meta's PDQ perceptual hash, 256 bits as 64 hex digits",
            pdq.MATCH_THRESHOLD,
            pdq.validate_hex,
            pdq.distance_hex,
        ),
        SignalType(
            "vpdq",
            frozenset({"video"}),
            "Meta's vPDQ: PDQ of video frames with timestamps",
            round(100 - video.DEFAULT_QUERY_MATCH_PERCENT),
            _vpdq_validate,
            _vpdq_distance,
        ),
        _crypto("md5", "MD5 of the file bytes"),
        _crypto("sha1", "SHA-1 of the file bytes"),
        _crypto("sha256", "SHA-256 of the file bytes"),
    )
}

DEFAULT_SIGNALS = ("pdq", "md5", "sha256")

#: Files with these suffixes get vPDQ (if asked for) instead of PDQ.
VIDEO_SUFFIXES = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".wmv",
        ".flv",
        ".mpg",
        ".mpeg",
        ".ts",
        ".3gp",
    }
)


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


def hash_media(
    path: Path,
    signals: Sequence[str] = DEFAULT_SIGNALS,
    *,
    pipeline: pdq.Pipeline = "fast",
    dihedral: bool = False,
    overlays: bool = False,
    bank_variants: bool = False,
    all_frames: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, object]:
    """One record for one file: ``path``, each signal by name, ``pdq_quality``.

    PDQ applies to images and vPDQ to videos (by file suffix, :data:`VIDEO_SUFFIXES`);
    the cryptographic hashes to every file.

    With ``dihedral`` the record also has ``pdq_variants``: the 8 dihedral forms' hashes
    by name; with ``overlays`` the middle strip's (``middle_70``: the picture without the
    top and bottom, where captions go); with ``bank_variants``, every robust-banking
    variant (:data:`~alliance.hashing.variants.VARIANT_NAMES`: dihedral forms, frames,
    crops, tilts, strips), for building a bank from media. With ``all_frames``, an
    animated image also has ``pdq_frames``: the PDQ of each later frame that differs from
    the frames before it (``pdq`` is the first frame's). Errors propagate
    (:class:`~alliance.hashing.errors.InvalidMedia` ...).
    """
    record: dict[str, object] = {"path": str(path)}
    algorithms = tuple(name for name in signals if name in crypto.HEX_LENGTHS)
    if algorithms:
        record.update(crypto.digest_file(path, algorithms))
    is_video = path.suffix.lower() in VIDEO_SUFFIXES
    if "pdq" in signals and not is_video:
        frames = (
            pdq.hash_frames(path, pipeline=pipeline, all_frames=True, max_pixels=max_pixels)
            if all_frames
            else []
        )
        if dihedral or overlays or bank_variants:
            forms = variants.hash_variants(
                path,
                dihedral=dihedral or bank_variants,
                strips=overlays or bank_variants,
                borders=bank_variants,
                crops=bank_variants,
                tilts=bank_variants,
                thumbnails=bank_variants,
                pipeline=pipeline,
                max_pixels=max_pixels,
            )
            value = forms["original"]
            record["pdq_variants"] = {name: h.hex for name, h in forms.items()}
        else:
            value = (
                frames[0]
                if frames
                else pdq.hash_file(path, pipeline=pipeline, max_pixels=max_pixels)
            )
        record["pdq"] = value.hex
        record["pdq_quality"] = value.quality
        later = variants.distinct((variants.ANIMATION_FRAME, f) for f in [value, *frames[1:]])
        if len(later) > 1:
            record["pdq_frames"] = [f.hex for _, f in later[1:]]
        if value.low_quality:
            record["pdq_low_quality"] = True
    if "vpdq" in signals and is_video:
        record["vpdq"] = video.hash_video(path).to_text()
    return {key: record[key] for key in ("path", *signals, *record) if key in record}
