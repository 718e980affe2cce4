"""vPDQ matching: which stored videos share enough frames with a query video.

Every distinct usable frame hash of every stored video goes into one
:class:`~alliance.matching.pdq_index.PdqIndex` (id = video id), so a query costs one
exact radius search per query frame, not a comparison with every video. A video matches
when at least ``query_match_percent`` % of the query's distinct usable frames hit it
(80 % by default, python-threatexchange's rule) and at least ``target_match_percent`` %
of its own frames are among those hit.

**File** (``.vpdqidx``): the frames' :class:`PdqIndex` file (format in
:mod:`alliance.matching.pdq_index`) under its own magic ``ALVPDQX\0``, whose header also
holds ``min_quality``. A video's frame count is its number of rows, so nothing else is
stored; opening maps the file as a PDQ index opens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from alliance.hashing.pdq import LOW_QUALITY, MATCH_THRESHOLD
from alliance.hashing.video import DEFAULT_QUERY_MATCH_PERCENT, VpdqHash, window_of
from alliance.matching.errors import InvalidIndex
from alliance.matching.pdq_index import PdqIndex, check_radius

MAGIC = b"ALVPDQX\0"


@dataclass(frozen=True, slots=True)
class VideoMatch:
    id: str
    query_match_percent: float
    target_match_percent: float
    #: Which form of the query matched (:func:`alliance.hashing.video.query_videos`).
    query_form: str = "original"


class VpdqIndex:
    def __init__(self, index: PdqIndex, *, min_quality: int = LOW_QUALITY) -> None:
        """Over ``index``, whose rows are the distinct usable frames, id = video id; use
        :meth:`build` or :meth:`open`."""
        self.min_quality = min_quality
        self._index = index
        self._frame_counts = Counter(index.id_of(row) for row in range(len(index)))

    @classmethod
    def build(cls, videos: Mapping[str, VpdqHash], *, min_quality: int = LOW_QUALITY) -> VpdqIndex:
        """An index of ``videos`` (id -> vPDQ); frames below ``min_quality`` are left out."""
        frames = {vid: sorted(video.usable(min_quality)) for vid, video in videos.items()}
        ids = [vid for vid, digests in frames.items() for _ in digests]
        digests = [d for each in frames.values() for d in each]
        return cls(PdqIndex.build(digests, ids), min_quality=min_quality)

    def __len__(self) -> int:
        """How many videos have a usable frame."""
        return len(self._frame_counts)

    def save(self, path: Path | str) -> None:
        self._index.write(path, MAGIC, {"kind": "vpdq", "min_quality": self.min_quality})

    @classmethod
    def open(cls, path: Path | str) -> VpdqIndex:
        index, header = PdqIndex.read(path, MAGIC)
        try:
            return cls(index, min_quality=int(header["min_quality"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidIndex(f"{path}: corrupt index ({exc})") from exc

    def search(
        self,
        query: VpdqHash,
        *,
        distance: int = MATCH_THRESHOLD,
        query_match_percent: float = DEFAULT_QUERY_MATCH_PERCENT,
        target_match_percent: float = 0.0,
        window: float | None = None,
    ) -> list[VideoMatch]:
        """Matching videos, best query coverage first. The query's share is counted by
        its distinct usable frames, or with ``window`` by its spans of that many seconds
        (:meth:`VpdqHash.units`)."""
        check_radius(distance)
        units = query.units(self.min_quality, window)
        if not units or not len(self._index):
            return []
        frames = sorted(set().union(*units))
        queries = np.frombuffer(b"".join(frames), np.uint8).reshape(len(frames), 32)
        videos_of: dict[bytes, set[str]] = {}
        target_hits: dict[str, set[str]] = {}
        for frame, matches in zip(frames, self._index.search_many(queries, distance), strict=True):
            videos_of[frame] = {m.id for m in matches}
            for m in matches:
                target_hits.setdefault(m.id, set()).add(m.hash)
        query_hits: dict[str, int] = {}
        for unit in units:
            for vid in set().union(*(videos_of[d] for d in unit)):
                query_hits[vid] = query_hits.get(vid, 0) + 1
        out = []
        for vid, hits in query_hits.items():
            mine = 100.0 * hits / len(units)
            theirs = 100.0 * len(target_hits[vid]) / self._frame_counts[vid]
            if mine >= query_match_percent and theirs >= target_match_percent:
                out.append(VideoMatch(vid, mine, theirs))
        return sorted(out, key=lambda m: (-m.query_match_percent, m.id))

    def search_forms(
        self,
        forms: Mapping[str, VpdqHash],
        *,
        distance: int = MATCH_THRESHOLD,
        query_match_percent: float = DEFAULT_QUERY_MATCH_PERCENT,
        target_match_percent: float = 0.0,
    ) -> list[VideoMatch]:
        """Matching videos of any of a query's ``forms`` (name -> vPDQ,
        :func:`~alliance.hashing.video.query_videos`): each form is a whole video matched
        by the rule of :meth:`search` (the further forms by the second,
        :func:`~alliance.hashing.video.window_of`), and each video is given with the form
        that covered most of it."""
        best: dict[str, VideoMatch] = {}
        for name, form in forms.items():
            for match in self.search(
                form,
                distance=distance,
                query_match_percent=query_match_percent,
                target_match_percent=target_match_percent,
                window=window_of(name),
            ):
                known = best.get(match.id)
                if known is None or match.query_match_percent > known.query_match_percent:
                    best[match.id] = replace(match, query_form=name)
        return sorted(best.values(), key=lambda m: (-m.query_match_percent, m.id))
