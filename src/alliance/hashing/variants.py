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

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from alliance.hashing import media, normalise, pdq

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

#: Crops kept as variants by earlier releases, (name, top, bottom, left, right) fractions
#: removed; the name ends in the share of the cropped axis that is kept. Those the grid
#: below still has are kept, the others keep their codes in index files.
_EARLIER_CROPS: tuple[tuple[str, float, float, float, float], ...] = (
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

#: How much a crop variant takes off a side: PDQ keeps a picture within 31 bits of
#: itself with about 2 % more or less taken off one side, less when two sides are off
#: (their costs add) or the copy is recompressed, so steps of 2.5 % cover every crop up to
#: 10 % of a side; a corner is two sides, each at any of these steps.
CROP_STEPS = (0.025, 0.05, 0.075, 0.10)
#: Crops taken evenly off all four sides (each side's share), in finer steps than one
#: side's (the costs of four sides add): a tilt of up to 7° turned back upright
#: (:func:`normalise.derotate`) is an even crop of up to 9 % a side, more for a wide picture.
CENTRE_CROP_STEPS = (0.0125, 0.025, 0.0375, 0.05, 0.0625, 0.075, 0.0875, 0.10)


def _crop_name(top: float, bottom: float, left: float, right: float) -> str:
    """The grid's name for a crop: an earlier release's name where it had one."""
    for name, *edges in _EARLIER_CROPS:
        if tuple(edges) == (top, bottom, left, right):
            return name
    if top == bottom == left == right:
        return f"crop_center_{top * 100:g}"
    sides = (("top", top), ("bottom", bottom), ("left", left), ("right", right))
    return "crop_" + "_".join(f"{where}_{share * 100:g}" for where, share in sides if share)


def _crop_grid() -> tuple[tuple[str, float, float, float, float], ...]:
    edges: list[tuple[float, float, float, float]] = [(s, s, s, s) for s in CENTRE_CROP_STEPS]
    levels = (0.0, *CROP_STEPS)
    for vertical in ("top", "bottom"):
        for horizontal in ("left", "right"):
            for a in levels:
                for b in levels:
                    one = {vertical: a, horizontal: b}
                    box = tuple(one.get(k, 0.0) for k in ("top", "bottom", "left", "right"))
                    if any(box) and box not in edges:
                        edges.append(box)  # type: ignore[arg-type]
    return tuple((_crop_name(*box), *box) for box in edges)


#: Crops kept as variants: (name, top, bottom, left, right) fractions removed.
CROPS: tuple[tuple[str, float, float, float, float], ...] = _crop_grid()
#: Of these, the centre crops added after the grid's codes were assigned: theirs follow.
_LATER_CROPS = frozenset(_crop_name(s, s, s, s) for s in (0.0625, 0.075, 0.0875))

#: Small rotations kept as variants, in degrees counter-clockwise, corners filled black
#: (as image editors do), a degree apart up to 7 either way: PDQ keeps a picture within
#: 31 bits of itself turned by half a degree. A query with corners of another colour, or
#: on a grown canvas, is brought to this form first (:func:`normalise.untilt`).
TILTS: tuple[tuple[str, float], ...] = tuple(
    (f"tilt_{'ccw' if sign > 0 else 'cw'}_{degrees}", float(sign * degrees))
    for degrees in range(1, 8)
    for sign in (1, -1)
)
#: The tilts again, each cropped to the largest centred rectangle without corners
#: (:func:`normalise.inscribed`), as an editor's "straighten" leaves a picture: no corners
#: are left for a query to find, nor after a tilt that a crop of a few percent followed.
TILTS_CROPPED: tuple[tuple[str, float], ...] = tuple(
    (f"{name}_cropped", deg) for name, deg in TILTS
)
#: Tilt variants of earlier releases: their codes stay reserved in index files.
_EARLIER_TILTS = ("tilt_ccw_2", "tilt_cw_2", "tilt_ccw_4", "tilt_cw_4")

#: Frames of fixed widths, kept as variants by earlier releases: a query now trims a
#: frame of any width and colour instead (:func:`normalise.trim_box`). The names keep
#: their codes in index files.
_EARLIER_FRAMES = ("border_black_10", "border_white_10", "letterbox_black_10", "pillarbox_black_10")

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

#: Halves are kept of pictures whose halves are at least this many pixels a side: PDQ
#: reads a 64×64 buffer, and a smaller half (of a thumbnail, an icon) is mostly blur.
MIN_PART_SIDE = 64

#: Halves kept as variants and hashed from every query: (name, top, bottom, left, right)
#: fractions removed. A sticker, an emoji or a patch laid anywhere inside a picture moves
#: PDQ's low frequencies wherever it is (5 % of the area often costs 40 bits), but it
#: usually leaves one half of the picture untouched, and that half is the bank's half.
HALVES: tuple[tuple[str, float, float, float, float], ...] = (
    ("half_top", 0.0, 0.5, 0.0, 0.0),
    ("half_bottom", 0.5, 0.0, 0.0, 0.0),
    ("half_left", 0.0, 0.0, 0.0, 0.5),
    ("half_right", 0.0, 0.0, 0.5, 0.0),
)

#: Quarters kept as variants, as :data:`HALVES`: two or three stickers spread over a
#: picture often reach into every half, and one quarter is then still untouched. Unrelated
#: quarters of photographs stay far apart (none within 60 bits of another among the
#: benchmark's pictures), but a quarter with a flat background is mostly the outline of
#: what stands on it, and outlines repeat: the quarter of a disc on black (a colour wheel)
#: met a fundus photograph's quarter-disc at 16 bits. A quarter whose PDQ buffer is more
#: flat than :data:`QUARTER_MAX_FLAT` (:func:`pdq.block_flat_share`) is neither banked
#: nor sent.
QUARTERS: tuple[tuple[str, float, float, float, float], ...] = (
    ("quarter_top_left", 0.0, 0.5, 0.0, 0.5),
    ("quarter_top_right", 0.0, 0.5, 0.5, 0.0),
    ("quarter_bottom_left", 0.5, 0.0, 0.0, 0.5),
    ("quarter_bottom_right", 0.5, 0.0, 0.5, 0.0),
)

QUARTER_MAX_FLAT = 0.15
#: Nor is one of PDQ quality below this (a smooth gradient with a block on it met a small
#: picture of a dark corner at 24 bits): a quarter spreads a quarter of the picture's
#: detail over PDQ's buffer, and plain outlines repeat between unrelated pictures.
QUARTER_MIN_QUALITY = 60


def plain_quarter(block: NDArray[np.float32]) -> bool:
    """Whether a quarter's PDQ buffer is too plain to tell pictures apart: mostly flat
    (:data:`QUARTER_MAX_FLAT`) or of little detail (:data:`QUARTER_MIN_QUALITY`)."""
    return (
        pdq.block_quality(block) < QUARTER_MIN_QUALITY
        or pdq.block_flat_share(block) > QUARTER_MAX_FLAT
    )


#: A later frame of an animated image (``alliance hash --all-frames``), stored as a
#: variant of the entry whose first frame is the original.
ANIMATION_FRAME = "frame"

#: The variants a bank keeps of a picture today (:func:`luma_variants`), beside the
#: animation's frames.
BANK_VARIANT_NAMES: tuple[str, ...] = (
    *DIHEDRAL,
    "unletterbox",
    *(c[0] for c in CROPS),
    *(t[0] for t in TILTS),
    *(t[0] for t in TILTS_CROPPED),
    *(t[0] for t in THUMBNAILS),
    *(s[0] for s in STRIPS),
    *(h[0] for h in HALVES),
    *(q[0] for q in QUARTERS),
)

#: Every variant name, in the order their codes are assigned in index files (new names go
#: last: index files store the codes).
VARIANT_NAMES: tuple[str, ...] = (
    *DIHEDRAL,
    "unletterbox",
    *(c[0] for c in _EARLIER_CROPS),
    *_EARLIER_TILTS,
    *_EARLIER_FRAMES,
    *(t[0] for t in THUMBNAILS),
    *(s[0] for s in STRIPS),
    ANIMATION_FRAME,
    *(name for name, _ in TILTS if name not in _EARLIER_TILTS),
    *(name for name, *_ in CROPS if name not in {c[0] for c in _EARLIER_CROPS} | _LATER_CROPS),
    *(h[0] for h in HALVES),
    *(t[0] for t in TILTS_CROPPED),
    *sorted(_LATER_CROPS),
    *(q[0] for q in QUARTERS),
)


def unletterbox(luma: Luma) -> Luma | None:
    """The picture without its uniform frame (:func:`normalise.trim_box`), or None if it
    has none."""
    box = normalise.trim_box(luma)
    if box is None:
        return None
    top, bottom, left, right = box
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
    return normalise.turn(luma, degrees)


def strip(luma: Luma, share: float) -> Luma:
    """``luma`` without ``share`` of its rows at the top and at the bottom."""
    rows = luma.shape[0]
    cut = round(rows * share)
    return luma[cut : rows - cut]


def thumbnail(luma: Luma, side: int) -> Luma:
    """``luma`` scaled (bilinear) so that its longer side is ``side`` pixels."""
    return media.scaled_luma(luma, side / max(luma.shape), Image.Resampling.BILINEAR)


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

    ``borders`` gives the image without its uniform frame (if it has one: the bank keeps
    what a query trims off a framed copy of a picture whose own edge is flat); ``crops``
    the :data:`CROPS`; ``tilts`` the :data:`TILTS`;
    ``thumbnails`` the :data:`THUMBNAILS` smaller than half the image; ``strips`` the
    :data:`STRIPS`.
    """
    out: dict[str, Luma] = {"original": luma}
    if dihedral:
        out.update({name: form(luma) for name, form in DIHEDRAL.items()})
    inside = unletterbox(luma) if borders or strips else None
    if borders and inside is not None:
        out["unletterbox"] = inside
    if crops:
        out.update({name: crop(luma, *edges) for name, *edges in CROPS})
    if tilts:
        out.update({name: tilt(luma, degrees) for name, degrees in TILTS})
        out.update(
            {name: normalise.inscribed(out[name.removesuffix("_cropped")], degrees)
             for name, degrees in TILTS_CROPPED}
        )  # fmt: skip
    if thumbnails:
        longer = max(luma.shape)
        out.update({name: thumbnail(luma, side) for name, side in THUMBNAILS if 2 * side <= longer})
    if strips:
        out.update({name: strip(luma, share) for name, share in STRIPS})
        # Halves of the picture inside its frame, as a query cuts them: the halves of a
        # framed picture would be mostly frame, whose hashes meet unrelated flat pictures.
        picture = inside if inside is not None else luma
        if min(picture.shape) >= 2 * MIN_PART_SIDE:
            out.update({name: crop(picture, *edges) for name, *edges in HALVES})
            for name, *edges in QUARTERS:
                quarter = crop(picture, *edges)
                if not plain_quarter(pdq.block_from_luma(quarter)):
                    out[name] = quarter
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
    A variant of low quality (a strip of sky, any variant of a flat picture) is left
    out: its bits are noise, and two such hashes of unrelated pictures should not meet.
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
    # A variant of low quality (a strip of sky, a tilt of a flat picture) is noise; a
    # hundred of them from one entry would meet unrelated noise. The original stays.
    hashes = {name: value for name, value in hashes.items() if not value.low_quality}
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


#: The middle strip of a query picture before its frame was trimmed (:func:`query_hashes`).
_UNTRIMMED_STRIP = f"{STRIPS[0][0]}_untrimmed"


#: The most forms one query picture is sent with (``POST /api/v1/match`` takes no more):
#: an unedited photograph makes 52, a framed, tilted one about 85.
MAX_QUERY_FORMS = 128

#: A tilt's angle is taken from its corners' edges (normalise.find_cropped_tilt) on a
#: picture whose shorter side is at least this many pixels: on a smaller one (a
#: thumbnail), the edges are too short and blurred to beat find_tilt's fit.
EDGE_ANGLE_MIN_SIDE = 200

#: The shorter side a query's forms are hashed at, at least: PDQ filters with a box of
#: ``ceil(side / 128)`` pixels, so from 384 pixels up it sees the same low frequencies.
QUERY_FORM_SIDE = 384


def _query_name(form: str, turn: str) -> str:
    if turn == "original":
        return form
    return turn if form == "original" else f"{form}_{turn}"


def query_hashes(
    source: media.MediaSource,
    *,
    pipeline: pdq.Pipeline = "fast",
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
    dihedral: bool = True,
) -> dict[str, pdq.PdqHash]:
    """The hashes one query file is searched by, ``original`` first.

    - ``original``: the picture's own PDQ, exactly as :func:`pdq.hash_file` gives it;
    - ``unletterbox``: without its frame of any width and colour
      (:func:`normalise.trim_box`), which meets the bank's original;
    - ``untilt``: with the corners of a tilt repainted as the bank's tilts have them
      (:func:`normalise.untilt`), looked for inside the frame first;
    - ``middle_70``: the middle strip of the picture without its frame, which meets the
      bank's strip under captions at the top and the bottom, and ``middle_70_untrimmed``
      of the untrimmed picture (a caption band is a flat band too, and trimming takes it);
    - ``half_top|bottom|left|right`` of the picture without its frame, for stickers.

    Each of the first four in its 8 flips and quarter turns (``unletterbox_rotate90``...),
    so that a mirrored copy that was also cropped, tilted or captioned meets the bank's
    crop, tilt or strip; after a quarter turn the strip is the picture's middle columns.
    The forms are hashed from a copy reduced to no less than :data:`QUERY_FORM_SIDE` (to
    PDQ, a rescaled copy), the strip and the halves from the products of the picture's
    own (:class:`pdq.Filtered`). A form of low quality is left out, and so is a hash that
    repeats another.
    """
    frame = pdq.decode(source, pipeline=pipeline, max_pixels=max_pixels)[0]
    hashes = {"original": pdq.hash_image(frame, pipeline=pipeline)}
    factor = min(frame.size) // QUERY_FORM_SIDE
    luma = media.luminance(frame.reduce(factor) if factor >= 2 else frame)
    turns = tuple(DIHEDRAL) if dihedral else ("original",)

    # The forms' buffers, hashed together at the end (pdq.pdq_from_blocks).
    pending: dict[str, tuple[NDArray[np.float32], int]] = {}

    def add(form: str, blocks: dict[str, NDArray[np.float32]]) -> None:
        # A flip sees the same detail: one quality for the 8 turns.
        quality = pdq.block_quality(blocks["original"])
        if quality < pdq.LOW_QUALITY and form != "original":
            return
        for turn in turns:
            name = _query_name(form, turn)
            if turn in blocks and name not in hashes and name not in pending:
                pending[name] = (blocks[turn], quality)

    box = normalise.trim_box(luma)
    inner = luma[box[0] : box[1], box[2] : box[3]] if box is not None else None
    whole = pdq.Filtered(inner if inner is not None else luma)
    strip_name, share = STRIPS[0]
    if inner is None:
        add("original", whole.part())
    else:
        plain = pdq.Filtered(luma)
        add("original", plain.part())
        add("unletterbox", whole.part())
        cut = round(luma.shape[0] * share)
        add(_UNTRIMMED_STRIP, plain.part(rows=(cut, luma.shape[0] - cut), turns=False))
    # Caption text or a band laid over a frame stops trim_box at the text: trimmed on
    # through flat lines, the picture (and its strip, when the text reaches into it).
    loose = normalise.loose_trim_box(luma, box) if _framed(box, luma.shape) else None
    if loose is not None:
        top, bottom, left, right = loose
        inside = pdq.Filtered(luma[top:bottom, left:right])
        add("unletterbox_loose", inside.part())
        cut = round((bottom - top) * share)
        loose_strip = inside.part(rows=(cut, bottom - top - cut), turns=False)
        add(f"unletterbox_loose_{strip_name}", loose_strip)
    # A tilt that a crop followed: its corners cut away or shrunk (find_tilt's centred
    # picture does not fit it, or fits it wrongly); its edges also give a tilt's angle.
    picture = inner if inner is not None else luma
    cropped = normalise.find_cropped_tilt(picture)
    # A tilted picture framed afterwards is straightened inside its frame.
    tilted, found = inner, normalise.find_tilt(inner) if inner is not None else None
    if found is None:
        tilted, found = luma, normalise.find_tilt(luma)
    if found is not None and tilted is not None:
        # The corners' straight edges give the angle more closely than the fit of a
        # centred picture (a frame before the tilt, JPEG at the edge): taken when near,
        # and when the picture is large enough for the edges to be long and sharp.
        edges = cropped if tilted is picture else normalise.find_cropped_tilt(tilted)
        if (
            edges is not None
            and abs(edges.degrees - found.degrees) <= 1.0
            and min(tilted.shape) >= EDGE_ANGLE_MIN_SIDE
        ):
            found = dataclasses.replace(found, degrees=edges.degrees)
        straight = normalise.untilt(tilted, found)
        if straight is not None:
            add("untilt", pdq.dihedral_blocks(straight))
        _add_derotated(add, tilted, found)
    upright = normalise.derotate_cropped(picture, cropped) if cropped is not None else None
    if upright is not None:
        add("derotate_cropped", pdq.Filtered(upright).part(turns=False))
    rows, cols = whole.luma.shape
    across, down = round(rows * share), round(cols * share)
    middle_rows = whole.part(rows=(across, rows - across))
    middle_cols = whole.part(cols=(down, cols - down))
    add(strip_name, {t: (middle_cols if t in _TRANSPOSING else middle_rows)[t] for t in DIHEDRAL})
    if min(rows, cols) >= 2 * MIN_PART_SIDE:
        _add_halves(add, whole, turns=True, quarters=True)
    names, forms = list(pending), list(pending.values())
    hashed = pdq.pdq_from_blocks([block for block, _ in forms], [q for _, q in forms])
    hashes.update(zip(names, hashed, strict=True))
    return dict(distinct(hashes.items()))


def _add_halves(
    add: Callable[[str, dict[str, NDArray[np.float32]]], None],
    whole: pdq.Filtered,
    prefix: str = "",
    *,
    turns: bool = False,
    quarters: bool = False,
) -> None:
    """The four halves of ``whole`` as query forms, and with ``quarters`` its four
    quarters (in their 8 turns with ``turns``: a mirrored or turned copy's quarter is the
    bank's quarter turned; with quarters, the halves are sent upright only, the quarters'
    turns covering a turned copy's stickers): stickers usually
    leave one of them as the bank has it. The edges are :func:`crop`'s, as the bank cuts
    them; a plain quarter (:func:`plain_quarter`) is not sent."""
    rows, cols = whole.luma.shape
    for name, top, bottom, left, right in (*HALVES, *(QUARTERS if quarters else ())):
        kept_rows = (round(rows * top), rows - round(rows * bottom))
        kept_cols = (round(cols * left), cols - round(cols * right))
        blocks = whole.part(
            rows=kept_rows if kept_rows != (0, rows) else None,
            cols=kept_cols if kept_cols != (0, cols) else None,
            turns=turns and (name in _QUARTER_NAMES or not quarters),
        )
        if name in _QUARTER_NAMES and plain_quarter(blocks["original"]):
            continue
        add(f"{prefix}{name}", blocks)


def _add_derotated(
    add: Callable[[str, dict[str, NDArray[np.float32]]], None],
    luma: Luma,
    found: normalise.Tilt,
) -> None:
    """The query forms of a tilted picture turned back upright (:func:`normalise.derotate`),
    upright only (a mirrored copy that was tilted meets the bank through ``untilt``): what
    was seen of the picture (a crop before the tilt meets the bank's crops; on a grown
    canvas, the whole picture meets its original), that without its frame (a frame before
    the tilt), and the middle strip and the halves of the picture on its own canvas
    (captions or stickers before or after the tilt)."""
    back, seen = normalise.derotate(luma, found)
    if min(seen.shape) < 2 * MIN_PART_SIDE:
        return
    add("derotate", pdq.Filtered(seen).part(turns=False))
    if not found.expanded:
        add("derotate_whole", pdq.Filtered(back).part(turns=False))
    # The frame's edge, turned back, is a pixel or two off the canvas's lines: read it a
    # little inside (on the whole picture where the canvas was kept: the frame is there).
    margin = max(2, round(min(seen.shape) * 0.01))
    if (trimmed := unletterbox(seen[margin:-margin, margin:-margin])) is not None:
        add("derotate_unletterbox", pdq.Filtered(trimmed).part(turns=False))
    if not found.expanded and (
        (trimmed := unletterbox(back[margin:-margin, margin:-margin])) is not None
    ):
        add("derotate_whole_unletterbox", pdq.Filtered(trimmed).part(turns=False))
    rows = back.shape[0]
    whole = pdq.Filtered(back)
    cut = round(rows * STRIPS[0][1])
    add(f"derotate_{STRIPS[0][0]}", whole.part(rows=(cut, rows - cut), turns=False))
    _add_halves(add, whole, "derotate_")


def _framed(box: tuple[int, int, int, int] | None, shape: tuple[int, ...]) -> bool:
    """Whether :func:`normalise.trim_box` took a frame off three sides, or off two facing
    ones (letterbox, pillarbox bars), or off the top or the bottom only (a caption band
    across the picture): an added frame or band, where text laid over it is looked for. A
    picture's own flat edge (a dark background) is rarely on more than two sides, and
    then rarely on the top or the bottom alone."""
    if box is None:
        return False
    top, bottom, left, right = box
    sides = (top > 0, bottom < shape[0], left > 0, right < shape[1])
    band = (sides[0] or sides[1]) and not (sides[2] or sides[3])
    return sum(sides) >= 3 or (sides[0] and sides[1]) or (sides[2] and sides[3]) or band


_HALF_NAMES = frozenset(h[0] for h in HALVES)
_QUARTER_NAMES = frozenset(q[0] for q in QUARTERS)

#: The dihedral forms that turn rows into columns.
_TRANSPOSING = frozenset({"rotate90", "rotate270", "transpose", "transverse"})
