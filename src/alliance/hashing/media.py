"""Decoding media files into pixels, the same way for every caller.

Hash lists made by other members only match ours if we see the same pixels, so the rules
are explicit here:

* **Orientation**: the EXIF orientation tag is applied (a phone photo stored sideways
  hashes as it is displayed). A malformed EXIF block is ignored, not fatal.
* **Modes**: every Pillow mode becomes RGB or L before hashing. Alpha is dropped, not
  composited, as python-threatexchange and Meta's ``pdqhash`` do (their hashes are the
  ones in circulation). 16-bit greyscale is scaled to 8 bits; 32-bit ``I`` and ``F``
  images are used as they are when their values lie in 0..255 and stretched to that range
  otherwise; ``LAB`` contributes its lightness channel (Pillow has no LAB→RGB).
* **Animation**: the first frame by default; :func:`iter_frames` yields every frame.
* **Limits**: an image with more than ``max_pixels`` pixels is refused before any pixel is
  decoded (a 50,000×50,000 PNG "bomb" would need 7.5 GB); truncated files, zero-byte files
  and files Pillow cannot identify are refused with the reason.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from alliance.hashing.errors import InvalidMedia, MediaTooLarge

#: Default decompression-bomb limit: 150 megapixels, above any current phone camera.
DEFAULT_MAX_PIXELS = 150_000_000

#: Default limit on frames decoded from one animated image.
DEFAULT_MAX_FRAMES = 1_000

MediaSource = Path | str | bytes | BinaryIO

_EXIF_ORIENTATION = 0x0112
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


def describe(source: MediaSource) -> str:
    """A short name for ``source`` to put in error messages."""
    if isinstance(source, Path | str):
        return str(source)
    if isinstance(source, bytes):
        return f"<{len(source)} bytes>"
    return str(getattr(source, "name", "<stream>"))


def open_image(source: MediaSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open an image lazily (header only), refusing empty files, non-images and bombs."""
    name = describe(source)
    try:
        if isinstance(source, bytes):
            if not source:
                raise InvalidMedia(f"{name}: empty file")
            stream: BinaryIO | Path | str = io.BytesIO(source)
        else:
            stream = source
            if isinstance(source, Path | str) and Path(source).stat().st_size == 0:
                raise InvalidMedia(f"{name}: empty file")
        with warnings.catch_warnings():
            # Our own limit below replaces Pillow's warning; its hard error (2x its own
            # limit) still fires first for absurd sizes and is translated.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge(f"{name}: image too large ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise InvalidMedia(f"{name}: not an image format we can read") from exc
    except OSError as exc:
        raise InvalidMedia(f"{name}: cannot read file ({exc.strerror or exc})") from exc
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise MediaTooLarge(
            f"{name}: {width}x{height} image has more than the limit of {max_pixels:,} pixels"
        )
    if width == 0 or height == 0:
        raise InvalidMedia(f"{name}: image has no pixels ({width}x{height})")
    return image


def load(image: Image.Image, name: str) -> Image.Image:
    """Decode the pixels of the current frame, translating Pillow's errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidMedia(f"{name}: truncated or corrupt image ({exc})") from exc
    return image


def orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8), 1 when absent or unreadable."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a malformed EXIF block must not stop hashing
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def apply_orientation(image: Image.Image, value: int) -> Image.Image:
    """Rotate/flip a decoded image as its EXIF orientation ``value`` says."""
    if value == 1:
        return image
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[value]
    return image.transpose(method)


def iter_frames(
    image: Image.Image, name: str, *, all_frames: bool, max_frames: int = DEFAULT_MAX_FRAMES
) -> Iterator[Image.Image]:
    """Yield the first frame, or every frame of an animated image (up to ``max_frames``)."""
    count = getattr(image, "n_frames", 1) if all_frames else 1
    for index in range(min(count, max_frames)):
        if index:
            try:
                image.seek(index)
            except (EOFError, OSError, ValueError) as exc:
                raise InvalidMedia(f"{name}: cannot read frame {index} ({exc})") from exc
        yield load(image, name)


def to_standard_mode(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to ``RGB`` or ``L`` by the rules in the module docstring."""
    mode = image.mode
    if mode in ("RGB", "L"):
        return image
    if mode in _SIXTEEN_BIT_MODES:
        wide = np.asarray(image, dtype=np.float32) / 257.0
        return Image.fromarray(np.clip(np.rint(wide), 0, 255).astype(np.uint8), "L")
    if mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        if low < 0 or high > 255:
            values = (values - low) * (255.0 / (high - low)) if high > low else values * 0
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")
    if mode == "LAB":
        return image.getchannel("L")
    if mode == "La":  # premultiplied alpha: Pillow converts it only to LA
        return image.convert("LA").convert("L")
    if mode in ("1", "LA"):
        return image.convert("L")
    return image.convert("RGB")


def rgb_array(image: Image.Image) -> NDArray[np.uint8]:
    """Pixels as an (H, W, 3) uint8 array, what Meta's ``pdqhash`` takes."""
    return np.asarray(to_standard_mode(image).convert("RGB"), dtype=np.uint8)


#: ITU-R 601 luma weights of red, green and blue, as PDQ specifies.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def luminance(image: Image.Image) -> NDArray[np.float32]:
    """Pixels as (H, W) float32 luma, ITU-R 601 weights as PDQ specifies."""
    standard = to_standard_mode(image)
    if standard.mode == "L":
        return np.asarray(standard, dtype=np.float32)
    return luma_of_rgb(np.asarray(standard))


def scaled_luma(
    luma: NDArray[np.float32], factor: float, resample: Image.Resampling
) -> NDArray[np.float32]:
    """(H, W) float32 ``luma`` resized by ``factor`` on both axes (at least a pixel)."""
    rows, cols = luma.shape
    size = (max(1, round(cols * factor)), max(1, round(rows * factor)))
    image = Image.fromarray(np.ascontiguousarray(luma, dtype=np.float32), mode="F")
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def luma_of_rgb(rgb: NDArray[np.uint8] | NDArray[np.float32]) -> NDArray[np.float32]:
    """(H, W) float32 luma of an (H, W, 3) RGB array (a decoded video frame, say)."""
    return rgb.astype(np.float32) @ LUMA_WEIGHTS
