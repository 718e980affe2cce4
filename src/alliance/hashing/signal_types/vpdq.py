"""vPDQ: Meta's video hash, the PDQ of a frame a second with its timestamp; two videos
match when enough of one's frames are near the other's."""

from __future__ import annotations

from pathlib import Path

from alliance.hashing import video
from alliance.hashing.signal_type import (
    ContentType,
    HashOptions,
    IndexKind,
    SignalHash,
    SignalType,
)


def hash_file(path: Path, options: HashOptions) -> SignalHash:
    """A frame a second; with ``query`` also the forms a query video is searched by
    (:func:`alliance.hashing.video.query_videos`). The other options are for pictures."""
    if not options.query or options.bank_variants:
        return SignalHash(video.hash_video(path).to_text())
    forms = video.query_videos(path)
    original = forms.pop("original").to_text()
    return SignalHash(original, variants={name: form.to_text() for name, form in forms.items()})


def validate(value: str) -> str:
    return video.VpdqHash.from_text(value).to_text()


def distance(a: str, b: str) -> int:
    """100 minus the share of ``a``'s frames found in ``b`` (0: every frame matched)."""
    result = video.compare_videos(video.VpdqHash.from_text(a), video.VpdqHash.from_text(b))
    return round(100 - result.query_match_percent)


SIGNAL_TYPE = SignalType(
    name="vpdq",
    description="Meta's vPDQ: PDQ of video frames with timestamps",
    content_types=frozenset({ContentType.video}),
    match_threshold=round(100 - video.DEFAULT_QUERY_MATCH_PERCENT),
    index_kind=IndexKind.vpdq,
    validate=validate,
    distance=distance,
    hash_file=hash_file,
)
