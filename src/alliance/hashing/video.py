"""vPDQ: PDQ of video frames, with timestamps, by Meta's ``vpdq`` package (FFmpeg).

A video hash is a list of frame hashes. Two videos match when at least
``query_match_percent`` % of the query's distinct usable frames are within
``distance`` of some frame of the other video (80 % and 31 by default, as
python-threatexchange uses), and optionally ``target_match_percent`` % the other way.

Text form (one frame a line, as python-threatexchange serialises vPDQ):
``FRAME_NUMBER,HEX,QUALITY,TIMESTAMP_SECONDS``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from alliance.hashing import media, normalise, pdq
from alliance.hashing.errors import InvalidHash, InvalidMedia
from alliance.hashing.pdq import LOW_QUALITY, MATCH_THRESHOLD, PdqHash

Luma = NDArray[np.float32]

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

    def units(
        self, min_quality: int = LOW_QUALITY, window: float | None = None
    ) -> list[set[bytes]]:
        """What a query's share is counted over: each distinct usable frame (vPDQ's rule),
        or with ``window`` each span of that many seconds that has a usable frame, found
        when any of its frames is (a form sampled more often than the bank's videos,
        :func:`query_videos`)."""
        if window is None:
            return [{digest} for digest in sorted(self.usable(min_quality))]
        times = sorted(f.timestamp for f in self.frames)
        step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
        # The clip's last span is cut short where the clip ends: it may hold none of the
        # banked video's frames, so it counts with the span before it.
        last = int(times[-1] // window)
        if last > 0 and times[-1] + step - last * window < window - step / 2:
            last -= 1
        spans: dict[int, set[bytes]] = {}
        for f in self.frames:
            if f.quality >= min_quality:
                key = min(int(f.timestamp // window), last)
                spans.setdefault(key, set()).add(f.pdq.digest)
        return [spans[k] for k in sorted(spans)]


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


# --- the forms a query video is searched by ---------------------------------------------

#: Frames for the query forms are decoded with their shorter side at most this many
#: pixels: to PDQ a rescaled copy, for a fraction of the work. Smaller frames (a shrunk
#: copy) are hashed also as if enlarged to it (:func:`_enlarged_size`).
VIDEO_FRAME_SIDE = 512
#: Every frame is hashed also as if resized to this many pixels a side, where PDQ's box
#: filter (``side / 128`` = 5 pixels, an odd width) is centred on its 64 samples, which
#: fall on whole pixels (every 10th): the ``centred`` forms (:func:`query_videos`).
CENTRED_SIDE = 640
#: Frames a second the further forms take: a banked frame is then at most a twentieth
#: of a second from one of them (half a frame a second would be a new picture in a pan).
QUERY_FRAMES_PER_SECOND = 10
#: The further forms are counted by spans of this many seconds (vPDQ's frame a second).
FORM_WINDOW = 1.0
#: Share of the frames with any detail that must show bars for the clip to have them: a
#: dark scene's edge is no bar, and bars are on every frame.
BARS_SHARE = 0.8
#: Where among the frames' readings of a side (narrowest first) the clip's bar is taken
#: (:func:`_common_bars`): past the few that ringing narrowed, short of a shot whose own
#: edge widened them.
BARS_NARROW_SHARE = 0.25
#: Frames flatter than this (standard deviation of luma) say nothing about bars: a fade.
FLAT_FRAME = 4.0
#: Re-encoding rings where a bar meets the picture: the coding block (8 pixels) that holds
#: the edge mixes the two, and the bar's lines in it drift off the bar's colour, which
#: :func:`normalise.trim_box` (made for clean frames) reads as picture. A bar goes on
#: through up to this many such lines ...
RINGING_LINES = 8
#: ... each still the bar's colour in its median and in all but this share of its pixels
#: (the picture's side of the edge is off in most).
RINGING_OUTLIERS = 0.1
#: Decoded frames kept in memory for the forms without bars (about 40 minutes of a
#: 16:9 video); a longer clip with bars is decoded again instead.
KEPT_FRAMES_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Stream:
    width: int
    height: int
    #: vPDQ's step: a frame hash every ``step`` decoded frames.
    step: int
    fps: float


def _tools() -> tuple[str, str] | None:
    """FFmpeg's command line tools (``ffmpeg``, ``ffprobe``), if installed."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    return (ffmpeg, ffprobe) if ffmpeg and ffprobe else None


def _probe(ffprobe: str, path: Path, seconds_per_hash: float) -> _Stream:
    entries = "stream=width,height,avg_frame_rate,r_frame_rate"
    command = [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", entries]
    try:
        # Our arguments, no shell; the path is absolute, so never read as an option.
        out = subprocess.run(  # noqa: S603
            [*command, "-of", "json", str(path.absolute())],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        info = json.loads(out)
        stream = info["streams"][0]
        rate = Fraction(stream.get("avg_frame_rate") or "0/1")
        if rate <= 0:
            rate = Fraction(stream.get("r_frame_rate") or "0/1")
        width, height = int(stream["width"]), int(stream["height"])
    except (subprocess.SubprocessError, OSError, LookupError, ValueError, ZeroDivisionError) as exc:
        raise InvalidMedia(f"{path}: cannot read the video's stream ({exc})") from exc
    fps = float(rate) if rate > 0 else 25.0
    # As vPDQ picks frames: every (seconds per hash x frame rate)-th, or every frame.
    step = max(1, int(seconds_per_hash * fps))
    if min(width, height) < 1:
        raise InvalidMedia(f"{path}: the video has no picture size")
    return _Stream(width, height, step, fps)


def _sampled(step: int, also: int) -> Iterator[int]:
    """The frame numbers that are a multiple of ``step`` or of ``also``, in order."""
    number = 0
    while True:
        yield number
        number = min((number // step + 1) * step, (number // also + 1) * also)


def _reduction(stream: _Stream) -> float:
    """The factor :func:`_frames` shrinks the video's frames by (1: kept as they are)."""
    return min(1.0, VIDEO_FRAME_SIDE / min(stream.width, stream.height))


def _reduced_size(stream: _Stream) -> tuple[int, int]:
    """(width, height) of the frames :func:`_frames` decodes, even numbers."""
    factor = _reduction(stream)
    return (
        max(2, round(stream.width * factor / 2) * 2),
        max(2, round(stream.height * factor / 2) * 2),
    )


def _frames(
    ffmpeg: str,
    path: Path,
    stream: _Stream,
    step: int,
    crop: tuple[int, int, int, int] | None = None,
) -> Iterator[tuple[int, Luma]]:
    """(frame number, luma) of every ``step``-th frame and of every frame vPDQ hashes
    (``stream.step``), the shorter side reduced to at most :data:`VIDEO_FRAME_SIDE`, as
    FFmpeg's command line decodes them, weighed from RGB. (FFmpeg's luma plane would be
    cheaper, but vPDQ weighs the colours of the frame in RGB, and those differ where a
    saturated colour leaves RGB's range.) With ``crop`` (x, y, width, height in the
    video's own pixels), that part of each frame, as it is.

    vPDQ's own frames are among them because a copy that keeps the clip's timing (a
    mirror image, bars added, a re-encode at the same rate) then meets the bank's frames
    exactly: in a pan over fine print, the frame next to a banked one is another picture
    to PDQ."""
    chosen = f"not(mod(n\\,{step}))+not(mod(n\\,{stream.step}))"
    if crop is None:
        width, height = _reduced_size(stream)
        graph = f"select='{chosen}',scale={width}:{height}:flags=area"
    else:
        x, y, width, height = crop
        # In RGB first: a crop of the video's own 4:2:0 planes would round x and y to even.
        graph = f"select='{chosen}',format=rgb24,crop={width}:{height}:{x}:{y}"
    command = [ffmpeg, "-v", "error", "-nostdin", "-i", str(path.absolute()), "-an", "-vf", graph]
    command += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    size = width * height * 3
    # Our arguments, no shell; the path is absolute, so never read as an option.
    with subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as decoder:
        if decoder.stdout is None:  # pragma: no cover - a pipe was asked for
            return
        numbers = _sampled(step, stream.step)
        while len(chunk := decoder.stdout.read(size)) == size:
            yield (
                next(numbers),
                media.luma_of_rgb(np.frombuffer(chunk, np.uint8).reshape(height, width, 3)),
            )


def _enlarged_size(shape: tuple[int, int]) -> tuple[int, int]:
    """(rows, columns) of a frame of ``shape`` with its shorter side brought up to
    :data:`VIDEO_FRAME_SIDE`, the aspect ratio kept.

    PDQ blurs a picture by a box of ``ceil(side / 128)`` pixels before it samples 64
    points: a frame shrunk to 100-300 pixels is barely blurred, so its fine detail (a
    page of text) aliases into bits that the banked full-size frame, blurred over the
    same share of the picture, does not have. Enlarged, it is blurred as the bank's is."""
    factor = VIDEO_FRAME_SIDE / min(shape)
    return max(1, round(shape[0] * factor)), max(1, round(shape[1] * factor))


def _is_flat(luma: Luma) -> bool:
    """A frame with no detail (a fade) says nothing about bars."""
    return float(luma.std()) < FLAT_FRAME


def _rung_depth(lines: Luma, depth: int) -> int:
    """``depth`` (where :func:`normalise.trim_box` stopped a bar of ``lines``, outermost
    first) carried on through the lines that ringing took off the bar's colour."""
    if depth == 0:  # no bar on this side
        return 0
    colour = float(np.median(lines[0]))
    ahead = lines[depth : depth + RINGING_LINES]
    off = np.abs(ahead - colour) > normalise.BORDER_TOLERANCE
    rung = (off.mean(axis=1) <= RINGING_OUTLIERS) & (
        np.abs(np.median(ahead, axis=1) - colour) <= normalise.BORDER_TOLERANCE
    )
    return depth + (int(np.argmin(rung)) if not rung.all() else len(rung))


def frame_bars(luma: Luma) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of a video frame's picture inside its bars, read by
    :func:`normalise.trim_box` and carried through the bar's lines that re-encoding rang
    (:data:`RINGING_LINES`), or None."""
    box = normalise.trim_box(luma)
    if box is None:
        return None
    top, bottom, left, right = box
    rows, cols = luma.shape
    return (
        _rung_depth(luma, top),
        rows - _rung_depth(luma[::-1], rows - bottom),
        _rung_depth(luma.T, left),
        cols - _rung_depth(luma.T[::-1], cols - right),
    )


def _common_bars(
    boxes: list[tuple[int, int, int, int] | None], shape: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    found = [b for b in boxes if b is not None]
    if not found or len(found) < BARS_SHARE * len(boxes):
        return None
    # Each side as the frames read it, towards its narrow end (BARS_NARROW_SHARE): the
    # bars are the same on every frame, and a scene only ever adds to them (an edge of
    # the bar's colour: one dark shot of several reads wider bars on all its frames),
    # while ringing (:func:`frame_bars`) takes from them on a few frames.
    narrow = int(BARS_NARROW_SHARE * (len(found) - 1))
    box = (
        sorted(b[0] for b in found)[narrow],
        sorted((b[1] for b in found), reverse=True)[narrow],
        sorted(b[2] for b in found)[narrow],
        sorted((b[3] for b in found), reverse=True)[narrow],
    )
    return None if box == (0, shape[0], 0, shape[1]) else box


def clip_bars(frames: list[Luma]) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the picture inside bars that the clip's frames all
    have (letterbox, pillarbox, a frame of any colour), or None.

    Each frame's bars are read by :func:`frame_bars`; the clip's are on each side what
    most frames read (:func:`_common_bars`). Flat frames (a fade) are not asked.
    """
    if not frames:
        return None
    shape = (frames[0].shape[0], frames[0].shape[1])
    return _common_bars([frame_bars(f) for f in frames if not _is_flat(f)], shape)


def _native_inners(
    ffmpeg: str, path: Path, stream: _Stream, step: int, bars: tuple[int, int, int, int]
) -> Iterator[tuple[int, Luma]] | None:
    """(frame number, luma) of the picture inside ``bars`` (read on the reduced frames),
    in the video's own pixels, when it is no larger than :data:`VIDEO_FRAME_SIDE` on its
    shorter side and the frames were reduced; None otherwise.

    Bars are mostly added around a picture without resizing it: inside them is the
    banked frame pixel for pixel, which PDQ hashes as the bank did, where a picture
    shrunk with its bars by a few per cent is another grid of pixels, and fine print
    another hash (:data:`CENTRED_SIDE`). The bars are read again in those pixels: the
    reduced frames place them within a pixel or two of the video's own."""
    factor = _reduction(stream)
    top, bottom, left, right = bars
    if factor >= 1.0 or min(bottom - top, right - left) / factor > VIDEO_FRAME_SIDE:
        return None
    margin = int(np.ceil(2 / factor)) + 1
    x0 = max(0, int(np.floor(left / factor)) - margin) if left else 0
    y0 = max(0, int(np.floor(top / factor)) - margin) if top else 0
    reduced = _reduced_size(stream)
    x1 = (
        stream.width
        if right >= reduced[0]
        else min(stream.width, int(np.ceil(right / factor)) + margin)
    )
    y1 = (
        stream.height
        if bottom >= reduced[1]
        else min(stream.height, int(np.ceil(bottom / factor)) + margin)
    )
    crop = (x0, y0, x1 - x0, y1 - y0)
    boxes: list[tuple[int, int, int, int] | None] = []
    kept: list[tuple[int, NDArray[np.uint8]]] | None = []
    size = (crop[3], crop[2])
    for number, luma in _frames(ffmpeg, path, stream, step, crop):
        if not _is_flat(luma):
            boxes.append(frame_bars(luma))
        if kept is not None and (len(kept) + 1) * luma.size <= KEPT_FRAMES_BYTES:
            kept.append((number, np.rint(luma).astype(np.uint8)))
        else:
            kept = None
    inner = _common_bars(boxes, size) or (0, size[0], 0, size[1])

    def cut() -> Iterator[tuple[int, Luma]]:
        rows, cols = slice(inner[0], inner[1]), slice(inner[2], inner[3])
        frames = kept or (
            (n, np.rint(luma).astype(np.uint8))
            for n, luma in _frames(ffmpeg, path, stream, step, crop)
        )
        for number, gray in frames:
            yield number, gray[rows, cols].astype(np.float32)

    return cut()


def _add_frame(
    made: dict[str, list[VideoFrame]],
    name: str,
    luma: Luma,
    number: int,
    seconds: float,
    size: tuple[int, int] | None = None,
) -> None:
    """The frame and its mirror image under ``name`` and its ``flip_horizontal`` form;
    with ``size`` (rows, columns), as if resized to it (:func:`pdq.resized_blocks`)."""
    # The mirrored buffer from the same filtered rows (pdq.Filtered).
    blocks = pdq.Filtered(luma).part() if size is None else pdq.resized_blocks(luma, size)
    upright = pdq.pdq_from_block(blocks["original"])
    mirrored = pdq.pdq_from_block(blocks["flip_horizontal"], upright.quality)
    mirror = "flip_horizontal" if name == "resampled" else f"{name}_flip_horizontal"
    made.setdefault(name, []).append(VideoFrame(upright, number, seconds))
    made.setdefault(mirror, []).append(VideoFrame(mirrored, number, seconds))


def window_of(form: str) -> float | None:
    """How a query form's share is counted (:meth:`VpdqHash.units`): the original by its
    frames, as vPDQ does; the further forms, sampled more often, by the second."""
    return None if form == "original" else FORM_WINDOW


def query_videos(path: Path | str, *, seconds_per_hash: float = 1.0) -> dict[str, VpdqHash]:
    """The vPDQ hashes a query video is searched by, ``original`` first.

    - ``original``: :func:`hash_video`, Meta's vPDQ exactly, matched by its frames;
    - ``resampled``: :data:`QUERY_FRAMES_PER_SECOND` frames a second, matched by the
      second (:func:`window_of`): a trimmed copy's frames fall between the banked video's
      (a frame a second), and in a moving scene half a second apart is another picture;
      a second is found when one of its frames is near a banked frame;
    - ``flip_horizontal``: the mirrored video, sampled so too;
    - ``unletterbox`` and ``unletterbox_flip_horizontal``: without the bars every frame
      has (:func:`clip_bars`), which meet the banked video as it was before the bars;
    - ``enlarged`` and ``unletterbox_enlarged`` (and their mirror images): those frames,
      when smaller than :data:`VIDEO_FRAME_SIDE`, as if enlarged to it
      (:func:`_enlarged_size`): a shrunk copy's frames, which PDQ hardly blurs, are
      blurred as the bank's are;
    - ``centred`` and ``unletterbox_centred`` (and their mirror images): those frames as
      if resized to :data:`CENTRED_SIDE` a side. PDQ's box filter, ``ceil(side / 128)``
      pixels applied twice, is centred when that width is odd and a pixel off centre
      when it is even (512 pixels: 4), and its 64 samples fall on whole pixels. A frame
      of fine print (a page of text), which those samples alias, moves by 20-40 bits for
      a pixel: a banked frame's hash is locked to its own pixel grid, which a copy of
      another size cannot be put back on (the bank's size is not known). Hashed both
      ways, a pixel off centre (``enlarged``, or a frame of 385-512 pixels as it is) and
      centred (``centred``), the copy meets the banked frame's geometry in one of them.

    The further forms are decoded by FFmpeg's command line, once (twice for a long clip
    with bars); without it, only ``original`` is made. A stored video matches a query
    when one form matches it: the forms are whole videos, not a choice per frame.
    """
    path = Path(path)
    forms = {"original": hash_video(path, seconds_per_hash=seconds_per_hash)}
    tools = _tools()
    if tools is None:
        return forms
    ffmpeg, ffprobe = tools
    stream = _probe(ffprobe, path, seconds_per_hash)
    step = max(1, round(stream.fps / QUERY_FRAMES_PER_SECOND))
    made: dict[str, list[VideoFrame]] = {}
    boxes: list[tuple[int, int, int, int] | None] = []
    kept: list[tuple[int, NDArray[np.uint8]]] | None = []
    shape: tuple[int, int] = (0, 0)
    centred = (CENTRED_SIDE, CENTRED_SIDE)
    for number, luma in _frames(ffmpeg, path, stream, step):
        gray = np.rint(luma).astype(np.uint8)  # what is kept for the second look
        shape = (luma.shape[0], luma.shape[1])
        seconds = number / stream.fps
        _add_frame(made, "resampled", luma, number, seconds)
        _add_frame(made, "centred", luma, number, seconds, centred)
        if min(shape) < VIDEO_FRAME_SIDE:
            _add_frame(made, "enlarged", luma, number, seconds, _enlarged_size(shape))
        if not _is_flat(luma):
            boxes.append(frame_bars(luma))
        if kept is not None and (len(kept) + 1) * gray.nbytes <= KEPT_FRAMES_BYTES:
            kept.append((number, gray))
        else:
            kept = None
    bars = _common_bars(boxes, shape)
    if bars is not None:
        inners = _native_inners(ffmpeg, path, stream, step, bars)
        if inners is None:  # the picture inside is large: inside the frames as reduced
            top, bottom, left, right = bars
            again = kept or (
                (number, np.rint(luma).astype(np.uint8))
                for number, luma in _frames(ffmpeg, path, stream, step)
            )
            inners = (
                (number, gray[top:bottom, left:right].astype(np.float32)) for number, gray in again
            )
        for number, inner in inners:
            seconds = number / stream.fps
            _add_frame(made, "unletterbox", inner, number, seconds)
            _add_frame(made, "unletterbox_centred", inner, number, seconds, centred)
            inner_shape = (inner.shape[0], inner.shape[1])
            if min(inner_shape) < VIDEO_FRAME_SIDE:
                enlarged = _enlarged_size(inner_shape)
                _add_frame(made, "unletterbox_enlarged", inner, number, seconds, enlarged)
    forms |= {name: VpdqHash(tuple(frames)) for name, frames in made.items() if frames}
    return forms


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
    window: float | None = None,
) -> VideoMatch:
    """Percent of the query's units (:meth:`VpdqHash.units`: its distinct usable frames,
    or with ``window`` its spans of that many seconds) with a close frame in the target,
    and percent of the target's distinct usable frames with a close frame in the query."""
    units, theirs = query.units(min_quality, window), target.usable(min_quality)
    if not units or not theirs:
        return VideoMatch(0.0, 0.0)
    mine = sorted(set().union(*units))
    a = np.frombuffer(b"".join(mine), np.uint64).reshape(len(mine), 1, 4)
    b = np.frombuffer(b"".join(sorted(theirs)), np.uint64).reshape(1, len(theirs), 4)
    # Pairs' distances by XOR and popcount of 64-bit words, in blocks of about 4 MB.
    rows = max(1, (1 << 22) // (32 * len(theirs)))
    mine_near = np.zeros(len(mine), bool)
    theirs_near = np.zeros(len(theirs), bool)
    for start in range(0, len(mine), rows):
        bits = np.bitwise_count(a[start : start + rows] ^ b).sum(axis=2, dtype=np.int32)
        near = bits <= distance
        mine_near[start : start + rows] = near.any(axis=1)
        theirs_near |= near.any(axis=0)
    found = {d for d, hit in zip(mine, mine_near, strict=True) if hit}
    hits = sum(1 for unit in units if not unit.isdisjoint(found))
    return VideoMatch(100.0 * hits / len(units), 100.0 * int(theirs_near.sum()) / len(theirs))


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
