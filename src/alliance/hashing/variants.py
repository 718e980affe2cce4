"""Variants of one image for robust banking: dihedral forms, borders, crops, tilts, strips.

PDQ survives recompression and resizing but not a flip, a 90° rotation, added borders,
a crop of a few percent or a rotation of a few degrees. When a hash list is built from
media (the contributor holds the media then), each entry is stored with the hashes of
these variants, so that a query needs only its own single hash. Queries may also try
their own dihedral forms (``alliance match --dihedral``).

Text laid over the picture (meme captions, a caption band) cannot be banked: only the
text decides what PDQ sees. But it goes at the top and the bottom, so the bank also keeps
each image's middle strip (:data:`STRIPS`) and a query may add its own
(``alliance match --overlays``): the two strips are the same pixels whatever the text.

Variant names are stable: they are written into index files (``matching.pdq_index``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from alliance.hashing import media, pdq

Luma = NDArray[np.float32]

#: The 8 dihedral forms: the identity, 3 rotations and 4 reflections.
DIHEDRAL: dict[str, Callable[[Luma], Luma]] = {
    "original": lambda a: a,
    "rotate90": lambda a: np.rot90(a, 1),
    "rotate180": lambda a: np.rot90(a, 2),
    "rotate270": lambda a: np.rot90(a, 3),
    "flip_horizontal": lambda a: a[:, ::-1],
    "flip_vertical": lambda a: a[::-1, :],
    "transpose": lambda a: a.T,
    "transverse": lambda a: np.rot90(a, 2).T,
}

#: Crops kept as variants: (name, top, bottom, left, right) fractions removed. The name
#: ends in the share of the cropped axis that is kept. PDQ tolerates only ~2 % of shift
#: (docs/hashing.md), so ordinary crops are covered by a grid: 5 % and 10 % off the
#: centre, each side and each corner (the first four names predate the grid).
CROPS: tuple[tuple[str, float, float, float, float], ...] = (
    ("crop_center_90", 0.05, 0.05, 0.05, 0.05),
    ("crop_center_80", 0.10, 0.10, 0.10, 0.10),
    ("crop_top_left_90", 0.10, 0.0, 0.10, 0.0),
    ("crop_bottom_right_90", 0.0, 0.10, 0.0, 0.10),
    ("crop_center_95", 0.025, 0.025, 0.025, 0.025),
    *(
        (f"crop_{where}_{100 - round(share * 100)}", *edges)
        for share in (0.05, 0.10)
        for where, edges in (
            ("top", (share, 0.0, 0.0, 0.0)),
            ("bottom", (0.0, share, 0.0, 0.0)),
            ("left", (0.0, 0.0, share, 0.0)),
            ("right", (0.0, 0.0, 0.0, share)),
            ("top_left", (share, 0.0, share, 0.0)),
            ("top_right", (share, 0.0, 0.0, share)),
            ("bottom_left", (0.0, share, share, 0.0)),
            ("bottom_right", (0.0, share, 0.0, share)),
        )
        if (where, share) not in (("top_left", 0.10), ("bottom_right", 0.10))
    ),
)

#: Small rotations kept as variants, in degrees counter-clockwise, corners filled black
#: (as image editors do). PDQ tolerates ~1 degree; these cover roughly 1-5 degrees.
TILTS: tuple[tuple[str, float], ...] = (
    ("tilt_ccw_2", 2.0),
    ("tilt_cw_2", -2.0),
    ("tilt_ccw_4", 4.0),
    ("tilt_cw_4", -4.0),
)

#: Uniform frames added as variants: (name, luma, vertical share, horizontal share) —
#: the frame on each side as a share of the image's own side.
FRAMES: tuple[tuple[str, float, float, float], ...] = (
    ("border_black_10", 0.0, 0.10, 0.10),
    ("border_white_10", 255.0, 0.10, 0.10),
    ("letterbox_black_10", 0.0, 0.10, 0.0),
    ("pillarbox_black_10", 0.0, 0.0, 0.10),
)

#: Thumbnails kept as variants: (name, longer side in pixels). PDQ's box filter is
#: ``ceil(side / 128)`` wide, so a heavy downscale (a 25 % thumbnail of a large photo) is
#: filtered differently from the original and can land past 31 bits; its hash is close to
#: that of this variant.
THUMBNAILS: tuple[tuple[str, int], ...] = (("thumbnail_128", 128),)

#: Middle strips kept as variants and hashed from queries with ``overlays``: (name, share
#: removed at the top and at the bottom). Meme text and caption bands sit within the top
#: and bottom 15 % of a picture (text reaching further in is not covered); the strip of
#: the rows between is identical in the original and in the captioned copy.
STRIPS: tuple[tuple[str, float], ...] = (("middle_70", 0.15),)

#: A later frame of an animated image (``alliance hash --all-frames``), stored as a
#: variant of the entry whose first frame is the original.
ANIMATION_FRAME = "frame"

#: Every variant name, in the order their codes are assigned in index files (new names go
#: last: index files store the codes).
VARIANT_NAMES: tuple[str, ...] = (
    *DIHEDRAL,
    "unletterbox",
    *(c[0] for c in CROPS),
    *(t[0] for t in TILTS),
    *(f[0] for f in FRAMES),
    *(t[0] for t in THUMBNAILS),
    *(s[0] for s in STRIPS),
    ANIMATION_FRAME,
)

#: A border row or column varies by at most this much (0..255 luma) and sits this close
#: to the corner colour; JPEG ringing at the edge of a black bar needs the slack.
BORDER_TOLERANCE = 12.0
#: Unletterboxing that would keep less than this share of either side is not trusted.
MIN_KEPT_SHARE = 0.5


def _flat(line: Luma, colour: float) -> bool:
    return bool(np.abs(line - colour).max() <= BORDER_TOLERANCE)


def unletterbox(luma: Luma) -> Luma | None:
    """The image with uniform borders removed, or None if it has none."""
    rows, cols = luma.shape
    colour = float(np.median([luma[0, 0], luma[0, -1], luma[-1, 0], luma[-1, -1]]))
    top, bottom, left, right = 0, rows, 0, cols
    while top < bottom - 1 and _flat(luma[top, left:right], colour):
        top += 1
    while bottom - 1 > top and _flat(luma[bottom - 1, left:right], colour):
        bottom -= 1
    while left < right - 1 and _flat(luma[top:bottom, left], colour):
        left += 1
    while right - 1 > left and _flat(luma[top:bottom, right - 1], colour):
        right -= 1
    if (top, bottom, left, right) == (0, rows, 0, cols):
        return None
    if bottom - top < rows * MIN_KEPT_SHARE or right - left < cols * MIN_KEPT_SHARE:
        return None
    return luma[top:bottom, left:right]


def crop(luma: Luma, top: float, bottom: float, left: float, right: float) -> Luma:
    rows, cols = luma.shape
    return luma[
        round(rows * top) : rows - round(rows * bottom),
        round(cols * left) : cols - round(cols * right),
    ]


def tilt(luma: Luma, degrees: float) -> Luma:
    """``luma`` rotated by ``degrees`` counter-clockwise about its centre, same size,
    bicubic, the uncovered corners black."""
    image = Image.fromarray(np.ascontiguousarray(luma, dtype=np.float32), mode="F")
    return np.asarray(image.rotate(degrees, Image.Resampling.BICUBIC), dtype=np.float32)


def frame(luma: Luma, value: float, vertical: float, horizontal: float) -> Luma:
    """``luma`` inside a uniform frame of ``value``, ``vertical``/``horizontal`` of its
    height/width wide on each side."""
    rows, cols = luma.shape
    top, side = round(rows * vertical), round(cols * horizontal)
    return np.pad(luma, ((top, top), (side, side)), constant_values=value)


def strip(luma: Luma, share: float) -> Luma:
    """``luma`` without ``share`` of its rows at the top and at the bottom."""
    rows = luma.shape[0]
    cut = round(rows * share)
    return luma[cut : rows - cut]


def thumbnail(luma: Luma, side: int) -> Luma:
    """``luma`` scaled (bilinear) so that its longer side is ``side`` pixels."""
    rows, cols = luma.shape
    scale = side / max(rows, cols)
    size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    image = Image.fromarray(np.ascontiguousarray(luma, dtype=np.float32), mode="F")
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def luma_variants(
    luma: Luma,
    *,
    dihedral: bool = True,
    borders: bool = True,
    crops: bool = True,
    tilts: bool = True,
    thumbnails: bool = True,
    strips: bool = True,
) -> dict[str, Luma]:
    """Named pixel variants of one image (``original`` first).

    ``borders`` gives the image without its uniform borders (if it has any) and the image
    in the :data:`FRAMES`; ``crops`` the :data:`CROPS`; ``tilts`` the :data:`TILTS`;
    ``thumbnails`` the :data:`THUMBNAILS` smaller than half the image; ``strips`` the
    :data:`STRIPS`.
    """
    out: dict[str, Luma] = {"original": luma}
    if dihedral:
        out.update({name: form(luma) for name, form in DIHEDRAL.items()})
    if borders:
        if (inner := unletterbox(luma)) is not None:
            out["unletterbox"] = inner
        out.update({name: frame(luma, *spec) for name, *spec in FRAMES})
    if crops:
        out.update({name: crop(luma, *edges) for name, *edges in CROPS})
    if tilts:
        out.update({name: tilt(luma, degrees) for name, degrees in TILTS})
    if thumbnails:
        longer = max(luma.shape)
        out.update({name: thumbnail(luma, side) for name, side in THUMBNAILS if 2 * side <= longer})
    if strips:
        out.update({name: strip(luma, share) for name, share in STRIPS})
    return out


def hash_variants(
    source: media.MediaSource,
    *,
    dihedral: bool = True,
    borders: bool = True,
    crops: bool = True,
    tilts: bool = True,
    thumbnails: bool = True,
    strips: bool = True,
    pipeline: pdq.Pipeline = "fast",
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
) -> dict[str, pdq.PdqHash]:
    """PDQ of each variant of an image file, by variant name, ``original`` first.

    Decodes once. The ``original`` hash is the pipeline's own (Meta's ``pdqhash`` in the
    reference pipeline); the others use the numpy PDQ, identical to it on equal pixels.
    A strip of low quality (a band of sky, a flat background) is left out: its bits are
    noise, and two such strips of unrelated pictures should not be compared.
    """
    frame = pdq.decode(source, pipeline=pipeline, max_pixels=max_pixels)[0]
    luma = media.luminance(frame)
    hashes = {
        name: pdq.pdq_from_luma(np.ascontiguousarray(pixels))
        for name, pixels in luma_variants(
            luma,
            dihedral=dihedral,
            borders=borders,
            crops=crops,
            tilts=tilts,
            thumbnails=thumbnails,
            strips=strips,
        ).items()
    }
    for name, _ in STRIPS:
        if name in hashes and hashes[name].low_quality:
            del hashes[name]
    hashes["original"] = pdq.hash_image(frame, pipeline=pipeline)
    return hashes


def distinct(hashes: Iterable[tuple[str, pdq.PdqHash]]) -> list[tuple[str, pdq.PdqHash]]:
    """Drop variants whose digest repeats an earlier one (a symmetric image, no border, a
    still frame of an animation). Names may repeat (every later frame is a ``frame``)."""
    seen: set[bytes] = set()
    out: list[tuple[str, pdq.PdqHash]] = []
    for name, value in hashes:
        if value.digest not in seen:
            seen.add(value.digest)
            out.append((name, value))
    return out


def query_hashes(
    source: media.MediaSource,
    *,
    pipeline: pdq.Pipeline = "fast",
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
) -> dict[str, pdq.PdqHash]:
    """The hashes one query file is searched by, ``original`` first (PROVISIONAL: being
    rewritten for issue 18; the name and the signature stay)."""
    frame = pdq.decode(source, pipeline=pipeline, max_pixels=max_pixels)[0]
    luma = media.luminance(frame)
    out = {"original": pdq.hash_image(frame, pipeline=pipeline)}
    inner = unletterbox(luma)
    if inner is not None:
        out["unletterbox"] = pdq.pdq_from_luma(np.ascontiguousarray(inner))
    middle = strip(inner if inner is not None else luma, STRIPS[0][1])
    out[STRIPS[0][0]] = pdq.pdq_from_luma(np.ascontiguousarray(middle))
    return out
