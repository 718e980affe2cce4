"""vPDQ: PDQ of video frames, with timestamps, by Meta's ``vpdq`` package (FFmpeg).

A video hash is a list of frame hashes. Two videos match when at least
``query_match_percent`` % of the query's distinct usable frames are within
``distance`` of some frame of the other video (80 % and 31 by default, as
python-threatexchange uses), and optionally ``target_match_percent`` % the other way.

Text form (one frame a line, as python-threatexchange serialises vPDQ):
``FRAME_NUMBER,HEX,QUALITY,TIMESTAMP_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alliance.hashing.errors import InvalidHash, InvalidMedia
from alliance.hashing.pdq import LOW_QUALITY, MATCH_THRESHOLD, PdqHash

#: Share of query frames that must match, as python-threatexchange's default.
DEFAULT_QUERY_MATCH_PERCENT = 80.0


@dataclass(frozen=True, slots=True)
class VideoFrame:
    pdq: PdqHash
    frame_number: int
    timestamp: float

    @property
    def quality(self) -> int:
        return self.pdq.quality or 0


@dataclass(frozen=True, slots=True)
class VpdqHash:
    frames: tuple[VideoFrame, ...]

    def to_text(self) -> str:
        return "\n".join(
            f"{f.frame_number},{f.pdq.hex},{f.quality},{f.timestamp:.3f}" for f in self.frames
        )

    @classmethod
    def from_text(cls, text: str) -> VpdqHash:
        frames = []
        for number, line in enumerate(text.strip().splitlines(), start=1):
            parts = line.strip().split(",")
            if len(parts) != 4:
                raise InvalidHash(f"invalid vPDQ line {number}: expected FRAME,HEX,QUALITY,TIME")
            try:
                frame, quality, seconds = int(parts[0]), int(parts[2]), float(parts[3])
            except ValueError as exc:
                raise InvalidHash(f"invalid vPDQ line {number}: {exc}") from exc
            frames.append(VideoFrame(PdqHash.from_hex(parts[1], quality), frame, seconds))
        if not frames:
            raise InvalidHash("invalid vPDQ hash: no frames")
        return cls(tuple(frames))

    def usable(self, min_quality: int = LOW_QUALITY) -> set[bytes]:
        """Distinct frame digests of at least ``min_quality``."""
        return {f.pdq.digest for f in self.frames if f.quality >= min_quality}


def hash_video(path: Path | str, *, seconds_per_hash: float = 1.0) -> VpdqHash:
    """vPDQ of a video file: one frame hash every ``seconds_per_hash`` (0: every frame)."""
    import vpdq  # noqa: PLC0415 — optional native dependency, needed only for video

    if not Path(path).is_file():
        raise InvalidMedia(f"{path}: no such file")
    try:
        features = vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash)
    except Exception as exc:  # vpdq raises a bare Exception for unreadable input
        raise InvalidMedia(f"{path}: cannot decode video ({exc})") from exc
    if not features:
        raise InvalidMedia(f"{path}: not a video we can decode (no frames)")
    return VpdqHash(
        tuple(
            VideoFrame(PdqHash.from_hex(f.hex, int(f.quality)), int(f.frame_number), f.timestamp)
            for f in features
        )
    )


@dataclass(frozen=True, slots=True)
class VideoMatch:
    query_match_percent: float
    target_match_percent: float


def compare_videos(
    query: VpdqHash,
    target: VpdqHash,
    *,
    distance: int = MATCH_THRESHOLD,
    min_quality: int = LOW_QUALITY,
) -> VideoMatch:
    """Percent of each video's distinct usable frames with a close frame in the other."""
    mine, theirs = query.usable(min_quality), target.usable(min_quality)
    if not mine or not theirs:
        return VideoMatch(0.0, 0.0)

    def share(a: set[bytes], b: set[bytes]) -> float:
        others = [int.from_bytes(x, "big") for x in b]
        hits = sum(
            1
            for x in a
            if any((int.from_bytes(x, "big") ^ y).bit_count() <= distance for y in others)
        )
        return 100.0 * hits / len(a)

    return VideoMatch(share(mine, theirs), share(theirs, mine))


def is_match(
    result: VideoMatch,
    *,
    query_match_percent: float = DEFAULT_QUERY_MATCH_PERCENT,
    target_match_percent: float = 0.0,
) -> bool:
    return (
        result.query_match_percent >= query_match_percent
        and result.target_match_percent >= target_match_percent
    )
