"""Undoing two ordinary edits on a query picture before it is hashed: a frame added
around it, and a small tilt.

PDQ sees a picture through its 64×64 low frequencies, so a frame of any width (a white
mount, letterbox bars padding a photo to 16:9) or the filled corners of a tilt move most
of its bits. Neither can be banked for every width, colour and angle, so a query undoes
them where it can see them: :func:`trim_box` finds a uniform frame of any colour and
width on each side, :func:`untilt` finds the filled corners of a rotation (any fill
colour, the canvas kept or grown) and repaints them black on the unrotated canvas, the
form the bank keeps for each angle (:data:`alliance.hashing.variants.TILTS`).

Both are pure functions of a luma array (0..255, float32) and cost a few milliseconds at
most: a picture whose four corners differ is no tilted one and costs one comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Luma = NDArray[np.float32]

#: A line (row or column) belongs to a frame when at most this share of its pixels differs
#: from the frame's colour by more than the tolerance: JPEG ringing, a stray pixel.
FRAME_OUTLIERS = 0.02
#: The smallest tolerance (0..255 luma) around a frame's colour; a noisy frame (the whole
#: picture noised after framing) widens it to :data:`FRAME_NOISE_SIGMAS` of its own noise.
BORDER_TOLERANCE = 14.0
FRAME_NOISE_SIGMAS = 3.5
#: An outermost line noisier than this (standard deviation) is picture, not frame.
FRAME_MAX_NOISE = 24.0
#: A frame's lines keep its colour: a line whose median drifts further than this from the
#: outermost line's is picture (a smooth sky, a studio backdrop), not frame.
FRAME_COLOUR_DRIFT = 3.0
#: Trimming that would keep less than this share of either side is not trusted: padding a
#: portrait picture to 21:9 keeps a third of the width, nothing ordinary keeps less.
MIN_KEPT_SHARE = 0.2
#: Nor one that keeps fewer pixels than this on a side.
MIN_KEPT_PIXELS = 32


def _frame_depth(lines: Luma) -> int:
    """How many of ``lines`` (outermost first) belong to a uniform frame of any colour.

    The frame's colour and noise are read from the outermost line; the frame ends at the
    first line with more than :data:`FRAME_OUTLIERS` of its pixels outside the tolerance.
    """
    outer = lines[0]
    colour = float(np.median(outer))
    # Noise from neighbouring pixels' differences: a gradient or an edge along the line
    # is picture and must not widen the tolerance; noise (a noised copy) must.
    spread = float(np.median(np.abs(np.diff(outer)))) / (0.6745 * math.sqrt(2))
    if spread > FRAME_MAX_NOISE:
        return 0
    tolerance = max(BORDER_TOLERANCE, FRAME_NOISE_SIGMAS * spread)
    # Lines are read in growing chunks: most pictures have no frame, and then the first
    # few lines answer.
    depth, start, chunk = len(lines), 0, 8
    while start < len(lines):
        part = lines[start : start + chunk]
        off = (np.abs(part - colour) > tolerance).mean(axis=1) > FRAME_OUTLIERS
        if off.any():
            depth = start + int(np.argmax(off))
            break
        start, chunk = start + chunk, chunk * 2
    if depth == 0:  # most pictures: no frame
        return 0
    # Of the lines that pass, the first whose colour has drifted (medians cost: only
    # those lines are read again).
    drift = np.abs(np.median(lines[:depth], axis=1) - colour) > FRAME_COLOUR_DRIFT + spread / 4
    return int(np.argmax(drift)) if drift.any() else depth


def trim_box(luma: Luma) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) rows and columns of the picture inside a uniform frame
    of any colour and width on each side (letterbox and pillarbox bars included), or
    None if there is no frame or trimming would keep too little.

    Each side is read on its own, its colour and width from its outermost line, in one
    pass: a second pass would take the picture's own flat edge (a wall, a sky) for more
    frame, and where it stops would then depend on the frame that was added.
    """
    rows, cols = luma.shape
    if min(rows, cols) <= MIN_KEPT_PIXELS:  # nothing could be kept: no frame to read
        return None
    top, bottom = _frame_depth(luma), rows - _frame_depth(luma[::-1])
    left, right = _frame_depth(luma.T), cols - _frame_depth(luma.T[::-1])
    if (top, bottom, left, right) == (0, rows, 0, cols):
        return None
    kept_rows, kept_cols = bottom - top, right - left
    if min(kept_rows, kept_cols) < MIN_KEPT_PIXELS:
        return None
    if kept_rows < rows * MIN_KEPT_SHARE or kept_cols < cols * MIN_KEPT_SHARE:
        return None
    return top, bottom, left, right


#: A line is flat, for :func:`loose_trim_box`, when this share of its pixels are within the
#: tolerance of its own median: a frame's line with caption text or a band laid over it.
LOOSE_FLAT_SHARE = 0.45
#: ... and a line is frame again when at most this share of its pixels are off its median
#: (a side's frame crossed by the caption or the band laid over the top or the bottom).
LOOSE_FRAME_OUTLIERS = 0.15
#: Caption text laid over a frame or a band reaches at most this share of the picture's
#: side in from its edge (as :data:`alliance.hashing.variants.STRIPS` assume).
LOOSE_CAPTION_DEPTH = 0.15


def _loose_depth(lines: Luma, start: int, limit: int) -> int:
    """How deep the frame of ``lines`` (outermost first) goes when something was laid over
    it: from ``start`` (where :func:`trim_box` stopped) on through lines that are mostly
    flat (:data:`LOOSE_FLAT_SHARE`: text over the frame) up to the last line that is all
    flat again (the frame beyond the text); a picture's own flat edge rarely is."""
    depth, chunk, last = start, 8, start
    while depth < limit:
        part = lines[depth : min(limit, depth + chunk), ::2]
        off = np.abs(part - np.median(part, axis=1)[:, None]) > BORDER_TOLERANCE
        share = off.mean(axis=1)
        whole = np.flatnonzero(share <= LOOSE_FRAME_OUTLIERS)
        stop = share > 1 - LOOSE_FLAT_SHARE
        end = int(np.argmax(stop)) if stop.any() else len(part)
        whole = whole[whole < end]
        if len(whole):
            last = depth + int(whole[-1]) + 1
        if stop.any():
            break
        depth, chunk = depth + len(part), chunk * 2
    if start == 0 or depth >= limit:
        return last
    # A line of big or dense caption text is mostly ink: the frame or the band goes on
    # beyond it when a line of the trimmed frame's colour follows within a caption's depth.
    colour = float(np.median(lines[start - 1, ::2]))
    reach = min(limit, start + round(len(lines) * LOOSE_CAPTION_DEPTH))
    ahead = lines[last:reach, ::2]
    again = np.flatnonzero(
        (np.abs(ahead - colour) > BORDER_TOLERANCE).mean(axis=1) <= LOOSE_FRAME_OUTLIERS
    )
    return last + int(again[-1]) + 1 if len(again) else last


def loose_trim_box(
    luma: Luma, box: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the picture inside its frame when caption text or a
    band was laid over the frame afterwards (which stops :func:`trim_box` at the text):
    each side trimmed on through flat lines, text or not. None when that keeps what
    ``box`` (:func:`trim_box`'s) keeps, or too little; a side whose outermost line is not
    flat is left alone."""
    rows, cols = luma.shape
    if min(rows, cols) <= MIN_KEPT_PIXELS:
        return None
    top, bottom, left, right = box if box is not None else (0, rows, 0, cols)
    most_rows, most_cols = round(rows * (1 - MIN_KEPT_SHARE)), round(cols * (1 - MIN_KEPT_SHARE))
    loose = (
        _loose_depth(luma, top, most_rows),
        rows - _loose_depth(luma[::-1], rows - bottom, most_rows),
        _loose_depth(luma.T, left, most_cols),
        cols - _loose_depth(luma.T[::-1], cols - right, most_cols),
    )
    if loose == (top, bottom, left, right):
        return None
    kept_rows, kept_cols = loose[1] - loose[0], loose[3] - loose[2]
    if min(kept_rows, kept_cols) < MIN_KEPT_PIXELS:
        return None
    if kept_rows < rows * MIN_KEPT_SHARE or kept_cols < cols * MIN_KEPT_SHARE:
        return None
    return loose


# --- tilts -------------------------------------------------------------------------------

#: Tilts looked for, in degrees either way: ordinary straightening goes to about 7.
MAX_TILT = 7.5
#: Below this a tilt changes PDQ less than recompression does; not worth a form.
MIN_TILT = 0.4
#: The corners are looked at on a copy this many pixels on its longer side, or finer:
#: fine enough that the bare corners reach this many of its pixels into the canvas.
TILT_PROBE_SIDE = 192
TILT_PROBE_DEPTH = 8
#: Legs up to this much steeper (degrees) than :data:`MAX_TILT` may still be a tilt whose
#: fill has the colour of the picture's edge nearby; steeper ones are a picture's own
#: corners (a dark background), and cost no search.
LEGS_SLACK = 2.5
#: Nor finer than this many pixels on its longer side.
TILT_PROBE_MAX_SIDE = 512
#: The angle is searched this far (degrees) either way of the legs' angle, half a degree
#: apart, then to a tenth and a fortieth of a degree around the best.
SEARCH = 3.0
#: The angle is then refined on a copy this many pixels on its longer side (or the picture,
#: if smaller), this far either way (degrees) in as many steps each way.
TILT_REFINE_SIDE = 768
REFINE_SPAN = 0.3
REFINE_STEPS = 12
NUDGES = (0.0, *(sign * k * 0.5 for k in range(1, 7) for sign in (-1.0, 1.0)))
#: A pixel is fill when it is this close (0..255 luma) to the corners' colour.
FILL_TOLERANCE = 14.0
#: Of the pixels a tilt would leave uncovered, at least this share must be fill, and the
#: band just inside the tilted picture's edge must hold at least ``TILT_EDGE_CONTENT``
#: less fill than the band just outside (a picture on a plain background has
#: fill-coloured corners too, but no edge there).
TILT_FILL_SHARE = 0.85
TILT_EDGE_CONTENT = 0.15


@dataclass(frozen=True, slots=True)
class Tilt:
    """A tilt seen in a picture: ``degrees`` counter-clockwise, and whether the canvas
    grew to hold the whole rotated picture (``expanded``) or kept its size."""

    degrees: float
    expanded: bool
    fill: float


def _inner_size(rows: float, cols: float, degrees: float, expanded: bool) -> tuple[float, float]:
    """The picture's own (rows, cols) on a canvas of ``rows × cols`` after the tilt."""
    if not expanded:
        return rows, cols
    angle = math.radians(abs(degrees))
    c, s = math.cos(angle), math.sin(angle)
    det = c * c - s * s  # the canvas is (c·h + s·w, s·h + c·w)
    return (c * rows - s * cols) / det, (c * cols - s * rows) / det


def _outside_by(grid: tuple[Luma, Luma], degrees: float, inner: tuple[float, float]) -> Luma:
    """How far (pixels) each canvas pixel lies outside the picture of size ``inner``
    tilted by ``degrees`` about the centre; negative inside."""
    y, x = grid
    angle = math.radians(degrees)
    c, s = math.cos(angle), math.sin(angle)
    return np.maximum(np.abs(x * c - y * s) - inner[1] / 2, np.abs(x * s + y * c) - inner[0] / 2)


def _centred_grid(rows: int, cols: int) -> tuple[Luma, Luma]:
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    return y - (rows - 1) / 2, x - (cols - 1) / 2


def _score(
    grid: tuple[Luma, Luma],
    fill: NDArray[np.bool_],
    shape: tuple[int, int],
    degrees: float,
    expanded: bool,
) -> float | None:
    """How sharply a tilt's edge separates fill from picture: the share of fill in a band
    just outside the edge it predicts, less the share just inside; None when the pixels
    it leaves bare are not fill. A picture whose own edge has the fill's colour fits a
    larger tilt's bare corners too, but not its edge. ``grid`` and ``fill`` are the
    probe's pixels near the canvas's edge, ``shape`` the probe's size."""
    inner = _inner_size(shape[0], shape[1], degrees, expanded)
    away = _outside_by(grid, degrees, inner)
    # A pixel of the small copy on the picture's edge mixes both: left out of the count.
    bare = away > 1.0
    count = int(bare.sum())
    if count < 4 or (bare & fill).sum() < TILT_FILL_SHARE * count:
        return None
    outside = bare & (away <= 3.0)
    inside = (away <= -1.0) & (away > -3.0)
    if not outside.any() or not inside.any():
        return None
    contrast = float((outside & fill).sum() / outside.sum() - (inside & fill).sum() / inside.sum())
    return contrast if contrast >= TILT_EDGE_CONTENT else None


def _run(line: Luma, colour: float) -> int:
    """Leading pixels of ``line`` within the fill tolerance of ``colour``."""
    off = np.abs(line - colour) > FILL_TOLERANCE
    return int(np.argmax(off)) if off.any() else len(line)


def _legs_angle(luma: Luma, colour: float) -> tuple[float, int] | None:
    """The tilt its corners' bare triangles give, in degrees (no sign), and their longest
    short leg (how deep the bare corners reach into the canvas), or None.

    Each triangle has legs along two edges of the canvas, and the tilted picture's edge
    is its third side: the tangent of the tilt is the short leg over the long one, on a
    kept or a grown canvas alike. The median of the corners that have two legs.
    """
    third = np.float32(1 / 3)  # the outermost 3 lines, averaged: JPEG noise at the edge
    top, bottom = luma[:3].sum(axis=0) * third, luma[-3:].sum(axis=0) * third
    left, right = luma[:, :3].sum(axis=1) * third, luma[:, -3:].sum(axis=1) * third
    legs = (
        (_run(top, colour), _run(left, colour)),
        (_run(top[::-1], colour), _run(right, colour)),
        (_run(bottom, colour), _run(left[::-1], colour)),
        (_run(bottom[::-1], colour), _run(right[::-1], colour)),
    )
    two = [(a, b) for a, b in legs if min(a, b) >= 2]
    if len(two) < 2:
        return None
    angles = [math.degrees(math.atan(min(a, b) / max(a, b))) for a, b in two]
    return float(np.median(angles)), max(min(a, b) for a, b in two)


def _corner_colours(luma: Luma) -> list[float]:
    """The mean luma of each corner's 2×2 pixels: top-left, top-right, bottom-left,
    bottom-right."""
    return [float(luma[:2, :2].mean()), float(luma[:2, -2:].mean()),
            float(luma[-2:, :2].mean()), float(luma[-2:, -2:].mean())]  # fmt: skip


def _border(rows: int, cols: int, width: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column indices of the pixels within ``width`` of a canvas's edge."""
    y, x = np.mgrid[0:rows, 0:cols]
    near = (np.minimum(y, rows - 1 - y) < width) | (np.minimum(x, cols - 1 - x) < width)
    return y[near], x[near]


def find_tilt(luma: Luma) -> Tilt | None:
    """The tilt whose filled corners the picture shows, if any.

    The four corners must share one colour (any colour: editors fill with black, white
    or a chosen one), and their bare triangles give the angle (:func:`_legs_angle`). Its
    sign, whether the canvas grew and the angle to a tenth of a degree are the hypothesis
    whose edge best separates fill from picture, on a copy fine enough that the bare
    corners are :data:`TILT_PROBE_DEPTH` pixels deep, read only near the canvas's edge
    (where the corners are): a degree's tilt of a small picture leaves corners of a few
    pixels, which a coarse copy would lose. The legs' angle is only a start (a picture's
    own edge near the fill's colour lengthens a leg); the search goes a degree and a half
    either way. A picture without such corners costs a comparison of four pixels and a
    read of its edges.
    """
    rows, cols = luma.shape
    if min(rows, cols) < 32:
        return None
    corners = np.array(_corner_colours(luma))
    colour = float(np.median(corners))
    if np.abs(corners - colour).max() > FILL_TOLERANCE:
        return None
    legs = _legs_angle(luma, colour)
    if legs is None or not MIN_TILT <= legs[0] <= MAX_TILT + LEGS_SLACK:
        return None
    # Legs a little too steep for a tilt are a picture's own edge near the fill's colour
    # lengthening the short leg: the search then starts from the steepest tilt.
    angle, depth = min(legs[0], MAX_TILT), legs[1]
    longer = max(rows, cols)
    coarse = max(1, math.ceil(longer / TILT_PROBE_SIDE))
    step = max(math.ceil(longer / TILT_PROBE_MAX_SIDE), min(coarse, depth // TILT_PROBE_DEPTH))
    small = luma[: rows // step * step, : cols // step * step]
    small = small.reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    shape = (int(small.shape[0]), int(small.shape[1]))
    # The bare corners and a band of picture inside their edge, at the largest angle tried.
    reach = math.ceil(depth / step * 1.5 + (max(shape) / 2 + 4) * math.tan(math.radians(SEARCH)))
    ys, xs = _border(*shape, reach + 4)
    fill = np.abs(small[ys, xs] - colour) <= FILL_TOLERANCE
    grid = (ys.astype(np.float32) - (shape[0] - 1) / 2, xs.astype(np.float32) - (shape[1] - 1) / 2)

    def score(degrees: float, expanded: bool) -> float | None:
        return _score(grid, fill, shape, degrees, expanded)

    best: tuple[float, float, bool] | None = None
    for expanded in (False, True):
        for sign in (1.0, -1.0):
            for nudge in NUDGES:
                degrees = sign * min(max(angle + nudge, MIN_TILT), MAX_TILT)
                found = score(degrees, expanded)
                # Ties go to the angle the legs gave (tried first).
                if found is not None and (best is None or found > best[0] + 1e-9):
                    best = (found, degrees, expanded)
    if best is None:
        return None
    _, centre, expanded = best
    for k in (-2, -1, 1, 2):
        degrees = math.copysign(min(max(abs(centre) + k * 0.2, MIN_TILT), MAX_TILT), centre)
        found = score(degrees, expanded)
        if found is not None and found > best[0] + 1e-9:
            best = (found, degrees, expanded)
    return Tilt(round(_refine(luma, colour, best[1], best[2], depth), 2), best[2], colour)


def _refine(luma: Luma, colour: float, degrees: float, expanded: bool, depth: int) -> float:
    """The angle near ``degrees`` whose edge best separates fill from picture on the
    picture itself (a coarse copy places the edge to a pixel of its own: a few tenths of
    a degree), read only near the edge that ``degrees`` predicts."""
    rows, cols = luma.shape
    step = max(1, math.ceil(max(rows, cols) / TILT_REFINE_SIDE))
    small = luma[: rows // step * step, : cols // step * step]
    if step > 1:
        small = small.reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    shape = (int(small.shape[0]), int(small.shape[1]))
    slack = (max(shape) / 2 + 4) * math.tan(math.radians(REFINE_SPAN)) + 4
    ys, xs = _border(*shape, math.ceil(depth / step * 1.3 + slack))
    grid = (ys.astype(np.float32) - (shape[0] - 1) / 2, xs.astype(np.float32) - (shape[1] - 1) / 2)
    inner = _inner_size(shape[0], shape[1], degrees, expanded)
    near = np.abs(_outside_by(grid, degrees, inner)) <= slack
    grid = (grid[0][near], grid[1][near])
    fill = np.abs(small[ys[near], xs[near]] - colour) <= FILL_TOLERANCE
    best, found = degrees, -1.0
    for k in range(-REFINE_STEPS, REFINE_STEPS + 1):
        trial = degrees + k * REFINE_SPAN / REFINE_STEPS
        away = _outside_by(grid, trial, _inner_size(shape[0], shape[1], trial, expanded))
        outside = (away > 1.0) & (away <= 3.0)
        inside = (away <= -1.0) & (away > -3.0)
        if not outside.any() or not inside.any():
            continue
        contrast = float(fill[outside].mean() - fill[inside].mean())
        if contrast > found + 1e-9:
            best, found = trial, contrast
    return best


def untilt(luma: Luma, tilt: Tilt | None = None) -> Luma | None:
    """The tilted picture on its own canvas with the uncovered corners black, as the
    bank tilts a picture; None when no tilt is seen (``tilt``: one already found)."""
    tilt = tilt if tilt is not None else find_tilt(luma)
    if tilt is None:
        return None
    rows, cols = luma.shape
    inner_rows, inner_cols = _inner_size(rows, cols, tilt.degrees, tilt.expanded)
    # A pixel on the tilted picture's edge mixes fill and picture by how much of it lies
    # outside: that share of the fill's colour is taken off (left as a mix of black and
    # picture, as the bank's tilts have it), and what lies wholly outside is black.
    # Painting the edge over instead costs a flat picture tens of bits.
    away = _outside_by(_centred_grid(rows, cols), tilt.degrees, (inner_rows, inner_cols))
    share = np.clip(away + 0.5, 0.0, 1.0)
    out = np.where(away > 1.5, np.float32(0.0), np.maximum(luma - share * tilt.fill, 0.0))
    if tilt.expanded:
        top, left = round((rows - inner_rows) / 2), round((cols - inner_cols) / 2)
        out = out[max(0, top) : top + round(inner_rows), max(0, left) : left + round(inner_cols)]
    return np.ascontiguousarray(out, dtype=np.float32)


def derotate(luma: Luma, tilt: Tilt) -> tuple[Luma, Luma]:
    """The tilted picture turned back upright: (on the picture's own canvas, painted
    where the tilt's canvas cut it off (:func:`fill_unseen`); the largest centred
    rectangle of its shape that was all seen). A tilt that kept the canvas cut off the
    picture's corners, so the rectangle is an even crop of a few percent a side (the
    bank's centre crops) and the painted canvas is close to the whole picture; on a grown
    canvas both are the whole picture. What was also done to the picture before the tilt
    (a crop, a frame, a caption) is then as upright as in the bank's crops, originals and
    strips."""
    rows, cols = luma.shape
    back = turn(luma, -tilt.degrees)
    if tilt.expanded:
        inner_rows, inner_cols = _inner_size(rows, cols, tilt.degrees, tilt.expanded)
        top, left = round((rows - inner_rows) / 2), round((cols - inner_cols) / 2)
        back = back[max(0, top) : top + round(inner_rows), max(0, left) : left + round(inner_cols)]
        # The fill's anti-aliased edge: a pixel off each side.
        seen = back[1:-1, 1:-1]
        return np.ascontiguousarray(back), np.ascontiguousarray(seen)
    seen = inscribed(back, tilt.degrees)
    # The picture's corners that the canvas cut off, painted (fill_unseen) rather than
    # left black: the whole picture then meets the bank's original and its crops.
    return fill_unseen(back, _covered(luma.shape, -tilt.degrees)), np.ascontiguousarray(seen)


def turn(luma: Luma, degrees: float, *, expand: bool = False) -> Luma:
    """``luma`` turned by ``degrees`` counter-clockwise about its centre, bicubic, black
    where the canvas does not reach (grown to hold it all with ``expand``)."""
    image = Image.fromarray(np.ascontiguousarray(luma, dtype=np.float32), mode="F")
    return np.asarray(image.rotate(degrees, Image.Resampling.BICUBIC, expand=expand), np.float32)


def _covered(shape: tuple[int, ...], degrees: float, *, expand: bool = False) -> NDArray[np.bool_]:
    """Which pixels of :func:`turn`'s result the turned canvas of ``shape`` covers wholly."""
    canvas = Image.new("F", (shape[1], shape[0]), 1.0)
    return np.asarray(canvas.rotate(degrees, Image.Resampling.BILINEAR, expand=expand)) >= 0.99


def inscribed(luma: Luma, degrees: float) -> Luma:
    """The largest centred rectangle of ``luma``'s shape inside a copy of it tilted by
    ``degrees`` about its centre: what a tilt that kept the canvas leaves of the picture
    without its corners, and what an editor's "straighten" keeps of the tilted picture."""
    rows, cols = luma.shape
    angle = math.radians(abs(degrees))
    c, s = math.cos(angle), math.sin(angle)
    half_h, half_w = rows / 2, cols / 2
    share = min(half_w / (half_w * c + half_h * s), half_h / (half_w * s + half_h * c))
    # A pixel less a side: the canvas's anti-aliased edge.
    cut_rows = math.ceil(rows * (1 - share) / 2) + 1
    cut_cols = math.ceil(cols * (1 - share) / 2) + 1
    return luma[cut_rows : rows - cut_rows, cut_cols : cols - cut_cols]


# --- tilts cropped afterwards ------------------------------------------------------------

#: A tilt cropped afterwards is read from at least this many corners that still show fill,
#: whose angles agree within this many degrees...
CROPPED_MIN_CORNERS = 2
CROPPED_AGREEMENT = 0.8
#: ... each a bare triangle whose short leg is at least this many pixels, and whose edge is
#: a straight line: the fill's depth off a fitted line by at most this much (pixels, RMS).
CROPPED_MIN_LEG = 3
CROPPED_MAX_RESIDUAL = 1.5
#: ... along at least this share of the long leg (the rest: picture of the fill's colour).
CROPPED_KEPT_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class CroppedTilt:
    """A tilt seen in a picture that was cropped after it: ``degrees`` counter-clockwise,
    the fill's colour, and each bare corner's triangle as (corner, long leg, short leg,
    whether the long leg runs along the rows), corners numbered top-left, top-right,
    bottom-left, bottom-right."""

    degrees: float
    fill: float
    corners: tuple[tuple[int, float, float, bool], ...]


def _oriented(luma: Luma, corner: int) -> Luma:
    """``luma`` flipped so that ``corner`` is its top-left one."""
    return luma[:: -1 if corner >= 2 else 1, :: -1 if corner % 2 else 1]


def _corner_edge(luma: Luma, corner: int, colour: float) -> tuple[float, float, float, bool] | None:
    """The bare triangle at ``corner``: (degrees counter-clockwise of the edge that bounds
    it, long leg, short leg, whether the long leg runs along the rows), or None when the
    corner holds no triangle of fill with a straight edge."""
    view = _oriented(luma, corner)
    third = np.float32(1 / 3)
    along_rows = _run(view[:3].sum(axis=0) * third, colour)
    along_cols = _run(view[:, :3].sum(axis=1) * third, colour)
    if min(along_rows, along_cols) < CROPPED_MIN_LEG:
        return None
    rows_long = along_rows >= along_cols
    if not rows_long:
        view = view.T
    long, short = max(along_rows, along_cols), min(along_rows, along_cols)
    if long >= view.shape[1]:  # flat all along the edge: the picture's own
        return None
    # The fill's depth in each line across the long leg, fitted by a straight line.
    span = max(2, int(long * 0.8))
    block = view[: short + 3, :span]
    off = np.abs(block - colour) > FILL_TOLERANCE
    depth = np.where(off.any(axis=0), np.argmax(off, axis=0), block.shape[0]).astype(np.float64)
    # Fitted twice, the second time without the lines more than 2 pixels off the first
    # fit: where the picture near the edge has the fill's colour, the fill seems deeper.
    x = np.arange(span, dtype=np.float64)
    kept = depth < block.shape[0]
    for _ in range(2):
        if kept.sum() < CROPPED_KEPT_SHARE * span:
            return None
        slope, intercept = _line(x[kept], depth[kept])
        kept &= np.abs(depth - (slope * x + intercept)) <= 2.0
    if kept.sum() < CROPPED_KEPT_SHARE * span:
        return None
    off_line = depth[kept] - (slope * x[kept] + intercept)
    if slope >= 0 or float(np.sqrt(np.mean(off_line**2))) > CROPPED_MAX_RESIDUAL:
        return None
    # The top-left corner's edge along the rows rises to the right: counter-clockwise.
    # Each flip and the transposition turn the sense.
    sign = (
        (-1.0 if corner >= 2 else 1.0)
        * (-1.0 if corner % 2 else 1.0)
        * (1.0 if rows_long else -1.0)
    )
    return sign * math.degrees(math.atan(-slope)), float(long), float(short), rows_long


def _line(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float]:
    """Least-squares slope and intercept of ``y`` over ``x``."""
    centre = x.mean()
    slope = float((x - centre) @ (y - y.mean()) / max(float((x - centre) @ (x - centre)), 1e-9))
    return slope, float(y.mean() - slope * centre)


def find_cropped_tilt(luma: Luma) -> CroppedTilt | None:
    """A tilt that a crop followed, which :func:`find_tilt` cannot place: the crop cut one
    or more of the bare corners away, or shrank them all. At least
    :data:`CROPPED_MIN_CORNERS` corners of one fill colour must each hold a triangle of
    fill with a straight edge, all at one angle."""
    rows, cols = luma.shape
    if min(rows, cols) < 2 * MIN_KEPT_PIXELS:
        return None
    corners = _corner_colours(luma)
    alike = sum(abs(a - b) <= FILL_TOLERANCE for a in corners for b in corners) - len(corners)
    if alike < 2:  # no two corners of one colour (most pictures): no fill to read
        return None
    # Each corner's triangle in its own colour; then the corners of one colour that agree
    # on one angle (a picture's own corner of the fill's colour gives another, or none).
    found = [
        (i, edge)
        for i, colour in enumerate(corners)
        if (edge := _corner_edge(luma, i, colour)) is not None
    ]
    best: list[tuple[int, tuple[float, float, float, bool]]] = []
    for a, anchor in found:
        agree = [
            (i, e)
            for i, e in found
            if abs(corners[i] - corners[a]) <= FILL_TOLERANCE
            and abs(e[0] - anchor[0]) <= CROPPED_AGREEMENT
        ]
        if len(agree) > len(best):
            best = agree
    if len(best) < CROPPED_MIN_CORNERS:
        return None
    degrees = float(np.median([e[0] for _, e in best]))
    if not MIN_TILT <= abs(degrees) <= MAX_TILT:
        return None
    fill = float(np.median([corners[i] for i, _ in best]))
    return CroppedTilt(round(degrees, 2), fill, tuple((i, e[1], e[2], e[3]) for i, e in best))


def derotate_cropped(luma: Luma, tilt: CroppedTilt) -> Luma | None:
    """The picture turned back upright from a copy tilted and then cropped, cut to the
    picture's own edges where the bare corners show them and to the middle of the crop's
    line elsewhere (the bank's crops have it there); what the canvas cut off is painted
    (:func:`fill_unseen`). None when it would keep too little."""
    rows, cols = luma.shape
    back = turn(luma, -tilt.degrees, expand=True)
    angle = math.radians(-tilt.degrees)
    c, s = math.cos(angle), math.sin(angle)
    centre_x, centre_y = cols / 2, rows / 2
    out_x, out_y = back.shape[1] / 2, back.shape[0] / 2

    def upright(x: float, y: float) -> tuple[float, float]:
        """A point of the copy (continuous pixel coordinates) in the upright picture."""
        dx, dy = x - centre_x, y - centre_y
        return out_x + c * dx + s * dy, out_y - s * dx + c * dy

    # Each side: the middle of the canvas's own edge (the crop's line) ...
    top = upright(cols / 2, 0)[1]
    bottom = upright(cols / 2, rows)[1]
    left = upright(0, rows / 2)[0]
    right = upright(cols, rows / 2)[0]
    # ... or the picture's edge where a bare corner shows it (a pixel inside).
    for corner, long, short, rows_long in tilt.corners:
        x, y = (long / 2, short / 2) if rows_long else (short / 2, long / 2)
        x = cols - x if corner % 2 else x
        y = rows - y if corner >= 2 else y
        ux, uy = upright(x, y)
        if rows_long and corner < 2:
            top = uy + 1
        elif rows_long:
            bottom = uy - 1
        elif corner % 2 == 0:
            left = ux + 1
        else:
            right = ux - 1
    box = (max(0, round(top)), round(bottom), max(0, round(left)), round(right))
    out = back[box[0] : box[1], box[2] : box[3]]
    if min(out.shape) < MIN_KEPT_PIXELS or out.size < 0.5 * rows * cols:
        return None
    seen = _covered(luma.shape, -tilt.degrees, expand=True)
    return fill_unseen(out, seen[box[0] : box[1], box[2] : box[3]])


def fill_unseen(luma: Luma, seen: NDArray[np.bool_]) -> Luma:
    """``luma`` with its pixels that were not ``seen`` painted with the mean of the seen
    ones around them (in a box of a thirty-second of the picture, doubled until it
    reaches some): closer to the picture's own than black, so the small corners a tilt
    cut off cost few bits."""
    if seen.all() or not seen.any():
        return np.ascontiguousarray(luma, dtype=np.float32)
    rows, cols = luma.shape
    out = np.where(seen, luma, 0.0).astype(np.float64)
    todo = ~seen
    radius = max(2, max(rows, cols) // 32)
    weight = seen.astype(np.float64)
    while todo.any():
        total, count = _box_sum(out * weight, radius), _box_sum(weight, radius)
        reached = todo & (count > 0)
        out[reached] = total[reached] / count[reached]
        todo &= ~reached
        radius *= 2
    return np.ascontiguousarray(out, dtype=np.float32)


def _box_sum(values: NDArray[np.float64], radius: int) -> NDArray[np.float64]:
    """Sum of ``values`` over the (2·radius+1)² box around each pixel, clipped at the edges."""
    for axis in (0, 1):
        n = values.shape[axis]
        padded = np.concatenate(
            [np.zeros_like(np.take(values, [0], axis=axis)), np.cumsum(values, axis=axis)],
            axis=axis,
        )
        hi = np.minimum(np.arange(n) + radius + 1, n)
        lo = np.maximum(np.arange(n) - radius, 0)
        values = np.take(padded, hi, axis=axis) - np.take(padded, lo, axis=axis)
    return values
