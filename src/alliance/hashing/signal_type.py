"""What a signal type is: the one object that says everything the engine does with it.

A *signal* is a hash of one kind (``pdq``, ``md5``...). A :class:`SignalType` names it,
says which files it applies to, hashes a file, validates and normalises the text form,
measures the distance between two values and names the kind of index that matches it.
Each signal type is one module of :mod:`alliance.hashing.signal_types`, registered in
:data:`alliance.hashing.signals.REGISTRY`; ``alliance hash``, ``index build``, ``match``
and ``scan`` are driven by the registry, so a new signal type needs nothing else (see
``docs/hashing.md``, "Adding a signal type").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from alliance.hashing.crypto import Hasher
from alliance.hashing.media import DEFAULT_MAX_PIXELS
from alliance.hashing.pdq import Pipeline

#: Files with these suffixes are videos: vPDQ applies to them, PDQ does not.
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


class ContentType(StrEnum):
    photo = "photo"  # pictures, animated ones included
    video = "video"  # files with a :data:`VIDEO_SUFFIXES` suffix
    file = "file"  # any file's bytes


class IndexKind(StrEnum):
    """Which index of :mod:`alliance.matching` matches a signal type."""

    pdq = "pdq"  # Hamming radius over 256-bit hashes (matching.pdq_index)
    vpdq = "vpdq"  # videos by their share of near frames (matching.video)
    exact = "exact"  # sorted fixed-length digests, exact lookup (matching.crypto_index)


@dataclass(frozen=True, slots=True)
class HashOptions:
    """How ``alliance hash`` was asked to hash (perceptual signals use what applies)."""

    pipeline: Pipeline = "fast"
    dihedral: bool = False
    overlays: bool = False
    bank_variants: bool = False
    #: The forms a query is searched by (:func:`alliance.hashing.variants.query_hashes`).
    query: bool = False
    all_frames: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True, slots=True)
class SignalHash:
    """One signal's value for one file, with what a perceptual hash adds to it.

    In a record's JSON these are the keys ``<name>``, ``<name>_quality``,
    ``<name>_low_quality``, ``<name>_variants`` and ``<name>_frames``
    (:mod:`alliance.hashing.record`).
    """

    value: str
    #: 0-100, for signals that measure how much detail they saw (PDQ).
    quality: int | None = None
    #: Too little detail to match on (the signal type's rule, e.g. PDQ quality < 50).
    low_quality: bool = False
    #: Further values of the same file by variant name (rotations, crops...).
    variants: Mapping[str, str] = field(default_factory=dict)
    #: An animation's later distinct frames.
    frames: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SignalType:
    name: str
    description: str
    content_types: frozenset[ContentType]
    #: Largest distance that counts as a match by default (0: exact only).
    match_threshold: int
    index_kind: IndexKind
    #: ``value`` in canonical form, or :class:`~alliance.hashing.errors.InvalidHash`.
    validate: Callable[[str], str]
    distance: Callable[[str, str], int]
    #: Hash one file (raises :class:`~alliance.hashing.errors.InvalidMedia` ...).
    hash_file: Callable[[Path, HashOptions], SignalHash]
    #: For a digest of the file's bytes: a new streaming hasher. ``hash_media`` then feeds
    #: every such signal in one read of the file instead of calling ``hash_file``.
    stream: Callable[[], Hasher] | None = None
    #: Length of the value when it is fixed-length hex (a key of the exact index, and
    #: allowed as a plain ``HEX`` / ``ID<TAB>HEX`` hash-file line); None otherwise.
    hex_length: int | None = None

    def applies_to(self, path: Path | str) -> bool:
        """Whether this signal is computed for ``path`` (by its suffix)."""
        if ContentType.file in self.content_types:
            return True
        is_video = Path(path).suffix.lower() in VIDEO_SUFFIXES
        return (ContentType.video if is_video else ContentType.photo) in self.content_types


def exact_distance(validate: Callable[[str], str]) -> Callable[[str, str], int]:
    """The distance of a signal that matches only when equal: 0 or 1."""
    return lambda a, b: 0 if validate(a) == validate(b) else 1
