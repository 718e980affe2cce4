"""PDQ, Meta's 256-bit perceptual hash for photos, in two pipelines.

``reference``
    Meta's ``pdqhash`` (the C++ reference, wrapped) on the full-resolution RGB pixels.
    This is what python-threatexchange and Meta's HMA compute, so it is the pipeline the
    hashes in circulation were made with.

``fast`` (default)
    The same PDQ algorithm, vectorised with numpy, on fewer pixels:

    1. JPEGs are decoded at 1/2, 1/4 or 1/8 scale in the DCT domain (libjpeg's scaled
       IDCT through :meth:`PIL.Image.Image.draft`), straight to the luma channel, keeping
       the shorter side at least :data:`FAST_MIN_SIDE` pixels. Other formats are decoded
       fully and box-reduced by an integer factor to the same size.
    2. Luma (ITU-R 601) → PDQ's two-pass Jarosz box filter (window ``ceil(side / 128)``)
       → decimation to 64×64. The filter and the decimation are linear, so they are one
       precomputed ``64×side`` matrix per axis, cached per image size: two matrix
       products replace PDQ's four passes over the full buffer.
    3. 16×16 DCT, bits set where a coefficient exceeds the median; the quality metric is
       PDQ's gradient sum, as in the C++ reference.

    PDQ looks at the image through a ~128-sample-per-axis window, so pre-scaling to 512+
    px changes only bits whose coefficient sits at the median; ``docs/hashing.md`` and
    ``docs/benchmarks.md`` give the measured distance to ``reference``.

Hex form: 64 lowercase hex digits, the C++ reference's ``Hash256::format`` order (bit
``k = 16·row + column`` of the 16×16 DCT block is bit ``k`` counting from the right).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from alliance.hashing import media
from alliance.hashing.errors import InvalidHash

Pipeline = Literal["fast", "reference"]

HASH_BITS = 256
HASH_BYTES = 32
HEX_LENGTH = 64
#: Meta's recommended match threshold: distance <= 31 of 256 bits.
MATCH_THRESHOLD = 31
#: Below this quality Meta advises not to trust the hash; we report it, never drop it.
LOW_QUALITY = 50
#: Shorter image side the fast pipeline scales down to (never below).
FAST_MIN_SIDE = 512

_HEX_ALPHABET = "0123456789abcdef"


@dataclass(frozen=True, slots=True)
class PdqHash:
    """A PDQ hash: 32 bytes, and its quality (0..100) when computed from media."""

    digest: bytes
    quality: int | None = None

    def __post_init__(self) -> None:
        if len(self.digest) != HASH_BYTES:
            raise InvalidHash(f"a PDQ hash has {HASH_BYTES} bytes, got {len(self.digest)}")

    @property
    def hex(self) -> str:
        return self.digest.hex()

    @property
    def low_quality(self) -> bool:
        return self.quality is not None and self.quality < LOW_QUALITY

    @classmethod
    def from_hex(cls, value: str, quality: int | None = None) -> PdqHash:
        return cls(bytes.fromhex(validate_hex(value)), quality)

    def distance(self, other: PdqHash) -> int:
        return hamming(self.digest, other.digest)

    def __str__(self) -> str:
        return self.hex


def validate_hex(value: str) -> str:
    """Return ``value`` as 64 lowercase hex digits, or raise :class:`InvalidHash`."""
    text = value.strip().lower()
    if len(text) != HEX_LENGTH:
        raise InvalidHash(
            f"invalid PDQ hash {_preview(value)}: {HEX_LENGTH} hex digits expected, "
            f"got {len(text)} characters"
        )
    if text.strip(_HEX_ALPHABET):  # what is left is not hex (strip runs in C)
        raise InvalidHash(f"invalid PDQ hash {_preview(value)}: not hexadecimal")
    return text


def _preview(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def hamming(a: bytes, b: bytes) -> int:
    """Number of differing bits between two equal-length digests."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def distance_hex(a: str, b: str) -> int:
    return hamming(bytes.fromhex(validate_hex(a)), bytes.fromhex(validate_hex(b)))


# --- the PDQ algorithm -------------------------------------------------------------------


def _box_windows(n: int, window: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Inclusive [lo, hi] ranges that PDQ's ``box1DFloat`` averages for each output."""
    half = (window + 2) // 2
    out = np.arange(n)
    lo = np.maximum(out - (window - half), 0)
    hi = np.minimum(out + half - 1, n - 1)
    return lo, hi


@functools.lru_cache(maxsize=512)
def _filter_matrix(n: int) -> NDArray[np.float32]:
    """The 64×n matrix = decimate(box(box(·))) along one axis of length ``n``.

    PDQ filters each axis twice with a box of width ``ceil(n / 128)`` (smaller, and
    renormalised, at the edges) and then samples pixel ``floor((i + 0.5) · n / 64)``.
    """
    window = (n + 2 * 64 - 1) // (2 * 64)
    lo, hi = _box_windows(n, window)
    counts = (hi - lo + 1).astype(np.float64)
    matrix = np.zeros((64, n), dtype=np.float64)
    for i in range(64):
        sample = int(((i + 0.5) * n) / 64)
        # Row `sample` of B·B, where B is the box matrix: average of the boxes it covers.
        for k in range(int(lo[sample]), int(hi[sample]) + 1):
            matrix[i, lo[k] : hi[k] + 1] += 1.0 / (counts[sample] * counts[k])
    return matrix.astype(np.float32)


@functools.lru_cache(maxsize=512)
def _taps(n: int, mirrored: bool) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """:func:`_filter_matrix` (or :func:`_reversed_filter_matrix` when ``mirrored``) as
    the few pixels each of its 64 rows weighs, (64, taps) of indices and of weights: the
    filter is two boxes of ``ceil(n / 128)``, so a row has at most 2 × that - 1 taps, and
    a product with a narrow array (a part's 64 filtered columns) costs a few taps a
    sample instead of ``n`` (a third of the time for a part of 384 rows)."""
    matrix = _reversed_filter_matrix(n) if mirrored else _filter_matrix(n)
    width = max(1, int((matrix != 0).sum(axis=1).max()))
    indices = np.zeros((64, width), dtype=np.intp)
    weights = np.zeros((64, width), dtype=np.float32)
    for i, row in enumerate(matrix):
        taken = np.flatnonzero(row)
        indices[i, : len(taken)] = taken
        weights[i, : len(taken)] = row[taken]
    return indices, weights


def _filter_rows(values: NDArray[np.float32], mirrored: bool = False) -> NDArray[np.float32]:
    """``_filter_matrix(n) @ values`` for ``values`` of n rows, by its taps."""
    indices, weights = _taps(values.shape[0], mirrored)
    filtered: NDArray[np.float32] = np.einsum("it,itj->ij", weights, values[indices])
    return filtered


def _dct_matrix() -> NDArray[np.float32]:
    i = np.arange(1, 17, dtype=np.float64)[:, None]
    j = np.arange(64, dtype=np.float64)[None, :]
    return (math.sqrt(2.0 / 64.0) * np.cos((math.pi / 2 / 64.0) * i * (2 * j + 1))).astype(
        np.float32
    )


_DCT = _dct_matrix()


def block_quality(block: NDArray[np.float32]) -> int:
    """PDQ's image-domain quality metric on the 64×64 buffer, as the C++ computes it."""
    vertical = np.trunc((block[:-1, :] - block[1:, :]) * 100 / 255)
    horizontal = np.trunc((block[:, :-1] - block[:, 1:]) * 100 / 255)
    total = int(np.abs(vertical).sum() + np.abs(horizontal).sum())
    return min(total // 90, 100)


def block_flat_share(block: NDArray[np.float32]) -> float:
    """The share of the 64×64 buffer's cells that differ from their right and lower
    neighbours by less than half a level in all: a flat background, where a part of a
    picture has one (a disc on black, a logo, a scan's margin)."""
    right = np.abs(block[:-1, :-1] - block[:-1, 1:])
    below = np.abs(block[:-1, :-1] - block[1:, :-1])
    return float(((right + below) < 0.5).mean())


def block_from_luma(luma: NDArray[np.float32]) -> NDArray[np.float32]:
    """PDQ's 64×64 filtered, decimated buffer of an (H, W) float32 luma array (0..255)."""
    if luma.ndim != 2 or min(luma.shape) < 1:
        raise ValueError(f"expected a non-empty 2-D luma array, got shape {luma.shape}")
    rows, cols = luma.shape
    return _filter_matrix(rows) @ (luma @ _filter_matrix(cols).T)


def dihedral_blocks(luma: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
    """:func:`block_from_luma` of the picture's 8 flips and quarter turns, by the names of
    :data:`alliance.hashing.variants.DIHEDRAL`, for about twice the cost of one.

    A flip of the picture is the same product with the filter's columns reversed, and a
    transposed picture gives the transposed buffer, so two products with the large luma
    array serve all 8 (exactly: PDQ's sample points are not symmetric, so flipping the
    buffer instead would move bits).
    """
    if luma.ndim != 2 or min(luma.shape) < 1:
        raise ValueError(f"expected a non-empty 2-D luma array, got shape {luma.shape}")
    return Filtered(luma).part()


class Filtered:
    """A picture with PDQ's filter applied along its rows, both ways round, so that the
    64×64 buffers of its parts (a band of rows, a band of columns, a rectangle) in their
    8 flips and turns cost small products only (:meth:`part`). A query hashes its
    picture, its middle strip, its halves and its quarters from one of these."""

    def __init__(self, luma: NDArray[np.float32]) -> None:
        if luma.ndim != 2 or min(luma.shape) < 1:
            raise ValueError(f"expected a non-empty 2-D luma array, got shape {luma.shape}")
        self.luma = np.ascontiguousarray(luma, dtype=np.float32)
        self._bands: dict[tuple[int, int], Filtered] = {}

    @functools.cached_property
    def _across(self) -> NDArray[np.float32]:
        """Every row filtered along the columns."""
        return self.luma @ _filter_matrix(self.luma.shape[1]).T

    @functools.cached_property
    def _across_mirrored(self) -> NDArray[np.float32]:
        """Every row filtered along the columns, mirrored."""
        return self.luma @ _reversed_filter_matrix(self.luma.shape[1]).T

    def _band(self, cols: tuple[int, int]) -> Filtered:
        """The columns ``cols`` as a picture of their own, kept: a half's columns serve
        the half and its two quarters (filtering the band's rows costs what filtering
        the whole picture's columns would, for a share of the columns)."""
        if cols not in self._bands:
            self._bands[cols] = Filtered(self.luma[:, cols[0] : cols[1]])
        return self._bands[cols]

    def part(
        self,
        rows: tuple[int, int] | None = None,
        cols: tuple[int, int] | None = None,
        *,
        turns: bool = True,
    ) -> dict[str, NDArray[np.float32]]:
        """:func:`dihedral_blocks` of the rows ``rows`` (all columns), of the columns
        ``cols`` (all rows), of the rectangle both give, or of the whole picture; with
        ``turns`` off, only its ``original`` block (half the large products, a quarter of
        the small ones)."""
        if cols is not None:
            return self._band(cols).part(rows, turns=turns)
        # The large products are BLAS's; the small ones go by the filter's few taps.
        start, stop = rows if rows is not None else (0, self.luma.shape[0])
        kept = self._across[start:stop]
        if not turns:
            return {"original": _filter_rows(kept)}
        mirrored = self._across_mirrored[start:stop]
        flips = {
            "original": _filter_rows(kept),
            "flip_horizontal": _filter_rows(mirrored),
            "flip_vertical": _filter_rows(kept, mirrored=True),
            "rotate180": _filter_rows(mirrored, mirrored=True),
        }
        # A transposed picture gives the transposed buffer.
        return {
            **flips,
            "transpose": flips["original"].T,
            "rotate90": flips["flip_horizontal"].T,
            "rotate270": flips["flip_vertical"].T,
            "transverse": flips["rotate180"].T,
        }


@functools.lru_cache(maxsize=512)
def _reversed_filter_matrix(n: int) -> NDArray[np.float32]:
    """:func:`_filter_matrix` for the mirrored axis (contiguous: BLAS takes a reversed
    view for a strided array, ten times slower)."""
    return np.ascontiguousarray(_filter_matrix(n)[:, ::-1])


@functools.lru_cache(maxsize=256)
def _resized_filter_matrix(n: int, m: int, mirrored: bool) -> NDArray[np.float32]:
    """:func:`_filter_matrix` of length ``m`` (or :func:`_reversed_filter_matrix`) after
    Pillow's bicubic resize of a line of ``n`` pixels to ``m``: one 64×n matrix, so that
    PDQ's buffer of a picture as if resized comes from the picture as it is."""
    # Row j of the identity, resized, is what pixel j of the line gives each of the m.
    eye = Image.fromarray(np.eye(n, dtype=np.float32), mode="F")
    lines = np.asarray(eye.resize((m, n), Image.Resampling.BICUBIC), dtype=np.float64)
    matrix = _reversed_filter_matrix(m) if mirrored else _filter_matrix(m)
    return np.ascontiguousarray(matrix.astype(np.float64) @ lines.T, dtype=np.float32)


def resized_blocks(
    luma: NDArray[np.float32], size: tuple[int, int]
) -> dict[str, NDArray[np.float32]]:
    """The ``original`` and ``flip_horizontal`` buffers of ``luma`` resized (Pillow's
    bicubic) to ``size`` (rows, columns), as :meth:`Filtered.part` gives them of the
    resized picture, without resizing it: the resize and PDQ's filter are linear, so they
    are one matrix per axis (cached per length), and the products stay at the picture's
    own size (a tenth of the time for a small video frame enlarged to 512 x 910)."""
    if luma.ndim != 2 or min(luma.shape) < 1 or min(size) < 1:
        raise ValueError(f"expected a non-empty 2-D luma array, got shape {luma.shape}")
    rows, cols = luma.shape
    luma = np.ascontiguousarray(luma, dtype=np.float32)
    down = _resized_filter_matrix(rows, size[0], False)
    return {
        "original": down @ (luma @ _resized_filter_matrix(cols, size[1], False).T),
        "flip_horizontal": down @ (luma @ _resized_filter_matrix(cols, size[1], True).T),
    }


def pdq_from_luma(luma: NDArray[np.float32]) -> PdqHash:
    """PDQ hash of an (H, W) float32 luma array with values in 0..255."""
    return pdq_from_block(block_from_luma(luma))


def pdq_from_block(block: NDArray[np.float32], quality: int | None = None) -> PdqHash:
    """PDQ hash of a 64×64 buffer from :func:`block_from_luma` or :func:`dihedral_blocks`;
    ``quality``, when given, is taken instead of measured (a flip's is its original's)."""
    block = np.ascontiguousarray(block)
    coefficients = (_DCT @ block @ _DCT.T).ravel()
    # Torben's median in the reference is the lower median: the 128th smallest of 256.
    median = np.partition(coefficients, 127)[127]
    bits = (coefficients > median)[::-1]
    measured = block_quality(block) if quality is None else quality
    return PdqHash(np.packbits(bits).tobytes(), measured)


def pdq_from_blocks(
    blocks: Sequence[NDArray[np.float32]], qualities: Sequence[int]
) -> list[PdqHash]:
    """:func:`pdq_from_block` of many buffers at once, each with its quality: the same
    hashes, for a third of the cost of a call each (a query hashes twenty or more)."""
    if not blocks:
        return []
    coefficients = (_DCT @ np.stack(blocks) @ _DCT.T).reshape(len(blocks), -1)
    median = np.partition(coefficients, 127, axis=1)[:, 127:128]
    digests = np.packbits((coefficients > median)[:, ::-1], axis=1)
    return [PdqHash(d.tobytes(), q) for d, q in zip(digests, qualities, strict=True)]


def pdq_from_reference(rgb: NDArray[np.uint8]) -> PdqHash:
    """PDQ hash by Meta's ``pdqhash`` binding, of an (H, W, 3) uint8 array."""
    import pdqhash  # noqa: PLC0415 — only the reference pipeline needs the binding

    vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    bits = np.asarray(vector, dtype=np.uint8)
    return PdqHash(np.packbits(bits).tobytes(), int(quality))


# --- media to hash -----------------------------------------------------------------------


def _draft_for_speed(image: Image.Image) -> None:
    """Ask libjpeg for a DCT-domain downscale to no less than FAST_MIN_SIDE pixels."""
    if image.format != "JPEG":
        return
    width, height = image.size
    scale = 1
    while scale < 8 and min(width, height) // (scale * 2) >= FAST_MIN_SIDE:
        scale *= 2
    mode = "L" if image.mode in ("RGB", "L") else image.mode
    if scale > 1 or mode != image.mode:
        image.draft(mode, (-(-width // scale), -(-height // scale)))


def _reduce_for_speed(image: Image.Image) -> Image.Image:
    factor = min(image.size) // FAST_MIN_SIDE
    return image.reduce(factor) if factor >= 2 else image


def hash_image(image: Image.Image, *, pipeline: Pipeline = "fast") -> PdqHash:
    """PDQ of a decoded Pillow image (orientation is the caller's business)."""
    if pipeline == "reference":
        return pdq_from_reference(media.rgb_array(image))
    return pdq_from_luma(media.luminance(_reduce_for_speed(media.to_standard_mode(image))))


def decode(
    source: media.MediaSource,
    *,
    pipeline: Pipeline = "fast",
    all_frames: bool = False,
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
) -> list[Image.Image]:
    """The frames of an image file as the pipeline hashes them: oriented, RGB or L,
    and (fast pipeline) scaled down to no less than :data:`FAST_MIN_SIDE`."""
    name = media.describe(source)
    with media.open_image(source, max_pixels=max_pixels) as image:
        rotation = media.orientation(image)
        fast = pipeline == "fast"
        if fast and getattr(image, "n_frames", 1) == 1:
            _draft_for_speed(image)
        frames = []
        for frame in media.iter_frames(image, name, all_frames=all_frames):
            standard = media.to_standard_mode(frame)
            if standard is frame:  # the next seek() would overwrite it
                standard = frame.copy()
            if fast:
                standard = _reduce_for_speed(standard)
            frames.append(media.apply_orientation(standard, rotation))
        return frames


def hash_frames(
    source: media.MediaSource,
    *,
    pipeline: Pipeline = "fast",
    all_frames: bool = False,
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
) -> list[PdqHash]:
    """PDQ of the first frame (or of every frame) of an image file, EXIF orientation applied."""
    frames = decode(source, pipeline=pipeline, all_frames=all_frames, max_pixels=max_pixels)
    return [hash_image(frame, pipeline=pipeline) for frame in frames]


def hash_file(
    source: media.MediaSource,
    *,
    pipeline: Pipeline = "fast",
    max_pixels: int = media.DEFAULT_MAX_PIXELS,
) -> PdqHash:
    """PDQ of an image file (first frame of an animation), EXIF orientation applied."""
    return hash_frames(source, pipeline=pipeline, max_pixels=max_pixels)[0]
